// Capped exponential backoff with full jitter: each wait is a random time between 0 and
// min(maxDelayMs, baseDelayMs * 2^(retry - 1)). Full jitter spreads out callers that were
// throttled together, so they do not all come back at the same instant.

export interface Backoff {
  /** Attempts in all, the first one included. */
  maxAttempts: number
  baseDelayMs: number
  maxDelayMs: number
  /** Replaced in tests, so that they never wait for real time. */
  sleep: (ms: number) => Promise<void>
  /** A number in [0, 1), like Math.random. */
  random: () => number
}

export const defaultBackoff: Backoff = {
  maxAttempts: 6,
  baseDelayMs: 1000,
  maxDelayMs: 20_000,
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  random: Math.random
}

/** `defaults` with whichever of its settings `overrides` gives (undefined ones do not count). */
export function withBackoff(overrides: Partial<Backoff> = {}, defaults: Backoff = defaultBackoff): Backoff {
  return {
    maxAttempts: overrides.maxAttempts ?? defaults.maxAttempts,
    baseDelayMs: overrides.baseDelayMs ?? defaults.baseDelayMs,
    maxDelayMs: overrides.maxDelayMs ?? defaults.maxDelayMs,
    sleep: overrides.sleep ?? defaults.sleep,
    random: overrides.random ?? defaults.random
  }
}

/** How long to wait before retry number `retry` (the first retry is 1). */
export function fullJitterDelay(retry: number, backoff: Backoff): number {
  const ceiling = Math.min(backoff.maxDelayMs, backoff.baseDelayMs * 2 ** (retry - 1))
  return Math.floor(backoff.random() * ceiling)
}

/** Thrown by `retry` when it stops; the error of the last attempt is its `cause`. */
export class AttemptsFailed extends Error {
  constructor(
    cause: unknown,
    readonly attempts: number
  ) {
    super(cause instanceof Error ? cause.message : String(cause), { cause })
    this.name = 'AttemptsFailed'
  }
}

export interface RetryOptions {
  backoff: Backoff
  isRetryable: (error: unknown) => boolean
  onRetry?: (error: unknown, delayMs: number, attempt: number) => void
}

/**
 * Calls `attempt` until it resolves, its error is not retryable, or `backoff.maxAttempts`
 * attempts have been made; then throws AttemptsFailed.
 */
export async function retry<T>(attempt: () => Promise<T>, options: RetryOptions): Promise<T> {
  const { backoff, isRetryable, onRetry } = options
  const maxAttempts = Math.max(1, Math.floor(backoff.maxAttempts))
  for (let attemptNumber = 1; ; attemptNumber++) {
    try {
      return await attempt()
    } catch (error) {
      if (attemptNumber >= maxAttempts || !isRetryable(error)) {
        throw new AttemptsFailed(error, attemptNumber)
      }
      const delayMs = fullJitterDelay(attemptNumber, backoff)
      onRetry?.(error, delayMs, attemptNumber)
      await backoff.sleep(delayMs)
    }
  }
}
