// How long one AWS call may wait, for every client the action makes (EC2 and SSM alike): an
// endpoint that accepts a connection and never answers costs a known number of seconds, not
// the job's hours.

/** How long to wait for the TCP (and TLS) connection to an AWS endpoint. */
export const connectionTimeoutMs = 5_000
/** How long one call may take, from sending the request to the end of the answer. */
export const requestTimeoutMs = 20_000

/** The request handler options that bound each call. */
export const boundedRequests = {
  connectionTimeout: connectionTimeoutMs,
  requestTimeout: requestTimeoutMs,
  // Without this, the SDK only logs a warning when requestTimeout passes, and waits on.
  throwOnRequestTimeout: true
} as const
