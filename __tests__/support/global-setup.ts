// The process tests run dist/index.js: bundle the current source first, so they never test a
// stale bundle. (.ci/run then checks that the committed dist/ is this same bundle.)
// Every temporary file of the run (the tests' own, the runner's files of each action run, and
// what Packer leaves when a test kills it) goes into one folder that globalTeardown removes:
// the test workers and the processes they start inherit TMPDIR from here.
import { execFileSync } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export default function globalSetup(): void {
  execFileSync(process.execPath, [join(process.cwd(), 'scripts', 'bundle.mjs')], { stdio: 'inherit' })
  process.env.PACKER_AMI_ACTION_TEST_TMPDIR = process.env.TMPDIR = mkdtempSync(join(tmpdir(), 'packer-ami-action-tests-'))
}
