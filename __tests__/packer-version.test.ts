import { afterEach, beforeEach, expect, it } from '@jest/globals'
import { chmodSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { packerVersionOf } from '../src/install/on-path.js'

let dir: string
let packer: string
let calls: string
const savedToolCache = process.env.RUNNER_TOOL_CACHE

function writePacker(version: string): void {
  writeFileSync(packer, `#!/bin/sh\necho "$@" >> "${calls}"\necho "1795222615,,version,${version}"\n`)
  chmodSync(packer, 0o755)
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'packer-version-'))
  packer = join(dir, 'packer')
  calls = join(dir, 'calls')
  writeFileSync(calls, '')
  process.env.RUNNER_TOOL_CACHE = join(dir, 'tool-cache')
})
afterEach(() => {
  process.env.RUNNER_TOOL_CACHE = savedToolCache
  rmSync(dir, { recursive: true, force: true })
})

const callCount = (): number => readFileSync(calls, 'utf8').split('\n').filter(Boolean).length

it('asks a Packer binary its version once, and again once the binary has changed', async () => {
  writePacker('1.6.6')
  expect(await packerVersionOf(packer)).toBe('1.6.6')
  expect(await packerVersionOf(packer)).toBe('1.6.6')
  expect(callCount()).toBe(1)

  writePacker('1.11.2')
  utimesSync(packer, new Date(), new Date(Date.now() + 5000))
  expect(await packerVersionOf(packer)).toBe('1.11.2')
  expect(callCount()).toBe(2)
})

it('asks every time without a tool cache to keep the answer in', async () => {
  delete process.env.RUNNER_TOOL_CACHE
  writePacker('1.6.6')
  await packerVersionOf(packer)
  await packerVersionOf(packer)
  expect(callCount()).toBe(2)
})

it('closes stdin, so a program that reads it is not waited for', async () => {
  writeFileSync(packer, '#!/bin/sh\ncat > /dev/null\necho "Packer v1.6.6"\n')
  chmodSync(packer, 0o755)
  expect(await packerVersionOf(packer)).toBe('1.6.6')
})
