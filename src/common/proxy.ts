// AWS calls, and the Packer download, through the proxy the runner names. A self-hosted runner
// behind a proxy gives each step HTTPS_PROXY, HTTP_PROXY and NO_PROXY; Packer follows them, the
// AWS SDK's HTTP handler does not: without this, every AWS call after the build would try to
// connect directly, and fail. The rules are the toolkit's own (@actions/http-client's
// getProxyUrl: lowercase variables first, NO_PROXY by host or host:port or domain, loopback
// hosts never proxied).
//
// The agents (proxiedAgents) send each request through the proxy as the proxy spec and Go
// (Packer) do: to an https:// endpoint through a CONNECT tunnel, to an http:// one in absolute
// form. The agents make their connections, so that Node keeps each for the next call as it keeps
// a direct one, and the SDK's bounds hold: reaching the proxy, and its tunnel, are part of the
// connection the connection timeout waits for. (The toolkit's tunnelling agent,
// HttpClient.getAgent(), opens a new tunnel for each call, to http:// endpoints too, and is no
// http.Agent, which the SDK's handler would silently replace with a direct one.) This module is
// loaded with the AWS clients (../aws/bounds.ts) or for the download (../install/download.ts),
// on a run whose environment names a proxy only.
import * as core from '@actions/core'
import { getProxyUrl } from '@actions/http-client/lib/proxy'
import { Agent as HttpAgent, request as httpRequest, type AgentOptions as HttpAgentOptions, type ClientRequest, type ClientRequestArgs, type IncomingMessage } from 'node:http'
import { Agent as HttpsAgent, request as httpsRequest, type AgentOptions as HttpsAgentOptions } from 'node:https'
import { connect as netConnect, isIP, isIPv6, type Socket } from 'node:net'
import { connect as tlsConnect } from 'node:tls'
import type { Duplex } from 'node:stream'

/**
 * Which proxy AWS calls go through, for the log: host:port and the variable that names it, for
 * https:// and http:// endpoints; never the proxy's user and password.
 */
export function proxiesNamed(env: NodeJS.ProcessEnv = process.env): string[] {
  const named = (protocol: 'https:' | 'http:'): string | undefined => {
    const variable = (protocol === 'https:' ? ['https_proxy', 'HTTPS_PROXY'] : ['http_proxy', 'HTTP_PROXY']).find((name) => (env[name] ?? '') !== '')
    const proxy = variable === undefined ? undefined : getProxyUrl(new URL(`${protocol}//amazonaws.com`))
    return proxy?.hostname ? `${proxy.host} (${variable}, for ${protocol.slice(0, -1)}:// endpoints)` : undefined
  }
  return [named('https:'), named('http:')].flatMap((said) => said ?? [])
}

/**
 * A proxy's answer to CONNECT other than 200: it would not open the tunnel; or its own answer
 * to a call sent to it in absolute form: it would not pass the call on.
 */
export class ProxyRefused extends Error {
  readonly name = 'ProxyRefused'
  /** The SDK retries what it marks so: a 5xx from the proxy may pass, as from AWS. */
  readonly $retryable: { throttling: boolean } | undefined
  constructor(
    proxyHost: string,
    target: string,
    readonly status: number,
    statusText: string,
    refused = 'open a connection to'
  ) {
    const hint = status === 407 ? ': it wants a user and password it accepts, in the proxy URL (http://user:password@host:port)' : ''
    super(`the proxy ${proxyHost} refused to ${refused} ${target}: HTTP ${status} ${statusText}`.trimEnd() + hint)
    this.$retryable = status >= 500 ? { throttling: false } : undefined
  }
}

/** An error on the way to the proxy itself, with the proxy named, its code kept (so it is retried as a network error). */
function unreachable(proxyHost: string, cause: Error, target?: string): Error {
  const error = new Error(`could not reach the proxy ${proxyHost}${target === undefined ? '' : ` to connect to ${target}`}: ${cause.message}`, { cause })
  return Object.assign(error, { code: (cause as { code?: unknown }).code })
}

/** The Proxy-Authorization header for the user and password in `proxy`'s URL, if it has them. */
function proxyAuthorization(proxy: URL): string | undefined {
  if (proxy.username === '' && proxy.password === '') return undefined
  return `Basic ${Buffer.from(`${proxy.username}:${proxy.password}`).toString('base64')}`
}

/** Where `proxy` listens. */
function proxyAddress(proxy: URL): { host: string; port: number } {
  return { host: proxy.hostname.replace(/^\[(.*)\]$/, '$1'), port: Number(proxy.port || (proxy.protocol === 'https:' ? 443 : 80)) }
}

/**
 * Connects to `proxy` (TLS for an https:// one) and hands `connected` the connection once it is
 * made, within the connection timeout; an error names the proxy.
 */
