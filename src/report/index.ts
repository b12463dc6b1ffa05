// What later steps and people see: the step's outputs and the job summary.
import * as core from '@actions/core'
import { dirname } from 'node:path'
import { amiIdsByRegion, buildRegionOfAmi, primaryAmi, type Ami } from '../artifacts/manifest.js'
import type { RegionTagResult } from '../aws/tagging.js'
import { safeLength } from '../common/cut.js'
import type { BuildRegions } from '../common/expired-credentials.js'
import type { InstalledPacker } from '../install/index.js'
import { partitionOf } from '../common/partitions.js'
import type { Provenance } from '../inputs/tags.js'
import { PLUGIN_CACHE_STATE } from '../plugins/cache-state.js'
import type { PreparedPlugins } from '../plugins/index.js'
import { annotate, type Annotation } from './annotation.js'
import type { NotTheBuilds } from './found-images.js'
import { masked, outputsHoldingSecrets, withoutValuesWithBars } from './masks.js'
import { addPath, exportVariable, inTheOutputs, notWritten, runnerFileNotWritten, saveState, writeRunnerFile } from './runner-files.js'
import { untaggedSection, type UntaggedAmi } from './untagged.js'
import { plural } from './texts.js'

export interface AmiOutputs {
  'ami-id': string
  'ami-ids': string
  builds: string
  artifacts: string
}

/**
 * The `builds` output: build name → region → AMI ID, builds in the template's order. Gathered in
 * maps: a JSON builder's name is any text, and one an object already has (`constructor`,
 * `toString`, `__proto__`) would otherwise find that instead of a build of its own, and be left out.
 */
export function amisByBuild(amis: Ami[]): Record<string, Record<string, string>> {
  const builds = new Map<string, Map<string, string>>()
  for (const ami of amis) {
    let regions = builds.get(ami.build)
    if (regions === undefined) builds.set(ami.build, (regions = new Map()))
    if (!regions.has(ami.region)) regions.set(ami.region, ami.amiId)
  }
  return Object.fromEntries([...builds].map(([build, regions]) => [build, Object.fromEntries(regions)]))
}

/**
 * When the template has several builds, which one ami-id and ami-ids are; `undefined` for a
 * single build, where there is nothing to choose. `inTemplateOrder` is false when the AMIs are
 * in the order their builds finished: Packer did not list every build that made one.
 */
export function primaryBuildNote(amis: Ami[], inTemplateOrder = true, show: (name: string) => string = oneLine): string | undefined {
  const builds = [...new Set(amis.map((ami) => ami.build))]
  if (builds.length < 2) return undefined
  const listed = `the builds that made AMIs (${builds.map(show).join(', ')})`
  // Of builds Packer names alike, nothing tells which block made which: the first to finish leads.
  const alike = amis[0].alike
  if (inTemplateOrder && alike !== undefined) {
    return `ami-id and ami-ids are build ${show(builds[0])}'s: builds Packer names ${show(alike.name)} come first, in the template's order, of ${listed}, and of those it is the first to finish. Output builds has them all.`
  }
  const first = inTemplateOrder ? "the first, in the template's order," : 'the first to finish'
  const why = inTemplateOrder ? '' : " (Packer's list of the template's builds does not name them all)"
  return `ami-id and ami-ids are build ${show(builds[0])}'s: ${first} of ${listed}${why}. Output builds has them all.`
}

/**
 * The build whose AMIs ssm-parameter and launch-template roll out (those of amiIdsByRegion),
 * when `amis` are of several builds; `undefined` for one build, where there is nothing to tell
 * apart. Their sections and log groups name it: with 6 builds, a user could not tell whose AMIs
 * the parameter holds.
 */
export function rolledOutBuild(amis: Ami[]): string | undefined {
  return new Set(amis.map((ami) => ami.build)).size > 1 ? amis[0].build : undefined
}

/** A roll-out stage's log group title, naming `build` (rolledOutBuild) when there is one to name. */
export function stageGroupTitle(title: string, build: string | undefined): string {
  return build === undefined ? title : `${title} (build ${oneLine(build)}'s AMIs)`
}

/**
 * The builds before the first that made AMIs in the template's order (`buildNames`), that
 * `ran` (only/except left them in), and so made none: ami-id passed over them. None when the
 * AMIs are in the order their builds finished, where there is no such order to pass over.
 */
export function buildsPassedOver(amis: Ami[], buildNames: string[], ran: (build: string) => boolean): string[] {
  const at = amis.length === 0 ? -1 : buildNames.indexOf(amis[0].build)
  return at <= 0 ? [] : buildNames.slice(0, at).filter(ran)
}

/** The builds ami-id passed over (buildsPassedOver), and whether packer build failed. */
export interface PassedOver {
  builds: string[]
  buildFailed: boolean
}

/**
 * Which build's ami-id and ami-ids are when builds before it made no AMI: a user who reads
 * ami-id as the first build's would deploy another build's image without a word.
 */
export function passedOverNote(amis: Ami[], { builds, buildFailed }: PassedOver, show: (name: string) => string = oneLine): string | undefined {
  if (amis.length === 0 || builds.length === 0) return undefined
  const them = builds.length === 1 ? `build ${show(builds[0])}` : `builds ${builds.map(show).join(', ')}`
  return (
    `ami-id and ami-ids are build ${show(amis[0].build)}'s: ${them}, before it in the template's order, made no AMI` +
    `${buildFailed ? ', and packer build failed' : ''}. Output builds has every build that made AMIs.`
  )
}

/** The builds of the run that a manifest was read without (BuiltAmis.outsideManifest). */
export interface OutsideManifest {
  builds: string[]
  /** The manifest read, as the user names it (relative to the workspace). */
  manifest: string
  templateKind: 'hcl' | 'json'
}

