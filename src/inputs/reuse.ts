// Inputs reuse and fingerprint-paths: whether a build whose inputs have not changed is skipped
// for the AMIs it made last time, and which files, besides the template and its variables
// files, make up those inputs. Only the patterns are read here: the files are globbed and
// hashed by ./fingerprint.ts, once the inputs are valid and the command is build.
import { dirname, resolve } from 'node:path'
import { isDirectory, type InputReader } from './reader.js'
import { imageFamilyTagKey, type RetentionInputs } from './retention.js'
import type { TemplateFiles } from './template-files.js'
import { cutSafely } from '../common/cut.js'
import { globLiteral, liesInside } from '../common/paths.js'

/**
 * The tags by which a later run with reuse finds a build's AMIs. They say which inputs built
 * the AMI, so they are written with the provenance tags as well as with reuse.
 */
export const reuseTagKeys = {
  fingerprint: 'BuildFingerprint',
  /**
   * `<run UUID> <number of AMIs> <region,region,…>`: the same on every AMI of one build; without
   * the regions when they would make it longer than a tag value may be (256 characters).
   */
  set: 'BuildSet',
  /** `<builder type> <build name>`: what the artifacts output says of the AMI. */
  build: 'PackerBuild'
} as const

export interface ReuseInputs {
  reuse: boolean
  /**
   * The globs of the files the fingerprint covers besides the template and variables files:
   * absolute, `!` for those left out; the template's directory when fingerprint-paths is empty.
   */
  fingerprintPatterns: string[]
}

/** Whether the run writes the fingerprint tags: they are provenance, and reuse looks for them. */
export function writesFingerprintTags(inputs: { provenanceTags: boolean; reuse: boolean }): boolean {
  return inputs.provenanceTags || inputs.reuse
}

type TaggingInputs = { provenanceTags: boolean; reuse: boolean } & Pick<RetentionInputs, 'imageFamily'>

/**
 * The tags a build writes besides the user's and the provenance tags: the image family, and the
 * fingerprint tags with provenance-tags or reuse. They take the place of a user's tag of the same key.
 * The same with command: validate, which tags nothing: a pull request's validate run with the
 * step's inputs must refuse the tags that the build on merge would.
 */
export function actionTagKeys(inputs: TaggingInputs): string[] {
  const family = inputs.provenanceTags || inputs.imageFamily !== undefined ? [imageFamilyTagKey] : []
  return [...family, ...(writesFingerprintTags(inputs) ? Object.values(reuseTagKeys) : [])]
}

/**
 * The action's own keys that a feature of this run goes by: ImageFamily with keep-images or an
 * image-family, the fingerprint tags with reuse. The template's own value of one would be replaced
 * (refused before the build, or told of at tagging). The others of actionTagKeys are written as
 * provenance alone, and the template's own value of them is kept, as of the provenance keys (real
 * templates tag their AMIs `PackerBuild = "true"` to find them).
 */
export function keysGoneBy(inputs: TaggingInputs & Pick<RetentionInputs, 'keepImages'>): string[] {
  const family = inputs.imageFamily !== undefined || inputs.keepImages > 0 ? [imageFamilyTagKey] : []
  return [...family, ...(inputs.reuse ? Object.values(reuseTagKeys) : [])]
}

/** The action's own keys written as provenance alone in this run (actionTagKeys but not keysGoneBy). */
export function ownKeysAsProvenance(inputs: TaggingInputs & Pick<RetentionInputs, 'keepImages'>): string[] {
  const goneBy = keysGoneBy(inputs)
  return actionTagKeys(inputs).filter((key) => !goneBy.includes(key))
}

/**
 * The action's own keys whose value a `tags` entry gives, where no feature of the run goes by
 * them (ownKeysAsProvenance): the entry's value is written, and not the action's, as with a
 * provenance key. `tags` may hold the provenance tags as well: they never give one of these keys.
 */
export function ownKeysTheTagsGive(tags: Record<string, string>, inputs: TaggingInputs & Pick<RetentionInputs, 'keepImages'>): string[] {
  return ownKeysAsProvenance(inputs).filter((key) => key in tags)
}

