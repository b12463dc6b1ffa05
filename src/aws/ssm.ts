// Publishes each region's new AMI ID in Parameter Store, as a String parameter of data type
// aws:ec2:image: EC2 then checks that the value is an AMI of the region, and launch templates
// and CloudFormation can resolve it (resolve:ssm:NAME). That check runs after PutParameter has
// answered, and a value that fails it never becomes the parameter's value, so each region's
// put is read back before it counts.
import { GetParameterCommand, PutParameterCommand, SSMClient, type Parameter, type ParameterTier } from '@aws-sdk/client-ssm'
import { AttemptsFailed, retry, withBackoff, type Backoff } from '../common/retry.js'
import { errorMessage } from '../common/errors.js'
import { withRunCredentials } from './credentials.js'
import { awsErrorCode, describeAwsFailure, isAccessDenied } from './failures.js'
import { awsRequestHandler } from './bounds.js'
import type { NewerRunAmi, NewerRunCheck } from './newer-runs.js'

export type SsmParameterResult = { region: string; amiId: string } & (
  /** `unchanged`: the parameter held the AMI already (a reused set), and was not put again. */
  | { outcome: 'published'; version: number; unchanged?: true }
  /** The parameter holds an AMI of the family that a run started after this one built: not put. */
  | { outcome: 'newer'; newer: NewerRunAmi }
  /** Put as `version`, and then another run put `replacedBy` after it: the parameter holds that. */
  | { outcome: 'replaced'; version: number; replacedBy: { amiId: string; version: number } }
  | { outcome: 'failed'; error: string }
)

export interface PublishOptions extends Partial<Backoff> {
  name: string
  /** Region → the AMI ID to publish there. */
  amiIdsByRegion: Record<string, string>
  ssmFor?: (region: string) => SSMClient
  /**
   * For a reused set, which an earlier run may have published: where the parameter holds the
   * AMI already, it is left as it is. Another put would add a version of the same value, and
   * with it an SSM change event, on every merge that changes nothing.
   */
  leaveWhereHeld?: boolean
  /**
   * Whether the AMI the parameter holds is a newer run's (newerRunCheck): where it is, the
   * parameter is left as it is, so that a run that overlapped a newer one does not roll it back.
   */
  newerRun?: NewerRunCheck
  /** Told each region's result as soon as it is known: a cancel before the others can still say it. */
  onResult?: (result: SsmParameterResult) => void
}

/** The read-back does not show the value yet (or EC2's check turned it down). */
class NotYetPublished extends Error {}

async function publishRegion(
  ssm: SSMClient,
  options: PublishOptions,
  region: string,
  amiId: string
): Promise<SsmParameterResult> {
  let step = 'ssm:PutParameter'
  try {
    const current = options.leaveWhereHeld || options.newerRun ? await currentParameter(ssm, options.name) : undefined
    const held = options.leaveWhereHeld ? versionHolding(current, amiId) : undefined
    if (held !== undefined) return { region, amiId, outcome: 'published', version: held, unchanged: true }
    const newer = current?.Value === undefined ? undefined : await options.newerRun?.(region, current.Value, amiId)
    if (newer !== undefined) return { region, amiId, outcome: 'newer', newer }
    const version = await putAmiId(ssm, options, amiId).catch(async (error: unknown) => {
      throw (await whyNotOverwritten(ssm, options.name, region, error)) ?? error
    })
    step = 'ssm:GetParameter'
    let replacedBy: { amiId: string; version: number } | undefined
    await retry(
      async () => {
        const { Parameter: parameter } = await ssm.send(new GetParameterCommand({ Name: options.name }))
        if (parameter?.Value === amiId && (parameter.Version ?? 0) >= version) return
        // A later version of another value: another run put the same name after this one (runs
        // that overlap). Its value stands; this run's is no longer what the parameter holds.
        if (parameter?.Value !== undefined && (parameter.Version ?? 0) > version) {
          replacedBy = { amiId: parameter.Value, version: parameter.Version ?? 0 }
          return
        }
        throw new NotYetPublished()
      },
      { backoff: withBackoff(options, { ...withBackoff(), maxAttempts: 4, baseDelayMs: 500 }), isRetryable: (error) => isNotYet(error) }
    )
    if (replacedBy !== undefined) return { region, amiId, outcome: 'replaced', version, replacedBy }
    return { region, amiId, outcome: 'published', version }
  } catch (error) {
    const cause = error instanceof AttemptsFailed ? error.cause : error
    const reason =
      cause instanceof NotOverwritable
        ? cause.message
        : isNotYet(cause)
          ? `the parameter does not show ${amiId} after it was put: EC2 did not accept it as an AMI of ${region}, or is still checking it.`
          : describeAwsFailure(cause, step)
    return { region, amiId, outcome: 'failed', error: `SSM parameter ${options.name} in ${region}: ${reason}` }
  }
}

/** The parameter as it stands; undefined when it cannot be read: the put then goes ahead, and says what is wrong. */
async function currentParameter(ssm: SSMClient, name: string): Promise<Parameter | undefined> {
  return ssm
    .send(new GetParameterCommand({ Name: name }))
    .then((answer) => answer.Parameter)
    .catch(() => undefined)
}

/**
 * The version of the parameter that holds `amiId` as EC2 checks it (a String of data type
 * aws:ec2:image), when that is its latest; undefined otherwise.
 */