/**
 * What to say of builds that wrote no entry in the manifest that was read: their AMIs came from
 * Packer's output, and nothing is lost, but a user with a manifest post-processor in one build
 * block believes every build covered, and a cancelled or killed Packer announces no artifact.
 */
export function outsideManifestNote({ builds, manifest, templateKind }: OutsideManifest, show: (text: string) => string = oneLine): string {
  const one = builds.length === 1
  const them = one ? `Build ${show(builds[0])}` : `Builds ${builds.map(show).join(', ')}`
  const fix =
    templateKind === 'hcl'
      ? `give ${one ? 'its build block' : 'each of their build blocks'} a post-processor "manifest" that writes to that file`
      : `have the manifest post-processor that writes it run for ${one ? 'that build' : 'them'}: no only or except of its own that leaves ${one ? 'it' : 'them'} out`
  return (
    `${them} wrote no entry in ${show(manifest)}, the manifest the AMIs were read from: ${one ? 'its' : 'their'} AMIs came from Packer's output, and are in the outputs. ` +
    "Were Packer cancelled or killed, it would announce no artifact, and the copies in other regions of a finished build's AMI would be found only by asking EC2. " +
    `To have the manifest list ${one ? 'it' : 'them'}, ${fix}.`
  )
}

/**
 * What to say of the builds of `amis` that Packer gives one name (HCL2 build blocks with no name
 * of their own that build one source): its log and manifest never tell which build block made
 * which AMIs, so the outputs key them apart in the order they finished (Ami.alike). One note a name.
 */
export function namedAlikeNotes(amis: Ami[]): Array<{ name: string; note: string }> {
  const builds = new Map<string, string[]>()
  for (const { build, alike } of amis) {
    if (alike === undefined) continue
    const keys = builds.get(alike.name) ?? []
    if (!keys.includes(build)) builds.set(alike.name, [...keys, build])
  }
  return [...builds].map(([name, keys]) => {
    const first = amis[0].alike?.name === name ? ` ami-id and ami-ids are ${oneLine(keys[0])}'s, the first to finish, which may not be the first in the template's order.` : ''
    return {
      name,
      note:
        `Packer gives ${keys.length} builds one name, ${oneLine(name)} (build blocks with no name of their own that build one source, or a source one build block lists twice), ` +
        'and nothing in its log or manifest tells which build block made which AMIs. Outputs builds and artifacts and the summary list ' +
        `them apart in the order they finished: ${keys.map(oneLine).join(', then ')}.${first} ` +
        'Give each build block a name of its own (name = "…") to tell them apart.'
    }
  })
}

/**
 * When ami-id is not in the home region, which it is and why: the first build made no AMI there,
 * so ami-id is its AMI in the region it built in, where the template tells that region, else in
 * the first of its regions as Packer lists them (alphabetically).
 */
export function primaryRegionNote(amis: Ami[], homeRegion?: string, buildRegions?: BuildRegions): string | undefined {
  const primary = primaryAmi(amis, homeRegion, buildRegions)
  if (primary === undefined || homeRegion === undefined || primary.region === homeRegion) return undefined
  const build = oneLine(primary.build)
  const buildRegion = buildRegionOfAmi(primary, buildRegions)
  const noneHome = `it made no AMI in ${homeRegion}, the home region`
  const copied = amis.some((ami) => ami.build === primary.build && ami.region !== primary.region)
  const which =
    primary.region === buildRegion
      ? `the region build ${build} made its AMI in (its region setting)${copied ? ', of which its AMIs in its other regions are copies' : ''}: ${noneHome}`
      : `the first of build ${build}'s regions as Packer lists them (alphabetically): ${noneHome}, ` +
        (buildRegion === undefined ? 'and the template does not tell which region it built in' : `nor kept one in ${buildRegion}, the region it built in`)
  return `ami-id is ${primary.amiId} in ${primary.region}, ${which}. Output ami-ids has each region's.`
}

export function amiOutputs(amis: Ami[], homeRegion?: string, buildRegions?: BuildRegions): AmiOutputs {
  return {
    'ami-id': primaryAmi(amis, homeRegion, buildRegions)?.amiId ?? '',
    'ami-ids': JSON.stringify(amiIdsByRegion(amis)),
    builds: JSON.stringify(amisByBuild(amis)),
    artifacts: JSON.stringify(
      amis.map(({ build, builderType, region, amiId }) => ({ build, builderType, region, amiId }))
    )
  }
}

/**
 * The log's line of the AMIs Packer made (or, `done` Reused, those a run reuses), each region's,
 * by build where there are several: with three builds in two regions, six AMIs in a row named
 * no build, and a user could not tell which image was whose.
 */
export function builtAmisLine(amis: Ami[], done: 'Built' | 'Reused' = 'Built'): string {
  const inRegions = (some: Ami[]) => some.map((ami) => `${ami.region} ${ami.amiId}`).join(', ')
  const builds = [...new Set(amis.map((ami) => ami.build))]
  const listed =
    builds.length < 2 ? inRegions(amis) : builds.map((build) => `${oneLine(build)}: ${inRegions(amis.filter((ami) => ami.build === build))}`).join('; ')
  return `${done} ${plural(amis.length, 'AMI')}: ${listed}`
}

/**
 * The JSON outputs as they stand until the job has something to put in them: a later step reads
 * them with fromJSON, which fails the step on an empty string, whatever the run did (validate
 * only, a failure before Packer built, keep-images or launch-template not set).
 */
export const jsonOutputsAtFirst = {
  'ami-ids': '{}',
  builds: '{}',
  artifacts: '[]',
  deregistered: '[]',
  'launch-template-versions': '{}'
}

