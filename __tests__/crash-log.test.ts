// Packer's crash.log: which one the job moves out of the checkout, and which it leaves.
import { describe, expect, it } from '@jest/globals'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { hasCrashLog, keepCrashLog } from '../src/packer/crash-log.js'

describe('crash.log in the working directory', () => {
  it("moves one that a Packer run beside another wrote after the job's first run began, as Packer's, not the user's", async () => {
    const directory = mkdtempSync(join(tmpdir(), 'crash-log-'))
    try {
      // packer inspect starts, then crashes while packer validate starts.
      expect(hasCrashLog(directory)).toBe(false)
      writeFileSync(join(directory, 'crash.log'), 'panic: from inspect\n')
      const before = hasCrashLog(directory)
      expect(before).toBe(false)
      const report = await keepCrashLog(directory, before)
      expect(report?.moved).toBe(true)
      expect(readFileSync(report?.path as string, 'utf8')).toBe('panic: from inspect\n')
      expect(existsSync(join(directory, 'crash.log'))).toBe(false)
      rmSync(join(report?.path as string, '..'), { recursive: true, force: true })
    } finally {
      rmSync(directory, { recursive: true, force: true })
    }
  })

  it('gives two runs that crash together the one report both wrote, moved once: neither takes it for the user\'s', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'crash-log-'))
    try {
      // packer inspect and packer validate both start, both crash, and both end at once.
      expect(hasCrashLog(directory)).toBe(false)
      writeFileSync(join(directory, 'crash.log'), 'panic: from both\n')
      const [validate, inspect] = await Promise.all([keepCrashLog(directory, false), keepCrashLog(directory, false)])
      expect(validate).toEqual({ path: expect.stringMatching(/packer-crash-.*crash\.log$/), moved: true })
      expect(inspect).toEqual(validate)
      expect(readFileSync(validate?.path as string, 'utf8')).toBe('panic: from both\n')
      expect(existsSync(join(directory, 'crash.log'))).toBe(false)
      rmSync(join(validate?.path as string, '..'), { recursive: true, force: true })
    } finally {
      rmSync(directory, { recursive: true, force: true })
    }
  })

  it("leaves the one that was there before the job's first run", async () => {
    const directory = mkdtempSync(join(tmpdir(), 'crash-log-'))
    try {
      writeFileSync(join(directory, 'crash.log'), 'kept by the user\n')
      expect(hasCrashLog(directory)).toBe(true)
      expect(await keepCrashLog(directory, hasCrashLog(directory))).toEqual({ path: join(directory, 'crash.log'), moved: false, heldBefore: true })
    } finally {
      rmSync(directory, { recursive: true, force: true })
    }
  })
})
