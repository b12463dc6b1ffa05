// Removes the folder of the run's temporary files that globalSetup made.
import { rmSync } from 'node:fs'

export default function globalTeardown(): void {
  const folder = process.env.PACKER_AMI_ACTION_TEST_TMPDIR
  if (folder) rmSync(folder, { recursive: true, force: true })
}
