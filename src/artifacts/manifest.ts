// AMIs from Packer's manifest post-processor file, or from the machine-readable artifact
// events when no manifest was written.
import { regionOfBuild, type BuildRegions } from '../common/expired-credentials.js'
import { regionName } from '../common/regions.js'
import type { AnnouncedArtifact } from '../packer/machine-readable.js'
import { manifestShapeProblem } from '../inputs/manifest.js'

export interface Ami {
  build: string
  builderType: string
  region: string
  amiId: string
  /**
   * Where Packer gives several builds this one's name (HCL2 build blocks with no name that build
   * one source): the name Packer gives them all, and which of them, in the order they finished
   * (1, 2, …), this one is. `build` is then that name for the first, `NAME#2`, … for the others.
   */
  alike?: { name: string; finished: number }
}

export interface ManifestRun {
  runUuid?: string
  amis: Ami[]
  /**
   * The entry (one build's) each of `amis` is of, by its index among the run's entries: two
   * builds the manifest names alike (HCL2 build blocks with no name, of one source) are apart only there.
   */
  entryOf: number[]
  /** Builds of the latest run that produced no AMI (e.g. an amazon-ebsvolume build). */
  buildsWithoutAmi: string[]
}

export class ManifestError extends Error {}

interface ManifestBuild {
  name?: unknown
  builder_type?: unknown
  artifact_id?: unknown
  packer_run_uuid?: unknown
}

const amiPair = new RegExp(`^(${regionName}):(ami-[0-9a-f]+)$`)

/**
 * `region:ami-…` pairs of an artifact ID, in the order written. Other kinds of artifact ID
 * (volumes, snapshots, Docker images, files) have none.
 */
export function amiPairs(artifactId: string): Array<{ region: string; amiId: string }> {
  const pairs: Array<{ region: string; amiId: string }> = []
  for (const part of artifactId.split(',')) {
    const match = amiPair.exec(part.trim())
    if (match) pairs.push({ region: match[1], amiId: match[2] })
  }
  return pairs
}

/** Reads the builds of the latest run (`last_run_uuid`): runs append to the same file. */
export function parseManifest(text: string, file: string): ManifestRun {
  let manifest: unknown
  try {
    manifest = JSON.parse(text)
  } catch (error) {
    throw new ManifestError(`${file} is not valid JSON: ${(error as Error).message}`)
  }
  const wrong = manifestShapeProblem(manifest)
  if (wrong) throw new ManifestError(`${file}: ${wrong}`)
  const { builds, last_run_uuid: lastRunUuid } = manifest as {
    builds: unknown[]
    last_run_uuid?: unknown
  }
  const runUuid = typeof lastRunUuid === 'string' && lastRunUuid !== '' ? lastRunUuid : undefined
  const latest = (builds as ManifestBuild[]).filter(
    (build) => runUuid === undefined || build.packer_run_uuid === runUuid
  )

  const amis: Ami[] = []
  const entryOf: number[] = []
  const buildsWithoutAmi: string[] = []
  for (const [entry, build] of latest.entries()) {
    const name = typeof build.name === 'string' ? build.name : ''
    const builderType = typeof build.builder_type === 'string' ? build.builder_type : ''
    const artifactId = typeof build.artifact_id === 'string' ? build.artifact_id : ''
    const pairs = amiPairs(artifactId)
    if (pairs.length === 0) buildsWithoutAmi.push(name || builderType)
    for (const pair of pairs) {
      amis.push({ build: name || builderType, builderType, ...pair })
      entryOf.push(entry)
    }
  }
  const kept = firstOfEach(amis)
  return { runUuid, amis: amis.filter((_, index) => kept[index]), entryOf: entryOf.filter((_, index) => kept[index]), buildsWithoutAmi }
}

// Builder IDs of Packer's AMI builders, as they announce themselves in artifact events.
const builderTypeById: Record<string, string> = {
  'mitchellh.amazonebs': 'amazon-ebs',
  'mitchellh.amazon.ebssurrogate': 'amazon-ebssurrogate',
  'mitchellh.amazon.chroot': 'amazon-chroot',
  'mitchellh.amazon.instance': 'amazon-instance'
}

const amiBuilderTypes = Object.values(builderTypeById)

/**
 * The type of the builder that made a build's AMIs, where only the build's name is known (AMIs
 * found in EC2 after a cancel); '' when it cannot be told. A JSON template: its one AMI builder
 * type (a null or amazon-ebsvolume builder beside it makes none), or the name, when the builder
 * is named by its type. An HCL2 template: the type its build's name holds (`BUILD.TYPE.NAME`).
 */
