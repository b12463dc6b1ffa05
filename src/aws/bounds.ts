// How long one AWS call may wait, for every client the action makes (EC2 and SSM alike): an
// endpoint that accepts a connection and never answers costs a known number of seconds, not
// the job's hours. Behind a proxy (HTTPS_PROXY, HTTP_PROXY, NO_PROXY), each client's calls go
// through it (./proxy.ts).
import { Agent as HttpAgent, type ClientRequestArgs } from 'node:http'
import { Agent as HttpsAgent } from 'node:https'
import type { Socket } from 'node:net'
import type { Duplex } from 'node:stream'

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

const proxyVariables = ['https_proxy', 'HTTPS_PROXY', 'http_proxy', 'HTTP_PROXY']

/** Whether the environment names a proxy at all: with none, the SDK's own agents serve. */
export function proxyNamed(env: NodeJS.ProcessEnv = process.env): boolean {
  return proxyVariables.some((name) => (env[name] ?? '') !== '')
}

type Connected = (error: Error | null, stream: Duplex) => void

/**
 * The request handler options of every AWS client: each call bounded in time, and, when the
 * environment names a proxy, agents that connect through it (new ones per client, as the SDK
 * makes its own: destroying a client destroys them; with the SDK's defaults for its own).
 */
export function awsRequestHandler(): typeof boundedRequests | (typeof boundedRequests & { httpAgent: HttpAgent; httpsAgent: HttpsAgent }) {
  if (!proxyNamed()) return boundedRequests
  const options = { keepAlive: true, maxSockets: 50 }
  return { ...boundedRequests, httpAgent: new ProxiedHttpAgent(options), httpsAgent: new ProxiedHttpsAgent(options) }
}

/** Hands `connected` the connection ./proxy.ts makes (loaded by the first): errors included. */
function connectLater(protocol: 'http:' | 'https:', options: ClientRequestArgs, direct: () => Duplex | null | undefined, secure: (socket: Socket) => Duplex | null | undefined, connected: Connected): void {
  const done = (error: Error | null, stream?: Duplex | null): void => connected(error, stream as Duplex)
  import('./proxy.js').then(({ connection }) => connection(protocol, options, connectionTimeoutMs, direct, secure, done)).catch((error: unknown) => done(error instanceof Error ? error : new Error(String(error))))
}

/** An agent for https:// endpoints whose connections go through the proxy, kept for later calls as direct ones are. */
class ProxiedHttpsAgent extends HttpsAgent {
  createConnection(options: ClientRequestArgs, connected?: Connected): Duplex | null | undefined {
    if (!connected) return super.createConnection(options)
    // TLS to the endpoint, inside the tunnel, as https.Agent makes it (server name, sessions).
    connectLater('https:', options, () => super.createConnection(options), (socket) => super.createConnection({ ...options, socket } as ClientRequestArgs), connected)
    return undefined
  }
}

/** The same, for http:// endpoints (AWS_ENDPOINT_URL_* naming a private or test service). */
class ProxiedHttpAgent extends HttpAgent {
  createConnection(options: ClientRequestArgs, connected?: Connected): Duplex | null | undefined {
    if (!connected) return super.createConnection(options)
    connectLater('http:', options, () => super.createConnection(options), (socket) => socket, connected)
    return undefined
  }
}
