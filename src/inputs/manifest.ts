// The manifest file the action reads after the build. Packer's manifest post-processor reads
// an existing file before it appends to it, and fails on one it cannot parse only after the
// whole build, when it also throws away the build's AMIs. So a file that is there is checked now.
import { existsSync, readFileSync, statSync } from 'node:fs'
import { JsonSyntaxError, parseJsonWithPosition } from './template.js'

/** What is wrong with a parsed manifest's shape, or undefined when it is a Packer manifest. */
export function manifestShapeProblem(manifest: unknown): string | undefined {
  if (typeof manifest !== 'object' || manifest === null || Array.isArray(manifest) || !('builds' in manifest)) {
    return 'expected a Packer manifest: a JSON object with "builds"'
  }
  const { builds, last_run_uuid: lastRunUuid } = manifest as { builds: unknown; last_run_uuid?: unknown }
  if (!Array.isArray(builds)) return 'expected "builds" to be an array'
  const notObject = builds.findIndex((build) => typeof build !== 'object' || build === null || Array.isArray(build))
  if (notObject >= 0) return `expected every entry of "builds" to be an object, found ${JSON.stringify(builds[notObject])} at index ${notObject}`
  if (lastRunUuid !== undefined && typeof lastRunUuid !== 'string') return 'expected "last_run_uuid" to be a string'
  return undefined
}

/**
 * Checks the manifest file at `path`, if there is one. `shown` is how the message names it.
 */
export function checkExistingManifest(
  path: string,
  shown: string,
  problem: (message: string, location?: { file: string; line?: number; column?: number }) => void
): void {
  if (!existsSync(path)) return
  const after = "Packer's manifest post-processor would fail on it after the build; fix or delete it"
  if (statSync(path).isDirectory()) {
    problem(`manifest: expected a file at ${shown}, found a directory`)
    return
  }
  let parsed: unknown
  try {
    parsed = parseJsonWithPosition(readFileSync(path, 'utf8'))
  } catch (error) {
    const position = error instanceof JsonSyntaxError ? error.position : undefined
    const at = position ? ` at line ${position.line}, column ${position.column}` : ''
    problem(`manifest: ${shown} is not valid JSON${at}: ${(error as Error).message}. ${after}.`, {
      file: shown,
      line: position?.line,
      column: position?.column
    })
    return
  }
  if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) && !('builds' in parsed)) {
    // Packer reads it as a manifest with no builds yet and writes its own over it, keeping only
    // its own keys: refused only when that would lose something.
    const foreign = Object.keys(parsed).filter((key) => key !== 'last_run_uuid')
    if (foreign.length === 0) return
    problem(
      `manifest: ${shown} is not a Packer manifest (it has ${foreign.map((key) => JSON.stringify(key)).join(', ')} and no ` +
        `"builds"): Packer's manifest post-processor would write over it and lose that. Move the file, or have the ` +
        'manifest written elsewhere.',
      { file: shown }
    )
    return
  }
  const wrong = manifestShapeProblem(parsed)
  if (wrong) problem(`manifest: ${shown}: ${wrong}. ${after}.`, { file: shown })
}
