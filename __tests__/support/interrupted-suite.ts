// The test file that interrupted-run.test.ts runs with jest, and interrupts: its one test runs
// the bundled action, which starts a Packer stand-in in a process group of its own, whose build
// waits to be cancelled and whose clean-up then never ends (a real Packer's, once the loopback
// endpoint has gone with jest, can take as long). Once the build is under way, the test writes
// the file INTERRUPTED_RUN_READY names. The step is given INTERRUPTED_RUN_MARK, which its
// processes inherit: the processes of this run are those that have it.
import { it } from '@jest/globals'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { standInOnPath } from '../../test-support/packer-stand-in/index.js'
import { runAction } from './action-process.js'

it('runs the action until it is interrupted', async () => {
  const workspace = mkdtempSync(join(tmpdir(), 'interrupted-'))
  writeFileSync(join(workspace, 'packer-template.json'), JSON.stringify({ builders: [{ type: 'amazon-ebs' }] }))
  await runAction({
    workspace,
    inputs: { 'packer-version': '1.6.6', 'provenance-tags': 'false' },
    // A build step has AWS credentials: without them, the build is refused before the install.
    env: { ...standInOnPath(), AWS_ACCESS_KEY_ID: 'AKIDSTANDIN', AWS_SECRET_ACCESS_KEY: 'standin-secret', STANDIN_HANG: 'ignoring SIGTERM', INTERRUPTED_RUN_MARK: process.env.INTERRUPTED_RUN_MARK },
    onStart: (_child, stdoutSoFar) => {
      const poll = setInterval(() => {
        if (!stdoutSoFar().includes('to become ready')) return
        clearInterval(poll)
        writeFileSync(process.env.INTERRUPTED_RUN_READY as string, '')
      }, 20)
    }
  })
}, 600_000)
