// The EC2 client every EC2 call of the action goes through, each call bounded in time
// (./bounds.ts).
import { CreateTagsCommand, DescribeImagesCommand, EC2Client } from '@aws-sdk/client-ec2'
import { Readable } from 'node:stream'
import { withRunCredentials } from './credentials.js'
import { awsRequestHandler } from './bounds.js'
import { awsErrorCode } from './failures.js'

/**
 * A client for one region. No endpoint is passed, so AWS_ENDPOINT_URL_EC2 keeps working; the
 * default credential chain is walked once, by the run's first client (./credentials.ts).
 * `maxAttempts: 1` leaves retrying to the caller.
 */
export function ec2Client(region: string, maxAttempts = 1): EC2Client {
  const ready = maxAttempts === 1 ? warm.get(region) : undefined
  if (ready) {
    warm.delete(region)
    return ready
  }
  return newClient(region, maxAttempts)
}

/** Clients made ahead of their first call, by region, each handed out once. */
const warm = new Map<string, EC2Client>()

/**
 * Makes the client for `region` now and resolves its credentials, while Packer builds: the
 * credential chain, and the parts of the SDK it loads on first use, are then ready when the
 * first call comes. A failure here is left for that call to meet and report.
 */
export function warmUpEc2Client(region: string): void {
  if (warm.has(region)) return
  const client = newClient(region, 1)
  warm.set(region, client)
  const { credentials } = client.config
  if (typeof credentials !== 'function') return
  credentials()
    .then(() => rehearse(region, credentials))
    .catch(() => undefined)
}

/**
 * Whether the default credential chain finds the run's credentials, walked once for the run: the
 * provider it makes is the one every client of the run then shares (./credentials.ts), so the
 * calls after the build make no second walk. Only the chain's finding nothing is false: any other
 * failure (a web identity token STS refuses, say) is left for Packer and the calls to report.
 */
export async function runCredentialsFound(region: string): Promise<boolean> {
  const client = newClient(region, 1)
  const { credentials } = client.config
  try {
    if (typeof credentials === 'function') await credentials()
    return true
  } catch (error) {
    return awsErrorCode(error) !== 'CredentialsProviderError'
  } finally {
    client.destroy()
  }
}

// What EC2 answers to the rehearsal's calls, made here: the rehearsal sends nothing.
const answers: Record<string, string> = {
  DescribeImages: '<DescribeImagesResponse><requestId>r</requestId><imagesSet/></DescribeImagesResponse>',
  CreateTags: '<CreateTagsResponse><requestId>r</requestId><return>true</return></CreateTagsResponse>'
}

/**
 * The first call through the SDK takes ~20 ms more than the next: V8 compiles its request
 * pipeline (endpoint, serialising, signing, parsing) on first use. A rehearsal runs the tagging
 * calls once through that pipeline, while Packer builds, with a request handler that answers
 * here instead of sending: the real calls after the build then run compiled code.
 */
async function rehearse(region: string, credentials: EC2Client['config']['credentials']): Promise<void> {
  const client = new EC2Client({
    region,
    credentials,
    maxAttempts: 1,
    requestHandler: {
      handle: async (request: { body?: unknown }) => {
        const action = /(?:^|&)Action=(\w+)/.exec(String(request.body ?? ''))?.[1] ?? ''
        // A stream, as the HTTP handler's response is: its reading (the stream collector, and the
        // web streams Node loads when the SDK first asks whether a body is one, ~5 ms) is done here.
        const body = Readable.from([Buffer.from(answers[action] ?? '')], { objectMode: false })
        return { response: { statusCode: 200, headers: { 'content-type': 'text/xml;charset=UTF-8' }, body } }
      }
    }
  })
  try {
    await client.send(new DescribeImagesCommand({ ImageIds: ['ami-00000000000000000'] }))
    await client.send(new CreateTagsCommand({ Resources: ['ami-00000000000000000'], Tags: [{ Key: 'k', Value: 'v' }] }))
  } finally {
    client.destroy()
  }
}

function newClient(region: string, maxAttempts: number): EC2Client {
  return withRunCredentials(
    (credentials) =>
      new EC2Client({
        region,
        maxAttempts,
        ...credentials,
        requestHandler: awsRequestHandler()
      })
  )
}
