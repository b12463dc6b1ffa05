// `npm test -- PATTERN` (scripts/test.mjs), which runs jest once per config, each passing where
// nothing matches (a file is in one config only): run in a folder of two tiny configs, as the
// project's two are, so that no bundle is built and no test of the project runs.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { projectRoot } from './support/action-process.js'

const script = join(projectRoot, 'scripts', 'test.mjs')

describe('npm test -- PATTERN', () => {
  let folder: string

  beforeAll(() => {
    folder = mkdtempSync(join(tmpdir(), 'test-script-'))
    writeFileSync(join(folder, 'package.json'), '{ "type": "module" }\n')
    writeFileSync(join(folder, 'jest.config.js'), "export default { testMatch: ['**/main/**/*.test.mjs'] }\n")
    writeFileSync(join(folder, 'jest.alone.config.js'), "export default { testMatch: ['**/alone/**/*.test.mjs'] }\n")
    mkdirSync(join(folder, 'alone'))
    writeFileSync(join(folder, 'alone', 'tiny.test.mjs'), "test('adds', () => expect(1 + 1).toBe(2))\n")
  })
  afterAll(() => rmSync(folder, { recursive: true, force: true }))

  function npmTest(...args: string[]): Promise<{ exitCode: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [script, ...args], { cwd: folder, env: { ...process.env, NODE_OPTIONS: '' } })
      let stdout = ''
      let stderr = ''
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
      child.on('error', reject)
      child.on('close', (exitCode) => resolve({ exitCode, stdout, stderr }))
    })
  }

  const noTestRan =
    'npm test: no test ran: no test of jest.config.js or jest.alone.config.js matches the arguments (typo), a pattern of test file paths, and with -t of test names.'

  it('a pattern that matches nothing in either config: fails, saying so', async () => {
    const run = await npmTest('typo')
    expect(run.exitCode).toBe(1)
    expect(run.stderr.trim().split('\n').at(-1)).toBe(noTestRan)
    // Each run of jest says it as before, on stdout.
    expect(run.stdout.split('No tests found, exiting with code 0')).toHaveLength(3)
  }, 30_000)

  it('a pattern that matches a test in one config only: passes, and says nothing more', async () => {
    const run = await npmTest('tiny')
    expect(run.exitCode).toBe(0)
    expect(run.stderr).toContain('Tests:       1 passed, 1 total')
    expect(run.stderr).not.toContain('npm test:')
  }, 30_000)

  it('a test name with -t that no test has: fails, saying so', async () => {
    const run = await npmTest('tiny', '-t', 'subtracts')
    expect(run.exitCode).toBe(1)
    expect(run.stderr).toContain('no test of jest.config.js or jest.alone.config.js matches the arguments (tiny -t subtracts)')
  }, 30_000)
})
