// What the job says of the AMIs it built that a failed tagging left without the run's tags:
// keep-images and reuse find AMIs by those tags, so nothing of the action ever finds these again,
// and they cost until someone tags or deregisters them. The action does neither on its own.
import * as core from '@actions/core'
import type { Ami } from '../artifacts/manifest.js'
import { maxTagsPerResource } from '../inputs/tags.js'
import type { SummaryModel } from './index.js'
import { masked } from './masks.js'

/** Where a region's tagging stands, as far as telling which AMIs it left untagged needs it (RegionTagging). */
interface RegionTaggingOutcome {
  tagged: boolean
  amisNotTagged?: string[]
  gone?: string[]
  snapshotsOf: Record<string, string[]>
  tagsInAll?: Record<string, number>
  kept?: Record<string, string[]>
  error?: string
}

/** An AMI of the run that its region's tagging left without the run's tags, with those it was to get. */
export interface UntaggedAmi {
  region: string
  amiId: string
  /** Its snapshots, as DescribeImages listed them; undefined when they were not listed. */
  snapshotIds?: string[]
  /** The tags the AMI was to get: the run's and its build's own, less those the template gave it (kept). */
  tags: Record<string, string>
  /** With tag-snapshots, the tags its snapshots were to get (the AMI's, less those the template gave them). */
  snapshotTags?: Record<string, string>
  /** How many tags it would have in all, when that is more than EC2 allows: it was left out for that. */
  tagsInAll?: number
}

/**
 * The AMIs a failed tagging left without the run's tags, in the order of `amis`: those of a region
 * whose tagging failed that it did not tag (all of them, or those it left out), less those someone
 * deregistered. `tagsOf` gives the tags an AMI was to get.
 */
export function amisLeftUntagged(
  amis: Ami[],
  tagging: ReadonlyMap<string, RegionTaggingOutcome>,
  tagsOf: (ami: Ami) => Record<string, string>,
  tagSnapshots: boolean
): UntaggedAmi[] {
  return amis.flatMap((ami) => {
    const region = tagging.get(ami.region)
    if (region?.error === undefined || region.gone?.includes(ami.amiId)) return []
    if (region.tagged && !region.amisNotTagged?.includes(ami.amiId)) return []
    const { amiId } = ami
    const without = (tags: Record<string, string>, keys: string[] = []) =>
      Object.fromEntries(Object.entries(tags).filter(([key]) => !keys.includes(key)))
    const tags = without(tagsOf(ami), region.kept?.[amiId])
    const snapshotIds = region.snapshotsOf[amiId]
    // Each snapshot of an AMI keeps the same keys of the template's (tagAmis' keptKeysOf).
    const snapshotTags = tagSnapshots ? without(tagsOf(ami), snapshotIds?.length ? region.kept?.[snapshotIds[0]] : region.kept?.[amiId]) : undefined
    const inAll = region.tagsInAll?.[amiId]
    return [
      {
        region: ami.region,
        amiId,
        ...(snapshotIds === undefined ? {} : { snapshotIds }),
        tags,
        ...(snapshotTags === undefined ? {} : { snapshotTags }),
        ...(inAll !== undefined && inAll > maxTagsPerResource ? { tagsInAll: inAll } : {})
      }
    ]
  })
}

/** What finds AMIs by the keys among `keys`, with its verb: keep-images by ImageFamily, reuse by the fingerprint tags. */
function findersOf(keys: Set<string>): string | undefined {
  const finders = [
    keys.has('ImageFamily') ? 'keep-images (ImageFamily)' : undefined,
    keys.has('BuildFingerprint') ? 'reuse (BuildFingerprint, BuildSet, PackerBuild)' : undefined
  ].filter((finder) => finder !== undefined)
  if (finders.length === 0) return undefined
  return finders.length === 1 ? `${finders[0]} finds` : `${finders.join(' and ')} find`
}

/** "ami-1 in us-west-2, ami-2 in eu-west-1". */
function namesOf(untagged: UntaggedAmi[]): string {
  return untagged.map(({ amiId, region }) => `${amiId} in ${region}`).join(', ')
}

/**
 * That `untagged` are left without the run's tags, and, where those hold keys that keep-images or
 * reuse finds AMIs by, that these will never find them: "ami-1 in us-west-2 is left without the run's tags, …".
 * `recorded`: the run recorded its set for a re-run of the job (saveUntaggedRecord), which finds them.
 */
