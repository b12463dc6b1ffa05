import * as core from '@actions/core'
import { HttpClient } from '@actions/http-client'
import type { RequestHandler } from '@actions/http-client/lib/interfaces'
import { createHash } from 'node:crypto'
import { open } from 'node:fs/promises'
import { AttemptsFailed, retry, withBackoff, type Backoff } from '../common/retry.js'
import type { MirrorCredentials } from '../inputs/packer.js'
import { proxyNamed } from '../common/proxy-named.js'
import type { ProxiedAgents } from '../common/proxy.js'

/** Tries per file (maxAttempts), the waits between them, and how long a body may stall. */
export interface RetryPolicy extends Backoff {
  /** A try whose body sends nothing for this long is given up, and the file tried again. */
  stallMs: number
}

export const defaultRetryPolicy: RetryPolicy = { ...withBackoff({ maxAttempts: 4, maxDelayMs: 15000 }), stallMs: 60_000 }

/** A failed transfer; `status` is the HTTP status when the server answered at all. */
export class DownloadError extends Error {
  constructor(
    message: string,
    readonly status?: number
  ) {
    super(message)
    this.name = 'DownloadError'
  }
}

class AttemptError extends Error {
  constructor(
    message: string,
    readonly transient: boolean,
    readonly status?: number,
    /** Whether the answer came from the URL's own origin, not from one a redirect led to */
    readonly fromOrigin = true
  ) {
    super(message)
  }
}

const redirectStatuses = [301, 302, 303, 307, 308]
const maxRedirects = 10

/**
 * The Authorization header for `credentials`, sent only to `origin`: the URL's user and password
 * are the mirror's, as curl and Go's net/http treat them. A redirect to another origin (a CDN, a
 * presigned S3 URL, which refuses a request that also carries Authorization) goes without it.
 */
function authorizationFor(target: URL, origin: string, credentials: MirrorCredentials | undefined) {
  if (!credentials || target.origin !== origin) return {}
  const basic = Buffer.from(`${credentials.user}:${credentials.password}`).toString('base64')
  return { authorization: `Basic ${basic}` }
}

interface Sink {
  write(chunk: Buffer): Promise<void>
}

function isTransientStatus(status: number): boolean {
  return status >= 500 || status === 408 || status === 429
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as NodeJS.ErrnoException).code
    return code && !error.message.includes(code) ? `${error.message} (${code})` : error.message
  }
  return String(error)
}

/**
 * GETs `url`, following redirects here rather than in the client: @actions/http-client keeps
 * an Authorization header on a redirect to the same host name at another port or scheme, which
 * is another origin.
 */
async function get(client: HttpClient, url: string, credentials: MirrorCredentials | undefined, proxied: ProxiedAgents | undefined) {
  const origin = new URL(url).origin
  let target = new URL(url)
  for (let redirects = 0; ; redirects++) {
    let response
    if (proxied) client.handlers = [through(target.protocol === 'https:' ? proxied.httpsAgent : proxied.httpAgent)]
    try {
      response = await client.get(target.href, authorizationFor(target, origin, credentials))
    } catch (error) {
      throw new AttemptError(describe(error), true, undefined, target.origin === origin)
    }
    const message = response.message
    const status = message.statusCode ?? 0
    const location = message.headers.location
    if (!redirectStatuses.includes(status) || !location) return { message, answeredBy: target.origin, fromOrigin: target.origin === origin }
    message.resume()
    if (redirects === maxRedirects) {
      throw new AttemptError(`more than ${maxRedirects} redirects`, false, status, target.origin === origin)
    }
    const next = new URL(location, target)
    // Named by origin only: a presigned URL's query is a credential.
    if (target.protocol === 'https:' && next.protocol !== 'https:') {
      throw new AttemptError(`refused a redirect from HTTPS to ${next.origin}`, false, status, target.origin === origin)
    }
    target = next
  }
}

async function attempt(
  client: HttpClient,
  url: string,
  credentials: MirrorCredentials | undefined,
  openSink: () => Promise<Sink>,
  stallMs: number,
  proxied: ProxiedAgents | undefined
) {
  // Ready before the request: a body cut short is dropped once the response is destroyed, so
  // reading must start as soon as the headers are in.
  const sink = await openSink()
  const { message, answeredBy, fromOrigin } = await get(client, url, credentials, proxied)
  const status = message.statusCode ?? 0
  if (status !== 200) {
    message.resume()
    const reason = message.statusMessage ? ` ${message.statusMessage}` : ''
    const where = fromOrigin ? '' : ` from ${answeredBy}, where a redirect led`
    throw new AttemptError(`HTTP ${status}${reason}${where}`, isTransientStatus(status), status, fromOrigin)
  }
  const lengthHeader = message.headers['content-length']
  const expected = lengthHeader === undefined ? undefined : Number(lengthHeader)
  let received = 0
  // The client's socket timeout only half-closes an idle connection: a server that stops
  // sending and keeps it open would hold the body, and the job, until the job's own timeout.
  let stalled: NodeJS.Timeout | undefined
  const watch = () => {
    clearTimeout(stalled)
    stalled = setTimeout(() => message.destroy(new Error(`nothing arrived for ${Math.round(stallMs / 1000)} s`)), stallMs)
  }
  try {
    watch()
    for await (const chunk of message as AsyncIterable<Buffer>) {
      received += chunk.length
      await sink.write(chunk)
      watch()
    }
  } catch (error) {
    const of = expected === undefined ? '' : ` of ${expected}`
    throw new AttemptError(
      `the connection broke after ${received}${of} bytes: ${describe(error)}`,
      true
    )
  } finally {
    clearTimeout(stalled)
  }
  if (expected !== undefined && received !== expected) {
    throw new AttemptError(`the download stopped after ${received} of ${expected} bytes`, true)
  }
}