/** Each output as last set: what the runner hands on when the step ends. */
const outputsSet: Record<string, string> = {}

/**
 * Sets each output. One the runner's output file does not take is logged instead, so that what it
 * holds (the AMI IDs) is not lost, and the job goes on: the step fails at its end, naming the file
 * (outputsNotWritten), once the AMIs it made are tagged and in the summary.
 */
export function setOutputs(outputs: Partial<Record<string, string>>): void {
  for (const [name, value] of Object.entries(outputs)) {
    if (value === undefined) continue
    const problem = writeRunnerFile('outputs', "the step's outputs", () => core.setOutput(name, value), { quiet: true })
    if (problem !== undefined) core.info(`Output ${name}, not written: ${value}`)
    outputsSet[name] = value
  }
}

/**
 * Why the step's outputs could not be written, if they could not, with what that means for the
 * steps after it: the failure of a step whose outputs its later steps would not get.
 */
export function outputsNotWritten(): string | undefined {
  const problem = runnerFileNotWritten('outputs')
  return problem && `${problem} Later steps and jobs get none of this step's outputs; the log holds their values ("Output …, not written").`
}

/** Whether the warning of outputs holding a secret was given. */
let warnedOfSecrets = false

/**
 * Warns, once the outputs are set, of those that hold text registered as a secret (a sensitive
 * value of the template), naming the variables and locals whose values they hold: the runner
 * masks them in the log, and skips each such output when it hands the job's outputs to another
 * job ("Skip output ... since it may contain secret"), which then gets an empty string. The secret
 * itself is not named. The warning is in `summary` too, when there is one to write; it is given
 * once.
 */
export function warnOfOutputsHoldingSecrets(summary?: SummaryModel): void {
  if (warnedOfSecrets) return
  const holding = outputsHoldingSecrets(outputsSet)
  if (holding.length === 0) return
  warnedOfSecrets = true
  const names = holding.map(({ output }) => output)
  const what = holding.some(({ held }) => held === 'value') ? 'a sensitive value' : 'a line of a multi-line sensitive value'
  const holders = holding.flatMap((output) => output.holders)
  const named = (['variable', 'local', 'secret'] as const).flatMap((of) => {
    const these = [...new Set(holders.filter((holder) => holder.of === of).map(({ name }) => name))]
    if (these.length === 0) return []
    return of === 'secret' ? [`read by ${these.join(', ')}`] : [`sensitive ${of}${these.length === 1 ? '' : 's'} ${these.join(', ')}`]
  })
  const of = named.length > 0 ? ` (${named.join('; ')})` : ''
  const warning = annotate({
    level: 'warning',
    title: 'Outputs holding a secret',
    message:
      `Output${names.length === 1 ? '' : 's'} ${names.join(', ')} hold${names.length === 1 ? 's' : ''} ${what} of the template${of}, ` +
      'which the action registers as a secret: the runner masks it, and does not hand an output that holds a secret to another job ' +
      `(jobs.<job_id>.outputs), which gets ${names.length === 1 ? 'it' : 'them'} empty. ` +
      'Read them in this job (steps.<step_id>.outputs), or keep that text out of the sensitive value, or that value out of sensitive ones.'
  })
  summary?.annotations.push(warning)
}

/**
 * Puts the folder of a Packer the action installed or took from the tool cache on PATH, for the
 * workflow's later steps (one already on PATH is there).
 */
export function reportPackerFolder(packer: Pick<InstalledPacker, 'path' | 'source' | 'version'>): void {
  if (packer.source === 'path') return
  const folder = dirname(packer.path)
  addPath(
    folder,
    `the folder of Packer ${packer.version} (${folder})`,
    'Later steps do not find that Packer on PATH; this step runs it all the same.'
  )
}

/**
 * What the plugin stage leaves for people and later steps: its warnings, the plugin folder
 * (so validate, build and the workflow's later steps find the same plugins) and the cache
 * state the post step saves.
 */
export function reportPlugins(prepared: PreparedPlugins): void {
  for (const warning of prepared.warnings) annotate({ level: 'warning', message: warning })
  for (const notice of prepared.notices ?? []) annotate({ level: 'notice', message: notice })
  if (prepared.newPluginPath) {
    exportVariable(
      'PACKER_PLUGIN_PATH',
      prepared.newPluginPath,
      `PACKER_PLUGIN_PATH (${prepared.newPluginPath})`,
      "Later steps that run Packer do not look for plugins there; this step's Packer uses them all the same."
    )
  }
  if (prepared.cacheState) saveState(PLUGIN_CACHE_STATE, JSON.stringify(prepared.cacheState))
}

/** Where a region's tagging stands, as the summary shows it. */
export interface RegionTagging {
  /** The snapshots behind each AMI of the region, as far as DescribeImages listed them. */
  snapshotsOf: Record<string, string[]>
  tagged: boolean
  /** AMIs of a tagged region that were left out (see RegionTagResult). */
  amisNotTagged?: string[]
  /** AMIs someone deregistered before they were tagged (see RegionTagResult). */
  gone?: string[]
  /** AMIs someone disabled before they were tagged, still in EC2 (see RegionTagResult). */
  disabled?: string[]
  /** By AMI ID: the tags it has once tagged, the template's with those added (see RegionTagResult). */
  tagsInAll?: Record<string, number>
  /** By AMI or snapshot ID: the keys the template gave it that kept their value (see RegionTagResult). */
  kept?: Record<string, string[]>
  error?: string
}