function leftWithout(untagged: UntaggedAmi[], recorded = false): string {
  const one = untagged.length === 1
  const names = namesOf(untagged)
  const finders = findersOf(new Set(untagged.flatMap((ami) => Object.keys(ami.tags))))
  const it = one ? 'it' : 'them'
  const never =
    finders === undefined
      ? ''
      : recorded
        ? `, which ${finders} AMIs by: later runs will never find ${it}, but a re-run of this job with reuse: true tags and reuses ${it}, ` +
          'as this run recorded its set in the Actions cache'
        : `, which ${finders} AMIs by: this run and later ones will never find ${it}`
  return `${names} ${one ? 'is' : 'are'} left without the run's tags${never}. ${one ? 'It costs' : 'They cost'}, with ${one ? 'its' : 'their'} snapshots, until ${one ? 'it is' : 'each is'} tagged or deregistered`
}

/**
 * For the failure: which AMIs are left without the run's tags, that keep-images and reuse will
 * never find them, and the way out, which the log and the summary give as commands.
 */
export function untaggedSentence(untagged: UntaggedAmi[], summary: boolean, recorded = false): string {
  if (untagged.length === 0) return ''
  const where = summary ? 'the log and the summary give' : 'the log gives'
  return (
    ` ${leftWithout(untagged, recorded)}; ${where} the commands for ${untagged.length === 1 ? 'it' : 'each'} ` +
    '(aws ec2 create-tags with the tags the run meant to give it, or aws ec2 deregister-image --delete-associated-snapshots).'
  )
}

/** A shell word that holds `text` as it is: in single quotes, each one within closed, escaped and reopened. */
function shellWord(text: string): string {
  return /^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`
}

function createTags(region: string, resources: string[], tags: Record<string, string>): string {
  const list = JSON.stringify(Object.entries(tags).map(([Key, Value]) => ({ Key, Value })))
  return `aws ec2 create-tags --region ${region} --resources ${resources.join(' ')} --tags ${shellWord(list)}`
}

/**
 * The commands for one AMI, after a comment naming it: the one that tags it (and its snapshots)
 * as the run meant to, and the one that deregisters it and deletes its snapshots.
 */
export function untaggedCommands({ region, amiId, snapshotIds, tags, snapshotTags, tagsInAll }: UntaggedAmi): string[] {
  const comments = [`# ${amiId} in ${region}: tag it, or deregister it and delete its snapshots`]
  if (tagsInAll !== undefined) {
    comments.push(`# (with its own tags it would have ${tagsInAll}, and EC2 allows ${maxTagsPerResource}: delete some of them before tagging it)`)
  }
  if (snapshotTags !== undefined && snapshotIds === undefined) comments.push('# (its snapshots were not listed: aws ec2 describe-images names them; tag them too)')
  const snapshots = snapshotIds ?? []
  const sameTags = JSON.stringify(snapshotTags) === JSON.stringify(tags)
  const tagging =
    snapshotTags === undefined || snapshots.length === 0 || sameTags
      ? [createTags(region, [amiId, ...(snapshotTags === undefined ? [] : snapshots)], tags)]
      : [createTags(region, [amiId], tags), createTags(region, snapshots, snapshotTags)]
  return [...comments, ...tagging, `aws ec2 deregister-image --region ${region} --image-id ${amiId} --delete-associated-snapshots`]
}

const whatToRun =
  'For each AMI, run its create-tags command (the tags the run meant to give it), or its deregister-image command ' +
  '(deregisters it and deletes its snapshots); the action does neither on its own.'

/**
 * Names in the log, with their commands, the AMIs a failed tagging left without the run's tags,
 * and keeps them for the summary (untaggedSection).
 */
export function reportUntagged(untagged: UntaggedAmi[], summary: SummaryModel, recorded = false): void {
  if (untagged.length === 0) return
  summary.leftUntagged = untagged
  if (recorded) summary.untaggedRecorded = true
  // What that costs, and whether a later run finds them, the step's error says, as it ends the log.
  core.info(`Left without the run's tags (the step's error says what that means): ${namesOf(untagged)}. ${whatToRun}`)
  for (const line of untagged.flatMap(untaggedCommands)) core.info(line)
}

/** The summary's section on the AMIs left without the run's tags: why it matters, and the commands. None: no section. */
export function untaggedSection(untagged: UntaggedAmi[], recorded = false): string[] {
  if (untagged.length === 0) return []
  const commands = untagged.flatMap((ami) => ['', ...untaggedCommands(ami)]).slice(1).map(masked)
  const fence = '`'.repeat(Math.max(2, ...(commands.join('\n').match(/`+/g) ?? []).map((run) => run.length)) + 1)
  return [
    "#### AMIs left without the run's tags",
    '',
    `${leftWithout(untagged, recorded)}. ${whatToRun}`,
    '',
    `${fence}sh`,
    ...commands,
    fence,
    ''
  ]
}
