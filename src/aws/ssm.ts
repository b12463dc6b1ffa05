// Publishes each region's new AMI ID in Parameter Store, as a String parameter of data type
// aws:ec2:image: EC2 then checks that the value is an AMI of the region, and launch templates
// and CloudFormation can resolve it (resolve:ssm:NAME). That check runs after PutParameter has
// answered, and a value that fails it never becomes the parameter's value, so each region's
// put is read back before it counts.
import { GetParameterCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm'
import { AttemptsFailed, retry, withBackoff, type Backoff } from '../common/retry.js'
import { errorMessage } from '../common/errors.js'
import { boundedRequests } from './bounds.js'
import { withRunCredentials } from './credentials.js'
import { describeAwsFailure } from './failures.js'

export type SsmParameterResult = { region: string; amiId: string } & (
  | { outcome: 'published'; version: number }
  | { outcome: 'failed'; error: string }
)

export interface PublishOptions extends Partial<Backoff> {
  name: string
  /** Region → the AMI ID to publish there. */
  amiIdsByRegion: Record<string, string>
  ssmFor?: (region: string) => SSMClient
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
    const put = await ssm.send(
      new PutParameterCommand({ Name: options.name, Value: amiId, Type: 'String', DataType: 'aws:ec2:image', Overwrite: true })
    )
    const version = put.Version ?? 0
    step = 'ssm:GetParameter'
    await retry(
      async () => {
        const { Parameter: parameter } = await ssm.send(new GetParameterCommand({ Name: options.name }))
        if (parameter?.Value !== amiId || (parameter.Version ?? 0) < version) throw new NotYetPublished()
      },
      { backoff: withBackoff(options, { ...withBackoff(), maxAttempts: 4, baseDelayMs: 500 }), isRetryable: (error) => isNotYet(error) }
    )
    return { region, amiId, outcome: 'published', version }
  } catch (error) {
    const cause = error instanceof AttemptsFailed ? error.cause : error
    const reason =
      isNotYet(cause)
        ? `the parameter does not show ${amiId} after it was put: EC2 did not accept it as an AMI of ${region}, or is still checking it.`
        : describeAwsFailure(cause, step)
    return { region, amiId, outcome: 'failed', error: `SSM parameter ${options.name} in ${region}: ${reason}` }
  }
}

function isNotYet(error: unknown): boolean {
  return error instanceof NotYetPublished || (error as { name?: unknown })?.name === 'ParameterNotFound'
}

/** One result per region, all regions at once; a failure is its region's result, never thrown. */
export async function publishAmiIds(options: PublishOptions): Promise<SsmParameterResult[]> {
  return Promise.all(
    Object.entries(options.amiIdsByRegion).map(async ([region, amiId]): Promise<SsmParameterResult> => {
      // No endpoint is passed: AWS_ENDPOINT_URL_SSM applies. The credentials are the run's, and
      // each call is bounded like EC2's: a region whose SSM never answers fails in about a minute.
      let ssm: SSMClient | undefined
      try {
        ssm = options.ssmFor
          ? options.ssmFor(region)
          : withRunCredentials((credentials) => new SSMClient({ region, ...credentials, requestHandler: boundedRequests }))
        return await publishRegion(ssm, options, region, amiId)
      } catch (error) {
        return { region, amiId, outcome: 'failed', error: `SSM parameter ${options.name} in ${region}: ${errorMessage(error)}` }
      } finally {
        if (!options.ssmFor) ssm?.destroy()
      }
    })
  )
}