/**
 * A `tags` entry of a key a feature of the run goes by (keysGoneBy) would never reach an AMI:
 * the action's value takes its place. Refused, naming the input that goes by it and saying how
 * to get what the entry asks for. An entry of one of the action's other keys is the user's
 * (ownKeysTheTagsGive).
 */
export function ownTagProblems(userTags: Record<string, string>, inputs: TaggingInputs & Pick<RetentionInputs, 'keepImages'>): string[] {
  const given = keysGoneBy(inputs).filter((key) => key in userTags)
  const problems: string[] = []
  if (given.includes(imageFamilyTagKey)) {
    const goesBy = inputs.keepImages > 0 ? 'which keep-images goes by' : 'which image-family gives'
    problems.push(
      `tags: ${imageFamilyTagKey} is the action's own tag, ${goesBy}; ` +
        `set image-family: ${cutSafely(userTags[imageFamilyTagKey], 60, '…')} instead of the tags entry`
    )
  }
  const fingerprintKeys = given.filter((key) => key !== imageFamilyTagKey)
  if (fingerprintKeys.length > 0) {
    const one = fingerprintKeys.length === 1
    problems.push(
      `tags: ${fingerprintKeys.join(', ')} ${one ? 'is' : 'are'} the action's own, which reuse goes by; ` +
        `remove the tags entry, or set reuse: false to write ${one ? 'it' : 'them'} yourself`
    )
  }
  return problems
}

/**
 * The tags reused AMIs get: the user's `tags` as they are now, which do not change the image and
 * so are not in the fingerprint. Not the provenance tags, which still name the build that made
 * them, nor the action's own keys a feature of the run goes by (keysGoneBy), which still say
 * which build, set and family they are; an entry of those is refused before the run.
 */
export function reusedAmiTags(userTags: Record<string, string>, inputs: TaggingInputs & Pick<RetentionInputs, 'keepImages'>): Record<string, string> {
  const goneBy = new Set(keysGoneBy(inputs))
  return Object.fromEntries(Object.entries(userTags).filter(([key]) => !goneBy.has(key)))
}

/** A pattern whose fixed part is outside the workspace would glob the machine, not the checkout. */
function outsideWorkspace(pattern: string, workspace: string): boolean {
  return !liesInside(pattern, workspace)
}

/**
 * The user's patterns, resolved against working-directory, each checked once here. The
 * working directory's name is a path, not a glob: `build[1]` is that folder, not `build1`.
 */
async function userPatterns(reader: InputReader, lines: string[], workingDirectory: string): Promise<string[]> {
  const patterns = lines.map((line) => {
    const negated = line.startsWith('!')
    const written = negated ? line.slice(1) : line
    const resolved = resolve(workingDirectory, written)
    if (outsideWorkspace(resolved, reader.workspace)) {
      reader.problem(`fingerprint-paths: expected globs inside the workspace (${reader.workspace}), found "${line}", which is ${resolved}`)
    }
    const pattern = resolve(globLiteral(workingDirectory), written)
    return negated ? `!${pattern}` : pattern
  })
  // The glob library parses the patterns without reading the disk; loaded only when there are some.
  const { patternProblem } = await import('./fingerprint.js')
  const problem = await patternProblem(patterns)
  if (problem !== undefined) reader.problem(`fingerprint-paths: ${problem}`)
  return patterns
}

/** `homeRegion` is where earlier builds' AMIs are looked for first. */
export async function readReuseInputs(reader: InputReader, files: TemplateFiles, homeRegion?: string): Promise<ReuseInputs> {
  const reuse = reader.boolean('reuse', false)
  if (reuse && homeRegion === undefined) {
    reader.problem('reuse: needs aws-region (or AWS_REGION) to know where to look for the AMIs of earlier builds')
  }
  const lines = reader.lines('fingerprint-paths')
  if (lines.length > 0) return { reuse, fingerprintPatterns: await userPatterns(reader, lines, files.workingDirectory) }
  // The template's directory as it is named: a folder `packer[1]` is not a glob for `packer1`.
  const template = resolve(files.workingDirectory, files.template)
  return { reuse, fingerprintPatterns: [globLiteral(isDirectory(template) ? template : dirname(template))] }
}
