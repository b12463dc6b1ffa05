// How long one AWS call may wait, for every client the action makes (EC2 and SSM alike): an
// endpoint that accepts a connection and never answers costs a known number of seconds, not
// the job's hours. Behind a proxy (HTTPS_PROXY, HTTP_PROXY, NO_PROXY), each client's calls go
// through it (../common/proxy.ts).
import type { Agent as HttpAgent } from 'node:http'
import type { Agent as HttpsAgent } from 'node:https'
import { proxyNamed } from '../common/proxy-named.js'

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

// The proxy's agents come with this module, on a run whose environment names a proxy only: an
// agent decides as a request is made whether it goes to the proxy, and in which form.
const proxied = proxyNamed() ? await import('../common/proxy.js') : undefined

/**
 * The request handler options of every AWS client: each call bounded in time, and, when the
 * environment names a proxy, agents that send it through the proxy (../common/proxy.ts; new ones per
 * client, as the SDK makes its own: destroying a client destroys them).
 */
export function awsRequestHandler(): typeof boundedRequests | (typeof boundedRequests & { httpAgent: HttpAgent; httpsAgent: HttpsAgent }) {
  return proxied ? { ...boundedRequests, ...proxied.proxiedAgents(connectionTimeoutMs) } : boundedRequests
}
