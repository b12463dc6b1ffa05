// A HashiCorp releases site on 127.0.0.1, built in the test run: packer/index.json, per-version
// zips holding a stand-in `packer` script, SHA256SUMS and a detached signature made with a key
// the test generated. Every request is recorded; faults can be queued per path. It can ask for
// HTTP basic auth, as an Artifactory or Nexus mirror does, and send files on to a second server
// that refuses any request carrying an Authorization header, as S3 does a presigned URL's.
import { createHash } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import * as openpgp from 'openpgp'
import { writeZip } from './zip.js'

export interface Platform {
  os: string
  arch: string
}

export const DEFAULT_PLATFORMS: Platform[] = [
  { os: 'linux', arch: 'amd64' },
  { os: 'linux', arch: 'arm64' },
  { os: 'darwin', arch: 'amd64' },
  { os: 'darwin', arch: 'arm64' },
  { os: 'windows', arch: 'amd64' }
]

export type Fault =
  | { status: number }
  /** Promise the whole body in Content-Length, then hang up after this many bytes */
  | { truncateAt: number }
  /** Promise the whole body, send this many bytes, then nothing, the connection left open */
  | { stallAt: number }

export interface MirrorRelease {
  version: string
  shasums: string
  shasums_signature: string
  /** One signature per key, named with its short ID, as HashiCorp lists them; tests add it */
  shasums_signatures?: string[]
  builds: Array<{ os: string; arch: string; filename: string; url: string }>
}

/** A request as a server received it */
export interface ReceivedRequest {
  /** `mirror`, or `elsewhere` for the server files are redirected to */
  server: 'mirror' | 'elsewhere'
  path: string
  /** The Authorization header, if any */
  authorization?: string
}

export interface ReleasesMirror {
  url: string
  /** Paths requested, in order */
  requests: string[]
  /** Every request to the mirror and to the server it redirects to, in order, with its Authorization */
  received: ReceivedRequest[]
  /** Where redirected files are served: another port of 127.0.0.1, so another origin */
  elsewhereUrl: string
  /** Served as packer/index.json, serialised per request so tests can change it */
  index: { name: string; versions: Record<string, MirrorRelease> }
  /** Every other file by path, e.g. /packer/1.11.2/packer_1.11.2_SHA256SUMS */
  files: Map<string, Buffer>
  /**
   * Answers the next requests for `path` with these faults, one each, in order; a path redirected
   * elsewhere gets its `status` faults there.
   */
  failNext(path: string, ...faults: Fault[]): void
  close(): Promise<void>
}

/** A `packer` that answers `packer version` like the real one and fails anything else. */
export function packerScript(version: string): string {
  return [
    '#!/bin/sh',
    'if [ "$1" = version ]; then',
    '  if [ "$2" = -machine-readable ]; then',
    `    echo "1700000000,,version,${version}"`,
    '    echo "1700000000,,version-prelease,"',
    '  else',
    `    echo "Packer v${version}"`,
    '  fi',
    '  exit 0',
    'fi',
    `echo "stand-in packer ${version} does not implement: $*" >&2`,
    'exit 1',
    ''
  ].join('\n')
}

export async function signDetached(data: Buffer, key: openpgp.PrivateKey, date?: Date): Promise<Buffer> {
  const message = await openpgp.createMessage({ binary: data })
  const signature = await openpgp.sign({
    message,
    signingKeys: key,
    detached: true,
    format: 'binary',
    date
  })
  return Buffer.from(signature)
}

export function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex')
}