export interface SummaryModel {
  outcome: 'validated' | 'built' | 'tagging' | 'failed' | 'cancelled'
  template: string
  packerVersion?: string
  amis: Ami[]
  /** The AMIs are in the order their builds finished, not the template's (see primaryBuildNote). */
  amisAsTheyFinished?: boolean
  /** Builds before ami-id's in the template's order that made no AMI (see passedOverNote). */
  passedOver?: PassedOver
  /** Builds that wrote no entry in the manifest that was read (see outsideManifestNote). */
  outsideManifest?: OutsideManifest
  /** Per region; absent while tagging has not run (or was not reached). */
  tagging?: Map<string, RegionTagging>
  tagCount?: number
  /** false with tag-snapshots: false: the tags went on the AMIs, not on the snapshots the rows name. */
  snapshotsTagged?: boolean
  /** By build: the tags of its own (ImageFamily, PackerBuild) its AMIs get besides the tagCount shared by all. */
  buildTagCounts?: Record<string, number>
  /** By AMI ID: whether its build's own tags went on, with the others (absent: no answer yet). */
  buildTagging?: Map<string, { tagged: boolean }>
  problems: string[]
  /** A failed run: the step's failure, which the runner shows last in the log (see failureLine). */
  failure?: string
  /**
   * A run a cancel or the action's crash ended: the step's failure, which says what became of the
   * AMIs and of what Packer left; the summary shows it whole under its headline (endedLine).
   */
  ended?: string
  /** The warnings and errors annotated on the template and its variables, in the order made. */
  annotations: Annotation[]
  /** The commit built and, for a dispatched run, who started it. */
  provenance: Provenance
  /** Set when nothing was built: the AMIs are those of this earlier run. */
  reusedFrom?: string
  /** With reusedFrom: each reused AMI's snapshots, by AMI ID, as the look-up found them. */
  reusedSnapshots?: Record<string, string[]>
  /** With reusedFrom: input tags were applied to the reused AMIs, and to their snapshots with tag-snapshots. */
  retagged?: { tagCount: number; snapshots: boolean }
  /** With reusedFrom: what the job said of the set's AMIs that the run that built it had left untagged, and it tagged. */
  untaggedOfTheSet?: string
  /** Markdown sections of the stages after tagging (launch templates, SSM, retention), in order. */
  sections?: string[][]
  /** Packer had ended, but the run ended before the action read which AMIs it made. */
  amisUnread?: boolean
  /** AMIs Packer's log named as builds' that EC2 does not tie to them: in no output, not tagged (notTheBuildsSection). */
  notTheBuilds?: NotTheBuilds[]
  /** AMIs of the run that a failed tagging left without the run's tags, with what they were to get (untaggedSection). */
  leftUntagged?: UntaggedAmi[]
  /** With leftUntagged: the run recorded its set in the Actions cache, for a re-run of the job to tag and reuse. */
  untaggedRecorded?: boolean
}

/**
 * A region's tagging, told as soon as it is known (tagAmis' onResult): with 16 regions, the
 * slowest can keep the stage waiting for minutes, and the log shows meanwhile which are done. The
 * summary learns it too, so that one written at a cancel says the same as the log.
 */
export function reportRegionTagging(result: RegionTagResult, options: { tagCount: number; tagSnapshots: boolean }, summary: SummaryModel): void {
  annotateRegionTagging(result)
  logRegionTagging(result, options, summary)
}

/** The problems of a region's tagging, as annotations. */
export function annotateRegionTagging(result: RegionTagResult): void {
  for (const warning of result.warnings ?? []) annotate({ level: 'warning', message: warning })
  if (result.error !== undefined) annotate({ level: 'error', message: result.error, title: 'Tagging' })
}

/**
 * A region's tagging in the log and the summary, its problems aside (annotateRegionTagging): a
 * reused set's are told only once the set is known to be whole.
 */
export function logRegionTagging(result: RegionTagResult, options: { tagCount: number; tagSnapshots: boolean }, summary: SummaryModel): void {
  summary.tagging ??= new Map<string, RegionTagging>()
  summary.tagging.set(result.region, result)
  if (result.tagged) {
    const amiIds = result.amiIds.filter((amiId) => !result.amisNotTagged?.includes(amiId))
    const snapshotCount = new Set(amiIds.flatMap((amiId) => result.snapshotsOf[amiId] ?? [])).size
    const snapshots = options.tagSnapshots ? ` and ${plural(snapshotCount, 'snapshot')}` : ''
    core.info(`${result.region}: tagged ${amiIds.join(', ')}${snapshots} with ${options.tagCount} tags.`)
  }
}

/**
 * The AMIs of a build in a region that got its own tags (`keys`) with the others, told as soon as
 * the region's result is known, as reportRegionTagging tells it.
 */
export function reportBuildTagging(build: string, keys: string[], region: string, amiIds: string[], summary: SummaryModel): void {
  summary.buildTagging ??= new Map()
  for (const amiId of amiIds) summary.buildTagging.set(amiId, { tagged: true })
  if (amiIds.length > 0) core.info(`${region}: tagged ${amiIds.join(', ')} with build ${oneLine(build)}'s own tags (${keys.join(', ')}).`)
}

/**
 * The summary's account of tagging, region by region, in the order of `results` (each region is
 * in the log already: reportRegionTagging). Returns the regions where tagging failed.
 */
export function reportTagging(results: RegionTagResult[], summary: SummaryModel): string[] {
  summary.tagging = new Map<string, RegionTagging>(results.map((result) => [result.region, result]))
  const failed = results.filter((result) => result.error !== undefined)
  summary.problems.push(...failed.map((result) => result.error as string))
  return failed.map((result) => result.region)
}

