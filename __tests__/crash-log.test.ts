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

  it("leaves the one that was there before the job's first run", async () => {
    const directory = mkdtempSync(join(tmpdir(), 'crash-log-'))
    try {
      writeFileSync(join(directory, 'crash.log'), 'kept by the user\n')
      expect(hasCrashLog(directory)).toBe(true)
      expect(await keepCrashLog(directory, hasCrashLog(directory))).toEqual({ path: join(directory, 'crash.log'), moved: false })
    } finally {
      rmSync(directory, { recursive: true, force: true })
    }
  })
})