function reach(proxy: URL, connectionTimeoutMs: number, connected: (error: Error | null, socket?: Socket) => void): void {
  const address = proxyAddress(proxy)
  const socket = proxy.protocol === 'https:' ? tlsConnect({ ...address, servername: isIP(address.host) ? undefined : address.host }) : netConnect(address)
  const ready = (): void => {
    socket.setTimeout(0)
    socket.off('error', failed)
    connected(null, socket)
  }
  const failed = (error: Error): void => {
    socket.destroy()
    connected(unreachable(proxy.host, error))
  }
  socket.once(proxy.protocol === 'https:' ? 'secureConnect' : 'connect', ready)
  socket.once('error', failed)
  socket.setTimeout(connectionTimeoutMs, () =>
    failed(Object.assign(new Error(`it did not answer within ${connectionTimeoutMs / 1000} s`), { code: 'ETIMEDOUT' }))
  )
}

/**
 * Opens a tunnel through `proxy` to `host:port` and hands `connected` the proxy's socket, ready for
 * the request (or its TLS); the proxy's answer must come within the connection timeout.
 */
function tunnel(proxy: URL, host: string, port: number, connectionTimeoutMs: number, connected: (error: Error | null, socket?: Socket) => void): void {
  const target = `${isIPv6(host) ? `[${host}]` : host}:${port}`
  const headers: Record<string, string> = { host: target }
  const authorization = proxyAuthorization(proxy)
  if (authorization) headers['proxy-authorization'] = authorization
  const secure = proxy.protocol === 'https:'
  const connect = (secure ? httpsRequest : httpRequest)({
    ...proxyAddress(proxy),
    method: 'CONNECT',
    path: target,
    headers,
    agent: false
  })
  let done = false
  const finish = (error: Error | null, socket?: Socket): void => {
    if (done) return
    done = true
    connected(error, socket)
  }
  connect.setTimeout(connectionTimeoutMs, () =>
    connect.destroy(Object.assign(new Error(`the proxy ${proxy.host} did not open a connection to ${target} within ${connectionTimeoutMs / 1000} s`), { code: 'ETIMEDOUT' }))
  )
  connect.once('connect', (answer: IncomingMessage, socket: Socket) => {
    connect.setTimeout(0)
    if (answer.statusCode !== 200) {
      socket.destroy()
      finish(new ProxyRefused(proxy.host, target, answer.statusCode ?? 0, answer.statusMessage ?? ''))
      return
    }
    finish(null, socket)
  })
  // A proxy that answers CONNECT as an ordinary request (no tunnel): the same refusal.
  connect.once('response', (answer: IncomingMessage) => {
    answer.resume()
    finish(new ProxyRefused(proxy.host, target, answer.statusCode ?? 0, answer.statusMessage ?? ''))
  })
  connect.once('error', (error: Error) => finish(error.name === 'ProxyRefused' ? error : unreachable(proxy.host, error, target)))
  connect.end()
}

/** The proxy `getProxyUrl` gives for a call to `options`' host and port over `protocol`, if any. */
function proxyFor(protocol: 'http:' | 'https:', options: ClientRequestArgs): URL | undefined {
  const url = new URL(`${protocol}//${authority(options, protocol === 'https:' ? 443 : 80)}`)
  const proxy = getProxyUrl(url)
  return proxy?.hostname ? proxy : undefined
}

/** host:port of `options`, the port left out when it is the protocol's own. */
function authority(options: ClientRequestArgs, defaultPort: number): string {
  const host = options.host ?? options.hostname ?? 'localhost'
  const port = Number(options.port ?? defaultPort)
  return `${isIPv6(host) ? `[${host}]` : host}${port === defaultPort ? '' : `:${port}`}`
}

/** Whether the log has said which proxy AWS calls go through: once a run. */
let told = false

function tell(): void {
  if (told) return
  told = true
  const proxies = proxiesNamed()
  if (proxies.length > 0) core.info(`AWS calls go through the proxy ${proxies.join(' and ')}, except to the hosts in NO_PROXY.`)
}

/** How an agent's createConnection hands over a connection it makes later (no stream with an error). */
type Connected = (error: Error | null, stream: Duplex) => void

export interface ProxiedAgents {
  httpAgent: HttpAgent
  httpsAgent: HttpsAgent
}

/**
 * The agents of a client's request handler when the environment names a proxy, by default with
 * the SDK's defaults for its own: their connections kept for later calls, as direct ones are;
 * the first request says in the log which proxy AWS calls go through (`announce`). The proxy
 * must answer within `connectionTimeoutMs`.
 */
export function proxiedAgents(connectionTimeoutMs: number, { keepAlive = true, announce = true } = {}): ProxiedAgents {
  const options = { keepAlive, maxSockets: 50 }
  const firstUse = announce ? tell : () => undefined
  return { httpAgent: new ProxiedHttpAgent(options, connectionTimeoutMs, firstUse), httpsAgent: new ProxiedHttpsAgent(options, connectionTimeoutMs, firstUse) }
}

/**
 * https:// endpoints: each connection a CONNECT tunnel through the proxy the environment names
 * for the endpoint, TLS to the endpoint inside it, as https.Agent makes it (server name,
 * sessions); to NO_PROXY's hosts, directly.
 */
