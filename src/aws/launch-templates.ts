// Rolls a launch template onto the new AMI: in every region where the build made an AMI and
// the template exists, a new version made from the template's current default with only
// ImageId changed (and its block devices' snapshots kept, which EC2 would drop), made the
// default unless the user said not to. Where the template already launches that AMI (a run that
// reused the AMIs an earlier run rolled out), nothing is made; where an earlier run made that
// very version and could not make it the default, it is made the default. A default that
// resolves its AMI through an SSM parameter is left to follow it. The template is looked up by
// the name or ID the user gave, and only that template is ever changed.
import {
  CreateLaunchTemplateVersionCommand,
  DescribeImagesCommand,
  EC2Client,
  ModifyLaunchTemplateCommand,
  paginateDescribeLaunchTemplateVersions,
  type LaunchTemplateBlockDeviceMapping,
  type LaunchTemplateVersion,
  type RequestLaunchTemplateData
} from '@aws-sdk/client-ec2'
import { errorMessage } from '../common/errors.js'
import type { LaunchTemplateRef } from '../inputs/launch-template.js'
import { awsErrorCode, describeAwsFailure } from './failures.js'
import { ec2Client } from './client.js'
import type { NewerRunAmi, NewerRunCheck } from './newer-runs.js'

export type LaunchTemplateResult = { region: string; amiId: string } & (
  | {
      outcome: 'updated'
      launchTemplateId: string
      launchTemplateName: string
      version: number
      madeDefault: boolean
      /** The version is one an earlier run made for this AMI, and this run only made it the default. */
      madeEarlier: boolean
    }
  | {
      outcome: 'current'
      launchTemplateId: string
      launchTemplateName: string
      version: number
      isDefault: boolean
      /**
       * The earlier attempt of this workflow run that made the version (its BuildRunUrl), when one
       * did: a job re-run reports it as that attempt did, for the steps after it run again too.
       */
      madeByAttempt?: string
    }
  | {
      outcome: 'follows'
      launchTemplateId: string
      launchTemplateName: string
      /** The default version, whose ImageId is this `resolve:ssm:` reference. */
      version: number
      imageId: string
      /**
       * `set`: the reference is the parameter this run published in the region, so the default
       * launches the new AMI already; `unset`: it is that parameter, which this run did not set in
       * the region (SSM refused it, or it was left at a newer run's AMI), so the default launches
       * what the parameter holds; `other`: another parameter.
       */
      parameter: 'set' | 'unset' | 'other'
    }
  | {
      /** The default launches an AMI of the family that a run started after this one built: left as it is. */
      outcome: 'newer'
      launchTemplateId: string
      launchTemplateName: string
      /** The default version. */
      version: number
      newer: NewerRunAmi
    }
  | { outcome: 'missing' }
  | { outcome: 'failed'; error: string }
)

export interface RollOptions {
  template: LaunchTemplateRef
  /** Region → the AMI its launch template should launch. */
  amiIdsByRegion: Record<string, string>
  makeDefault: boolean
  /**
   * The SSM parameter the run publishes each region's AMI ID under (ssm-parameter), if any, and
   * the regions where SSM took the new AMI: the parameter is published before templates roll.
   */
  ssmParameter?: { name: string; setIn: ReadonlySet<string> }
  /** Said in each new version's description, so the console shows where it came from. */
  builtBy?: string
  ec2For?: (region: string) => EC2Client
  /** Told each region's result as soon as it is known: a cancel before the others can still say it. */
  onResult?: (result: LaunchTemplateResult) => void
  /**
   * Whether the AMI the default launches is a newer run's (newerRunCheck): where it is, the
   * default is left as it is, so that a run that overlapped a newer one does not roll it back.
   */
  newerRun?: NewerRunCheck
}

// EC2 answers these when the region has no such template.
const notFoundCodes = new Set([
  'InvalidLaunchTemplateName.NotFoundException',
  'InvalidLaunchTemplateId.NotFound',
  'InvalidLaunchTemplateId.Malformed'
])

/**
 * The template's default and latest versions, with their data. Where they are one version, EC2
 * may name it once or twice in its answer: either way both are that version.
 */
