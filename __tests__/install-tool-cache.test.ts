// Packer put into a tool cache that other jobs on the machine share (src/install/tool-cache.ts):
// a copy another job put there first is used as it is, never emptied under its Packer.
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals'
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { cachePacker } from '../src/install/tool-cache.js'

let root: string
let extracted: string
let toolCache: string

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'tool-cache-test-'))
  extracted = join(root, 'extracted')
  toolCache = join(root, 'tool-cache')
  mkdirSync(extracted)
  writeFileSync(join(extracted, 'packer'), 'this job\'s packer')
  writeFileSync(join(extracted, 'LICENSE.txt'), 'licence')
})
afterEach(() => rmSync(root, { recursive: true, force: true }))

const versionFolder = (): string => join(toolCache, 'packer', '1.11.2')

describe('cachePacker', () => {
  it('puts the copy in place whole, marks it complete, and leaves nothing of its own beside it', async () => {
    expect(await cachePacker(extracted, '1.11.2', 'x64', toolCache)).toEqual({ directory: join(versionFolder(), 'x64'), byAnotherJob: false })
    expect(readdirSync(versionFolder()).sort()).toEqual(['x64', 'x64.complete'])
    expect(readFileSync(join(versionFolder(), 'x64', 'packer'), 'utf8')).toBe("this job's packer")
  })

  it("uses another job's complete copy as it is: the file its Packer runs from is never replaced", async () => {
    mkdirSync(join(versionFolder(), 'x64'), { recursive: true })
    writeFileSync(join(versionFolder(), 'x64', 'packer'), "the other job's packer")
    writeFileSync(join(versionFolder(), 'x64.complete'), '')
    const before = statSync(join(versionFolder(), 'x64', 'packer')).ino

    expect(await cachePacker(extracted, '1.11.2', 'x64', toolCache)).toEqual({ directory: join(versionFolder(), 'x64'), byAnotherJob: true })
    expect(statSync(join(versionFolder(), 'x64', 'packer')).ino).toBe(before)
    expect(readFileSync(join(versionFolder(), 'x64', 'packer'), 'utf8')).toBe("the other job's packer")
    expect(readdirSync(versionFolder()).sort()).toEqual(['x64', 'x64.complete'])
  })

  it('replaces a half-copied folder with no marker, which a killed job left, by a whole copy', async () => {
    mkdirSync(join(versionFolder(), 'x64'), { recursive: true })
    writeFileSync(join(versionFolder(), 'x64', 'packer'), 'half')

    expect(await cachePacker(extracted, '1.11.2', 'x64', toolCache)).toEqual({ directory: join(versionFolder(), 'x64'), byAnotherJob: false })
    expect(readFileSync(join(versionFolder(), 'x64', 'packer'), 'utf8')).toBe("this job's packer")
    expect(readdirSync(join(versionFolder(), 'x64')).sort()).toEqual(['LICENSE.txt', 'packer'])
    expect(readdirSync(versionFolder()).sort()).toEqual(['x64', 'x64.complete'])
  }, 20_000)
})