class ProxiedHttpsAgent extends HttpsAgent {
  constructor(
    options: HttpsAgentOptions,
    private readonly connectionTimeoutMs: number,
    private readonly firstUse: () => void
  ) {
    super(options)
  }

  createConnection(options: ClientRequestArgs, connected?: Connected): Duplex | null | undefined {
    if (!connected) return super.createConnection(options)
    this.firstUse()
    const proxy = proxyFor('https:', options)
    if (!proxy) return super.createConnection(options)
    tunnel(proxy, options.host ?? options.hostname ?? 'localhost', Number(options.port ?? 443), this.connectionTimeoutMs, (error, socket) => {
      if (error || !socket) connected(error ?? new Error(`no tunnel through the proxy ${proxy.host}`), undefined as never)
      else connected(null, super.createConnection({ ...options, socket } as ClientRequestArgs) as Duplex)
    })
    return undefined
  }
}

/**
 * What Node's Agent does with each request, as the request is made and before its head is
 * written: http.request() calls it, and agents that send requests through a proxy (agent-base,
 * and so https-proxy-agent) build on it; @types/node leaves it out.
 */
const addRequest = (HttpAgent.prototype as unknown as { addRequest(this: HttpAgent, request: ClientRequest, options: ClientRequestArgs): void }).addRequest

/**
 * The proxy's own answers to `request`, sent to it in absolute form, as the request's error
 * instead of its response, as a tunnel's refusal is: a 407, or an error that no AWS service
 * gives (AWS answers every error with XML or JSON; a proxy with an HTML page or nothing).
 * Otherwise the SDK would find no AWS error in it and say only "Unknown".
 */
function refusalsAsErrors(request: ClientRequest, proxy: URL, target: string): void {
  const emit = request.emit.bind(request) as (event: string | symbol, ...args: unknown[]) => boolean
  request.emit = ((event: string | symbol, ...args: unknown[]): boolean => {
    const answer = args[0] as IncomingMessage
    if (event !== 'response' || !fromTheProxy(answer)) return emit(event, ...args)
    answer.resume()
    return emit('error', new ProxyRefused(proxy.host, target, answer.statusCode ?? 0, answer.statusMessage ?? '', 'pass the call on to'))
  }) as ClientRequest['emit']
}

function fromTheProxy(answer: IncomingMessage): boolean {
  const status = answer.statusCode ?? 0
  return status === 407 || (status >= 400 && !/\b(xml|json)\b/i.test(answer.headers['content-type'] ?? ''))
}

/** A request's connection options that lead to the proxy, with the proxy they lead to. */
const toProxy = Symbol('the proxy')
type ToProxy = ClientRequestArgs & { [toProxy]?: URL }

/**
 * http:// endpoints (AWS_ENDPOINT_URL_* naming a private or test service): each request sent to
 * the proxy whole, in absolute form (`POST http://host:port/ HTTP/1.1`), as the proxy spec
 * (RFC 9112, 3.2.2) has it and as Packer (Go) and curl send theirs; not a tunnel, which a proxy
 * may refuse to ports other than 443 (Squid's default rules do). Connections to the proxy are
 * shared by every endpoint behind it.
 */
class ProxiedHttpAgent extends HttpAgent {
  constructor(
    options: HttpAgentOptions,
    private readonly connectionTimeoutMs: number,
    private readonly firstUse: () => void
  ) {
    super(options)
  }

  addRequest(request: ClientRequest, options: ClientRequestArgs): void {
    this.firstUse()
    const proxy = proxyFor('http:', options)
    // A request whose head is written already (one waiting for 100 Continue) cannot take the
    // absolute form: it goes through a tunnel, as an https:// call does.
    if (!proxy || request.headersSent) {
      addRequest.call(this, request, options)
      return
    }
    const target = authority(options, 80)
    request.path = `http://${target}${request.path}`
    refusalsAsErrors(request, proxy, target)
    const authorization = proxyAuthorization(proxy)
    if (authorization) request.setHeader('proxy-authorization', authorization)
    const secure = proxy.protocol === 'https:'
    const host = proxy.hostname.replace(/^\[(.*)\]$/, '$1')
    const toTheProxy: ToProxy = { ...options, host, hostname: host, port: Number(proxy.port || (secure ? 443 : 80)), [toProxy]: proxy }
    addRequest.call(this, request, toTheProxy)
  }

  createConnection(options: ToProxy, connected?: Connected): Duplex | null | undefined {
    if (!connected) return super.createConnection(options)
    const proxy = options[toProxy]
    if (proxy) {
      reach(proxy, this.connectionTimeoutMs, (error, socket) => connected(error, socket as Duplex))
      return undefined
    }
    const tunnelled = proxyFor('http:', options)
    if (!tunnelled) return super.createConnection(options)
    tunnel(tunnelled, options.host ?? options.hostname ?? 'localhost', Number(options.port ?? 80), this.connectionTimeoutMs, (error, socket) => connected(error, socket as Duplex))
    return undefined
  }
}
