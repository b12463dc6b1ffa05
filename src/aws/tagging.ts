import * as core from '@actions/core'
import {
  CreateTagsCommand,
  DescribeImagesCommand,
  DescribeSnapshotsCommand,
  EC2Client,
  type Image
} from '@aws-sdk/client-ec2'
import { setTimeout as sleepFor } from 'node:timers/promises'
import { errorMessage } from '../common/errors.js'
import { maxTagsPerResource } from '../inputs/tags.js'
import { AttemptsFailed, retry, withBackoff, type Backoff, type RetryOptions } from '../common/retry.js'
import { withinDeadline } from '../common/waiting.js'
import { ec2Client } from './client.js'
import { disabledAmong, goneFrom, snapshotIdsOf } from './images.js'

export { runCredentialsFound, warmUpEc2Client } from './client.js'

/**
 * The longest the whole tagging stage may take. With one EC2 call bounded by the client's
 * timeouts (src/aws/client.ts), the step ends within this plus a few seconds, however the
 * endpoint behaves.
 */
export const taggingDeadlineMs = 90_000

/**
 * Attempts per EC2 call when tagging. Under heavy throttling (half of all calls refused),
 * 12 attempts leave one call in 4096 failing; the deadline still bounds the time spent.
 */
export const taggingAttempts = 12

/**
 * Ceiling of the first retry's wait when tagging; it doubles with every retry. The AWS SDKs
 * start their throttling backoff at the same 500 ms.
 */
export const taggingBaseDelayMs = 500

export interface AmiToTag {
  region: string
  amiId: string
}

export interface RegionTagResult {
  region: string
  amiIds: string[]
  /** From DescribeImages' block device mappings; may be known even if CreateTags failed. */
  snapshotIds: string[]
  /** The same, AMI by AMI: several builds often make AMIs in one region. */
  snapshotsOf: Record<string, string[]>
  /** Whether CreateTags succeeded for the region's AMIs, less any in `amisNotTagged`. */
  tagged: boolean
  /** AMIs left out of CreateTags (with their snapshots): the tags would take them over EC2's limit. */
  amisNotTagged?: string[]
  /**
   * AMIs that are gone, though Packer had seen them available: DescribeImages shows them
   * deregistered, or no longer lists them. Someone deregistered them; they are not tagged, and
   * that is no failure of the region's tagging.
   */
  gone?: string[]
  /**
   * AMIs that DescribeImages shows disabled, though Packer had seen them available: someone
   * disabled them since. They are still there, and tagged (CreateTags tags a disabled AMI as any
   * other), but no instance can be launched from them until they are enabled again.
   */
  disabled?: string[]
  /**
   * By AMI ID: how many tags it has once tagged, those DescribeImages showed (the template's) with
   * those the tagging adds, AWS's own (`aws:…`) aside; for the AMIs that DescribeImages showed
   * with a tag the tagging does not write.
   */
  tagsInAll?: Record<string, number>
  /**
   * By AMI or snapshot ID: the keys of `templateKeeps` it already had with a value (the
   * template's own, which Packer wrote), left as they were.
   */
  kept?: Record<string, string[]>
  /**
   * By AMI or snapshot ID: the keys of `actionOwnKeys` it already had with a value (the template's
   * own), which the action's value replaced; a snapshot's, those its AMI did not have (its
   * snapshot_tags'), as far as its tags were read.
   */
  replaced?: Record<string, string[]>
  /** What went wrong in this region, in words for the user. */
  error?: string
  /** Problems that did not stop the tagging, e.g. snapshots that could not be listed. */
  warnings?: string[]
}

/** Backoff settings (all optional) replace the defaults: taggingAttempts, from taggingBaseDelayMs doubling up to 20 s. */
export interface TagOptions extends Partial<Backoff> {
  amis: AmiToTag[]
  /** Already validated: at most 50, keys of 1–128 characters, values ≤ 256 characters, no aws: prefix on a key. */
  tags: Record<string, string>
  tagSnapshots: boolean
  /**
   * Tags of an AMI's own besides `tags` (its build's: ImageFamily, PackerBuild), by AMI ID. They go
   * on in the same CreateTags as `tags`, one call per set of tags in a region, and count toward
   * EC2's limit with them: an AMI is tagged whole or not at all.
   */
  ownTags?: Record<string, Record<string, string>>
  /**
   * Keys of `tags` that an AMI, or its snapshots, keeps when it already has them with a value:
   * the template's own, which Packer wrote before the action (inputs' templateKeeps).
   */
  templateKeeps?: string[]
  /**
   * Whether the template may give the snapshots tags (snapshot_tags): their tags are read
   * (DescribeSnapshots) for templateKeeps. Else the snapshots are taken to have none.
   */
  readSnapshotTags?: boolean
  /** Keys the action's features go by: written all the same, but an AMI that had one is told of (`replaced`). */
  actionOwnKeys?: string[]
  /**
   * Whether the template's snapshot_tags may give the snapshots one of actionOwnKeys (a key only
   * Packer works out): their tags are then read (DescribeSnapshots) to tell of it (`replaced`),
   * with provenance tags or without. Else the snapshots are taken to have what their AMI has.
   */
  snapshotsMayHaveOwnKeys?: boolean
  /**
   * The client for a region. A client passed in here should be made with `maxAttempts: 1`,
   * or its own retries multiply ours.
   */
  ec2For?: (region: string) => EC2Client
  /** Where retries are reported; core.info unless replaced. */
  log?: (message: string) => void
  /** The longest the whole stage may take (default taggingDeadlineMs). */
  deadlineMs?: number
  /** The stage's timeout as the message of a call it cut short names it (default: deadlineMs's). */
  timeoutSeconds?: number
  /**
   * Told each region's result once, as soon as it is known (at the deadline, that of each region
   * not done by then): the log can say which regions are done while another still waits for EC2.
   */
  onResult?: (result: RegionTagResult) => void
}

