// The EC2 client every AWS call of the action goes through: bounded in time, so an endpoint
// that accepts a connection and never answers costs a known number of seconds, not the job.
import { EC2Client } from '@aws-sdk/client-ec2'

/** How long to wait for the TCP (and TLS) connection to an EC2 endpoint. */
export const connectionTimeoutMs = 5_000
/** How long one EC2 call may take, from sending the request to the end of the answer. */
export const requestTimeoutMs = 20_000

/**
 * A client for one region. No endpoint is passed, so the default credential chain and
 * AWS_ENDPOINT_URL_EC2 keep working. `maxAttempts: 1` leaves retrying to the caller.
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
  if (typeof credentials === 'function') credentials().catch(() => undefined)
}

function newClient(region: string, maxAttempts: number): EC2Client {
  return new EC2Client({
    region,
    maxAttempts,
    requestHandler: {
      connectionTimeout: connectionTimeoutMs,
      requestTimeout: requestTimeoutMs,
      // Without this, the SDK only logs a warning when requestTimeout passes, and waits on.
      throwOnRequestTimeout: true
    }
  })
}
