// The files fingerprint-paths matches, with the toolkit's glob library, in a module of its own:
// it loads only when reuse is on.
import * as glob from '@actions/glob'

/** Files (not directories) that `patterns` match; `!` patterns leave files out. */
export async function matchedFiles(patterns: string[]): Promise<string[]> {
  const globber = await glob.create(patterns.join('\n'), { matchDirectories: false, implicitDescendants: true })
  return globber.glob()
}
