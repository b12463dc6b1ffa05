// What the main step leaves for the post step about the temporary resources Packer announced,
// kept apart from the clean-up (and its EC2 client) so that the main step can write it
// without loading that client.
import type { BuildRegions } from '../common/expired-credentials.js'
import type { FinishedImage, TemporaryResources } from '../packer/machine-readable.js'

/** The name under which the main step saves LeftoverState for the post step. */
export const LEFTOVERS_STATE = 'packer-leftovers'

export interface LeftoverState {
  /** Where Packer built: the home region (aws-region, AWS_REGION, AWS_DEFAULT_REGION). */
  regions: string[]
  resources: TemporaryResources
  /**
   * The regions the run's builds launch in (BuildRegions), which `resources` are in: not always
   * the home region. Absent until the main step has read them, just after Packer starts.
   */
  buildRegions?: BuildRegions
  /** The build whose line announced each of `resources` (RunRecord.announcedBy), by its ID or name: it is in that build's region. */
  announcedBy?: Record<string, string>
  /**
   * `running` until Packer ends; `exited` when its build succeeded; `failed` when it exited by
   * itself otherwise (a failed or cancelled build, which it cleans up after unless told not to
   * with on-error: abort, though a crashed plugin does not); `killed` when a signal ended it.
   */
  packer: PackerEnd
  /** on-error: abort: the user asked for what a failed build made to be left for debugging. */
  keep?: boolean
  /** false with summary: false: the user asked for no job summary, the post step's included. */
  summary?: boolean
  /**
   * Packer's process ID, which is its process group's: if the main step is killed while Packer
   * runs (`running`), Packer, in a group of its own, outlives it, and the post step stops it.
   */
  packerPid?: number
  /**
   * When Packer started (ISO 8601): a copy of an AMI that is no longer there to ask is taken
   * as the build's only if it was made after this.
   */
  packerStarted?: string
  /**
   * A build wrote its scripts' lines as its builder's (Packer 1.13 and later: RunRecord
   * scriptLinesAlike): a volume or AMI its log named after its instance is the build's only where
   * EC2 ties it to the build's instance, never for its times alone.
   */
  scriptLinesAlike?: boolean
  /**
   * The AMIs in the outputs, which builds that finished made: never the post step's to remove.
   * Set once the main step has set its outputs, so unset if it was killed before.
   */
  amis?: string[]
  /**
   * The AMI of each build that finished, as Packer announced it, and the regions it copied it to:
   * named, with the copies found there, if the outputs never were.
   */
  finished?: FinishedImage[]
  /**
   * The manifests the build may write, the one to read first first: if the outputs never were
   * set, the post step names from them the AMIs of the builds that finished, copies included.
   */
  manifests?: ManifestBefore[]
}

/** A manifest file, and the run it held before the build (`last_run_uuid`), to tell the build's entries from older ones. */
export interface ManifestBefore {
  path: string
  runBefore?: string
}

export type PackerEnd = 'running' | 'exited' | 'failed' | 'killed'

/**
 * The longest the post step's calls to AWS may take together (the look-up of a finished build's
 * copies, then the clean-up), so that it ends within a minute of Packer's death.
 */
export const postStepAwsMs = 45_000

/** How far the runner's clock may be from EC2's or IAM's when a creation date is compared with `packerStarted`. */
export const clockSkewMs = 5 * 60_000

/**
 * Whether a resource EC2 or IAM says was made (or launched) at `made` may be the build's: not
 * before Packer started, less the clock skew. True when either is unknown.
 */
export function madeSincePackerStarted(made: Date | undefined, packerStarted: string | undefined): boolean {
  return made === undefined || packerStarted === undefined || made.getTime() >= Date.parse(packerStarted) - clockSkewMs
}
const packerEnds: readonly unknown[] = ['running', 'exited', 'failed', 'killed'] satisfies PackerEnd[]