const throttlingCodes = new Set([
  'RequestLimitExceeded',
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'RequestThrottled',
  'RequestThrottledException',
  'EC2ThrottledException',
  'TooManyRequestsException',
  'SlowDown',
  'BandwidthLimitExceeded',
  'PriorRequestNotComplete'
])

/** What a throttling code means, for the user: it is no fault of the call, nor of the action alone. */
const throttlingMeaning =
  "EC2 throttled the account's calls in the region (it counts every caller using the account there, other jobs and tools too)"

const transientCodes = new Set([
  'InternalError',
  'InternalFailure',
  'ServiceUnavailable',
  'Unavailable',
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException'
])

const networkErrorCodes = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN'
])

// An AMI that Packer copied into another region (and the snapshots behind it) can stay
// invisible to that region's API for a little while after CopyImage returns.
const notYetVisibleCodes = new Set(['InvalidAMIID.NotFound', 'InvalidSnapshot.NotFound'])

// What CreateTags may answer for an AMI that is no longer there (EC2's error codes: NotFound for
// an ID that does not exist, Unavailable for one deregistered): one DescribeImages tells which.
const amiMissingCodes = new Set(['InvalidAMIID.NotFound', 'InvalidAMIID.Unavailable'])

const accessDeniedCodes = new Set([
  'UnauthorizedOperation',
  'AccessDenied',
  'AccessDeniedException'
])

/** DescribeImages answered, but not yet with every AMI, or not yet with the AMI's snapshots. */
class ImagesNotReady extends Error {
  constructor(
    readonly missingAmiIds: string[],
    readonly amiIdsWithoutSnapshots: string[],
    readonly snapshotsSoFar: Snapshots
  ) {
    const problems: string[] = []
    if (missingAmiIds.length > 0) {
      problems.push(`DescribeImages did not return ${missingAmiIds.join(', ')}`)
    }
    if (amiIdsWithoutSnapshots.length > 0) {
      problems.push(`no EBS snapshot is listed yet for ${amiIdsWithoutSnapshots.join(', ')}`)
    }
    super(problems.join('; '))
    this.name = 'ImagesNotReady'
  }
}

interface ErrorFields {
  name?: unknown
  code?: unknown
  message?: unknown
  cause?: unknown
  $retryable?: unknown
  $metadata?: { httpStatusCode?: unknown; requestId?: unknown }
}

function fieldsOf(error: unknown): ErrorFields {
  return typeof error === 'object' && error !== null ? (error as ErrorFields) : {}
}

function isRetryable(error: unknown, depth = 0): boolean {
  if (error instanceof ImagesNotReady) return true
  const { name, code, cause, $retryable, $metadata } = fieldsOf(error)
  const status = $metadata?.httpStatusCode
  return (
    (typeof name === 'string' &&
      (throttlingCodes.has(name) || transientCodes.has(name) || notYetVisibleCodes.has(name))) ||
    (typeof code === 'string' && networkErrorCodes.has(code)) ||
    $retryable !== undefined ||
    (typeof status === 'number' && (status === 429 || status >= 500)) ||
    (cause !== undefined && depth < 5 && isRetryable(cause, depth + 1))
  )
}

/** The EC2 error code as AWS documents it, or the Node.js network error code. */
function errorCode(error: unknown): string {
  const { name, code, $metadata } = fieldsOf(error)
  if (typeof code === 'string' && networkErrorCodes.has(code)) return code
  if (typeof name === 'string' && name !== '' && name !== 'Error') return name
  if (typeof $metadata?.httpStatusCode === 'number') return `HTTP ${$metadata.httpStatusCode}`
  return 'Error'
}

const encodedAuthorizationMessage = /\s*Encoded authorization failure message:\s*([\w+/=-]+)\.?/

/**
 * Why an EC2 call failed, for the user: the error code, what it means where we know, the
 * service's own message, and how many attempts were made.
 */