async function findVersions(
  ec2: EC2Client,
  template: LaunchTemplateRef
): Promise<{ source: LaunchTemplateVersion; latest: LaunchTemplateVersion } | undefined> {
  try {
    // EC2 pages this answer even without MaxResults, and its reference gives no page size that
    // two versions must fit in: read every page.
    const versions: LaunchTemplateVersion[] = []
    const pages = paginateDescribeLaunchTemplateVersions(
      { client: ec2 },
      {
        ...(template.id !== undefined ? { LaunchTemplateId: template.id } : { LaunchTemplateName: template.name }),
        Versions: ['$Default', '$Latest']
      }
    )
    for await (const page of pages) versions.push(...(page.LaunchTemplateVersions ?? []))
    const source = versions.find((version) => version.DefaultVersion) ?? versions[0]
    if (source === undefined) return undefined
    const latest = versions.reduce((last, version) => ((version.VersionNumber ?? 0) > (last.VersionNumber ?? 0) ? version : last), source)
    return { source, latest }
  } catch (error) {
    if (notFoundCodes.has(awsErrorCode(error))) return undefined
    throw new StepFailed(error, 'ec2:DescribeLaunchTemplateVersions')
  }
}

/** Which call failed, so the message names the permission it needs. */
class StepFailed extends Error {
  constructor(
    readonly error: unknown,
    readonly permission: string
  ) {
    super(errorMessage(error))
  }
}

async function send<T>(permission: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call()
  } catch (error) {
    throw new StepFailed(error, permission)
  }
}

/**
 * The block devices of `source` to give the new version again, or undefined when none needs it.
 * EC2 does not carry a source version's snapshots into a new version unless the call names them
 * again: a data volume made from a snapshot would come up empty, or the launch would fail for
 * want of a size. Naming any mapping replaces the source's whole list, so all are given, each as
 * the source has it. A snapshot is named again only for a device the new AMI does not fill from a
 * snapshot of its own, and only when it is none of the replaced AMI's: those are the image's
 * volumes, which the new AMI replaces.
 */
async function mappingsToCarry(
  ec2: EC2Client,
  source: LaunchTemplateVersion,
  amiId: string
): Promise<RequestLaunchTemplateData['BlockDeviceMappings']> {
  const mappings: LaunchTemplateBlockDeviceMapping[] = source.LaunchTemplateData?.BlockDeviceMappings ?? []
  if (!mappings.some((mapping) => mapping.Ebs?.SnapshotId)) return undefined
  const previousAmi = source.LaunchTemplateData?.ImageId
  const images = await send('ec2:DescribeImages', () =>
    ec2.send(
      new DescribeImagesCommand({
        Filters: [{ Name: 'image-id', Values: previousAmi?.startsWith('ami-') ? [amiId, previousAmi] : [amiId] }]
      })
    )
  )
  const newAmi = images.Images?.find((image) => image.ImageId === amiId)
  if (newAmi === undefined) throw new Error(`EC2 does not show AMI ${amiId}, whose block devices the new version needs`)
  const filledByNewAmi = new Set(
    (newAmi.BlockDeviceMappings ?? []).filter((mapping) => mapping.Ebs?.SnapshotId).map((mapping) => mapping.DeviceName)
  )
  const previousSnapshots = new Set(
    images.Images?.filter((image) => image.ImageId === previousAmi)
      .flatMap((image) => image.BlockDeviceMappings ?? [])
      .map((mapping) => mapping.Ebs?.SnapshotId)
  )
  return mappings.map(({ Ebs, ...mapping }) => {
    if (Ebs === undefined) return mapping
    const { SnapshotId, ...volume } = Ebs
    const carried = SnapshotId !== undefined && !filledByNewAmi.has(mapping.DeviceName) && !previousSnapshots.has(SnapshotId)
    return { ...mapping, Ebs: carried ? { ...volume, SnapshotId } : volume }
  })
}

/**
 * The version that already launches `amiId`, where a new one would change nothing: the default,
 * which the new version is made from. With launch-template-default false the default is left as
 * it is, so the version an earlier run added for the AMI is the latest instead, and another
 * would only pile up beside it.
 */
function launchingAlready(
  versions: { source: LaunchTemplateVersion; latest: LaunchTemplateVersion },
  amiId: string,
  makeDefault: boolean
): LaunchTemplateVersion | undefined {
  const candidates = makeDefault ? [versions.source] : [versions.source, versions.latest]
  return candidates.find((version) => version.LaunchTemplateData?.ImageId === amiId && version.VersionNumber !== undefined)
}

/**
 * The URL of the earlier attempt of this workflow run that made `version` for `amiId`, as its
 * description says (versionDescription), or undefined. `builtBy` is this attempt's URL
 * (`…/actions/runs/42/attempts/2`): a job re-run keeps the run's ID and counts attempts.
 */