export function amiBuilderTypeOf(build: string, template: { templateKind: string; builderTypes: string[] }): string {
  if (template.templateKind === 'hcl') return build.split('.').find((part) => amiBuilderTypes.includes(part)) ?? ''
  const types = template.builderTypes.filter((type) => amiBuilderTypes.includes(type))
  if (types.length === 1) return types[0]
  return amiBuilderTypes.includes(build) ? build : ''
}

/** AMIs from `artifact,…` events; the manifest post-processor repeats its input, so dedupe. */
export function amisFromAnnouncedArtifacts(artifacts: AnnouncedArtifact[]): Ami[] {
  const amis: Ami[] = []
  for (const artifact of artifacts) {
    const builderType = builderTypeById[artifact.builderId] ?? artifact.builderId
    for (const pair of amiPairs(artifact.id)) {
      amis.push({ build: artifact.build, builderType, ...pair })
    }
  }
  return dedupe(amis)
}

function dedupe(amis: Ami[]): Ami[] {
  const kept = firstOfEach(amis)
  return amis.filter((_, index) => kept[index])
}

/** Whether each of `amis` is the first of its build, region and AMI. */
function firstOfEach(amis: Ami[]): boolean[] {
  const seen = new Set<string>()
  return amis.map((ami) => {
    const key = `${ami.build}\u0000${ami.region}\u0000${ami.amiId}`
    if (seen.has(key)) return false
    seen.add(key)
    return true
  })
}

/**
 * Packer runs builds in parallel, so the manifest lists them in the order they finished.
 * The template's order is the one users mean by "the first build".
 */
export function inTemplateOrder(amis: Ami[], buildNames: string[]): Ami[] {
  const rank = (ami: Ami): number => {
    const index = templateIndex(ami, buildNames)
    return index < 0 ? buildNames.length : index
  }
  return amis
    .map((ami, position) => ({ ami, position }))
    .sort((a, b) => rank(a.ami) - rank(b.ami) || a.position - b.position)
    .map(({ ami }) => ami)
}

/** Whether `buildNames` names the build of every AMI: else they are ordered as they came. */
export function inKnownOrder(amis: Ami[], buildNames: string[]): boolean {
  return amis.every((ami) => templateIndex(ami, buildNames) >= 0)
}

/**
 * Where `buildNames` lists the build of `ami`, or -1. Of builds Packer names alike, the one that
 * finished Nth takes the Nth place of that name: nothing tells which of those places is its own.
 */
function templateIndex(ami: Ami, buildNames: string[]): number {
  if (ami.alike === undefined) return buildNames.indexOf(ami.build)
  const places = buildNames.flatMap((name, index) => (name === ami.alike?.name ? [index] : []))
  return places[ami.alike.finished - 1] ?? -1
}

/**
 * The `ami-id` output: the first build's AMI in the home region; else its AMI in the region it
 * made its AMI in, which those in its other regions are copies of, where the template tells that
 * region (`buildRegions`, BuildRegions.byBuild); else its first AMI as Packer lists them
 * (alphabetically), which is no better than any other.
 */
export function primaryAmi(amis: Ami[], homeRegion?: string, buildRegions?: BuildRegions): Ami | undefined {
  if (amis.length === 0) return undefined
  const firstBuild = amis[0].build
  const ofFirstBuild = amis.filter((ami) => ami.build === firstBuild)
  const buildRegion = buildRegionOfAmi(amis[0], buildRegions)
  // Never another build's AMI in the home region: ami-id is always one of ami-ids.
  return ofFirstBuild.find((ami) => ami.region === homeRegion) ?? ofFirstBuild.find((ami) => ami.region === buildRegion) ?? ofFirstBuild[0]
}

/** The region the build that made `ami` made its AMI in, where the template tells it: builds Packer names alike go by their one name. */
export function buildRegionOfAmi(ami: Ami, buildRegions: BuildRegions | undefined): string | undefined {
  return regionOfBuild(buildRegions, ami.alike?.name ?? ami.build)
}

/** The `ami-ids` output: region → AMI ID for the first build. */
export function amiIdsByRegion(amis: Ami[]): Record<string, string> {
  if (amis.length === 0) return {}
  const firstBuild = amis[0].build
  const byRegion: Record<string, string> = {}
  for (const ami of amis) {
    if (ami.build === firstBuild && !(ami.region in byRegion)) byRegion[ami.region] = ami.amiId
  }
  return byRegion
}