function explainFailure(failure: AttemptsFailed, permission: string): string {
  const error = failure.cause
  const code = errorCode(error)
  const { message, $metadata } = fieldsOf(error)
  let serviceMessage = typeof message === 'string' ? message.trim() : ''
  let decodeHint = ''
  const encoded = encodedAuthorizationMessage.exec(serviceMessage)
  if (encoded) {
    // The blob is printed once, at the end: without it the reason cannot be decoded, and in
    // the middle of the sentence it buries everything after it.
    serviceMessage = serviceMessage.replace(encodedAuthorizationMessage, '').trim()
    decodeHint =
      ' The reason can be decoded (this needs sts:DecodeAuthorizationMessage) with: ' +
      `aws sts decode-authorization-message --encoded-message ${encoded[1]}`
  }
  let headline: string
  if (accessDeniedCodes.has(code)) {
    headline = `${code} — the credentials lack ${permission}.`
  } else if (code === 'CredentialsProviderError') {
    headline =
      'no AWS credentials were found. Configure them before this step, for example with ' +
      'aws-actions/configure-aws-credentials.'
  } else if (code === 'TagLimitExceeded') {
    // The input check counts the tags the action adds with the template's keys that it knows
    // before the build; a key only Packer works out (a function's, `{{ .SourceAMI }}`) it cannot.
    headline =
      `${code} — EC2 allows at most 50 tags on an AMI or snapshot, and those the template gives it (tags, snapshot_tags) ` +
      'count with those the action adds: set provenance-tags: false, or give fewer tags.'
  } else if (throttlingCodes.has(code)) {
    headline = `${code} — ${throttlingMeaning}:`
  } else if (error instanceof ImagesNotReady) {
    headline = `${error.message}.`
    serviceMessage = ''
  } else {
    headline = serviceMessage === '' ? `${code}.` : `${code} —`
  }
  const parts = [headline]
  if (serviceMessage !== '') {
    parts.push(/[.!?]$/.test(serviceMessage) ? serviceMessage : `${serviceMessage}.`)
  }
  if (failure.attempts > 1) parts.push(`Gave up after ${failure.attempts} attempts.`)
  if (typeof $metadata?.requestId === 'string') parts.push(`(Request ID ${$metadata.requestId}.)`)
  return parts.join(' ') + decodeHint
}

function uniqueInOrder(values: Iterable<string>): string[] {
  return [...new Set(values)]
}

/** Groups AMI IDs by region, keeping the order in which regions and AMIs first appear. */
function amiIdsByRegion(amis: AmiToTag[]): Map<string, string[]> {
  const byRegion = new Map<string, string[]>()
  for (const { region, amiId } of amis) {
    const amiIds = byRegion.get(region) ?? []
    if (!amiIds.includes(amiId)) amiIds.push(amiId)
    byRegion.set(region, amiIds)
  }
  return byRegion
}

/**
 * Whether EC2 has not yet filled in the image's block device mappings. An instance-store AMI
 * has no snapshots, and an EBS AMI may map extra empty volumes with no snapshot, so only a
 * missing root snapshot counts.
 */
function snapshotsNotListedYet(image: Image): boolean {
  if (image.RootDeviceType === 'instance-store') return false
  const mappings = image.BlockDeviceMappings ?? []
  if (mappings.length === 0) return true
  const root = mappings.find((mapping) => mapping.DeviceName === image.RootDeviceName)
  return root ? !root.Ebs?.SnapshotId : snapshotIdsOf(image).length === 0
}

/** A region's snapshots: all of them, and AMI by AMI. */
type Snapshots = Pick<RegionTagResult, 'snapshotIds' | 'snapshotsOf'>

/** What DescribeImages told of a region's AMIs: their snapshots, the keys of the tags each has, those gone and those disabled. */
interface FoundImages extends Snapshots {
  tagKeysOf: Map<string, string[]>
  /** The keys each AMI has a value of: an empty one is as none. */
  valuedKeysOf: Map<string, string[]>
  gone: string[]
  disabled: string[]
}

/**
 * Those of `amiIds` that are gone, by one DescribeImages; none when it fails (an AMI EC2 does
 * not know yet fails it): then only retrying tells.
 */
async function goneAmong(ec2: EC2Client, amiIds: string[], abortSignal: AbortSignal): Promise<string[]> {
  try {
    const { Images: images = [] } = await ec2.send(new DescribeImagesCommand({ ImageIds: amiIds, IncludeDisabled: true }), { abortSignal })
    return goneFrom(amiIds, images)
  } catch {
    return []
  }
}

