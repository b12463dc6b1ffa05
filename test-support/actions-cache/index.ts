// The Actions cache service on 127.0.0.1, as @actions/cache reaches it on a runner (cache
// service v2): its Twirp API under ACTIONS_RESULTS_URL (GetCacheEntryDownloadURL,
// CreateCacheEntry, FinalizeCacheEntryUpload), and the signed blob URLs it hands out, to which
// the cache client uploads the archive the way it does to Azure Blob Storage (a single PUT of a
// block blob) and from which it downloads it (GET). A step reaches it through `env`.
import { randomUUID } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface CacheEntry {
  key: string
  version: string
  /** The archive as uploaded; empty until it is. */
  archive: Buffer
  finalized: boolean
}

export interface ActionsCacheService {
  /** ACTIONS_RESULTS_URL */
  url: string
  /** What a step needs to use this service instead of GitHub's. */
  env: Record<string, string>
  entries: CacheEntry[]
  /**
   * Each call, as `Method key` for the Twirp API and `PUT blob`/`GET blob` for the archives;
   * `no answer: POST /twirp/…` for those left unanswered.
   */
  calls: string[]
  /** From now on, every request is accepted and never answered. */
  hang(): void
  close(): Promise<void>
}

const twirpPrefix = '/twirp/github.actions.results.api.v1.CacheService/'
/** Blob URLs in the IP style of Azure's emulator: /account/container/blob. */
const blobPrefix = '/devstoreaccount1/actions-cache/'

async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const chunk of request) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks)
}

function json(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'Content-Type': 'application/json' })
  response.end(JSON.stringify(body))
}

export async function startActionsCacheService(): Promise<ActionsCacheService> {
  const entries: CacheEntry[] = []
  const calls: string[] = []
  let hung = false
  let base = ''

  const blobUrl = (index: number) => `${base.replace(/\/$/, '')}${blobPrefix}${index}?sig=loopback`

  /** An exact key first, then the newest entry whose key starts with a restore key, as GitHub matches. */
  function lookUp(key: string, restoreKeys: string[], version: string): CacheEntry | undefined {
    const usable = entries.filter((entry) => entry.finalized && entry.version === version).reverse()
    return (
      usable.find((entry) => entry.key === key) ??
      restoreKeys.map((prefix) => usable.find((entry) => entry.key.startsWith(prefix))).find((entry) => entry !== undefined)
    )
  }

  function twirp(method: string, body: Record<string, unknown>, response: ServerResponse): void {
    const key = String(body.key ?? '')
    const version = String(body.version ?? '')
    calls.push(`${method} ${key}`)
    switch (method) {
      case 'GetCacheEntryDownloadURL': {
        const restoreKeys = Array.isArray(body.restore_keys) ? body.restore_keys.map(String) : []
        const entry = lookUp(key, restoreKeys, version)
        return entry
          ? json(response, 200, { ok: true, signed_download_url: blobUrl(entries.indexOf(entry)), matched_key: entry.key })
          : json(response, 200, { ok: false })
      }
      case 'CreateCacheEntry': {
        if (entries.some((entry) => entry.key === key && entry.version === version)) {
          return json(response, 409, { code: 'already_exists', msg: 'cache entry with the same key, version, and scope already exists' })
        }
        entries.push({ key, version, archive: Buffer.alloc(0), finalized: false })
        return json(response, 200, { ok: true, signed_upload_url: blobUrl(entries.length - 1) })
      }
      case 'FinalizeCacheEntryUpload': {
        const entry = entries.find((candidate) => candidate.key === key && candidate.version === version && !candidate.finalized)
        if (!entry || entry.archive.length !== Number(body.size_bytes)) return json(response, 200, { ok: false })
        entry.finalized = true
        return json(response, 200, { ok: true, entry_id: String(entries.indexOf(entry) + 1) })
      }
      default:
        return json(response, 404, { code: 'bad_route', msg: `no handler for ${method}` })
    }
  }

  async function answer(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const { pathname } = new URL(request.url ?? '/', base)
    if (hung) return void calls.push(`no answer: ${request.method} ${pathname}`)
    const body = await readBody(request)
    if (request.method === 'POST' && pathname.startsWith(twirpPrefix)) {
      return twirp(pathname.slice(twirpPrefix.length), JSON.parse(body.toString('utf8') || '{}') as Record<string, unknown>, response)
    }
    const entry = pathname.startsWith(blobPrefix) ? entries[Number(pathname.slice(blobPrefix.length))] : undefined
    if (!entry) return json(response, 404, { msg: `no blob at ${pathname}` })
    const azure = { 'x-ms-request-id': randomUUID(), 'x-ms-version': '2025-01-05', 'Last-Modified': new Date().toUTCString(), ETag: '"0x1"' }
    if (request.method === 'PUT' && request.headers['x-ms-blob-type'] === 'BlockBlob') {
      calls.push('PUT blob')
      entry.archive = body
      response.writeHead(201, { ...azure, 'Content-Length': '0' })
      return void response.end()
    }
    if (request.method === 'GET' && entry.finalized) {
      calls.push('GET blob')
      response.writeHead(200, { ...azure, 'Content-Type': 'application/octet-stream', 'Content-Length': String(entry.archive.length) })
      return void response.end(entry.archive)
    }
    json(response, 405, { msg: `${request.method} ${pathname} is not served` })
  }

  const server = createServer((request, response) => {
    answer(request, response).catch((error: unknown) => response.destroy(error instanceof Error ? error : new Error(String(error))))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`
  return {
    url: base,
    env: { ACTIONS_RESULTS_URL: base, ACTIONS_RUNTIME_TOKEN: 'loopback-runtime-token', ACTIONS_CACHE_SERVICE_V2: 'true' },
    entries,
    calls,
    hang: () => {
      hung = true
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      })
  }
}
