import { describe, expect, it, jest } from '@jest/globals'
import { AttemptsFailed, fullJitterDelay, retry, type Backoff } from '../src/common/retry.js'

function backoffWith(overrides: Partial<Backoff> = {}): Backoff {
  return {
    maxAttempts: 4,
    baseDelayMs: 100,
    maxDelayMs: 1000,
    sleep: jest.fn<(ms: number) => Promise<void>>().mockResolvedValue(undefined),
    random: () => 0.5,
    ...overrides
  }
}

describe('fullJitterDelay', () => {
  it('doubles its ceiling with every retry until the cap', () => {
    const almostOne = backoffWith({ random: () => 0.9999, baseDelayMs: 100, maxDelayMs: 1000 })
    const delays = [1, 2, 3, 4, 5, 6].map((retryNumber) => fullJitterDelay(retryNumber, almostOne))
    expect(delays).toEqual([99, 199, 399, 799, 999, 999])
  })

  it('can be as short as zero', () => {
    expect(fullJitterDelay(5, backoffWith({ random: () => 0 }))).toBe(0)
  })

  it('stays within its ceiling whatever the random source gives', () => {
    const backoff = backoffWith({ random: Math.random, baseDelayMs: 300, maxDelayMs: 2000 })
    for (let retryNumber = 1; retryNumber <= 10; retryNumber++) {
      for (let sample = 0; sample < 50; sample++) {
        const delay = fullJitterDelay(retryNumber, backoff)
        expect(delay).toBeGreaterThanOrEqual(0)
        expect(delay).toBeLessThan(Math.min(2000, 300 * 2 ** (retryNumber - 1)))
      }
    }
  })
})

describe('retry', () => {
  it('returns the first success without waiting', async () => {
    const backoff = backoffWith()
    await expect(retry(async () => 'done', { backoff, isRetryable: () => true })).resolves.toBe(
      'done'
    )
    expect(backoff.sleep).not.toHaveBeenCalled()
  })

  it('waits between attempts and returns once an attempt succeeds', async () => {
    const backoff = backoffWith({ random: () => 0.5 })
    const onRetry = jest.fn()
    let calls = 0
    const result = await retry(
      async () => {
        calls++
        if (calls < 3) throw new Error(`failure ${calls}`)
        return calls
      },
      { backoff, isRetryable: () => true, onRetry }
    )
    expect(result).toBe(3)
    expect(backoff.sleep).toHaveBeenNthCalledWith(1, 50)
    expect(backoff.sleep).toHaveBeenNthCalledWith(2, 100)
    expect(onRetry).toHaveBeenCalledTimes(2)
    expect(onRetry).toHaveBeenNthCalledWith(1, new Error('failure 1'), 50, 1)
  })

  it('gives up after maxAttempts, keeping the last error and the number of attempts', async () => {
    const backoff = backoffWith({ maxAttempts: 3 })
    let calls = 0
    const failure = await retry(
      async () => {
        calls++
        throw new Error(`failure ${calls}`)
      },
      { backoff, isRetryable: () => true }
    ).catch((error: unknown) => error)
    expect(failure).toBeInstanceOf(AttemptsFailed)
    expect((failure as AttemptsFailed).attempts).toBe(3)
    expect((failure as AttemptsFailed).cause).toEqual(new Error('failure 3'))
    expect(calls).toBe(3)
    expect(backoff.sleep).toHaveBeenCalledTimes(2)
  })

  it('stops at once on an error that is not retryable', async () => {
    const backoff = backoffWith()
    let calls = 0
    const failure = await retry(
      async () => {
        calls++
        throw new Error('bad input')
      },
      { backoff, isRetryable: () => false }
    ).catch((error: unknown) => error)
    expect((failure as AttemptsFailed).attempts).toBe(1)
    expect(calls).toBe(1)
    expect(backoff.sleep).not.toHaveBeenCalled()
  })

  it('makes one attempt when maxAttempts is less than one', async () => {
    let calls = 0
    await retry(
      async () => {
        calls++
        throw new Error('no')
      },
      { backoff: backoffWith({ maxAttempts: 0 }), isRetryable: () => true }
    ).catch(() => undefined)
    expect(calls).toBe(1)
  })
})