async function findSnapshots(
  ec2: EC2Client,
  amiIds: string[],
  mustBeComplete: boolean,
  abortSignal: AbortSignal
): Promise<FoundImages> {
  // A disabled AMI is still there: only asked for, EC2 lists it.
  const { Images: answered = [] } = await ec2.send(new DescribeImagesCommand({ ImageIds: amiIds, IncludeDisabled: true }), {
    abortSignal
  })
  const gone = goneFrom(amiIds, answered)
  const images = answered.filter((image) => !gone.includes(image.ImageId ?? ''))
  const imagesById = new Map(images.map((image) => [image.ImageId, image]))
  const snapshotsOf = Object.fromEntries(
    amiIds.flatMap((amiId) => {
      const image = imagesById.get(amiId)
      return image ? [[amiId, uniqueInOrder(snapshotIdsOf(image))]] : []
    })
  )
  const snapshots = { snapshotIds: uniqueInOrder(Object.values(snapshotsOf).flat()), snapshotsOf }
  const tagKeysOf = new Map(images.map((image) => [image.ImageId ?? '', (image.Tags ?? []).map((tag) => tag.Key ?? '')]))
  const valuedKeysOf = new Map(images.map((image) => [image.ImageId ?? '', valuedKeys(image.Tags)]))
  if (mustBeComplete) {
    const missingAmiIds = amiIds.filter((amiId) => !imagesById.has(amiId) && !gone.includes(amiId))
    const amiIdsWithoutSnapshots = amiIds.filter((amiId) => {
      const image = imagesById.get(amiId)
      return image !== undefined && snapshotsNotListedYet(image)
    })
    if (missingAmiIds.length > 0 || amiIdsWithoutSnapshots.length > 0) {
      throw new ImagesNotReady(missingAmiIds, amiIdsWithoutSnapshots, snapshots)
    }
  }
  return { ...snapshots, tagKeysOf, valuedKeysOf, gone, disabled: disabledAmong(amiIds, images) }
}

/** The keys of `tags` that have a value: the template's empty value counts as not written. */
function valuedKeys(tags: Array<{ Key?: string; Value?: string }> | undefined): string[] {
  return (tags ?? []).flatMap(({ Key, Value }) => (Key !== undefined && Value !== undefined && Value !== '' ? [Key] : []))
}

/** The keys each snapshot has a value of, by one DescribeSnapshots. */
async function snapshotValuedKeys(ec2: EC2Client, snapshotIds: string[], abortSignal: AbortSignal): Promise<Map<string, string[]>> {
  const { Snapshots: snapshots = [] } = await ec2.send(new DescribeSnapshotsCommand({ SnapshotIds: snapshotIds }), { abortSignal })
  return new Map(snapshots.map((snapshot) => [snapshot.SnapshotId ?? '', valuedKeys(snapshot.Tags)]))
}

/** The keys of the template's own that an AMI keeps, and that its snapshots keep. */
interface KeptKeys {
  ami: string[]
  snapshots: string[]
}

/**
 * What the template gave each AMI and its snapshots of the keys the tagging leaves to it: by AMI
 * ID, the keys kept on the AMI and on its snapshots. Packer tags an AMI and its snapshots with the
 * template's `tags` in one call, then its snapshots with `snapshot_tags`, which may replace them:
 * the snapshots keep what their tags show (those every one of them has a value of: Packer gives an
 * AMI's snapshots the same), or, when they were not read (`snapshotKeysOf` undefined: the
 * template writes no snapshot_tags), what the AMI keeps.
 */
function keptKeysOf(
  amiIds: string[],
  templateKeeps: string[],
  valuedKeysOf: Map<string, string[]>,
  snapshotsOf: Record<string, string[]>,
  snapshotKeysOf: Map<string, string[]> | undefined
): Record<string, KeptKeys> {
  return Object.fromEntries(
    amiIds.map((amiId) => {
      const ami = templateKeeps.filter((key) => valuedKeysOf.get(amiId)?.includes(key))
      const snapshotIds = snapshotsOf[amiId] ?? []
      const snapshots =
        snapshotIds.length === 0
          ? []
          : snapshotKeysOf === undefined
            ? ami
            : templateKeeps.filter((key) => snapshotIds.every((snapshotId) => snapshotKeysOf.get(snapshotId)?.includes(key)))
      return [amiId, { ami, snapshots }]
    })
  )
}

/** An AMI that the tags would take over EC2's limit, with what it would hold. */
interface OverLimit {
  amiId: string
  /** Tags the AMI has (the template's), AWS's own `aws:…` aside. */
  own: number
  /** Keys the call would add that the AMI does not have yet. */
  added: number
}

/**
 * The AMIs that the tags would take over EC2's 50, as far as DescribeImages showed their tags.
 * EC2 refuses a CreateTags call whole when one of its resources would go over, so these are left
 * out of it and the region's other AMIs are tagged. AWS's own tags (`aws:…`) do not count (EC2
 * User Guide, "Tag restrictions").
 */
function amisOverTagLimit(
  amiIds: string[],
  tagKeysOf: Map<string, string[]>,
  keys: string[],
  ownTags: Record<string, Record<string, string>> = {},
  kept: Record<string, KeptKeys> = {}
): OverLimit[] {
  return amiIds.flatMap((amiId) => {
    const { own, added } = tagsOnceTagged(amiId, tagKeysOf, keys, ownTags, kept)
    return own + added > maxTagsPerResource ? [{ amiId, own, added }] : []
  })
}

/**
 * How many tags an AMI has (`own`: the template's, AWS's own `aws:…` aside) and how many keys
 * the tagging adds that it does not have yet (`keys`, with its build's own, less those it keeps:
 * a key kept is counted once, as the template's).
 */
