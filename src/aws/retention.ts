// Retires old AMIs: after a successful build, in every region it built in, all but the newest
// N AMIs of each image family and architecture are deregistered (the new one counts), then the
// snapshots those AMIs used are deleted. Only AMIs this account owns that carry the family tag the action
// writes are in scope, disabled ones included, and an AMI in use by an instance or a launch template
// version, or held by the ssm-parameter where this run did not set it, or protected from
// deregistration (when it is listed, or when EC2 refuses to deregister it for that), is kept, and
// so is one that another run made while this one ran.
import {
  DeleteSnapshotCommand,
  DeregisterImageCommand,
  EC2Client,
  type Image
} from '@aws-sdk/client-ec2'
import { errorMessage } from '../common/errors.js'
import { imageFamilyTagKey } from '../inputs/retention.js'
import { awsErrorCode, describeAwsFailure } from './failures.js'
import { findImageUsers, type ImageUsers } from './image-usage.js'
import { describeAllImages, exactFilterValue, snapshotIdsOf } from './images.js'
import { ec2Client } from './client.js'

export type RetentionAction =
  | 'kept: newest'
  | 'kept: in use'
  | 'kept: protected'
  | 'kept: made meanwhile'
  | 'deregistered'
  | 'would deregister'
  | 'failed'

export interface RetainedImage {
  amiId: string
  created: string
  action: RetentionAction
  /** Instances, launch templates and the SSM parameter using it, for `kept: in use`. */
  usedBy?: string[]
  /** DescribeImages' `DeregistrationProtection`, for `kept: protected`. */
  protection?: string
  /** Its EBS snapshots: deleted for `deregistered`, to be deleted for `would deregister`. */
  snapshotIds: string[]
  /** Snapshots of a `deregistered` AMI that another AMI still uses, so EC2 keeps them. */
  snapshotsLeft?: Array<{ snapshotId: string; usedBy: string }>
  /** Snapshots of a `deregistered` AMI deleted so far. */
  snapshotsDeleted?: string[]
  /** The call on it that EC2 has not answered yet, while its retirement is under way. */
  underWay?: 'ec2:DeregisterImage' | 'ec2:DeleteSnapshot'
  error?: string
}

export interface RetentionResult {
  region: string
  family: string
  images: RetainedImage[]
  /** A failure that stopped the region's family from being looked at or checked at all. */
  error?: string
  /** Why nothing was in scope, though nothing failed. */
  warning?: string
}

/**
 * The ssm-parameter, in the regions where this run did not set it to the new AMI (its put
 * failed): there it still holds the AMI it held before, which instances and launch templates
 * that resolve it launch, so that AMI is in use.
 */
export interface HeldParameter {
  name: string
  regions: ReadonlySet<string>
  /** What the parameter holds in a region; undefined when it does not exist there. */
  read?: (region: string) => Promise<string | undefined>
}

export interface RetentionOptions {
  /** Each family's new AMIs by region: families[family][region] = AMI IDs built now. */
  families: Map<string, Map<string, string[]>>
  keep: number
  dryRun: boolean
  ec2For?: (region: string) => EC2Client
  parameter?: HeldParameter
  /**
   * When this run started. An AMI of the family made since, that this run did not build, is
   * another run's that overlapped this one (no concurrency group): that run may be about to put
   * it in a launch template or the parameter, where this run's look at what is in use cannot see
   * it yet. It is kept; the next run retires it when it is due.
   */
  startedAt?: Date
  /**
   * Told a family's result in a region, as it stands, whenever it changes: once its AMIs are
   * sorted out, and before and after each call that retires one. A cancel can then say which
   * AMIs and snapshots are gone.
   */
  onProgress?: (result: RetentionResult) => void
  /**
   * Told a family's result in a region once, when it is final: the log can say which regions
   * are done while another still waits for EC2.
   */
  onResult?: (result: RetentionResult) => void
}

/**
 * Attempts per EC2 call of retention. A family that keep-images is turned on for late has
 * hundreds of AMIs to retire, two calls or more each, one after another: EC2 throttles such a
 * run of DeregisterImage and DeleteSnapshot calls (RequestLimitExceeded, per account and region,
 * with every other caller's calls). Where 30% of DeregisterImage calls were refused, 3 attempts
 * left 9 of 298 AMIs in place, failing the job; 8 left none. The SDK's standard retry waits out
 * each refusal (its adaptive mode, which also slows every later call, took twice as long).
 */
export const retentionAttempts = 8