/** How a file is fetched: its retries, and the credentials the releases URL carries */
export interface TransferOptions extends RetryPolicy {
  credentials?: MirrorCredentials
}

/** What a 401 or 403 from the mirror itself means, naming the input the URL comes from. */
function refusal(url: string, answer: string, credentials: MirrorCredentials | undefined): string {
  if (credentials) {
    return `packer-releases-url: the mirror refused the user and password in the URL: ${url} answered ${answer}`
  }
  return (
    `packer-releases-url: the mirror asks for credentials: ${url} answered ${answer}. ` +
    'Write them into the URL from a secret: https://user:${{ secrets.PASSWORD }}@host/path'
  )
}

/**
 * Fetches `url`, retrying connection failures, cut-short bodies and 5xx/408/429 answers with
 * capped full-jitter backoff. `openSink` is called afresh for every try.
 */
async function transfer(
  url: string,
  fileName: string,
  options: TransferOptions,
  openSink: () => Promise<Sink>
): Promise<void> {
  const client = new HttpClient('packer-ami-action', [], {
    allowRetries: false,
    allowRedirects: false,
    keepAlive: false,
    socketTimeout: 60_000
  })
  const proxied = proxyNamed() ? (await import('../common/proxy.js')).proxiedAgents(60_000, { keepAlive: false, announce: false }) : undefined
  try {
    await retry(() => attempt(client, url, options.credentials, openSink, options.stallMs, proxied), {
      backoff: options,
      isRetryable: (error) => error instanceof AttemptError && error.transient,
      onRetry: (error) => core.info(`Downloading ${fileName} failed (${describe(error)}); trying again`)
    })
  } catch (error) {
    const attempts = error instanceof AttemptsFailed ? error.attempts : 1
    const cause = error instanceof AttemptsFailed ? error.cause : error
    const tries = attempts > 1 ? ` (tried ${attempts} times)` : ''
    const status = cause instanceof AttemptError ? cause.status : undefined
    // A 403 without credentials is no request for them: S3 and CloudFront answer a missing file so.
    const refused =
      cause instanceof AttemptError && cause.fromOrigin && (status === 401 || (status === 403 && options.credentials !== undefined))
    throw new DownloadError(
      refused
        ? refusal(url, describe(cause), options.credentials)
        : `Could not download ${fileName} from ${url}: ${describe(cause)}${tries}`,
      status
    )
  } finally {
    client.dispose()
    proxied?.httpAgent.destroy()
    proxied?.httpsAgent.destroy()
  }
}

/**
 * Sends a request through `agent`: behind a proxy, the download takes the AWS calls' way
 * (../common/proxy.ts), by the same rules as the client's own, not the client's tunnelling agent
 * (the `tunnel` package), which makes Node print a DeprecationWarning (DEP0005, `Buffer()`)
 * when the proxy URL has a user and password, and tunnels to http:// mirrors too, which a proxy
 * may refuse to ports other than 443 (Squid's default rules do).
 */
function through(agent: ProxiedAgents['httpAgent'] | ProxiedAgents['httpsAgent']): RequestHandler {
  return {
    prepareRequest: (request) => {
      request.agent = agent
    },
    canHandleAuthentication: () => false,
    handleAuthentication: () => Promise.reject(new Error('no authentication through this handler'))
  }
}

export async function fetchBytes(url: string, fileName: string, options: TransferOptions) {
  let chunks: Buffer[] = []
  await transfer(url, fileName, options, async () => {
    chunks = []
    return {
      write: async (chunk) => {
        chunks.push(chunk)
      }
    }
  })
  return Buffer.concat(chunks)
}

/** Streams `url` into `destination` and returns the SHA-256 (hex) of what was written. */
export async function downloadFile(
  url: string,
  destination: string,
  fileName: string,
  options: TransferOptions
): Promise<string> {
  let hash = createHash('sha256')
  let file: Awaited<ReturnType<typeof open>> | undefined
  try {
    await transfer(url, fileName, options, async () => {
      await file?.close()
      file = await open(destination, 'w')
      hash = createHash('sha256')
      const handle = file
      return {
        write: async (chunk) => {
          hash.update(chunk)
          await handle.write(chunk)
        }
      }
    })
  } finally {
    await file?.close()
  }
  return hash.digest('hex')
}