function madeByEarlierAttempt(version: LaunchTemplateVersion, amiId: string, builtBy: string | undefined): string | undefined {
  const run = /^(.+\/actions\/runs\/\d+)\/attempts\/\d+$/.exec(builtBy ?? '')?.[1]
  if (run === undefined || !madeForAmi(version, amiId)) return undefined
  const by = (version.VersionDescription ?? '').slice(`AMI ${amiId} built by `.length)
  const attempt = by.startsWith(`${run}/attempts/`) ? by.slice(`${run}/attempts/`.length) : ''
  return by !== builtBy && /^\d+$/.test(attempt) ? by : undefined
}

/** How the action describes the versions it makes: the console shows where each came from. */
function versionDescription(amiId: string, builtBy: string | undefined): string {
  return `AMI ${amiId}${builtBy ? ` built by ${builtBy}` : ''}`.slice(0, 255)
}

/** Whether the action made `version` for `amiId`, in any run: a rerun's URL is another attempt's. */
function madeForAmi(version: LaunchTemplateVersion, amiId: string): boolean {
  const description = version.VersionDescription ?? ''
  return version.LaunchTemplateData?.ImageId === amiId && (description === `AMI ${amiId}` || description.startsWith(`AMI ${amiId} built by `))
}

/** A value as JSON with its keys in order and without undefined members: equal data, equal text. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, member: unknown) =>
    member !== null && typeof member === 'object' && !Array.isArray(member)
      ? Object.fromEntries(Object.entries(member).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : member
  )
}

/**
 * The latest version, when it is the one this run would make from the default: made by the
 * action for the same AMI (a run whose ModifyLaunchTemplate failed, rerun with its AMIs reused),
 * with the default's data but for ImageId and the block devices the call names. Making it the
 * default is all that is left to do; another copy of it would only pile up beside it.
 */
function madeEarlier(
  versions: { source: LaunchTemplateVersion; latest: LaunchTemplateVersion },
  amiId: string,
  blockDeviceMappings: RequestLaunchTemplateData['BlockDeviceMappings']
): number | undefined {
  const { source, latest } = versions
  if (latest.VersionNumber === undefined || latest.VersionNumber === source.VersionNumber || !madeForAmi(latest, amiId)) return undefined
  const { BlockDeviceMappings: sourceMappings, ...sourceData } = source.LaunchTemplateData ?? {}
  const mappings = blockDeviceMappings ?? sourceMappings
  const wouldMake = { ...sourceData, ImageId: amiId, ...(mappings ? { BlockDeviceMappings: mappings } : {}) }
  return canonical(latest.LaunchTemplateData ?? {}) === canonical(wouldMake) ? latest.VersionNumber : undefined
}

/**
 * The default's `resolve:ssm:` reference, when it is to be left as it is. EC2 resolves it at each
 * launch, and DescribeLaunchTemplateVersions shows it as given (ResolveAlias is false unless
 * asked). Where it names the parameter this run publishes, unpinned (no `:version` or `:label`),
 * the default launches the new AMI already, once SSM took it in the region. Where it names another,
 * a version naming the AMI ID made the default would end the template's following it, which
 * whoever set it up chose; so it is left, and the report says why and what to change. With
 * launch-template-default false the default is never changed, so a version is added as for any
 * template.
 */
function followedParameter(
  source: LaunchTemplateVersion,
  region: string,
  options: RollOptions
): { imageId: string; parameter: 'set' | 'unset' | 'other' } | undefined {
  const imageId = source.LaunchTemplateData?.ImageId
  if (!imageId?.startsWith('resolve:ssm:')) return undefined
  const published = options.ssmParameter
  const names = published !== undefined && namesParameter(imageId.slice('resolve:ssm:'.length), published.name, region, source.CreatedBy)
  const parameter = !names ? 'other' : published.setIn.has(region) ? 'set' : 'unset'
  return parameter !== 'other' || options.makeDefault ? { imageId, parameter } : undefined
}

/**
 * Whether a `resolve:ssm:` reference is, unpinned, the parameter `name` that the run publishes
 * in `region`: by that name, or by its ARN (the form EC2 documents for a parameter shared from
 * another account; a user may write it for the account's own). The parameter is the account's
 * whose credentials run the action, and so is the template the action found with them: the
 * account is read from the principal that made the default version (CreatedBy, an IAM or STS
 * ARN), with the partition, so no call or permission is added. An ARN of another region, account
 * or partition, or one that cannot be told, is another parameter. In an ARN, a path's leading "/"
 * is the one after `parameter` (/images/web is …:parameter/images/web).
 */
function namesParameter(reference: string, name: string, region: string, createdBy: string | undefined): boolean {
  if (reference === name) return true
  const principal = /^arn:([a-z-]+):(?:iam|sts)::(\d{12}):/.exec(createdBy ?? '')
  if (principal === null) return false
  const [, partition, account] = principal
  return reference === `arn:${partition}:ssm:${region}:${account}:parameter/${name.replace(/^\//, '')}`
}