/** The account's AMIs whose family tag is `family`, exactly: a `*` or `?` in it is no wildcard. */
async function familyImages(ec2: EC2Client, family: string): Promise<Image[]> {
  const images = await describeAllImages(ec2, {
    Owners: ['self'],
    // A disabled AMI launches nothing but still costs its snapshots: it is retired like any other.
    IncludeDisabled: true,
    Filters: [{ Name: `tag:${imageFamilyTagKey}`, Values: [exactFilterValue(family)] }]
  })
  return images.filter((image) => image.Tags?.some((tag) => tag.Key === imageFamilyTagKey && tag.Value === family))
}

/**
 * The family's AMIs of the architecture built now: a matrix that builds one template for
 * x86_64 and arm64 gives both the same family, and each keeps its own newest. Until an AMI
 * built now is listed, none is in scope: its architecture is not known.
 */
function ofArchitectureBuilt(images: Image[], builtNow: string[]): Image[] {
  const built = new Set(images.filter((image) => builtNow.includes(image.ImageId ?? '')).map((image) => image.Architecture))
  return images.filter((image) => built.has(image.Architecture))
}

/** Newest first; the AMIs built now are the newest whatever their dates say. */
function newestFirst(images: Image[], builtNow: string[]): Image[] {
  const rank = (image: Image) => (builtNow.includes(image.ImageId ?? '') ? 1 : 0)
  return [...images].sort(
    (a, b) => rank(b) - rank(a) || (b.CreationDate ?? '').localeCompare(a.CreationDate ?? '') || (b.ImageId ?? '').localeCompare(a.ImageId ?? '')
  )
}

/**
 * The protection that makes EC2 refuse DeregisterImage, or undefined when there is none:
 * `enabled-without-cooldown`, `enabled-with-cooldown`, and for 24 hours after protection with a
 * cooldown is disabled, `disabled after <time>`. Only `disabled` (or no field) lets it go.
 */
function deregistrationProtection(image: Image): string | undefined {
  const protection = image.DeregistrationProtection
  return protection === undefined || protection === '' || protection === 'disabled' ? undefined : protection
}

/**
 * The protection of `amiId` as DescribeImages shows it now, when EC2 refused to deregister it with
 * OperationNotPermitted: protection turned on since retention listed the family is a kept AMI,
 * not a failure. Undefined when it is not protected, or cannot be told: the refusal stands.
 */
async function protectionNow(ec2: EC2Client, amiId: string): Promise<string | undefined> {
  try {
    const [image] = await describeAllImages(ec2, { ImageIds: [amiId], IncludeDisabled: true })
    return image === undefined ? undefined : deregistrationProtection(image)
  } catch {
    return undefined
  }
}

/** The AMI EC2 names in InvalidSnapshot.InUse ("… is currently in use by ami-…"). */
function snapshotUser(error: unknown): string {
  const message = error instanceof Error ? error.message : ''
  return /\bami-[0-9a-f]+\b/.exec(message)?.[0] ?? 'another AMI'
}

/** Retires `image`, calling `changed` whenever its state does. */
async function retire(ec2: EC2Client, image: RetainedImage, changed: () => void): Promise<void> {
  image.underWay = 'ec2:DeregisterImage'
  changed()
  try {
    await ec2.send(new DeregisterImageCommand({ ImageId: image.amiId }))
    image.action = 'deregistered'
  } catch (error) {
    const protection = awsErrorCode(error) === 'OperationNotPermitted' ? await protectionNow(ec2, image.amiId) : undefined
    if (protection !== undefined) {
      image.action = 'kept: protected'
      image.protection = protection
      return
    }
    image.error = `Deregistering ${image.amiId} failed: ${describeAwsFailure(error, 'ec2:DeregisterImage')}`
    image.action = 'failed'
    return
  } finally {
    delete image.underWay
    changed()
  }
  // Each snapshot on its own: once the AMI is gone, no later run finds the ones left behind.
  const failures: string[] = []
  const left: Array<{ snapshotId: string; usedBy: string }> = []
  const deleted: string[] = []
  for (const SnapshotId of image.snapshotIds) {
    image.underWay = 'ec2:DeleteSnapshot'
    changed()
    try {
      await ec2.send(new DeleteSnapshotCommand({ SnapshotId }))
      deleted.push(SnapshotId)
    } catch (error) {
      // Another AMI registered from the same snapshot still needs it: nothing went wrong.
      if (awsErrorCode(error) === 'InvalidSnapshot.InUse') left.push({ snapshotId: SnapshotId, usedBy: snapshotUser(error) })
      else failures.push(`${SnapshotId}: ${describeAwsFailure(error, 'ec2:DeleteSnapshot')}`)
    }
    image.snapshotsDeleted = [...deleted]
    if (left.length > 0) image.snapshotsLeft = [...left]
  }
  delete image.underWay
  if (failures.length > 0) image.error = `Deleting the snapshots of ${image.amiId} (deregistered) failed: ${failures.join('; ')}`
  changed()
}