function versionHolding(parameter: Parameter | undefined, amiId: string): number | undefined {
  const holds = parameter?.Value === amiId && parameter.Type === 'String' && parameter.DataType === 'aws:ec2:image'
  return holds ? parameter.Version : undefined
}

/**
 * Puts the AMI ID and returns the version SSM gave it. Without a tier, SSM uses the account's
 * default tier (Standard unless changed), and refuses to make an advanced parameter standard
 * (PutParameter, Tier: "you can't revert an advanced parameter to a standard parameter"); such a
 * parameter, made advanced for a policy or by an account's default, is put again as advanced,
 * which it is already. SSM takes one update of a parameter at a time and answers another made
 * meanwhile (a second workflow run publishing the same name) with TooManyUpdates, which the SDK
 * does not retry: it is retried here.
 */
async function putAmiId(ssm: SSMClient, options: PublishOptions, amiId: string): Promise<number> {
  const put = (tier?: ParameterTier) =>
    retry(
      () =>
        ssm.send(
          new PutParameterCommand({
            Name: options.name,
            Value: amiId,
            Type: 'String',
            DataType: 'aws:ec2:image',
            Overwrite: true,
            ...(tier ? { Tier: tier } : {})
          })
        ),
      { backoff: withBackoff(options, { ...withBackoff(), maxAttempts: 4, baseDelayMs: 500 }), isRetryable: (error) => awsErrorCode(error) === 'TooManyUpdates' }
    ).catch((error: unknown) => {
      throw error instanceof AttemptsFailed ? error.cause : error
    })
  try {
    return (await put()).Version ?? 0
  } catch (error) {
    if (!isNoDowngrade(error)) throw error
    return (await put('Advanced')).Version ?? 0
  }
}

function isNoDowngrade(error: unknown): boolean {
  return awsErrorCode(error) === 'ValidationException' && /downgrade .*advanced-parameter tier/i.test(errorMessage(error))
}

/** A put SSM refused because the parameter is of another type or data type, in the user's words. */
class NotOverwritable extends Error {}

/**
 * Why SSM refused the put, when it is that the parameter exists as another type or data type
 * (made by hand or another tool as plain text, say): SSM keeps the data type a parameter was
 * made with, and aws:ec2:image is only for a String. SSM's own answer does not say which the
 * parameter is or what to do, so the parameter is read to say both. Undefined otherwise.
 */
async function whyNotOverwritten(ssm: SSMClient, name: string, region: string, error: unknown): Promise<NotOverwritable | undefined> {
  if (isAccessDenied(error) || ['TimeoutError', 'CredentialsProviderError'].includes(awsErrorCode(error))) return undefined
  const existing = await ssm
    .send(new GetParameterCommand({ Name: name }))
    .then((answer) => answer.Parameter)
    .catch(() => undefined)
  if (existing === undefined || (existing.Type === 'String' && existing.DataType === 'aws:ec2:image')) return undefined
  return new NotOverwritable(
    `expected a String parameter of data type aws:ec2:image (what EC2 checks and launch templates resolve), found a ` +
      `${existing.Type} of data type ${existing.DataType ?? 'text'}, which SSM does not change into one. Delete the parameter in ` +
      `${region} (aws ssm delete-parameter --name ${name} --region ${region}) for the next build to make it anew, or set ` +
      `ssm-parameter to another name. SSM answered: ${describeAwsFailure(error, 'ssm:PutParameter')}`
  )
}

function isNotYet(error: unknown): boolean {
  return error instanceof NotYetPublished || (error as { name?: unknown })?.name === 'ParameterNotFound'
}

/** One result per region, all regions at once; a failure is its region's result, never thrown. */
export async function publishAmiIds(options: PublishOptions): Promise<SsmParameterResult[]> {
  return Promise.all(
    Object.entries(options.amiIdsByRegion).map(async ([region, amiId]) => {
      const result = await publishInRegion(options, region, amiId)
      options.onResult?.(result)
      return result
    })
  )
}

async function publishInRegion(options: PublishOptions, region: string, amiId: string): Promise<SsmParameterResult> {
  // No endpoint is passed: AWS_ENDPOINT_URL_SSM applies. The credentials are the run's, and
  // each call is bounded like EC2's: a region whose SSM never answers fails in about a minute.
  let ssm: SSMClient | undefined
  try {
    ssm = options.ssmFor
      ? options.ssmFor(region)
      : withRunCredentials((credentials) => new SSMClient({ region, ...credentials, requestHandler: awsRequestHandler() }))
    return await publishRegion(ssm, options, region, amiId)
  } catch (error) {
    return { region, amiId, outcome: 'failed', error: `SSM parameter ${options.name} in ${region}: ${errorMessage(error)}` }
  } finally {
    if (!options.ssmFor) ssm?.destroy()
  }
}

/**
 * What the parameter holds in `region` (undefined when there is no such parameter), read with the
 * run's credentials and bounded like the put. Retention reads it where this run did not set it to
 * the new AMI: the AMI it still holds is launched from it.
 */
export async function parameterValue(name: string, region: string): Promise<string | undefined> {
  const ssm = withRunCredentials((credentials) => new SSMClient({ region, ...credentials, requestHandler: awsRequestHandler() }))
  try {
    const { Parameter: parameter } = await ssm.send(new GetParameterCommand({ Name: name }))
    return parameter?.Value
  } catch (error) {
    if ((error as { name?: unknown })?.name === 'ParameterNotFound') return undefined
    throw error
  } finally {
    ssm.destroy()
  }
}
