// A HashiCorp releases site on 127.0.0.1, built in the test run: packer/index.json, per-version
// zips holding a stand-in `packer` script, SHA256SUMS and a detached signature made with a key
// the test generated. Every request is recorded; faults can be queued per path.
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

export interface ReleasesMirror {
  url: string
  /** Paths requested, in order */
  requests: string[]
  /** Served as packer/index.json, serialised per request so tests can change it */
  index: { name: string; versions: Record<string, MirrorRelease> }
  /** Every other file by path, e.g. /packer/1.11.2/packer_1.11.2_SHA256SUMS */
  files: Map<string, Buffer>
  /** Answers the next requests for `path` with these faults, one each, in order */
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
  const faults = new Map<string, Fault[]>()
  const index = { name: 'packer', versions }

  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const path = new URL(request.url ?? '/', 'http://127.0.0.1').pathname
    requests.push(path)
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
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    index,
    files,
    failNext(path, ...queued) {
      faults.set(path, [...(faults.get(path) ?? []), ...queued])
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections()
        server.close((error) => (error ? reject(error) : resolve()))
      })
  }
}