function tagsOnceTagged(
  amiId: string,
  tagKeysOf: Map<string, string[]>,
  keys: string[],
  ownTags: Record<string, Record<string, string>>,
  kept: Record<string, KeptKeys>
): { own: number; added: number; written: number } {
  const own = new Set((tagKeysOf.get(amiId) ?? []).filter((key) => !key.startsWith('aws:')))
  const keeps = kept[amiId]?.ami ?? []
  const written = [...new Set([...keys, ...Object.keys(ownTags[amiId] ?? {})])].filter((key) => !keeps.includes(key))
  return { own: own.size, added: written.filter((key) => !own.has(key)).length, written: written.length }
}

function overLimitMessage(region: string, overLimit: OverLimit[], tagSnapshots: boolean): string {
  const amiIds = overLimit.map(({ amiId }) => amiId)
  const snapshots = tagSnapshots ? (amiIds.length === 1 ? ' and its snapshots' : ' and their snapshots') : ''
  const counts = overLimit.map(
    ({ amiId, own, added }) =>
      `${amiId} has ${own} of its own (the template's tags) and would get ${added} more, ${own + added} in all`
  )
  return (
    `Tagging in ${region} left out ${amiIds.join(', ')}${snapshots}: EC2 allows at most ${maxTagsPerResource} tags on an ` +
    `AMI (those of AWS, aws:…, aside), and ${counts.join('; ')}. Set provenance-tags: false, or give fewer tags.`
  )
}

interface RegionJob {
  region: string
  amiIds: string[]
  ec2: EC2Client
  tags: { Key: string; Value: string }[]
  tagSnapshots: boolean
  ownTags?: Record<string, Record<string, string>>
  templateKeeps: string[]
  readSnapshotTags: boolean
  actionOwnKeys: string[]
  snapshotsMayHaveOwnKeys: boolean
  backoff: Backoff
  log: (message: string) => void
  /** Aborted at the stage's deadline: calls in flight stop, and nothing is retried. */
  abortSignal: AbortSignal
  /** What the region has reached, kept up to date for a report at the deadline. */
  result: RegionTagResult
  /** The AMIs whose CreateTags went through so far, for a report at the deadline. */
  taggedSoFar: string[]
  /** EC2's refusals that were retried so far, for a report at the deadline. */
  refusals: Refusals
}

/** By EC2 call: how many of its attempts were refused and retried, and the last refusal's error code. */
type Refusals = Map<string, { code: string; times: number }>

/**
 * The AMIs that get the same tags (the run's and their build's own, less those they keep), and
 * their snapshots the same `snapshotTags`: one CreateTags, or one for the AMIs and one for the
 * snapshots when those differ.
 */
interface TagCall {
  amiIds: string[]
  tags: { Key: string; Value: string }[]
  snapshotTags: { Key: string; Value: string }[]
}

/**
 * The region's AMIs grouped by the tags they get, in the order they first appear: one call per
 * group, as CreateTags puts the same tags on every resource it names.
 */
function tagCalls(
  amiIds: string[],
  tags: TagCall['tags'],
  ownTags: Record<string, Record<string, string>> = {},
  kept: Record<string, KeptKeys> = {}
): TagCall[] {
  const calls = new Map<string, TagCall>()
  for (const amiId of amiIds) {
    const own = ownTags[amiId] ?? {}
    const keeps = kept[amiId] ?? { ami: [], snapshots: [] }
    const key = JSON.stringify([Object.entries(own), keeps.ami, keeps.snapshots])
    // A build's own value of a key wins over the run's, as it did when it came in a later call.
    const theirs = [...tags.filter((tag) => !Object.hasOwn(own, tag.Key)), ...Object.entries(own).map(([Key, Value]) => ({ Key, Value }))]
    const call = calls.get(key) ?? {
      amiIds: [],
      tags: theirs.filter((tag) => !keeps.ami.includes(tag.Key)),
      snapshotTags: theirs.filter((tag) => !keeps.snapshots.includes(tag.Key))
    }
    call.amiIds.push(amiId)
    calls.set(key, call)
  }
  return [...calls.values()]
}

/**
 * Each set of tags in a CreateTags of its own, on its AMIs and (with tagSnapshots) their snapshots,
 * all at once: one round trip after DescribeImages. Each call's error, in words for the user.
 */
