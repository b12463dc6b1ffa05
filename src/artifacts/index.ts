// Which AMIs this run built: from the manifest file when this run wrote to it, and from the
// artifacts Packer announced on its output (for builds the manifest does not cover).
import { existsSync, mkdirSync, readFileSync } from 'node:fs'
import { amisFromAnnouncedArtifacts, parseManifest, type Ami } from './manifest.js'
import type { AnnouncedArtifact } from '../packer/machine-readable.js'

/** The manifest's `last_run_uuid` before the build, to tell this run's entries from older ones. */
export function manifestRunUuid(path: string): string | undefined {
  if (!existsSync(path)) return undefined
  try {
    return parseManifest(readFileSync(path, 'utf8'), path).runUuid
  } catch {
    return undefined
  }
}

/**
 * Which of the manifests a build may write to read after it (`paths`, the one to read first;
 * `runsBefore`, the run each held before the build): the first that the build wrote anew, as
 * only/except may leave the first one out; else the first.
 */
export function manifestToRead(paths: string[], runsBefore: Array<string | undefined>): number {
  const written = paths.findIndex((path, index) => {
    const after = manifestRunUuid(path)
    return after !== undefined && after !== runsBefore[index]
  })
  return Math.max(0, written)
}

/** An AMI a manifest lists, and which of its entries (builds) lists it. */
export interface WrittenAmi extends Ami {
  entry: number
}

/**
 * The AMIs that the build wrote in the first of `manifests` it wrote anew (each with the run it
 * held before the build), or none: for the post step, when the main step never read them. Each
 * under the name Packer's log gives its build, when it is one of `buildNames` (as readBuiltAmis
 * names them): a manifest names an HCL2 build by its source alone.
 */
export function amisWritten(manifests: Array<{ path: string; runBefore?: string }>, buildNames: string[] = []): WrittenAmi[] {
  for (const { path, runBefore } of manifests) {
    if (!existsSync(path)) continue
    try {
      const run = parseManifest(readFileSync(path, 'utf8'), path)
      if (run.runUuid !== undefined && run.runUuid !== runBefore) {
        return run.amis.map((ami, index) => ({ ...ami, build: fullBuildName(ami, [], buildNames), entry: run.entryOf[index] }))
      }
    } catch {
      continue
    }
  }
  return []
}

export interface BuiltAmis {
  amis: Ami[]
  runUuid?: string
  /** The manifest file read, when this run wrote to it. */
  manifest?: string
  notes: string[]
  /** Why there is no AMI, for a build that succeeded without one. */
  whyNoAmi: string
  /** The AMIs listed that Packer's log says a build deregistered later in the run: in no output. */
  deregistered?: Ami[]
  /**
   * With `manifest`, the builds it has no entry of, whose AMIs only Packer's output gave: none of
   * their AMIs is under their name in the manifest.
   */
  outsideManifest: string[]
}

/**
 * The AMIs of this run, each under the build name Packer gave it on its output (`-only` takes
 * the same names), whichever of the manifest and the output it was read from.
 * `buildNames` is the template's builds in its order, as Packer lists them. `manifestUnknown` is
 * the template's manifest `output` as written, when only Packer knew where it writes, with the
 * folders made for it before the build (one per build, say), where they were known.
 * `finishedBuilds`, the builds Packer's log says finished, tell which of several builds of one
 * HCL2 source a manifest entry is, when Packer was stopped before it announced their artifacts.
 * `deregistered`, the AMIs Packer's log says a build deregistered (force_deregister, when builds
 * give their AMIs one name), are left out: they are no longer in EC2.
 */
