// Rolls a launch template onto the new AMI: in every region where the build made an AMI and
// the template exists, a new version made from the template's current default with only
// ImageId changed, made the default unless the user said not to. The template is looked up
// by the name or ID the user gave, and only that template is ever changed.
import {
  CreateLaunchTemplateVersionCommand,
  DescribeLaunchTemplatesCommand,
  EC2Client,
  ModifyLaunchTemplateCommand,
  type LaunchTemplate
} from '@aws-sdk/client-ec2'
import { errorMessage } from '../common/errors.js'
import type { LaunchTemplateRef } from '../inputs/launch-template.js'
import { awsErrorCode, describeAwsFailure } from './failures.js'
import { ec2Client } from './client.js'

export type LaunchTemplateResult = { region: string; amiId: string } & (
  | { outcome: 'updated'; launchTemplateId: string; launchTemplateName: string; version: number; madeDefault: boolean }
  | { outcome: 'missing' }
  | { outcome: 'failed'; error: string }
)

export interface RollOptions {
  template: LaunchTemplateRef
  /** Region → the AMI its launch template should launch. */
  amiIdsByRegion: Record<string, string>
  makeDefault: boolean
  /** Said in each new version's description, so the console shows where it came from. */
  builtBy?: string
  ec2For?: (region: string) => EC2Client
}

// DescribeLaunchTemplates answers these when the region has no such template.
const notFoundCodes = new Set([
  'InvalidLaunchTemplateName.NotFoundException',
  'InvalidLaunchTemplateId.NotFound',
  'InvalidLaunchTemplateId.Malformed'
])

async function findTemplate(ec2: EC2Client, template: LaunchTemplateRef): Promise<LaunchTemplate | undefined> {
  try {
    const found = await ec2.send(
      new DescribeLaunchTemplatesCommand(
        template.id !== undefined ? { LaunchTemplateIds: [template.id] } : { LaunchTemplateNames: [template.name] }
      )
    )
    return found.LaunchTemplates?.[0]
  } catch (error) {
    if (notFoundCodes.has(awsErrorCode(error))) return undefined
    throw new StepFailed(error, 'ec2:DescribeLaunchTemplates')
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

async function rollRegion(ec2: EC2Client, region: string, amiId: string, options: RollOptions): Promise<LaunchTemplateResult> {
  const found = await findTemplate(ec2, options.template)
  if (found?.LaunchTemplateId === undefined || found.DefaultVersionNumber === undefined) {
    return { region, amiId, outcome: 'missing' }
  }
  const launchTemplateId = found.LaunchTemplateId
  const description = `AMI ${amiId}${options.builtBy ? ` built by ${options.builtBy}` : ''}`.slice(0, 255)
  const created = await send('ec2:CreateLaunchTemplateVersion', () =>
    ec2.send(
      new CreateLaunchTemplateVersionCommand({
        LaunchTemplateId: launchTemplateId,
        SourceVersion: String(found.DefaultVersionNumber),
        VersionDescription: description,
        LaunchTemplateData: { ImageId: amiId }
      })
    )
  )
  const version = created.LaunchTemplateVersion?.VersionNumber
  if (version === undefined) throw new Error('CreateLaunchTemplateVersion answered without a version number')
  if (options.makeDefault) {
    await send('ec2:ModifyLaunchTemplate', () =>
      ec2.send(new ModifyLaunchTemplateCommand({ LaunchTemplateId: launchTemplateId, DefaultVersion: String(version) }))
    )
  }
  const launchTemplateName = found.LaunchTemplateName ?? launchTemplateId
  return { region, amiId, outcome: 'updated', launchTemplateId, launchTemplateName, version, madeDefault: options.makeDefault }
}

/**
 * One result per region of `amiIdsByRegion`, in its order, all regions at once. A failure in
 * one region never stops the others and never throws: it is that region's result.
 */
export async function rollLaunchTemplates(options: RollOptions): Promise<LaunchTemplateResult[]> {
  return Promise.all(
    Object.entries(options.amiIdsByRegion).map(async ([region, amiId]): Promise<LaunchTemplateResult> => {
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
    })
  )
}