async function createTags(
  job: RegionJob,
  calls: TagCall[],
  retryOptions: RetryOptions
): Promise<Array<{ call: TagCall; error?: string }>> {
  const { region, ec2, tagSnapshots, abortSignal, result, taggedSoFar } = job
  const snapshotsOf = (amiIds: string[]) => (tagSnapshots ? uniqueInOrder(amiIds.flatMap((amiId) => result.snapshotsOf[amiId] ?? [])) : [])
  const resourcesOf = (amiIds: string[]) => [...amiIds, ...snapshotsOf(amiIds)]
  const sameTags = (call: TagCall) => JSON.stringify(call.tags) === JSON.stringify(call.snapshotTags)
  return Promise.all(
    calls.map(async (call) => {
      const createTags = (Resources: string[], Tags: TagCall['tags']) =>
        Resources.length === 0 || Tags.length === 0 ? undefined : ec2.send(new CreateTagsCommand({ Resources, Tags }), { abortSignal })
      // The snapshots get tags of their own where the template gave them keys it did not give the AMI, or the other way.
      const send = () =>
        sameTags(call)
          ? createTags(resourcesOf(call.amiIds), call.tags)
          : Promise.all([createTags(call.amiIds, call.tags), createTags(snapshotsOf(call.amiIds), call.snapshotTags)])
      try {
        await retry(async () => {
          try {
            await send()
          } catch (error) {
            // Packer saw each AMI available: one that EC2 now shows gone was deregistered since,
            // and waiting will not bring it back. The others are tagged at once.
            if (!amiMissingCodes.has(errorCode(error))) throw error
            const gone = await goneAmong(ec2, call.amiIds, abortSignal)
            if (gone.length === 0) throw error
            result.gone = [...(result.gone ?? []), ...gone]
            call.amiIds = call.amiIds.filter((amiId) => !gone.includes(amiId))
            if (call.amiIds.length > 0) await send()
          }
        }, retryOptions)
        taggedSoFar.push(...call.amiIds)
        return { call }
      } catch (error) {
        const failure = error instanceof AttemptsFailed ? error : new AttemptsFailed(error, 1)
        return { call, error: `Tagging in ${region} failed for ${resourcesOf(call.amiIds).join(', ')}: ` + explainFailure(failure, 'ec2:CreateTags') }
      }
    })
  )
}

/** How a region's EC2 `call` is retried: not after the deadline, each retry logged. */
function retryOptionsOf({ region, backoff, log, abortSignal, refusals }: RegionJob, call: string): RetryOptions {
  return {
    backoff,
    isRetryable: (error: unknown) => !abortSignal.aborted && isRetryable(error),
    onRetry: (error: unknown, delayMs: number, attempt: number) => {
      const reason = error instanceof ImagesNotReady ? error.message : errorCode(error)
      if (!(error instanceof ImagesNotReady)) refusals.set(call, { code: reason, times: (refusals.get(call)?.times ?? 0) + 1 })
      log(
        `${call} in ${region}: attempt ${attempt} of ${backoff.maxAttempts} failed (${reason}); ` +
          `trying again in ${(delayMs / 1000).toFixed(1)} s`
      )
    }
  }
}

async function tagRegion(job: RegionJob): Promise<RegionTagResult> {
  const { region, amiIds, ec2, tags, tagSnapshots, ownTags, templateKeeps, abortSignal, result } = job
  // AMIs that the tags would take over EC2's limit; known once DescribeImages has answered.
  let overLimit: OverLimit[] = []
  // What each AMI and its snapshots keep of the template's own; known once DescribeImages has answered.
  let kept: Record<string, KeptKeys> = {}
  const retryOptions = (call: string) => retryOptionsOf(job, call)

  try {
    // Only a complete list matters when the snapshots are to be tagged; otherwise the IDs
    // are reported as found, and waiting for the rest would only slow the job down.
    const { tagKeysOf, valuedKeysOf, gone, disabled, ...snapshots } = await retry(
      () => findSnapshots(ec2, amiIds, tagSnapshots, abortSignal),
      retryOptions('DescribeImages')
    )
    Object.assign(result, snapshots, gone.length > 0 ? { gone } : {}, disabled.length > 0 ? { disabled } : {})
    const keys = tags.map((tag) => tag.Key)
    // A key of the action's own may come in a build's own tags (ImageFamily, PackerBuild).
    const keepable = templateKeeps.filter((key) => keys.includes(key) || Object.values(ownTags ?? {}).some((own) => Object.hasOwn(own, key)))
    // Read for the keys they keep, or for those of the action's own their snapshot_tags may give them.
    const ownKeys = job.snapshotsMayHaveOwnKeys ? job.actionOwnKeys : []
    const snapshotKeysOf =
      keepable.length > 0 || ownKeys.length > 0 ? await templateSnapshotTags(job, snapshots.snapshotIds, keepable, retryOptions('DescribeSnapshots')) : undefined
    kept = keptKeysOf(amiIds, keepable, valuedKeysOf, snapshots.snapshotsOf, snapshotKeysOf)
    noteKeptAndReplaced(job, kept, valuedKeysOf, snapshotKeysOf)
    overLimit = amisOverTagLimit(amiIds, tagKeysOf, keys, ownTags, kept)
    const inAll = [...tagKeysOf.keys()].flatMap((amiId) => {
      const { own, added, written } = tagsOnceTagged(amiId, tagKeysOf, keys, ownTags ?? {}, kept)
      return keys.length > 0 && own + added > written ? [[amiId, own + added] as const] : []
    })
    if (inAll.length > 0) result.tagsInAll = Object.fromEntries(inAll)
  } catch (error) {
    const failure = error instanceof AttemptsFailed ? error : new AttemptsFailed(error, 1)
    if (failure.cause instanceof ImagesNotReady) {
      Object.assign(result, failure.cause.snapshotsSoFar)
    }
    const message =
      `Finding the snapshots of ${amiIds.join(', ')} in ${region} failed: ` +
      explainFailure(failure, 'ec2:DescribeImages')
    if (tagSnapshots) {
      // Tagging the AMIs alone would leave snapshots untagged with nothing to show which.
      result.error = `${message} Nothing was tagged in ${region}.`
      return result
    }
    result.warnings = [message]
  }

  if (tags.length === 0) return result

  const errors: string[] = []
  if (overLimit.length > 0) {
    result.amisNotTagged = overLimit.map(({ amiId }) => amiId)
    errors.push(overLimitMessage(region, overLimit, tagSnapshots))
  }
  const amisToTag = amiIds.filter((amiId) => !result.amisNotTagged?.includes(amiId) && !result.gone?.includes(amiId))
  const outcomes = await createTags(job, tagCalls(amisToTag, tags, ownTags, kept), retryOptions('CreateTags'))
  const failed = outcomes.flatMap((outcome) => (outcome.error === undefined ? [] : [outcome]))
  errors.push(...failed.map((outcome) => outcome.error as string))
  // A call left with no AMI (each gone) tagged nothing.
  result.tagged = outcomes.some((outcome) => outcome.error === undefined && outcome.call.amiIds.length > 0)
  if (result.tagged && failed.length > 0) {
    // The region's other AMIs are tagged: those of a call that failed are named as left out.
    result.amisNotTagged = [...(result.amisNotTagged ?? []), ...failed.flatMap((outcome) => outcome.call.amiIds)]
  }
  if (errors.length > 0) result.error = errors.join(' ')
  return result
}

