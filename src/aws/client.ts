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
