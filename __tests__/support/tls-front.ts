// An https:// face for a loopback http:// server: TLS with a certificate made for one host name
// (by the openssl command, for this run only), each connection passed on to the server. The
// certificate's file is what a client is told to trust (NODE_EXTRA_CA_CERTS for Node).
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { connect, type AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createServer } from 'node:tls'

export interface TlsFront {
  /** `https://host:port`, the port the front listens on at 127.0.0.1. */
  url: string
  /** The certificate's PEM file. */
  certificateFile: string
  close(): Promise<void>
}

export async function startTlsFront(target: string, host: string): Promise<TlsFront> {
  const dir = mkdtempSync(join(tmpdir(), 'tls-front-'))
  const key = join(dir, 'key.pem')
  const certificateFile = join(dir, 'cert.pem')
  execFileSync(
    'openssl',
    ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', `/CN=${host}`,
      '-addext', `subjectAltName=DNS:${host}`, '-keyout', key, '-out', certificateFile],
    { stdio: 'ignore' }
  )
  const { hostname, port } = new URL(target)
  const server = createServer({ key: readFileSync(key), cert: readFileSync(certificateFile) }, (socket) => {
    const upstream = connect(Number(port), hostname)
    socket.pipe(upstream).pipe(socket)
    const end = (): void => {
      socket.destroy()
      upstream.destroy()
    }
    socket.on('error', end)
    upstream.on('error', end)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `https://${host}:${(server.address() as AddressInfo).port}`,
    certificateFile,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        rmSync(dir, { recursive: true, force: true })
      })
  }
}
