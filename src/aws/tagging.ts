import * as core from '@actions/core'
import {
  CreateTagsCommand,
  DescribeImagesCommand,
  EC2Client,
  type Image
} from '@aws-sdk/client-ec2'
import { AttemptsFailed, retry, withBackoff, type Backoff } from '../common/retry.js'
import { errorMessage } from '../common/errors.js'

export interface AmiToTag {
  region: string
  amiId: string
}

export interface RegionTagResult {
  region: string
  amiIds: string[]
  /** From DescribeImages' block device mappings; may be known even if CreateTags failed. */
  snapshotIds: string[]
  tagged: boolean
  /** What went wrong in this region, in words for the user. */
  error?: string
  /** Problems that did not stop the tagging, e.g. snapshots that could not be listed. */
  warnings?: string[]
}

/** Backoff settings (all optional) replace the defaults: 6 attempts, 1 s doubling up to 20 s. */
export interface TagOptions extends Partial<Backoff> {
  amis: AmiToTag[]
  /** Already validated: at most 50, keys of 1–128 characters, values ≤ 256, no aws: prefix. */
  tags: Record<string, string>
  tagSnapshots: boolean
  /**
   * The client for a region. A client passed in here should be made with `maxAttempts: 1`,
   * or its own retries multiply ours.
   */
  ec2For?: (region: string) => EC2Client
  /** Where retries are reported; core.info unless replaced. */
  log?: (message: string) => void
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
    readonly snapshotIdsSoFar: string[]
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

function snapshotIdsOf(image: Image): string[] {
  return (image.BlockDeviceMappings ?? []).flatMap((mapping) =>
    mapping.Ebs?.SnapshotId ? [mapping.Ebs.SnapshotId] : []
  )
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

async function findSnapshotIds(
  ec2: EC2Client,
  amiIds: string[],
  mustBeComplete: boolean
): Promise<string[]> {
  const { Images: images = [] } = await ec2.send(new DescribeImagesCommand({ ImageIds: amiIds }))
  const imagesById = new Map(images.map((image) => [image.ImageId, image]))
  const snapshotIds = uniqueInOrder(
    amiIds.flatMap((amiId) => {
      const image = imagesById.get(amiId)
      return image ? snapshotIdsOf(image) : []
    })
  )
  if (mustBeComplete) {
    const missingAmiIds = amiIds.filter((amiId) => !imagesById.has(amiId))
    const amiIdsWithoutSnapshots = amiIds.filter((amiId) => {
      const image = imagesById.get(amiId)
      return image !== undefined && snapshotsNotListedYet(image)
    })
    if (missingAmiIds.length > 0 || amiIdsWithoutSnapshots.length > 0) {
      throw new ImagesNotReady(missingAmiIds, amiIdsWithoutSnapshots, snapshotIds)
    }
  }
  return snapshotIds
}

interface RegionJob {
  region: string
  amiIds: string[]
  ec2: EC2Client
  tags: { Key: string; Value: string }[]
  tagSnapshots: boolean
  backoff: Backoff
  log: (message: string) => void
}

async function tagRegion(job: RegionJob): Promise<RegionTagResult> {
  const { region, amiIds, ec2, tags, tagSnapshots, backoff, log } = job
  const retryOptions = (call: string) => ({
    backoff,
    isRetryable: (error: unknown) => isRetryable(error),
    onRetry: (error: unknown, delayMs: number, attempt: number) => {
      const reason = error instanceof ImagesNotReady ? error.message : errorCode(error)
      log(
        `${call} in ${region}: attempt ${attempt} of ${backoff.maxAttempts} failed (${reason}); ` +
          `trying again in ${(delayMs / 1000).toFixed(1)} s`
      )
    }
  })

  const result: RegionTagResult = { region, amiIds, snapshotIds: [], tagged: false }
  try {
    // Only a complete list matters when the snapshots are to be tagged; otherwise the IDs
    // are reported as found, and waiting for the rest would only slow the job down.
    result.snapshotIds = await retry(
      () => findSnapshotIds(ec2, amiIds, tagSnapshots),
      retryOptions('DescribeImages')
    )
  } catch (error) {
    const failure = error instanceof AttemptsFailed ? error : new AttemptsFailed(error, 1)
    if (failure.cause instanceof ImagesNotReady) {
      result.snapshotIds = failure.cause.snapshotIdsSoFar
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

  const resources = tagSnapshots ? [...amiIds, ...result.snapshotIds] : amiIds
  try {
    await retry(
      () => ec2.send(new CreateTagsCommand({ Resources: resources, Tags: tags })),
      retryOptions('CreateTags')
    )
    result.tagged = true
  } catch (error) {
    const failure = error instanceof AttemptsFailed ? error : new AttemptsFailed(error, 1)
    result.error =
      `Tagging in ${region} failed for ${resources.join(', ')}: ` +
      explainFailure(failure, 'ec2:CreateTags')
  }
  return result
}

/**
 * Tags every AMI, and with `tagSnapshots` every EBS snapshot behind them, in every region:
 * per region one DescribeImages and one CreateTags, all regions at once. An AWS failure
 * never throws; it is reported in that region's result. Results follow the order in which
 * the regions first appear in `amis`.
 */
export async function tagAmis(options: TagOptions): Promise<RegionTagResult[]> {
  const backoff = withBackoff(options)
  const tags = Object.entries(options.tags).map(([Key, Value]) => ({ Key, Value }))
  const log = options.log ?? ((message: string) => core.info(message))

  return Promise.all(
    [...amiIdsByRegion(options.amis)].map(async ([region, amiIds]) => {
      // The SDK's own retries are switched off (maxAttempts: 1): ours already cover throttling
      // and also wait out a freshly copied AMI, and both layers together would multiply the
      // attempts and hide waits that tests cannot replace. No endpoint is passed, so the
      // default credential chain and AWS_ENDPOINT_URL_EC2 keep working.
      const ownClient = options.ec2For === undefined
      let ec2: EC2Client | undefined
      try {
        ec2 = options.ec2For ? options.ec2For(region) : new EC2Client({ region, maxAttempts: 1 })
        return await tagRegion({
          region,
          amiIds,
          ec2,
          tags,
          tagSnapshots: options.tagSnapshots,
          backoff,
          log
        })
      } catch (error) {
        const message = errorMessage(error)
        return {
          region,
          amiIds,
          snapshotIds: [],
          tagged: false,
          error: `Tagging in ${region} failed for ${amiIds.join(', ')}: ${message}`
        }
      } finally {
        if (ownClient) ec2?.destroy()
      }
    })
  )
}
