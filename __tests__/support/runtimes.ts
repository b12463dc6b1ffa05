// What the end-to-end tests run on: the real `packer` on PATH, and the Node versions the
// bundle must work under (the machine's, and 24, which action.yml declares).
import { describe } from '@jest/globals'
import { execFileSync } from 'node:child_process'
import { accessSync, constants } from 'node:fs'
import { delimiter, join } from 'node:path'
import { findNode24 } from './action-process.js'

export const required = process.env.CI === 'true'

export function findOnPath(command: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue
    const candidate = join(dir, command)
    try {
      accessSync(candidate, constants.X_OK)
      return candidate
    } catch {
      // not in this directory
    }
  }
  return undefined
}

export const packer = findOnPath('packer')

export function packerVersion(): string {
  if (packer === undefined) throw new Error('`packer` is not on PATH, and CI=true requires these tests to run')
  const out = execFileSync(packer, ['version', '-machine-readable'], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH, CHECKPOINT_DISABLE: '1' }
  })
  return /,version,(\S+)/.exec(out)?.[1] ?? ''
}

/**
 * describe() when the real Packer is there; skipped with a line saying why when it is not,
 * except under CI=true, where the tests run and fail.
 */
export function describeWithPacker(name: string, suite: () => void): void {
  if (packer === undefined && !required) {
    console.log(`Skipping "${name}": \`packer\` is not on PATH (with CI=true these tests fail instead).`)
    describe.skip(name, suite)
  } else {
    describe(name, suite)
  }
}

/** The machine's Node, and Node 24 from the npm registry (scripts/node24.mjs) when it differs. */
export function nodeRuntimes(): Array<{ name: string; path: string }> {
  const runtimes = [{ name: `machine's Node ${process.version}`, path: process.execPath }]
  if (process.version.startsWith('v24.')) return runtimes
  const node24 = findNode24()
  if (node24) runtimes.push({ name: 'Node 24', path: node24 })
  else if (required) runtimes.push({ name: 'Node 24 (missing: scripts/node24.mjs found none)', path: '/nonexistent/node24' })
  else console.log('Skipping the Node 24 runs: scripts/node24.mjs could not get Node 24 from the npm registry.')
  return runtimes
}

/** Polls until the condition holds; a bound on the wait, not a measurement. */
export async function until(condition: () => boolean, what: string, limitMs = 30_000): Promise<void> {
  const deadline = Date.now() + limitMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}