/**
 * The keys each snapshot of the region has a value of, where the template may give them tags of
 * their own (tag-snapshots, snapshot_tags): undefined otherwise, or when DescribeSnapshots fails
 * (a warning says so: they keep what the AMI keeps of `keepable`, and get the action's value of
 * a key only the template's snapshot_tags give, unseen).
 */
async function templateSnapshotTags(
  job: RegionJob,
  snapshotIds: string[],
  keepable: string[],
  retryOptions: RetryOptions
): Promise<Map<string, string[]> | undefined> {
  if (!job.tagSnapshots || !job.readSnapshotTags || snapshotIds.length === 0) return undefined
  try {
    return await retry(() => snapshotValuedKeys(job.ec2, snapshotIds, job.abortSignal), retryOptions)
  } catch (error) {
    const failure = error instanceof AttemptsFailed ? error : new AttemptsFailed(error, 1)
    const what =
      keepable.length > 0
        ? "they keep the template's value of the provenance keys their AMI keeps, and get the action's of the others."
        : `they get the action's value of ${job.actionOwnKeys.join(', ')}, and whether the template gave them one is not known.`
    const warning =
      `Reading the tags the template gave ${snapshotIds.join(', ')} in ${job.region} (snapshot_tags) failed: ${what} ` +
      explainFailure(failure, 'ec2:DescribeSnapshots')
    job.result.warnings = [...(job.result.warnings ?? []), warning]
    return undefined
  }
}

/**
 * Tells in the region's result what its AMIs and snapshots keep of the template's, and which of
 * the action's own keys the template had given its AMIs, or its snapshots (snapshot_tags: where
 * their tags were read, `snapshotKeysOf`) besides what it gave their AMI.
 */
function noteKeptAndReplaced(
  job: RegionJob,
  kept: Record<string, KeptKeys>,
  valuedKeysOf: Map<string, string[]>,
  snapshotKeysOf: Map<string, string[]> | undefined
): void {
  const keptOn = Object.entries(kept).flatMap(([amiId, keys]) => [
    ...(keys.ami.length > 0 ? [[amiId, keys.ami] as const] : []),
    ...(keys.snapshots.length > 0 ? (job.result.snapshotsOf[amiId] ?? []).map((snapshotId) => [snapshotId, keys.snapshots] as const) : [])
  ])
  if (keptOn.length > 0) job.result.kept = Object.fromEntries(keptOn)
  const replaced = job.amiIds.flatMap((amiId) => {
    const onAmi = job.actionOwnKeys.filter((key) => valuedKeysOf.get(amiId)?.includes(key))
    const onSnapshots = (job.result.snapshotsOf[amiId] ?? []).flatMap((snapshotId) => {
      const keys = job.actionOwnKeys.filter((key) => !onAmi.includes(key) && snapshotKeysOf?.get(snapshotId)?.includes(key))
      return keys.length > 0 ? [[snapshotId, keys] as const] : []
    })
    return [...(onAmi.length > 0 ? [[amiId, onAmi] as const] : []), ...onSnapshots]
  })
  if (replaced.length > 0) job.result.replaced = Object.fromEntries(replaced)
}

/**
 * One region's tagging with a client of its own (or the one `ec2For` gives). The SDK's own
 * retries are switched off (maxAttempts: 1): ours already cover throttling and also wait out a
 * freshly copied AMI, and both layers together would multiply the attempts and hide waits
 * that tests cannot replace.
 */
async function tagRegionWithClient(
  job: Omit<RegionJob, 'ec2'>,
  ec2For: ((region: string) => EC2Client) | undefined
): Promise<RegionTagResult> {
  let ec2: EC2Client | undefined
  try {
    ec2 = ec2For ? ec2For(job.region) : ec2Client(job.region)
    return await tagRegion({ ...job, ec2 })
  } catch (error) {
    job.result.error = `Tagging in ${job.region} failed for ${job.amiIds.join(', ')}: ${errorMessage(error)}`
    return job.result
  } finally {
    if (!ec2For) ec2?.destroy()
  }
}

