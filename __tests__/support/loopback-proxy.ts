// An HTTP proxy on 127.0.0.1, as a corporate proxy in front of a runner: it tunnels CONNECT
// requests and forwards absolute-form ones (`GET http://host/path`), and records each target.
// The host names it is told about resolve to 127.0.0.1 only through it, so that a client that
// ignores the proxy cannot reach them.
import { once } from 'node:events'
import { createServer, request, type IncomingMessage, type Server } from 'node:http'
import { connect } from 'node:net'

export interface ProxiedCall {
  /** `connect` for a tunnel, `forward` for an absolute-form request. */
  kind: 'connect' | 'forward'
  /** host:port as the client named it. */
  target: string
  /** The Proxy-Authorization header the client sent, if any. */
  authorization?: string
  /** The client's User-Agent header, if any (for a tunnel, the one it sent the proxy). */
  userAgent?: string
  /** Which of the proxy's client connections it came on, counted from 1. */
  connection: number
}

export interface LoopbackProxyOptions {
  /** Host names that resolve, through the proxy only, to 127.0.0.1. */
  names: string[]
  /** `user:password` the proxy asks for (407 without it). */
  credentials?: string
  /** Answer every request, tunnel or not, with this status: a proxy whose rules refuse the endpoint. */
  refuseWith?: number
  /**
   * The ports CONNECT may open a tunnel to; others are refused with 403, as by Squid's default
   * rules (`http_access deny CONNECT !SSL_ports`, SSL_ports being 443). Any port when unset.
   */
  connectPorts?: number[]
}

export interface LoopbackProxy {
  /** http://127.0.0.1:PORT */
  readonly url: string
  readonly port: number
  readonly calls: readonly ProxiedCall[]
  close(): Promise<void>
}

const reasons: Record<number, string> = { 403: 'Forbidden', 407: 'Proxy Authentication Required' }

export async function startLoopbackProxy(options: LoopbackProxyOptions): Promise<LoopbackProxy> {
  const calls: ProxiedCall[] = []
  const names = new Set(options.names.map((name) => name.toLowerCase()))
  const resolve = (host: string): string => (names.has(host.toLowerCase()) ? '127.0.0.1' : host)
  const expected = options.credentials === undefined ? undefined : `Basic ${Buffer.from(options.credentials).toString('base64')}`
  /** The status the proxy refuses `req` with, or undefined to let it through. */
  const refusal = (req: IncomingMessage): number | undefined => {
    if (options.refuseWith !== undefined) return options.refuseWith
    if (req.method === 'CONNECT' && options.connectPorts !== undefined && !options.connectPorts.includes(Number(new URL(`http://${req.url ?? ''}`).port || 443))) return 403
    return expected !== undefined && req.headers['proxy-authorization'] !== expected ? 407 : undefined
  }
  const connections = new WeakMap<object, number>()
  let opened = 0
  const record = (kind: ProxiedCall['kind'], target: string, req: IncomingMessage): void => {
    const { 'proxy-authorization': authorization, 'user-agent': userAgent } = req.headers
    if (!connections.has(req.socket)) connections.set(req.socket, ++opened)
    const connection = connections.get(req.socket) ?? 0
    calls.push({ kind, target, connection, ...(authorization === undefined ? {} : { authorization }), ...(userAgent === undefined ? {} : { userAgent }) })
  }

  const server: Server = createServer((req, res) => {
    const target = new URL(req.url ?? '/')
    record('forward', target.host, req)
    const refused = refusal(req)
    if (refused !== undefined) {
      res.writeHead(refused, reasons[refused] ?? '', refused === 407 ? { 'proxy-authenticate': 'Basic realm="proxy"' } : {})
      res.end()
      return
    }
    const headers = { ...req.headers }
    delete headers['proxy-authorization']
    delete headers['proxy-connection']
    const upstream = request(
      { host: resolve(target.hostname), port: target.port || 80, method: req.method, path: `${target.pathname}${target.search}`, headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers)
        answer.pipe(res)
      }
    )
    upstream.on('error', () => {
      if (!res.headersSent) res.writeHead(502)
      res.end()
    })
    req.pipe(upstream)
  })
  // Tunnels leave the server's hands once open: closing it ends them here.
  const tunnels = new Set<{ destroy(): void }>()
  server.on('connect', (req: IncomingMessage, client, head: Buffer) => {
    tunnels.add(client)
    client.on('close', () => tunnels.delete(client))
    const target = req.url ?? ''
    record('connect', target, req)
    const refused = refusal(req)
    if (refused !== undefined) {
      const challenge = refused === 407 ? 'Proxy-Authenticate: Basic realm="proxy"\r\n' : ''
      client.end(`HTTP/1.1 ${refused} ${reasons[refused] ?? ''}\r\n${challenge}Content-Length: 0\r\n\r\n`)
      return
    }
    const colon = target.lastIndexOf(':')
    const upstream = connect(Number(target.slice(colon + 1)), resolve(target.slice(0, colon)), () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n')
      if (head.length > 0) upstream.write(head)
      upstream.pipe(client)
      client.pipe(upstream)
    })
    upstream.on('error', () => client.end('HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n'))
    client.on('error', () => upstream.destroy())
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const address = server.address()
  const port = typeof address === 'object' && address !== null ? address.port : 0
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    calls,
    close: async () => {
      server.closeAllConnections()
      for (const tunnel of tunnels) tunnel.destroy()
      await new Promise<void>((done) => server.close(() => done()))
    }
  }
}