/**
 * What the template gave the AMIs of the run itself, once every region is done: one line of the
 * provenance keys it kept (the template's value, not the action's), on how many AMIs and
 * snapshots of those tagged; a warning of the action's own keys whose value replaced the
 * template's, which only Packer had worked out (a literal one is refused before the build).
 */
export function reportTemplateTags(results: RegionTagResult[]): void {
  const counts = new Map<string, { amis: number; snapshots: number }>()
  const replaced: string[] = []
  const replacedOn = { amis: false, snapshots: false }
  for (const result of results) {
    const amiIds = result.tagged ? result.amiIds.filter((amiId) => !result.amisNotTagged?.includes(amiId) && !result.gone?.includes(amiId)) : []
    const snapshotIds = new Set(amiIds.flatMap((amiId) => result.snapshotsOf[amiId] ?? []))
    for (const [id, keys] of Object.entries(result.kept ?? {})) {
      const kind = amiIds.includes(id) ? 'amis' : snapshotIds.has(id) ? 'snapshots' : undefined
      if (kind === undefined) continue
      for (const key of keys) {
        const count = counts.get(key) ?? { amis: 0, snapshots: 0 }
        count[kind] += 1
        counts.set(key, count)
      }
    }
    for (const [id, keys] of Object.entries(result.replaced ?? {})) {
      const kind = amiIds.includes(id) ? 'amis' : snapshotIds.has(id) ? 'snapshots' : undefined
      if (kind === undefined) continue
      replacedOn[kind] = true
      replaced.push(`${keys.join(', ')} on ${id} (${result.region})`)
    }
  }
  if (counts.size > 0) {
    const each = [...counts].sort(([a], [b]) => a.localeCompare(b, 'en')).map(([key, { amis, snapshots }]) => {
      const on = [amis > 0 && plural(amis, 'AMI'), snapshots > 0 && plural(snapshots, 'snapshot')].filter(Boolean).join(' and ')
      return `${key} on ${on}`
    })
    core.info(`Kept the template's own tags, which it writes itself: ${each.join(', ')}.`)
  }
  if (replaced.length > 0) {
    const [resources, settings] =
      replacedOn.amis && replacedOn.snapshots
        ? ['AMIs and snapshots', 'tags and snapshot_tags']
        : replacedOn.snapshots
          ? ['snapshots', 'snapshot_tags']
          : ['AMIs', 'tags']
    annotate({
      level: 'warning',
      message:
        `The template gave its ${resources} tags that the action writes itself, and the action's value replaced the template's: ${replaced.join('; ')}. ` +
        `keep-images goes by ImageFamily, reuse by BuildFingerprint, BuildSet and PackerBuild: remove them from the template's ${settings}.`
    })
  }
}

const headline: Record<SummaryModel['outcome'], string> = {
  validated: ':white_check_mark: Template is valid',
  built: ':white_check_mark: AMIs built',
  tagging: ':hourglass: AMIs built; tagging them',
  failed: ':x: Failed',
  cancelled: ':no_entry_sign: Cancelled'
}

/**
 * The domain of the EC2 console of each partition whose console is on the internet: the isolated
 * partitions' (us-iso-east-1, us-isob-east-1, eu-isoe-west-1…) and the European Sovereign Cloud's
 * are on their own networks, at addresses AWS does not publish.
 */
const consoles: Record<string, string> = {
  aws: 'console.aws.amazon.com',
  'aws-cn': 'console.amazonaws.cn',
  'aws-us-gov': 'console.amazonaws-us-gov.com'
}

/** EC2 console address of an AMI, in the console of the region's partition; none where that console is not known. */
export function consoleUrl(region: string, amiId: string): string | undefined {
  const partition = partitionOf(region)
  const domain = partition === undefined ? undefined : consoles[partition]
  return domain && `https://${region}.${domain}/ec2/home?region=${region}#ImageDetails:imageId=${amiId}`
}

/** An AMI's ID in a summary's cell, linked to the EC2 console where its region's console is known. */
export function amiCell(region: string, amiId: string): string {
  const url = consoleUrl(region, amiId)
  return url === undefined ? `\`${amiId}\`` : `[\`${amiId}\`](${url})`
}

/** Text from elsewhere (an error, a name) in a Markdown table's cell: on one line, secrets masked. */
export function cell(text: string): string {
  return inCell(masked(text))
}