/** Parses the saved state; undefined for an empty or foreign value. */
export function parseLeftoverState(text: string): LeftoverState | undefined {
  if (text.trim() === '') return undefined
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return undefined
  }
  if (typeof value !== 'object' || value === null) return undefined
  const { regions, resources, buildRegions, announcedBy, packer, keep, summary, packerPid, packerStarted, scriptLinesAlike, amis, finished, manifests } = value as Record<string, unknown>
  if (!packerEnds.includes(packer)) return undefined
  const found = (typeof resources === 'object' && resources !== null ? resources : {}) as Record<string, unknown>
  return {
    regions: strings(regions),
    resources: {
      instanceIds: strings(found.instanceIds),
      keyPairs: strings(found.keyPairs),
      securityGroups: strings(found.securityGroups),
      images: strings(found.images),
      imageInstances: strings(found.imageInstances),
      snapshotVolumes: strings(found.snapshotVolumes),
      launchTemplates: strings(found.launchTemplates),
      instanceProfiles: strings(found.instanceProfiles),
      roles: strings(found.roles),
      copyRegions: strings(found.copyRegions),
      ...(Array.isArray(found.groupsMayBeGone) ? { groupsMayBeGone: strings(found.groupsMayBeGone) } : {})
    },
    ...(typeof buildRegions === 'object' && buildRegions !== null ? { buildRegions: savedBuildRegions(buildRegions as Record<string, unknown>) } : {}),
    ...(typeof announcedBy === 'object' && announcedBy !== null ? { announcedBy: stringRecord(announcedBy) } : {}),
    packer: packer as PackerEnd,
    keep: keep === true,
    ...(summary === false ? { summary: false } : {}),
    ...(Number.isSafeInteger(packerPid) && (packerPid as number) > 1 ? { packerPid: packerPid as number } : {}),
    ...(typeof packerStarted === 'string' && !Number.isNaN(Date.parse(packerStarted)) ? { packerStarted } : {}),
    ...(scriptLinesAlike === true ? { scriptLinesAlike: true } : {}),
    ...(Array.isArray(amis) ? { amis: strings(amis) } : {}),
    ...(Array.isArray(finished) ? { finished: finishedImages(finished) } : {}),
    ...(Array.isArray(manifests) ? { manifests: manifestsBefore(manifests) } : {})
  }
}

/**
 * Whether the post step has anything to clean up: Packer's build did not succeed, and a build
 * that did not finish announced something. After a failure Packer has cleaned up, unless a
 * plugin of it crashed (as one of Packer 1.6.6 can when cancelled while its instance starts),
 * but never an AMI's copies: the post step looks.
 */
export function needsCleanup(state: LeftoverState | undefined): state is LeftoverState {
  if (state === undefined || state.packer === 'exited') return false
  return Object.values(state.resources).some((announced) => announced.length > 0)
}

/** The non-empty strings of a saved list; none for anything else. */
function strings(list: unknown): string[] {
  return Array.isArray(list) ? list.filter((item): item is string => typeof item === 'string' && item !== '') : []
}

function savedBuildRegions({ regions, unknown, byBuild }: Record<string, unknown>): BuildRegions {
  const named = typeof byBuild === 'object' && byBuild !== null ? stringRecord(byBuild) : {}
  return { regions: strings(regions), ...(unknown === true ? { unknown } : {}), ...(Object.keys(named).length > 0 ? { byBuild: named } : {}) }
}

/** The non-empty string values of a saved record, by their keys; none for anything else. */
function stringRecord(record: object): Record<string, string> {
  return Object.fromEntries(Object.entries(record).filter((entry): entry is [string, string] => typeof entry[1] === 'string' && entry[1] !== ''))
}

function finishedImages(list: unknown[]): FinishedImage[] {
  return list.flatMap((item) => {
    const { build, ami, copyRegions, instances } = (typeof item === 'object' && item !== null ? item : {}) as Record<string, unknown>
    if (typeof build !== 'string' || typeof ami !== 'string') return []
    // Packer's log names the regions it copied the AMI to, never the copies: the post step asks EC2 there.
    const regions = strings(copyRegions)
    return [{ build, ami, ...(regions.length > 0 ? { copyRegions: regions } : {}), ...(Array.isArray(instances) ? { instances: strings(instances) } : {}) }]
  })
}

function manifestsBefore(list: unknown[]): ManifestBefore[] {
  return list.flatMap((item) => {
    const { path, runBefore } = (typeof item === 'object' && item !== null ? item : {}) as Record<string, unknown>
    if (typeof path !== 'string' || path === '') return []
    return [typeof runBefore === 'string' ? { path, runBefore } : { path }]
  })
}

/**
 * Whether the main step ended before it set its outputs (it was killed) once Packer had started
 * its build, and a build may have finished by then: Packer announced its AMI, or the build may
 * have written a manifest. Their AMIs are in no output.
 */
export function mayHaveUnreportedAmis(state: LeftoverState | undefined): state is LeftoverState {
  return state !== undefined && state.amis === undefined && ((state.finished?.length ?? 0) > 0 || (state.manifests?.length ?? 0) > 0)
}
