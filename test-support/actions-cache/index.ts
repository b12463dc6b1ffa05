// The Actions cache service on 127.0.0.1, as @actions/cache reaches it on a runner. Cache service
// v2 (github.com): its Twirp API under ACTIONS_RESULTS_URL (GetCacheEntryDownloadURL,
// CreateCacheEntry, FinalizeCacheEntryUpload), and the signed blob URLs it hands out, to which
// the cache client uploads the archive the way it does to Azure Blob Storage (a single PUT of a
// block blob) and from which it downloads it (GET). Cache service v1 (GitHub Enterprise Server,
// and nektos/act's own cache server): its REST API under ACTIONS_CACHE_URL (`GET cache?keys=`,
// `POST caches` to reserve, `PATCH caches/ID` chunks, `POST caches/ID` to commit), whose
// archiveLocation the client downloads with a plain GET. A step reaches it through `env`.
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
  /** ACTIONS_RESULTS_URL (v2), ACTIONS_CACHE_URL (v1) */
  url: string
  /** What a step needs to use this service instead of GitHub's. */
  env: Record<string, string>
  entries: CacheEntry[]
  /**
   * Each call, as `Method key` for the Twirp API, `GET cache keys`, `POST caches key`, `PATCH
   * caches/ID` and `POST caches/ID` for the v1 API, and `PUT blob`/`GET blob` for the archives;
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

export interface ActionsCacheServiceOptions {
  /** v2 (github.com's, the default) or v1 (GitHub Enterprise Server's, nektos/act's). */
  protocol?: 'v1' | 'v2'
  /**
   * The ACTIONS_RUNTIME_TOKEN the step gets, which the v1 service asks for as a bearer token;
   * undefined: none, and none asked for, as from nektos/act's cache server. Default: a token.
   */
  runtimeToken?: string | undefined
}

const v1Prefix = '/_apis/artifactcache/'

export async function startActionsCacheService(options: ActionsCacheServiceOptions = {}): Promise<ActionsCacheService> {
  const protocol = options.protocol ?? 'v2'
  const runtimeToken = 'runtimeToken' in options ? options.runtimeToken : 'loopback-runtime-token'
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

  /** The v1 API: `resource` is the path after /_apis/artifactcache/. */
  function v1(method: string, resource: string, search: URLSearchParams, body: Buffer, request: IncomingMessage, response: ServerResponse): void {
    if (runtimeToken !== undefined && request.headers.authorization !== `Bearer ${runtimeToken}`) {
      calls.push(`refused: ${method} ${resource}`)
      return json(response, 401, { message: 'the runtime token is missing or wrong' })
    }
    const id = /^caches\/(\d+)$/.exec(resource)?.[1]
    if (method === 'GET' && resource === 'cache') {
      const [key, ...restoreKeys] = (search.get('keys') ?? '').split(',')
      calls.push(`GET cache ${search.get('keys') ?? ''}`)
      const entry = lookUp(key, restoreKeys, search.get('version') ?? '')
      if (!entry) {
        response.writeHead(204)
        return void response.end()
      }
      return json(response, 200, { cacheKey: entry.key, scope: 'refs/heads/main', archiveLocation: blobUrl(entries.indexOf(entry)) })
    }
    if (method === 'POST' && resource === 'caches') {
      const { key, version } = JSON.parse(body.toString('utf8')) as { key: string; version: string }
      calls.push(`POST caches ${key}`)
      if (entries.some((entry) => entry.key === key && entry.version === version)) {
        return json(response, 409, { message: `Cache already exists. Scope: refs/heads/main, Key: ${key}, Version: ${version}` })
      }
      entries.push({ key, version, archive: Buffer.alloc(0), finalized: false })
      return json(response, 201, { cacheId: entries.length })
    }
    const entry = id === undefined ? undefined : entries[Number(id) - 1]
    if (entry && !entry.finalized && method === 'PATCH') {
      calls.push(`PATCH caches/${id}`)
      const start = Number(/^bytes (\d+)-/.exec(String(request.headers['content-range']))?.[1] ?? 0)
      const archive = Buffer.alloc(Math.max(entry.archive.length, start + body.length))
      entry.archive.copy(archive)
      body.copy(archive, start)
      entry.archive = archive
      response.writeHead(204)
      return void response.end()
    }
    if (entry && !entry.finalized && method === 'POST') {
      calls.push(`POST caches/${id}`)
      const { size } = JSON.parse(body.toString('utf8')) as { size: number }
      if (size !== entry.archive.length) return json(response, 400, { message: `size ${size} is not what was uploaded` })
      entry.finalized = true
      response.writeHead(204)
      return void response.end()
    }
    json(response, 404, { message: `${method} ${resource} is not served` })
  }

  async function answer(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const { pathname, searchParams } = new URL(request.url ?? '/', base)
    if (hung) return void calls.push(`no answer: ${request.method} ${pathname}`)
    const body = await readBody(request)
    if (protocol === 'v1' && pathname.startsWith(v1Prefix)) {
      return v1(request.method ?? '', pathname.slice(v1Prefix.length), searchParams, body, request, response)
    }
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
    env:
      protocol === 'v2'
        ? { ACTIONS_RESULTS_URL: base, ACTIONS_RUNTIME_TOKEN: runtimeToken ?? '', ACTIONS_CACHE_SERVICE_V2: 'true' }
        : { ACTIONS_CACHE_URL: base, ...(runtimeToken === undefined ? {} : { ACTIONS_RUNTIME_TOKEN: runtimeToken }) },
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
