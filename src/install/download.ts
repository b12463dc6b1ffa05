import * as core from '@actions/core'
import { HttpClient } from '@actions/http-client'
import { createHash } from 'node:crypto'
import { open } from 'node:fs/promises'
import { AttemptsFailed, retry, withBackoff, type Backoff } from '../common/retry.js'

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
    readonly status?: number
  ) {
    super(message)
  }
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

async function attempt(client: HttpClient, url: string, openSink: () => Promise<Sink>, stallMs: number) {
  // Ready before the request: a body cut short is dropped once the response is destroyed, so
  // reading must start as soon as the headers are in.
  const sink = await openSink()
  let response
  try {
    response = await client.get(url)
  } catch (error) {
    throw new AttemptError(describe(error), true)
  }
  const message = response.message
  const status = message.statusCode ?? 0
  if (status !== 200) {
    message.resume()
    const reason = message.statusMessage ? ` ${message.statusMessage}` : ''
    throw new AttemptError(`HTTP ${status}${reason}`, isTransientStatus(status), status)
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

/**
 * Fetches `url`, retrying connection failures, cut-short bodies and 5xx/408/429 answers with
 * capped full-jitter backoff. `openSink` is called afresh for every try.
 */
async function transfer(
  url: string,
  fileName: string,
  policy: RetryPolicy,
  openSink: () => Promise<Sink>
): Promise<void> {
  const client = new HttpClient('packer-ami-action', [], {
    allowRetries: false,
    keepAlive: false,
    socketTimeout: 60_000
  })
  try {
    await retry(() => attempt(client, url, openSink, policy.stallMs), {
      backoff: policy,
      isRetryable: (error) => error instanceof AttemptError && error.transient,
      onRetry: (error) => core.info(`Downloading ${fileName} failed (${describe(error)}); trying again`)
    })
  } catch (error) {
    const attempts = error instanceof AttemptsFailed ? error.attempts : 1
    const cause = error instanceof AttemptsFailed ? error.cause : error
    const tries = attempts > 1 ? ` (tried ${attempts} times)` : ''
    throw new DownloadError(
      `Could not download ${fileName} from ${url}: ${describe(cause)}${tries}`,
      cause instanceof AttemptError ? cause.status : undefined
    )
  } finally {
    client.dispose()
  }
}

export async function fetchBytes(url: string, fileName: string, policy: RetryPolicy) {
  let chunks: Buffer[] = []
  await transfer(url, fileName, policy, async () => {
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
  policy: RetryPolicy
): Promise<string> {
  let hash = createHash('sha256')
  let file: Awaited<ReturnType<typeof open>> | undefined
  try {
    await transfer(url, fileName, policy, async () => {
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