export function renderSummary(model: SummaryModel): string {
  const { provenance } = model
  const tagged = model.outcome === 'built' && model.tagging !== undefined
  // Reused AMIs were not built: the headline says what happened to them.
  const what = model.outcome === 'built' && model.reusedFrom ? ':white_check_mark: AMIs reused' : headline[model.outcome]
  const lines: string[] = [`## Packer AMI build: ${what}${tagged ? ' and tagged' : ''}`, '']

  const facts: string[] = [`Template \`${model.template}\``]
  if (model.packerVersion) facts.push(`Packer ${model.packerVersion}`)
  if (provenance.commit) {
    const short = provenance.commit.slice(0, 7)
    facts.push(
      provenance.repository && !provenance.local
        ? `commit [\`${short}\`](${provenance.serverUrl}/${provenance.repository}/commit/${provenance.commit})`
        : `commit \`${short}\``
    )
  }
  if (provenance.eventName === 'workflow_dispatch' && provenance.actor) {
    // Under nektos/act, its own actor (nektos/act) is no user of the server: named, not linked.
    facts.push(`run by hand by ${provenance.local ? plainText(provenance.actor) : `[@${provenance.actor}](${provenance.serverUrl}/${provenance.actor})`}`)
  }
  lines.push(facts.join(' · '), '')
  const failure =
    model.ended !== undefined ? endedLine(model.ended) : model.outcome === 'failed' && model.failure !== undefined ? failureLine(model.failure) : undefined
  if (failure) lines.push(`**${plainText(masked(shortened(failure)))}**`, '')
  if (model.reusedFrom) lines.push(`Nothing changed since the last build: reused, built by ${model.reusedFrom}.${retaggedNote(model)}`, '')
  if (model.reusedFrom && model.untaggedOfTheSet) lines.push(model.untaggedOfTheSet, '')

  // Which build's AMI ami-id names, read before the tables by one deciding what to deploy.
  const primary = primaryBuildNote(model.amis, !model.amisAsTheyFinished, plainText)
  if (primary) lines.push(primary, '')
  const passedOver = model.passedOver && passedOverNote(model.amis, model.passedOver, plainText)
  if (passedOver) lines.push(passedOver, '')

  const builds = [...new Set(model.amis.map((ami) => ami.build))]
  for (const build of builds) {
    const amis = model.amis.filter((ami) => ami.build === build)
    lines.push(`### ${plainText(build)} (${plainText(amis[0].builderType || 'unknown builder')})`, '')
    lines.push('| Region | AMI | Snapshots | Tags |', '| --- | --- | --- | --- |')
    for (const ami of amis) {
      const tagging = model.tagging?.get(ami.region)
      const snapshotsOf = tagging?.snapshotsOf ?? (model.reusedFrom ? (model.reusedSnapshots ?? {}) : undefined)
      const snapshots = snapshotsOf ? (snapshotsOf[ami.amiId] ?? []).map((id) => `\`${id}\``).join(', ') || '—' : snapshotsUnknown(model)
      lines.push(
        `| ${ami.region} | ${amiCell(ami.region, ami.amiId)} | ${snapshots} | ${tagsCell(model, tagging, ami)} |`
      )
    }
    lines.push('')
  }
  // What the line under the headline says already is not said again.
  if (model.amisUnread && builds.length === 0) {
    if (!/\bthe post step names\b/.test(failure ?? '')) lines.push('Which AMIs Packer made was not read: the post step names those of the builds that finished.', '')
  } else if (model.outcome !== 'validated' && builds.length === 0 && !/\b(no AMI|nothing) was built\b|\bno AMI is in the outputs\b|\bbefore (it|Packer) made an AMI\b/i.test(failure ?? '')) {
    lines.push('No AMI was built.', '')
  }
  if (model.outsideManifest) lines.push(outsideManifestNote(model.outsideManifest, plainText), '')

  lines.push(...notTheBuildsSection(model.notTheBuilds ?? []))
  lines.push(...untaggedSection(model.leftUntagged ?? [], model.untaggedRecorded))
  for (const section of model.sections ?? []) lines.push(...section, '')

  lines.push(...annotationsTable(model.annotations, provenance))
  if (model.problems.length > 0) {
    const problems = model.problems.map((problem) => shortened(masked(problem), problemChars))
    // Longer than any run of backticks in them, so that the block shows them as they are.
    const fence = backticksAround(problems.join('\n'), 3)
    lines.push('#### Problems', '', `${fence}text`, ...problems, fence, '')
  }
  return lines.join('\n')
}

/**
 * What the summary says under a failed run's headline: the first sentence of the step's failure,
 * so that the first lines tell what failed and whether the AMIs are in the outputs ("packer build
 * failed (exit code 1), after building 1 AMI that is in the outputs."); the rest of it is in the
 * sections below. Its errors and warnings are in the table below the line, not above it as in the log.
 * Within messageChars when shown: a crash's first sentence can be a panic's line of any length.
 */
export function failureLine(failure: string): string {
  const [first] = /^[^]*?\.(?=\s|$)/.exec(failure) ?? [failure]
  return first.replace(/ \(see the (errors?|warnings?) above\)/, ' (see the $1 below)')
}

/** The log's pointers to the summary, as the summary says them of itself. */
const pointersToTheSummary: Array<[log: RegExp, summary: string]> = [
  [/ that (is|are) in the summary and in the outputs\./, ' that $1 in the outputs and below.'],
  [/ \(the summary shows what each step did\)/, ' (the sections below show what each step did)'],
  [/ \(the summary's Tags column shows each AMI's tags\)/, " (the Tags column below shows each AMI's tags)"]
]

/**
 * What the summary says under the headline of a run a cancel or the action's crash ended: the
 * step's failure whole, which tells what became of the AMIs and what Packer left, as only it
 * tells (the Problems section does not say it again); its pointers to the summary said as of the
 * summary itself.
 */
export function endedLine(ended: string): string {
  return pointersToTheSummary.reduce((text, [log, summary]) => text.replace(log, summary), ended)
}

/**
 * What a run that ended while it tagged says of its AMIs: in the outputs, and which of them lack
 * the run's tags, or their build's own, as the summary's Tags column shows them (tagsCell).
 */
export function amisAsTaggingLeftThem(model: SummaryModel): string {
  const without: Ami[] = []
  const withoutOwn: Ami[] = []
  for (const ami of model.amis) {
    const tagging = model.tagging?.get(ami.region)
    if (tagging === undefined || runTagsFailed(tagging, ami.amiId)) without.push(ami)
    else if (!ownTags(model, ami).added) withoutOwn.push(ami)
  }
  const count = model.amis.length
  if (without.length === 0 && withoutOwn.length === 0) return `the ${plural(count, 'AMI', ['is', 'are'])} built, tagged and ${inTheOutputs()}.`
  const built = `the ${plural(count, 'AMI', ['is', 'are'])} built and ${inTheOutputs()}`
  const named = (amis: Ami[]) => amis.map(({ amiId, region }) => `${amiId} (${region})`).join(', ')
  const lacking =
    without.length === count
      ? [`none has the run's tags`]
      : [
          without.length > 0 && `${named(without)} ${without.length === 1 ? 'has' : 'have'} none of the run's tags`,
          withoutOwn.length > 0 && `${named(withoutOwn)} ${withoutOwn.length === 1 ? 'lacks its build\'s' : 'lack their builds\''} own`
        ].filter((said) => said !== false)
  return `${built}${without.length === count ? ', and ' : '; '}${lacking.join('; ')} (the summary's Tags column shows each AMI's tags).`
}