async function rollRegion(ec2: EC2Client, region: string, amiId: string, options: RollOptions): Promise<LaunchTemplateResult> {
  const versions = await findVersions(ec2, options.template)
  const source = versions?.source
  if (versions === undefined || source?.LaunchTemplateId === undefined || source.VersionNumber === undefined) {
    return { region, amiId, outcome: 'missing' }
  }
  const launchTemplateId = source.LaunchTemplateId
  const template = { region, amiId, launchTemplateId, launchTemplateName: source.LaunchTemplateName ?? launchTemplateId }
  const current = launchingAlready(versions, amiId, options.makeDefault)
  if (current?.VersionNumber !== undefined) {
    const version = current.VersionNumber
    const madeByAttempt = madeByEarlierAttempt(current, amiId, options.builtBy)
    return { ...template, outcome: 'current', version, isDefault: version === source.VersionNumber, ...(madeByAttempt ? { madeByAttempt } : {}) }
  }
  const following = followedParameter(source, region, options)
  if (following !== undefined) return { ...template, outcome: 'follows', version: source.VersionNumber, ...following }
  // Without launch-template-default the default is never changed: a version is added as always.
  const defaultAmi = source.LaunchTemplateData?.ImageId
  const newer = options.makeDefault && defaultAmi !== undefined ? await options.newerRun?.(region, defaultAmi, amiId) : undefined
  if (newer !== undefined) return { ...template, outcome: 'newer', version: source.VersionNumber, newer }
  const blockDeviceMappings = await mappingsToCarry(ec2, source, amiId)
  const earlier = options.makeDefault ? madeEarlier(versions, amiId, blockDeviceMappings) : undefined
  const version = earlier ?? (await createVersion(ec2, launchTemplateId, source.VersionNumber, amiId, blockDeviceMappings, options.builtBy))
  if (options.makeDefault) {
    await send('ec2:ModifyLaunchTemplate', () =>
      ec2.send(new ModifyLaunchTemplateCommand({ LaunchTemplateId: launchTemplateId, DefaultVersion: String(version) }))
    )
  }
  return { ...template, outcome: 'updated', version, madeDefault: options.makeDefault, madeEarlier: earlier !== undefined }
}

/** A new version from `sourceVersion` with only the AMI (and the block devices named) changed; its number. */
async function createVersion(
  ec2: EC2Client,
  launchTemplateId: string,
  sourceVersion: number,
  amiId: string,
  blockDeviceMappings: RequestLaunchTemplateData['BlockDeviceMappings'],
  builtBy: string | undefined
): Promise<number> {
  const created = await send('ec2:CreateLaunchTemplateVersion', () =>
    ec2.send(
      new CreateLaunchTemplateVersionCommand({
        LaunchTemplateId: launchTemplateId,
        SourceVersion: String(sourceVersion),
        VersionDescription: versionDescription(amiId, builtBy),
        LaunchTemplateData: { ImageId: amiId, ...(blockDeviceMappings ? { BlockDeviceMappings: blockDeviceMappings } : {}) }
      })
    )
  )
  const version = created.LaunchTemplateVersion?.VersionNumber
  if (version === undefined) throw new Error('CreateLaunchTemplateVersion answered without a version number')
  return version
}

/**
 * One result per region of `amiIdsByRegion`, in its order, all regions at once. A failure in
 * one region never stops the others and never throws: it is that region's result.
 */
export async function rollLaunchTemplates(options: RollOptions): Promise<LaunchTemplateResult[]> {
  return Promise.all(
    Object.entries(options.amiIdsByRegion).map(async ([region, amiId]) => {
      const result = await rollInRegion(options, region, amiId)
      options.onResult?.(result)
      return result
    })
  )
}

async function rollInRegion(options: RollOptions, region: string, amiId: string): Promise<LaunchTemplateResult> {
  // No endpoint is passed: the default credential chain and AWS_ENDPOINT_URL_EC2 apply.
  const ec2 = options.ec2For ? options.ec2For(region) : ec2Client(region, 3)
  try {
    return await rollRegion(ec2, region, amiId, options)
  } catch (error) {
    const reason = error instanceof StepFailed ? describeAwsFailure(error.error, error.permission) : errorMessage(error)
    return { region, amiId, outcome: 'failed', error: `Launch template in ${region}: ${reason}` }
  } finally {
    if (!options.ec2For) ec2.destroy()
  }
}