/**
 * The newest `keep` are kept, every AMI built now (when a family has more builds than `keep`),
 * any other protected from deregistration (EC2 would refuse it) and any in use; the rest would
 * be deregistered.
 */
function classify(sorted: Image[], keep: number, builtNow: string[], users: ImageUsers, startedAt: Date | undefined): RetainedImage[] {
  return sorted.map((image, index) => {
    const amiId = image.ImageId ?? ''
    const entry: RetainedImage = { amiId, created: image.CreationDate ?? '', action: 'kept: newest', snapshotIds: snapshotIdsOf(image) }
    if (index < keep || builtNow.includes(amiId)) return entry
    const protection = deregistrationProtection(image)
    if (protection !== undefined) return { ...entry, action: 'kept: protected', protection }
    const usedBy = users.get(amiId)
    if (usedBy !== undefined && usedBy.length > 0) return { ...entry, action: 'kept: in use', usedBy }
    if (startedAt !== undefined && Date.parse(entry.created) >= startedAt.getTime()) return { ...entry, action: 'kept: made meanwhile' }
    return { ...entry, action: 'would deregister' }
  })
}

/**
 * Counts the parameter's AMI as in use where this run did not set the parameter: read by its
 * name with ssm:GetParameter, which ssm-parameter needs anyway. Where it cannot be read, the
 * region's retention fails and changes nothing: what the parameter holds is not known.
 */
async function addParameterUse(users: ImageUsers, candidates: string[], region: string, parameter: HeldParameter | undefined): Promise<void> {
  if (parameter === undefined || !parameter.regions.has(region) || candidates.length === 0) return
  const read = parameter.read ?? (async (inRegion: string) => (await import('./ssm.js')).parameterValue(parameter.name, inRegion))
  const held = await read(region)
  if (held !== undefined && candidates.includes(held)) users.set(held, [...(users.get(held) ?? []), `SSM parameter ${parameter.name}`])
}

async function retainInRegion(ec2: EC2Client, region: string, family: string, builtNow: string[], options: RetentionOptions): Promise<RetentionResult> {
  let step = 'ec2:DescribeImages'
  try {
    const inScope = ofArchitectureBuilt(await familyImages(ec2, family), builtNow)
    if (inScope.length === 0) {
      const warning = `${builtNow.join(', ')} is not listed with its ImageFamily tag yet, so its architecture is not known: nothing was retired in ${region}. The next build retires what is due.`
      return { region, family, images: [], warning }
    }
    const sorted = newestFirst(inScope, builtNow)
    step = 'ec2:DescribeImageReferences (or, where it is denied, ec2:DescribeInstances, ec2:DescribeLaunchTemplates and ec2:DescribeLaunchTemplateVersions)'
    const candidates = sorted
      .slice(options.keep)
      .filter((image) => deregistrationProtection(image) === undefined)
      .map((image) => image.ImageId ?? '')
      .filter((amiId) => !builtNow.includes(amiId))
    const { users } = await findImageUsers(ec2, candidates)
    step = 'ssm:GetParameter'
    await addParameterUse(users, candidates, region, options.parameter)
    const images = classify(sorted, options.keep, builtNow, users, options.startedAt)
    // A copy, so that what the listener holds is the state as it was told.
    const changed = (): void => options.onProgress?.(structuredClone({ region, family, images }))
    changed()
    // One AMI after another: a failure on one is its own result and the others go on.
    if (!options.dryRun) for (const image of images) if (image.action === 'would deregister') await retire(ec2, image, changed)
    return { region, family, images }
  } catch (error) {
    const message = `Retention of ${family} in ${region} changed nothing: ${describeAwsFailure(error, step)}`
    return { region, family, images: [], error: message }
  }
}

/** One result per family and region, all regions at once; failures are results, never thrown. */
export async function retainImages(options: RetentionOptions): Promise<RetentionResult[]> {
  const jobs = [...options.families].flatMap(([family, regions]) =>
    [...regions].map(([region, builtNow]) => ({ family, region, builtNow }))
  )
  return Promise.all(
    jobs.map(async ({ family, region, builtNow }) => {
      const result = await retainWithClient(options, region, family, builtNow)
      options.onResult?.(result)
      return result
    })
  )
}

async function retainWithClient(options: RetentionOptions, region: string, family: string, builtNow: string[]): Promise<RetentionResult> {
  const ec2 = options.ec2For ? options.ec2For(region) : ec2Client(region, retentionAttempts)
  try {
    const result = await retainInRegion(ec2, region, family, builtNow, options)
    if (result.images.length === 0) options.onProgress?.(result)
    return result
  } catch (error) {
    const result = { region, family, images: [], error: `Retention of ${family} in ${region}: ${errorMessage(error)}` }
    options.onProgress?.(result)
    return result
  } finally {
    if (!options.ec2For) ec2.destroy()
  }
}