export function readBuiltAmis(
  manifestPath: string,
  runUuidBefore: string | undefined,
  announced: AnnouncedArtifact[],
  buildNames: string[] = [],
  manifestUnknown?: { output: string; folders: string[] },
  finishedBuilds: string[] = [],
  deregistered: ReadonlySet<string> = new Set()
): BuiltAmis {
  const notes: string[] = []
  let amis: Ami[] = []
  let runUuid: string | undefined
  let manifest: string | undefined
  let buildsWithoutAmi: string[] = []

  // Whatever the file holds, the AMIs Packer announced are real: a manifest that cannot be
  // read only means reading them from Packer's output instead.
  let run: ReturnType<typeof parseManifest> | undefined
  if (manifestUnknown !== undefined) {
    // Packer wrote it elsewhere, if anywhere: whatever is at the default path is not this run's.
    notes.push(
      manifestUnknown.folders.length > 0
        ? `The template's manifest post-processor writes to "${manifestUnknown.output}", a path Packer fills in for each build as it ` +
            `builds it; the folders of such manifests (${manifestUnknown.folders.join(', ')}) were made before the build where missing. ` +
            "Reading the AMIs from Packer's output, not those files."
        : `The template's manifest post-processor writes to "${manifestUnknown.output}", which only Packer knows during the ` +
            "build; reading the AMIs from Packer's output. Set input manifest to that file's path to have it read."
    )
  } else if (existsSync(manifestPath)) {
    try {
      run = parseManifest(readFileSync(manifestPath, 'utf8'), manifestPath)
    } catch (error) {
      notes.push(`Cannot read the manifest: ${(error as Error).message}. Reading the AMIs from Packer's output.`)
    }
  }
  let entryOf: number[] = []
  if (run) {
    if (run.runUuid !== undefined && run.runUuid !== runUuidBefore) {
      ;({ amis, runUuid, buildsWithoutAmi, entryOf } = run)
      manifest = manifestPath
    } else {
      notes.push(`${manifestPath} holds no build of this run; reading the AMIs from Packer's output.`)
    }
  } else if (manifestUnknown === undefined && !existsSync(manifestPath)) {
    notes.push(`No manifest at ${manifestPath}; reading the AMIs from Packer's output.`)
  }

  const listed = listedAmis(amis, entryOf, amisFromAnnouncedArtifacts(announced), { buildNames, finishedBuilds, deregistered })
  amis = listed.amis

  const whyNoAmi =
    buildsWithoutAmi.length > 0
      ? `Packer succeeded, but its builds (${buildsWithoutAmi.join(', ')}) made no AMI: no region:ami-… ` +
        'artifact. The AMIs come from amazon-ebs, amazon-ebssurrogate, amazon-chroot and amazon-instance builds.'
      : `Packer succeeded, but no AMI was found: ${manifestUnknown === undefined ? manifestPath : 'the manifest'} has no ` +
        'build of this run and Packer announced no region:ami-… artifact. Does the template have an AMI builder (amazon-ebs, …)?'
  return { amis, runUuid, manifest, notes, whyNoAmi, deregistered: listed.gone, outsideManifest: manifest === undefined ? [] : listed.outsideManifest }
}

/**
 * The manifest's AMIs (`entryOf`, the entry of each) under their full build names, then those only
 * Packer's output announced (`fromOutput`); apart (`gone`), those a build deregistered later; and
 * the builds whose listed AMIs are all of the latter kind (`outsideManifest`).
 */
function listedAmis(
  amis: Ami[],
  entryOf: number[],
  fromOutput: Ami[],
  { buildNames, finishedBuilds, deregistered }: { buildNames: string[]; finishedBuilds: string[]; deregistered: ReadonlySet<string> }
): { amis: Ami[]; gone: Ami[]; outsideManifest: string[] } {
  const named = amis.map((ami) => ({ ...ami, build: fullBuildName(ami, fromOutput, buildNames, finishedBuilds) }))
  const kept = named.flatMap((ami, index) => (deregistered.has(ami.amiId) ? [] : [index]))
  const listed = keptApart(
    kept.map((index) => named[index]),
    kept.map((index) => entryOf[index])
  )
  const seen = new Set(named.map((ami) => `${ami.region}:${ami.amiId}`))
  const gone = named.filter((ami) => deregistered.has(ami.amiId))
  const inManifest = new Set(named.map((ami) => ami.build))
  const outsideManifest = new Set<string>()
  for (const ami of fromOutput) {
    if (seen.has(`${ami.region}:${ami.amiId}`)) continue
    seen.add(`${ami.region}:${ami.amiId}`)
    if (deregistered.has(ami.amiId)) gone.push(ami)
    else listed.push(ami)
    if (!deregistered.has(ami.amiId) && !inManifest.has(ami.build)) outsideManifest.add(ami.build)
  }
  return { amis: listed, gone, outsideManifest: [...outsideManifest] }
}