/**
 * The summary's section on the AMIs Packer's log named as builds' that EC2 does not tie to them
 * (notTheBuilds), apart from the builds' own: each with its region and why, so that a user can
 * find one that is the build's after all and tag or deregister it. None: no section.
 */
export function notTheBuildsSection(others: NotTheBuilds[]): string[] {
  if (others.length === 0) return []
  return [
    "#### AMIs not taken as the builds'",
    '',
    "Packer's log named them as the AMIs of builds that finished, but EC2 does not tie them to the builds: they are in no output and not tagged. " +
      "A script may have printed another's AMI; one registered from snapshots, or copied from an AMI that is gone, may be the build's all the same. " +
      "Check each: if it is the build's, tag it or deregister it by hand.",
    '',
    '| Build | Region | AMI | Why not |',
    '| --- | --- | --- | --- |',
    ...others.map(({ build, region, ami, why }) => `| ${plainText(masked(build))} | ${region} | ${amiCell(region, ami)} | ${plainText(masked(why))} |`),
    ''
  ]
}

/**
 * What the Snapshots column says of an AMI whose snapshots tagging did not list: still to come
 * while it tags; at the end, none were looked up when there was nothing to tag (tagging alone
 * asks EC2 for them), else its region had not answered when the run ended.
 */
function snapshotsUnknown(model: SummaryModel): string {
  if (model.outcome === 'tagging') return 'not yet known'
  return model.tagCount ? 'not known' : 'not looked up'
}

/** What the Tags column says of an AMI whose region's tagging stands at `tagging`. */
function tagsCell(model: SummaryModel, tagging: RegionTagging | undefined, ami: Pick<Ami, 'amiId' | 'build'>): string {
  if (!tagging) return model.reusedFrom ? 'reused' : model.outcome === 'tagging' ? 'pending' : 'not tagged'
  if (runTagsFailed(tagging, ami.amiId)) {
    // The error is told once: a whole one in the cell of each of the region's AMIs, as well as
    // under Problems, made the table as wide as the error and said it twice.
    const why = tagging.error !== undefined && model.problems.includes(tagging.error) ? 'see Problems below' : cell(tagging.error ?? 'unknown error')
    return `${model.reusedFrom ? 'reused; tags ' : ''}failed: ${why}`
  }
  if (model.reusedFrom) return model.tagCount === undefined ? 'reused; input tags applied' : `reused; ${plural(model.tagCount, 'input tag')} applied`
  const where = model.snapshotsTagged === false ? ', on the AMI only' : ''
  if (model.tagCount === undefined) return `tags${where}`
  const { count: own, added: ownAdded } = ownTags(model, ami)
  if (ownAdded) {
    // The template's own tags count toward EC2's 50 too: the cell says how many the AMI has.
    // A key the template gave the AMI itself keeps its value: the action did not add it.
    const added = model.tagCount + own - (tagging.kept?.[ami.amiId]?.length ?? 0)
    const inAll = tagging.tagsInAll?.[ami.amiId]
    return inAll !== undefined && inAll > added ? `${added} added, ${inAll} in all${where}` : `${added} tags${where}`
  }
  // Its build's own tags go on in the same call as the others: not told apart from them yet.
  return `${model.tagCount} tags${where}; its build's own ${own}: not added`
}

/** Whether the run's tags failed on AMI `amiId` in its region's `tagging`. */
function runTagsFailed(tagging: RegionTagging, amiId: string): boolean {
  return !tagging.tagged || tagging.amisNotTagged?.includes(amiId) === true
}

/** How many tags `ami`'s build gives it of its own (buildTagCounts), and whether they are on it (none to add counts as on). */
function ownTags(model: SummaryModel, ami: Pick<Ami, 'amiId' | 'build'>): { count: number; added: boolean } {
  const counts = model.buildTagCounts ?? {}
  // Own keys only: a build named as an object's own property (toString) has no count of its own.
  const count = Object.hasOwn(counts, ami.build) ? counts[ami.build] : 0
  return { count, added: count === 0 || model.buildTagging?.get(ami.amiId)?.tagged === true }
}

/** After the reuse line: that input tags were applied to the reused AMIs. */
function retaggedNote({ retagged }: SummaryModel): string {
  if (!retagged) return ''
  const what = `${retagged.tagCount} ${retagged.tagCount === 1 ? 'tag' : 'tags'}`
  return ` Input tags (${what}) applied to the reused AMIs${retagged.snapshots ? ' and their snapshots' : ''}.`
}

/** Rows the summary lists at most; the rest are in the log. */
const annotationRows = 100
/**
 * Characters of a message the summary shows at most, the rest being in the log: GitHub refuses a
 * step's summary over 1 MiB whole, AMIs and all, and a failed script's stderr can be one line of
 * any length.
 */
const messageChars = 1000
/**
 * Characters of a problem the summary shows at most, the rest being in the log: one names what a
 * run left in the account, region by region, and may run long; an error AWS sent back may be of
 * any length, and three of 400,000 characters took the summary past 1 MiB, which GitHub dropped.
 */
const problemChars = 10_000

/**
 * Every annotation of the template and its variables, errors first, each linked to its line at
 * the commit built: GitHub shows ten errors and ten warnings of a step, and only the log has the rest.
 */
