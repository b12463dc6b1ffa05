// AWS calls through the proxy the runner names. A self-hosted runner behind a proxy gives each
// step HTTPS_PROXY, HTTP_PROXY and NO_PROXY; Packer and the toolkit's HTTP client (the Packer
// download) follow them, the AWS SDK's HTTP handler does not: without this, every AWS call after
// the build would try to connect directly, and fail. The rules are the toolkit's own
// (@actions/http-client's getProxyUrl: lowercase variables first, NO_PROXY by host or host:port
// or domain, loopback hosts never proxied), so that the download and the AWS calls go the same way.
//
// Each call's connection is a CONNECT tunnel through the proxy, made by the clients' HTTP agents
// (./bounds.ts) as they connect, so that Node keeps it for the next call as it keeps a direct
// one, and the SDK's bounds hold: the tunnel is part of the connection the connection timeout
// waits for. (The toolkit's tunnelling agent, HttpClient.getAgent(), opens a new tunnel for each
// call and is no http.Agent, which the SDK's handler would silently replace with a direct one.)
// This module is loaded by the first connection of a run whose environment names a proxy.
import * as core from '@actions/core'
import { getProxyUrl } from '@actions/http-client/lib/proxy'
import { request as httpRequest, type ClientRequestArgs, type IncomingMessage } from 'node:http'
import { request as httpsRequest } from 'node:https'
import { isIPv6, type Socket } from 'node:net'
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

/** A proxy's answer to CONNECT other than 200: it would not open the tunnel. */
export class ProxyRefused extends Error {
  readonly name = 'ProxyRefused'
  /** The SDK retries what it marks so: a 5xx from the proxy may pass, as from AWS. */
  readonly $retryable: { throttling: boolean } | undefined
  constructor(
    proxyHost: string,
    target: string,
    readonly status: number,
    statusText: string
  ) {
    const hint = status === 407 ? ': it wants a user and password it accepts, in the proxy URL (http://user:password@host:port)' : ''
    super(`the proxy ${proxyHost} refused to open a connection to ${target}: HTTP ${status} ${statusText}`.trimEnd() + hint)
    this.$retryable = status >= 500 ? { throttling: false } : undefined
  }
}

/** An error on the way to the proxy itself, with the proxy named, its code kept (so it is retried as a network error). */
function unreachable(proxyHost: string, target: string, cause: Error): Error {
  const error = new Error(`could not reach the proxy ${proxyHost} to connect to ${target}: ${cause.message}`, { cause })
  return Object.assign(error, { code: (cause as { code?: unknown }).code })
}

/**
 * Opens a tunnel through `proxy` to `host:port` and hands `connected` the proxy's socket, ready for
 * the request (or its TLS); the proxy's answer must come within the connection timeout.
 */
function tunnel(proxy: URL, host: string, port: number, connectionTimeoutMs: number, connected: (error: Error | null, socket?: Socket) => void): void {
  const target = `${isIPv6(host) ? `[${host}]` : host}:${port}`
  const headers: Record<string, string> = { host: target }
  if (proxy.username !== '' || proxy.password !== '') {
    headers['proxy-authorization'] = `Basic ${Buffer.from(`${proxy.username}:${proxy.password}`).toString('base64')}`
  }
  const secure = proxy.protocol === 'https:'
  const connect = (secure ? httpsRequest : httpRequest)({
    host: proxy.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: proxy.port || (secure ? 443 : 80),
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
  connect.once('error', (error: Error) => finish(error.name === 'ProxyRefused' ? error : unreachable(proxy.host, target, error)))
  connect.end()
}

/** The proxy `getProxyUrl` gives for a call to `options`' host and port over `protocol`, if any. */
function proxyFor(protocol: 'http:' | 'https:', options: ClientRequestArgs): URL | undefined {
  const host = options.host ?? options.hostname ?? 'localhost'
  const url = new URL(`${protocol}//${isIPv6(host) ? `[${host}]` : host}${options.port ? `:${options.port}` : ''}`)
  const proxy = getProxyUrl(url)
  return proxy?.hostname ? proxy : undefined
}

/** Whether the log has said which proxy AWS calls go through: once a run. */
let told = false

/**
 * Connects to `options`' host as an agent for `protocol` would: through the proxy the environment
 * names for it (a CONNECT tunnel, then `secure` for TLS inside it) or, for NO_PROXY's hosts,
 * directly (`direct`). The proxy must open the tunnel within `connectionTimeoutMs`.
 */
export function connection(
  protocol: 'http:' | 'https:',
  options: ClientRequestArgs,
  connectionTimeoutMs: number,
  direct: () => Duplex | null | undefined,
  secure: (socket: Socket) => Duplex | null | undefined,
  connected: (error: Error | null, stream?: Duplex | null) => void
): void {
  if (!told) {
    told = true
    const proxies = proxiesNamed()
    if (proxies.length > 0) core.info(`AWS calls go through the proxy ${proxies.join(' and ')}, except to the hosts in NO_PROXY.`)
  }
  const proxy = proxyFor(protocol, options)
  if (!proxy) {
    connected(null, direct())
    return
  }
  const host = options.host ?? options.hostname ?? 'localhost'
  tunnel(proxy, host, Number(options.port ?? (protocol === 'https:' ? 443 : 80)), connectionTimeoutMs, (error, socket) => {
    if (error || !socket) connected(error ?? new Error(`no tunnel through the proxy ${proxy.host}`))
    else connected(null, protocol === 'https:' ? secure(socket) : socket)
  })
}
