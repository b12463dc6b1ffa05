// The Packer a template asks for (an HCL2 file's `packer { required_version }`, a JSON template's
// `min_packer_version`) against the one packer-version names. Packer refuses a template that
// excludes it, but only once it is installed and its plugins with it: when packer-version names
// one release, the files already tell. A file of its own (dist/stages/required-version.js) for the
// input checks, loaded only for such a request and a template that names a version; an HCL2
// template's read (hcl.ts) reads its demands from the parse it makes of each file anyway.
import type { InputProblem, InputReader, ProblemLocation } from './reader.js'
import type { HclFileRead } from './hcl.js'
import type { HclFileText } from './template-files.js'
import { describeRequest, type VersionRequest } from './version-request.js'

/** A template's own demand on Packer's version, and where it is written. */
export interface VersionDemand {
  /** `required_version` (a go-version constraint) or `min_packer_version` (a version). */
  setting: 'required_version' | 'min_packer_version'
  constraint: string
  location: ProblemLocation
}

/**
 * Each demand of the template's that release `version`, the one packer-version names, does not
 * meet, as a problem at its line: Packer would refuse the template with that version, after the
 * install and the plugins.
 */
export async function checkDemandsMet(reader: InputReader, version: string, demands: VersionDemand[]): Promise<void> {
  for (const { message, location } of await demandsNotMet(demands, { version })) reader.problem(message, location)
}

/** The release a packer-version of latest or a range resolves to, once the releases are known. */
export interface ResolvedVersion {
  version: string
  /** What packer-version asked for; none when it named `version` itself. */
  request?: VersionRequest
  /** The stable releases the index lists, newest first, when it was read: one that meets a demand is named. */
  releases?: string[]
}

/**
 * The demands `resolved` does not meet, each as a problem at its line, in the words of the
 * input checks: for latest or a range, asked once the release is known and before it is
 * downloaded or a Packer on the runner is used. Latest stays the newest release: one that
 * meets the demand is only named.
 */
export async function demandsNotMet(demands: VersionDemand[], resolved: ResolvedVersion): Promise<InputProblem[]> {
  // The semver checks of packer-version, loaded already for a request other than latest.
  const { meetsMinimum, meetsRequiredVersion } = await import('./packer-version.js')
  const { version, request, releases } = resolved
  const found = request ? `found "${describeRequest(request)}", which resolves to ${version}` : `found "${version}"`
  const problems: InputProblem[] = []
  for (const { setting, constraint, location } of demands) {
    const meets = (release: string): boolean | undefined =>
      setting === 'min_packer_version' ? meetsMinimum(release, constraint) : meetsRequiredVersion(release, constraint)
    if (meets(version) !== false) continue
    const demand = setting === 'min_packer_version' ? `Packer ${constraint} or later` : `a Packer that meets "${constraint}"`
    problems.push({
      message: `packer-version: expected ${demand}, as ${setting} in ${location.file} asks, ${found}: Packer ${version} refuses the template${meeting(releases, meets)}`,
      location
    })
  }
  return problems
}

/** The first of `releases` (newest first) that meets a demand, named for packer-version; nothing when none are known. */
function meeting(releases: string[] | undefined, meets: (release: string) => boolean | undefined): string {
  if (releases === undefined) return ''
  const newest = releases.find((release) => meets(release) === true)
  return newest ? `; Packer ${newest} meets it` : '; no release in the index meets it'
}

/**
 * The template's files with each `.pkr.hcl` file that names `required_version` parsed (its
 * `read`), once: the template's read (hcl.ts) goes on from that parse. One the parser cannot read
 * keeps the parser's error, which that read reports as it would its own.
 */
export async function withRequiredVersionsParsed(files: HclFileText[]): Promise<HclFileText[]> {
  const parsed: HclFileText[] = []
  for (const entry of files) {
    if (!('text' in entry) || entry.read || entry.file.endsWith('.json') || !entry.text.includes('required_version')) {
      parsed.push(entry)
      continue
    }
    const { readHclText } = await import('./hcl-parser.js')
    try {
      parsed.push({ ...entry, read: await readHclText(entry.file, entry.text) })
    } catch (error) {
      parsed.push({ file: entry.file, error })
    }
  }
  return parsed
}

/**
 * The `required_version` of each `packer` block of an HCL2 template's files, where it is literal
 * text, with where it is written (`shown` names a file, from its absolute path): read from each
 * file's parse, a `.pkr.json` file's JSON. A file that was not parsed, or could not be, is left
 * to Packer, which says where.
 */
export async function hclVersionDemands(files: HclFileText[], shown: (path: string) => string): Promise<VersionDemand[]> {
  const demands: VersionDemand[] = []
  for (const entry of files) {
    if (!('text' in entry) || !entry.text.includes('required_version')) continue
    const { file: path } = entry
    const found = path.endsWith('.pkr.json') ? jsonRequiredVersions(entry.json ?? jsonOf(entry.text)) : entry.read ? await hclRequiredVersions(entry.read) : []
    for (const { constraint, line, column, at } of found) {
      const location: ProblemLocation = { file: shown(path), line, column, ...(at && { value: { path, at } }) }
      demands.push({ setting: 'required_version', constraint, location })
    }
  }
  return demands
}

interface Written {
  constraint: string
  line?: number
  column?: number
  /** In a `.pkr.json` file: the path to it, whose line is found when it is reported. */
  at?: Array<string | number>
}

async function hclRequiredVersions({ body, place }: HclFileRead): Promise<Written[]> {
  const { literalText } = await import('./hcl-parser.js')
  const blocks = Array.isArray(body.packer) ? (body.packer as unknown[]) : []
  const found: Written[] = []
  for (const [index, block] of blocks.entries()) {
    const written = (block as Record<string, unknown> | null)?.required_version
    const constraint = typeof written === 'string' ? literalText(written) : undefined
    if (constraint === undefined) continue
    found.push({ constraint, ...(await place(['packer', index, 'required_version'])) })
  }
  return found
}

/** A file's text as JSON; undefined when it is not JSON (Packer says where). */
function jsonOf(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

/** A `.pkr.json` file's `packer` object (or list of them), in HCL's JSON syntax. */
function jsonRequiredVersions(root: unknown): Written[] {
  const packer = (root as Record<string, unknown> | null)?.packer
  const blocks: Array<[unknown, Array<string | number>]> = Array.isArray(packer)
    ? packer.map((block, index) => [block, ['packer', index]])
    : [[packer, ['packer']]]
  return blocks.flatMap(([block, at]) => {
    const constraint = (block as Record<string, unknown> | null | undefined)?.required_version
    // A string of HCL's JSON syntax is a template: one that interpolates is left to Packer.
    return typeof constraint === 'string' && !/[$%]\{/.test(constraint) ? [{ constraint, at: [...at, 'required_version'] }] : []
  })
}
