// The process tests run dist/index.js: bundle the current source first, so they never test a
// stale bundle. (.ci/run then checks that the committed dist/ is this same bundle.)
import { execFileSync } from 'node:child_process'
import { join } from 'node:path'

export default function globalSetup(): void {
  execFileSync(process.execPath, [join(process.cwd(), 'scripts', 'bundle.mjs')], { stdio: 'inherit' })
}