/**
 * The AMIs of builds Packer names alike (HCL2 build blocks with no name that build one source),
 * keyed apart: only their manifest entries (`entryOf`, one a build, in the order they finished)
 * tell them apart. The first keeps the name, the others are `NAME#2`, `NAME#3`, … (see Ami.alike).
 */
function keptApart(amis: Ami[], entryOf: number[]): Ami[] {
  const entries = new Map<string, number[]>()
  amis.forEach((ami, index) => {
    const seen = entries.get(ami.build) ?? []
    if (!seen.includes(entryOf[index])) entries.set(ami.build, [...seen, entryOf[index]])
  })
  return amis.map((ami, index) => {
    const of = entries.get(ami.build) ?? []
    if (of.length < 2) return ami
    const finished = of.indexOf(entryOf[index]) + 1
    return finishedAs(ami, ami.build, finished)
  })
}

/**
 * The AMIs Packer listed (`listed`) and those of the finished builds that only its log named
 * (`fromLog`, one list a build, in the order they finished), kept apart where they share a build
 * name: Packer lists the artifacts of one build of a name only (the last to finish; its list is
 * by name), so the others of builds it names alike come from its log, each a build of its own.
 */
export function keptApartFromTheLog(listed: Ami[], fromLog: Ami[][]): Ami[] {
  // Each list is one AMI the log named (and its copies): one build's.
  const before = new Map<string, number>()
  const logged = fromLog.map((amis) => {
    const name = amis[0]?.build
    const alike = listed.some((ami) => ami.build === name && ami.alike === undefined) || fromLog.filter((other) => other[0]?.build === name).length > 1
    if (name === undefined || !alike) return amis
    const finished = (before.get(name) ?? 0) + 1
    before.set(name, finished)
    return amis.map((ami) => finishedAs(ami, name, finished))
  })
  const last = (ami: Ami): Ami => {
    if (ami.alike !== undefined) return ami
    const finished = (before.get(ami.build) ?? 0) + 1
    return finished === 1 ? ami : finishedAs(ami, ami.build, finished)
  }
  return [...listed.map(last), ...logged.flat()]
}

/** `ami` as the AMI of the `finished`th to finish of the builds Packer names `name`: `NAME`, then `NAME#2`, … */
function finishedAs(ami: Ami, name: string, finished: number): Ami {
  return { ...ami, build: finished === 1 ? name : `${name}#${finished}`, alike: { name, finished } }
}

/**
 * A manifest entry names an HCL2 build by its source's name only (`ubuntu`), where Packer's
 * output and -only say `amazon-ebs.ubuntu` (or `BUILD.amazon-ebs.ubuntu`). The output's name
 * for the same AMI wins; else the one build of the template that the entry can be, or the one of
 * those that finished (two build blocks may build one source).
 */
function fullBuildName(ami: Ami, fromOutput: Ami[], buildNames: string[], finishedBuilds: string[] = []): string {
  const announced = fromOutput.find((other) => other.region === ami.region && other.amiId === ami.amiId)
  if (announced) return announced.build
  if (buildNames.includes(ami.build)) return ami.build
  const suffix = `${ami.builderType}.${ami.build}`
  // Builds Packer names alike are one name here.
  const candidates = [...new Set(buildNames.filter((name) => name === suffix || name.endsWith(`.${suffix}`)))]
  if (candidates.length === 1) return candidates[0]
  const finished = candidates.filter((name) => finishedBuilds.includes(name))
  return finished.length === 1 ? finished[0] : ami.build
}

/**
 * Creates a directory a manifest is written to, if it is missing: Packer's manifest
 * post-processor does not, and when it fails, Packer deregisters the AMIs the build made.
 * Returns the directory created, if any.
 */
export function prepareManifestDirectory(directory: string): string | undefined {
  if (existsSync(directory)) return undefined
  mkdirSync(directory, { recursive: true })
  return directory
}