/**
 * Tags every AMI, and with `tagSnapshots` every EBS snapshot behind them, in every region:
 * per region one DescribeImages, then one CreateTags per set of tags (`tags` with an AMI's
 * `ownTags`) at once, all regions at once. An AWS failure
 * never throws; it is reported in that region's result. Results follow the order in which
 * the regions first appear in `amis`. The stage ends by its deadline: a region not done by
 * then is reported as not tagged, with what it had found.
 */
export async function tagAmis(options: TagOptions): Promise<RegionTagResult[]> {
  const deadlineMs = options.deadlineMs ?? taggingDeadlineMs
  const deadline = new AbortController()
  const backoff = withBackoff({
    maxAttempts: options.maxAttempts ?? taggingAttempts,
    baseDelayMs: options.baseDelayMs ?? taggingBaseDelayMs,
    maxDelayMs: options.maxDelayMs,
    // A wait between attempts ends at the deadline too, so no timer outlives the stage.
    sleep: options.sleep ?? ((ms) => sleepFor(ms, undefined, { signal: deadline.signal }).catch(() => undefined)),
    random: options.random
  })
  const tags = Object.entries(options.tags).map(([Key, Value]) => ({ Key, Value }))
  const log = options.log ?? ((message: string) => core.info(message))
  // A region is told once: one that ends after the deadline has already been told as cut short.
  const told = new Set<string>()
  const tell = (result: RegionTagResult): RegionTagResult => {
    if (!told.has(result.region)) {
      told.add(result.region)
      options.onResult?.(result)
    }
    return result
  }

  const regions = [...amiIdsByRegion(options.amis)].map(([region, amiIds]) => {
    const result: RegionTagResult = { region, amiIds, snapshotIds: [], snapshotsOf: {}, tagged: false }
    const taggedSoFar: string[] = []
    const refusals: Refusals = new Map()
    const job = {
      region,
      amiIds,
      tags,
      tagSnapshots: options.tagSnapshots,
      ownTags: options.ownTags,
      templateKeeps: options.templateKeeps ?? [],
      readSnapshotTags: options.readSnapshotTags ?? false,
      actionOwnKeys: options.actionOwnKeys ?? [],
      snapshotsMayHaveOwnKeys: options.snapshotsMayHaveOwnKeys ?? false,
      backoff,
      log,
      abortSignal: deadline.signal,
      result,
      taggedSoFar,
      refusals
    }
    return { result, taggedSoFar, refusals, done: tagRegionWithClient(job, options.ec2For).then(tell) }
  })

  const finished = await withinDeadline(Promise.all(regions.map((r) => r.done)), deadlineMs)
  if (finished) return finished.value
  deadline.abort()
  const seconds = options.timeoutSeconds ?? Math.round(deadlineMs / 1000)
  return regions.map(({ result, taggedSoFar, refusals }) => tell(cutShortAtDeadline(result, taggedSoFar, refusals, options, seconds)))
}

/**
 * Why a region's calls had not gone through by the deadline: EC2's refusals where it answered with
 * them (throttling most often, which only waiting ends), else that it did not answer.
 */
function whyNotDone(refusals: Refusals): string {
  if (refusals.size === 0) return 'EC2 did not answer in time.'
  const refused = [...refusals].map(([call, { code, times }]) => `${call} ${times} time${times === 1 ? '' : 's'}, last with ${code}`)
  const throttled = [...refusals.values()].some(({ code }) => throttlingCodes.has(code))
  return `EC2 refused ${refused.join(', and ')}${throttled ? `: ${throttlingMeaning}` : ''}.`
}

/**
 * A region's result at the deadline: as it was, if done; else an error naming what was not tagged
 * (the AMIs of a call that went through before the deadline are tagged), and why.
 */
function cutShortAtDeadline(
  result: RegionTagResult,
  taggedSoFar: string[],
  refusals: Refusals,
  options: TagOptions,
  seconds: number
): RegionTagResult {
  if (result.tagged || result.error !== undefined) return { ...result }
  const notTagged = result.amiIds.filter((amiId) => !taggedSoFar.includes(amiId))
  const untagged = [...notTagged, ...(options.tagSnapshots ? uniqueInOrder(notTagged.flatMap((amiId) => result.snapshotsOf[amiId] ?? [])) : [])]
  const unknownSnapshots =
    options.tagSnapshots && result.snapshotIds.length === 0 ? ', nor the snapshots behind them (not found yet)' : ''
  return {
    ...result,
    ...(taggedSoFar.length > 0 ? { tagged: true, amisNotTagged: notTagged } : {}),
    error:
      `Tagging in ${result.region} did not finish within ${seconds} s, the tagging deadline: ` +
      `${whyNotDone(refusals)} Not tagged: ${untagged.join(', ')}${unknownSnapshots}.`
  }
}
