// An interrupted `npm test` leaves nothing running. `npm test` runs jest on a file
// (support/interrupted-suite.ts) whose test runs the bundled action, which starts a Packer
// stand-in in a process group of its own, whose clean-up never ends once it is cancelled; the run
// is then interrupted as Ctrl-C does it (SIGINT to the terminal's foreground process group) and
// as a CI timeout does it (SIGTERM to npm alone). No process of the run may be left: the action,
// Packer and jest itself. They are found by a variable of their environment (/proc, Linux).
import { afterEach, describe, expect, it } from '@jest/globals'
import { spawn } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { projectRoot } from './support/action-process.js'

/** The processes whose environment holds INTERRUPTED_RUN_MARK=`mark`: their IDs and command lines. */
function processesMarked(mark: string): Array<{ pid: number; command: string }> {
  const entry = Buffer.from(`\0INTERRUPTED_RUN_MARK=${mark}\0`)
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .filter((name) => {
      try {
        return Buffer.concat([Buffer.from('\0'), readFileSync(`/proc/${name}/environ`)]).includes(entry)
      } catch {
        return false
      }
    })
    .map((name) => ({ pid: Number(name), command: commandLine(name) }))
}

function commandLine(pid: string): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim()
  } catch {
    return ''
  }
}

/** Waits until `done` holds, polling, for at most `limitMs`. */
async function until(done: () => boolean, limitMs: number): Promise<void> {
  for (const end = Date.now() + limitMs; !done() && Date.now() < end; ) await sleep(50)
}

const folders: string[] = []
const marks: string[] = []
afterEach(() => {
  // Whatever a failing test leaves is not left for the next.
  for (const { pid } of marks.flatMap(processesMarked)) {
    try {
      process.kill(pid, 'SIGKILL')
    } catch {
      // Ended already.
    }
  }
  for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true })
})

/**
 * `npm test -- --config <a config of the suite alone>` in a process group of its own, as a
 * terminal starts a command, interrupted by `interrupt` once the action's build is under way.
 */
async function interruptedRun(interrupt: (npm: number) => void): Promise<{ mark: string; exit: Promise<unknown> }> {
  const folder = mkdtempSync(join(tmpdir(), 'interrupted-run-'))
  folders.push(folder)
  const mark = randomUUID()
  marks.push(mark)
  const config = join(folder, 'jest.config.mjs')
  writeFileSync(
    config,
    [
      `import base from ${JSON.stringify(join(projectRoot, 'jest.config.js'))}`,
      // Without the global setup: the run's bundle is there already, and others read it.
      `export default { ...base, rootDir: ${JSON.stringify(projectRoot)}, testMatch: ['<rootDir>/__tests__/support/interrupted-suite.ts'], testPathIgnorePatterns: ['/node_modules/'], globalSetup: undefined, globalTeardown: undefined }`,
      ''
    ].join('\n')
  )
  const ready = join(folder, 'ready')
  const npm = spawn('npm', ['test', '--', '--config', config], {
    cwd: projectRoot,
    detached: true,
    stdio: 'ignore',
    env: { ...process.env, INTERRUPTED_RUN_MARK: mark, INTERRUPTED_RUN_READY: ready }
  })
  let exited = false
  const exit = new Promise((resolve) => npm.on('exit', resolve)).then(() => (exited = true))
  await until(() => existsSync(ready) || exited, 90_000)
  expect(existsSync(ready)).toBe(true)
  interrupt(npm.pid as number)
  return { mark, exit }
}

const onLinux = existsSync('/proc/self/environ') ? describe : describe.skip

onLinux('an interrupted npm test', () => {
  it('leaves no process running after a Ctrl-C', async () => {
    const { mark, exit } = await interruptedRun((npm) => process.kill(-npm, 'SIGINT'))
    await exit
    await until(() => processesMarked(mark).length === 0, 10_000)
    expect(processesMarked(mark)).toEqual([])
  }, 120_000)

  it('leaves no process running after a SIGTERM to npm alone', async () => {
    const { mark, exit } = await interruptedRun((npm) => process.kill(npm, 'SIGTERM'))
    await exit
    await until(() => processesMarked(mark).length === 0, 10_000)
    expect(processesMarked(mark)).toEqual([])
  }, 120_000)
})