function annotationsTable(annotations: Annotation[], provenance: Provenance): string[] {
  if (annotations.length === 0) return []
  const errors = annotations.filter(({ level }) => level === 'error').length
  const counted = [errors > 0 && plural(errors, 'error'), errors < annotations.length && plural(annotations.length - errors, 'warning')]
  const lines = [`#### ${counted.filter(Boolean).join(' and ')}`, '', '| | Where | Message |', '| --- | --- | --- |']
  lines.push(...[...annotations].sort(byPlace).slice(0, annotationRows).map((annotation) => annotationRow(annotation, provenance)))
  if (annotations.length > annotationRows) lines.push('', `${annotations.length - annotationRows} more in the log.`)
  return [...lines, '']
}

/**
 * Errors first, then warnings; each in the order of their files and lines, so that the table
 * reads down the files (Packer lists a template's problems in no set order). Those on no file
 * come first, in the order made.
 */
function byPlace(a: Annotation, b: Annotation): number {
  const level = Number(a.level === 'warning') - Number(b.level === 'warning')
  if (level !== 0) return level
  const file = (a.file ?? '').localeCompare(b.file ?? '', 'en')
  return file !== 0 ? file : (a.line ?? 0) - (b.line ?? 0)
}

/** One annotation's row: its file and line, linked to them at the commit built, and its message. */
function annotationRow({ level, message, file, line }: Annotation, provenance: Provenance): string {
  const icon = level === 'error' ? ':x:' : ':warning:'
  if (file === undefined) return `| ${icon} | — | ${verbatim(shortened(masked(message)))} |`
  const where = plainText(`${file}${line === undefined ? '' : `:${line}`}`)
  const { serverUrl, repository, commit } = provenance
  const path = file.split('/').map(encodeURIComponent).join('/')
  const shown = repository && commit && !provenance.local ? `[${where}](${serverUrl}/${repository}/blob/${commit}/${path}${line === undefined ? '' : `#L${line}`})` : where
  return `| ${icon} | ${shown} | ${verbatim(shortened(withoutPlace(masked(message))))} |`
}

/**
 * The text within `chars`, cut where no secret is cut in two (common/cut.ts): the runner
 * would no longer find a part of one to mask.
 */
function shortened(text: string, chars = messageChars): string {
  const length = safeLength(text, chars)
  if (length >= text.length) return text
  const shown = text.slice(0, length).trimEnd()
  return shown === '' ? '(too long to show here: it is in the log)' : `${shown} … (the rest is in the log)`
}

/**
 * An HCL2 diagnostic without the place Packer wrote into it for the log (`  on a.pkr.hcl line 7,
 * in source …:` and the lines of the file it quotes, up to the blank line): the summary shows
 * the place beside it.
 */
function withoutPlace(message: string): string {
  const lines = message.split('\n')
  const at = lines.findIndex((line) => /^\s+on \S+ line \d+.*:$/.test(line))
  if (at < 0) return message
  const end = lines.findIndex((line, index) => index > at && line.trim() === '')
  return [...lines.slice(0, at), ...(end < 0 ? [] : lines.slice(end))].join('\n')
}


/**
 * Text shown as it is in Markdown (a table's cell, a heading, a sentence; a build's name from the
 * template): on one line, each ASCII punctuation character escaped, so that none starts a link,
 * an image, emphasis, code or HTML.
 */
export function plainText(text: string): string {
  return oneLine(text).replace(/[!-/:-@[-`{-~]/g, '\\$&')
}

/**
 * Text shown as it is in a Markdown table's cell, and as the runner reads it to mask the secrets
 * it knows: a code span, its characters left as they are but for inCell's.
 */
function verbatim(text: string): string {
  const line = inCell(text)
  if (line === '') return ''
  const fence = backticksAround(line, 1)
  const pad = line.startsWith('`') || line.endsWith('`') ? ' ' : ''
  return `${fence}${pad}${line}${pad}${fence}`
}

/**
 * Text that keeps to its table cell: on one line, each `|` escaped (and a space put between it
 * and a `\` before it, which would escape the escape). A value given to the step is escaped
 * nowhere: one with a `|` is masked first (withoutValuesWithBars).
 */
function inCell(text: string): string {
  return oneLine(withoutValuesWithBars(text)).replace(/\\\|/g, '\\ |').replace(/\|/g, '\\|')
}

/** A run of backticks longer than any in `text`, and at least `least` long: a code span's or block's fence. */
function backticksAround(text: string, least: number): string {
  return '`'.repeat(Math.max(least - 1, ...(text.match(/`+/g) ?? []).map((run) => run.length)) + 1)
}

/** Each line break (`\n`, `\r\n` or a lone `\r`, as Markdown and the runner read them) a space. */
function oneLine(text: string): string {
  return text.replace(/\s*[\r\n]\s*/g, ' ').trim()
}

/**
 * Writes (or rewrites) this step's summary. Rewriting is safe: the file is the step's own.
 * Outside a runner there is no summary file and nothing to write.
 */
export async function writeSummary(model: SummaryModel): Promise<void> {
  await writeSummaryText(renderSummary(model))
}

/** Writes (or rewrites) this step's summary as `markdown`, the main step's or the post step's. */
export async function writeSummaryText(markdown: string): Promise<void> {
  if (!process.env.GITHUB_STEP_SUMMARY) return
  try {
    await core.summary.emptyBuffer().addRaw(markdown).write({ overwrite: true })
  } catch (error) {
    // The job writes its summary again as it goes on (after the build, at the end): a file it
    // cannot write is said once, not once for each time.
    notWritten('summary', 'the job summary', error)
  }
}
