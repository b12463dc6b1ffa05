// The step's TMPDIR: Packer keeps its own log in a file there from the moment it starts, and
// every Packer command (version, validate, build) fails at once, before it reads the template,
// when it cannot make that file ("Couldn't setup logging tempfile"): after a download, and with a
// failure that names no input. A TMPDIR that is not a folder the step can write is refused first.
import { accessSync, constants, statSync } from 'node:fs'

/** Why the step's TMPDIR cannot hold Packer's files, if it cannot; undefined when it is unset. */
export function temporaryFolderProblem(env: Record<string, string | undefined>): string | undefined {
  const folder = env.TMPDIR
  if (!folder) return undefined
  let found: string
  try {
    if (!statSync(folder).isDirectory()) found = 'it is a file, not a folder'
    else {
      accessSync(folder, constants.W_OK)
      return undefined
    }
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    found = code === 'ENOENT' || code === 'ENOTDIR' ? 'it is not there' : `the runner's user may not write it (${code})`
  }
  return (
    `TMPDIR (${folder}) must be a folder the step can write, where Packer keeps its log: ${found}. ` +
    'Packer fails at once without it. Point TMPDIR at such a folder (the runner\'s own is RUNNER_TEMP), or leave it unset.'
  )
}