export async function startReleasesMirror(options: {
  versions: string[]
  signingKey: openpgp.PrivateKey
  platforms?: Platform[]
  /** The `packer` put in each zip; by default one that only answers `packer version`. */
  packerScript?: (version: string) => string
  /** When the sums files were signed; by default now. */
  signedAt?: Date
  /** Answer 401 to any request to the mirror that does not carry this user and password */
  basicAuth?: { user: string; password: string }
  /**
   * Paths the mirror answers with a redirect: `here` to the same file under /moved on the mirror
   * itself, `elsewhere` to the same path on the second server, with a query as a presigned URL has.
   */
  redirects?: Record<string, 'here' | 'elsewhere'>
  /** Called as each request arrives: the answer waits for what it returns, if anything. */
  gate?: (path: string) => Promise<void> | undefined
}): Promise<ReleasesMirror> {
  const platforms = options.platforms ?? DEFAULT_PLATFORMS
  const files = new Map<string, Buffer>()
  const versions: Record<string, MirrorRelease> = {}
  for (const version of options.versions) {
    const sums: string[] = []
    const builds: MirrorRelease['builds'] = []
    for (const platform of platforms) {
      const filename = `packer_${version}_${platform.os}_${platform.arch}.zip`
      const executable = platform.os === 'windows' ? 'packer.exe' : 'packer'
      const zip = writeZip([
        { name: executable, content: (options.packerScript ?? packerScript)(version), mode: 0o755 },
        { name: 'LICENSE.txt', content: 'Stand-in licence\n' }
      ])
      files.set(`/packer/${version}/${filename}`, zip)
      sums.push(`${sha256(zip)}  ${filename}`)
      // Absolute upstream URLs, as in HashiCorp's index: a mirror must not follow them.
      const url = `https://releases.hashicorp.com/packer/${version}/${filename}`
      builds.push({ os: platform.os, arch: platform.arch, filename, url })
    }
    const sumsName = `packer_${version}_SHA256SUMS`
    const sumsFile = Buffer.from(sums.join('\n') + '\n')
    files.set(`/packer/${version}/${sumsName}`, sumsFile)
    files.set(
      `/packer/${version}/${sumsName}.sig`,
      await signDetached(sumsFile, options.signingKey, options.signedAt)
    )
    versions[version] = {
      version,
      shasums: sumsName,
      shasums_signature: `${sumsName}.sig`,
      builds
    }
  }

  const requests: string[] = []
  const received: ReceivedRequest[] = []
  const faults = new Map<string, Fault[]>()
  const index = { name: 'packer', versions }
  const expectedAuthorization =
    options.basicAuth &&
    `Basic ${Buffer.from(`${options.basicAuth.user}:${options.basicAuth.password}`).toString('base64')}`
  const movedHere = '/moved'
  let elsewhereUrl = ''

  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const gate = options.gate?.(new URL(request.url ?? '/', 'http://127.0.0.1').pathname)
    if (gate) void gate.then(() => answer(request, response))
    else answer(request, response)
  })
  const answer = (request: IncomingMessage, response: ServerResponse): void => {
    const requested = new URL(request.url ?? '/', 'http://127.0.0.1').pathname
    requests.push(requested)
    received.push({ server: 'mirror', path: requested, authorization: request.headers.authorization })
    if (expectedAuthorization && request.headers.authorization !== expectedAuthorization) {
      response.writeHead(401, { 'content-type': 'text/plain', 'www-authenticate': 'Basic realm="mirror"' })
      response.end('Unauthorized\n')
      return
    }
    const redirect = options.redirects?.[requested]
    if (redirect) {
      const location =
        redirect === 'here' ? `${movedHere}${requested}` : `${elsewhereUrl}${requested}?X-Amz-Signature=0123abcd`
      response.writeHead(302, { location })
      response.end()
      return
    }
    const path = requested.startsWith(`${movedHere}/`) ? requested.slice(movedHere.length) : requested
    const body =
      path === '/packer/index.json' ? Buffer.from(JSON.stringify(index)) : files.get(path)
    const fault = faults.get(path)?.shift()
    if (fault && 'status' in fault) {
      response.writeHead(fault.status, { 'content-type': 'text/plain' })
      response.end(`injected ${fault.status}\n`)
      return
    }
    if (!body) {
      response.writeHead(404, { 'content-type': 'text/plain' })
      response.end('Not Found\n')
      return
    }
    response.writeHead(200, {
      'content-type': 'application/octet-stream',
      'content-length': body.length
    })
    if (fault && 'truncateAt' in fault) {
      response.write(body.subarray(0, fault.truncateAt), () => request.socket.end())
      return
    }
    if (fault && 'stallAt' in fault) {
      response.write(body.subarray(0, fault.stallAt))
      return
    }
    response.end(body)
  }
  // S3 refuses a presigned request that also carries credentials of another kind.
  const elsewhere = createServer((request: IncomingMessage, response: ServerResponse) => {
    const path = new URL(request.url ?? '/', 'http://127.0.0.1').pathname
    received.push({ server: 'elsewhere', path, authorization: request.headers.authorization })
    const body = files.get(path)
    const fault = faults.get(path)?.shift()
    if (fault && 'status' in fault) {
      response.writeHead(fault.status, { 'content-type': 'text/plain' })
      response.end(`injected ${fault.status}\n`)
    } else if (request.headers.authorization !== undefined) {
      response.writeHead(400, { 'content-type': 'application/xml' })
      response.end('<Error><Code>InvalidArgument</Code><Message>Only one auth mechanism allowed</Message></Error>')
    } else if (!body) {
      response.writeHead(404, { 'content-type': 'text/plain' })
      response.end('Not Found\n')
    } else {
      response.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': body.length })
      response.end(body)
    }
  })
  const listen = async (which: typeof server) => {
    await new Promise<void>((resolve) => which.listen(0, '127.0.0.1', resolve))
    return `http://127.0.0.1:${(which.address() as AddressInfo).port}`
  }
  const url = await listen(server)
  elsewhereUrl = await listen(elsewhere)
  const stop = (which: typeof server) =>
    new Promise<void>((resolve, reject) => {
      which.closeAllConnections()
      which.close((error) => (error ? reject(error) : resolve()))
    })

  return {
    url,
    requests,
    received,
    elsewhereUrl,
    index,
    files,
    failNext(path, ...queued) {
      faults.set(path, [...(faults.get(path) ?? []), ...queued])
    },
    close: async () => {
      await Promise.all([stop(server), stop(elsewhere)])
    }
  }
}
