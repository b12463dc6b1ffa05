// runPacker's logAfter: Packer runs at once, but what it writes reaches the log only once the
// job says so (an HCL2 template's sensitive values masked); and a cancel of several Packer
// commands at once. A shell stands in for Packer, so that the test knows its process and when
// it has ended.
import { afterAll, describe, expect, it, jest } from '@jest/globals'
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises'
import { actionsLog, JobLog, type LogStream } from '../src/packer/log.js'
import { maxLineBytes } from '../src/packer/machine-readable.js'
import type { PackerLog } from '../src/packer/run.js'
import { Cancellation, runPacker } from '../src/packer/run.js'

const scratch = mkdtempSync(join(tmpdir(), 'packer-run-'))
afterAll(() => rmSync(scratch, { recursive: true, force: true }))

/** What the log was told, in order. */
function recordingLog(): { log: PackerLog; calls: string[] } {
  const calls: string[] = []
  const log: PackerLog = {
    begin: () => calls.push('begin'),
    event: (event) => calls.push(`event ${event.type} ${event.data.join(',')}`),
    raw: (line, stream) => calls.push(`${stream} ${line}`),
    packerText: (bytes, start, end) => calls.push(`text ${bytes.toString('utf8', start, end)}`),
    flush: () => undefined,
    end: (run) => calls.push(`end ${run.exitCode}`)
  }
  return { log, calls }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

/** The pid the stand-in wrote to `file`, once it has. */
async function pidIn(file: string): Promise<number> {
  while (!existsSync(file) || readFileSync(file, 'utf8').trim() === '') await sleep(10)
  return Number(readFileSync(file, 'utf8'))
}

/** Settles once the process has ended and Node has seen it end (its 'exit' has been handled). */
async function ended(pid: number): Promise<void> {
  while (alive(pid)) await sleep(10)
  await nextTurn()
}

describe('runPacker with logAfter', () => {
  it('logs nothing until it settles, then all that Packer wrote, though Packer had exited', async () => {
    const pidFile = join(scratch, 'exited.pid')
    const script = `echo $$ > '${pidFile}'; echo '1,,ui,error,Bad value S3cr3t'; echo plain line; echo on stderr >&2; exit 3`
    const { log, calls } = recordingLog()
    let ready = (): void => undefined
    const logAfter = new Promise<void>((resolve) => (ready = resolve))

    const running = runPacker('/bin/sh', ['-c', script], { cwd: scratch, env: process.env, log, logAfter })
    await ended(await pidIn(pidFile))
    expect(calls).toEqual([])
    ready()
    const run = await running

    expect(run.exitCode).toBe(3)
    expect(calls[0]).toBe('begin')
    expect(calls).toEqual(
      expect.arrayContaining(['event ui error,Bad value S3cr3t', 'stdout plain line', 'stderr on stderr'])
    )
    expect(calls.at(-1)).toBe('end 3')
    expect(run.record.errors).toEqual(['Bad value S3cr3t'])
  })

  it('when it fails: stops Packer, logs none of its output, and fails with its error', async () => {
    const pidFile = join(scratch, 'stopped.pid')
    const script = `echo $$ > '${pidFile}'; echo 'S3cr3t printed'; exec sleep 60`
    const { log, calls } = recordingLog()
    let fail = (_error: Error): void => undefined
    const logAfter = new Promise<void>((_resolve, reject) => (fail = reject))

    const running = runPacker('/bin/sh', ['-c', script], { cwd: scratch, env: process.env, log, logAfter })
    const pid = await pidIn(pidFile)
    fail(new Error('Reading template.pkr.hcl with the HCL parser: its thread ended'))

    await expect(running).rejects.toThrow('Reading template.pkr.hcl with the HCL parser: its thread ended')
    await ended(pid)
    expect(calls.filter((call) => call !== 'end 1')).toEqual([])
  })
})

describe('Cancellation', () => {
  it("while no Packer runs, ends the job on the first signal only: the runner's SIGTERM follows its SIGINT", () => {
    const whenIdle = jest.fn()
    const cancellation = new Cancellation(whenIdle, () => undefined).listen()
    try {
      process.emit('SIGINT', 'SIGINT')
      process.emit('SIGTERM', 'SIGTERM')
      expect(whenIdle.mock.calls).toEqual([['SIGINT']])
    } finally {
      cancellation.dispose()
    }
  })

  it('stops every Packer command that runs (inspect beside validate), and names them', async () => {
    const packer = join(scratch, 'packer')
    writeFileSync(packer, '#!/bin/sh\nexec sleep 60\n')
    chmodSync(packer, 0o755)
    const announced: string[] = []
    const whenIdle = jest.fn()
    const cancellation = new Cancellation(whenIdle, (message) => announced.push(message)).listen()
    try {
      const options = { cwd: scratch, env: process.env, cancellation }
      const validating = runPacker(packer, ['validate'], { ...options, log: recordingLog().log })
      const inspecting = runPacker(packer, ['inspect'], { ...options, log: recordingLog().log })
      process.emit('SIGINT', 'SIGINT')
      process.emit('SIGTERM', 'SIGTERM')
      const runs = await Promise.all([validating, inspecting])

      expect(runs.map((run) => [run.cancelled, run.killedBy])).toEqual([
        [true, 'SIGTERM'],
        [true, 'SIGTERM']
      ])
      expect(announced).toEqual([
        'Received SIGINT: stopping packer validate and packer inspect…',
        'Received SIGTERM again: still waiting for packer validate and packer inspect to stop…'
      ])
      expect(whenIdle).not.toHaveBeenCalled()
    } finally {
      cancellation.dispose()
    }
  })

  it('tells, once, of a signal again while the Packer a signal stopped still runs: the runner kills the step soon after', async () => {
    // A Packer that takes its time to clean up: it ends only once told to by the test.
    const packer = join(scratch, 'slow-packer')
    const release = join(scratch, 'cleaned-up')
    writeFileSync(packer, `#!/bin/sh\ntrap 'while [ ! -e ${release} ]; do sleep 0.05; done; exit 1' TERM\nsleep 60 & wait\n`)
    chmodSync(packer, 0o755)
    const outlasted = jest.fn()
    const cancellation = new Cancellation(jest.fn(), () => undefined, undefined, undefined, outlasted).listen()
    try {
      const building = runPacker(packer, ['build'], { cwd: scratch, env: process.env, cancellation, log: recordingLog().log })
      process.emit('SIGINT', 'SIGINT')
      expect(outlasted).not.toHaveBeenCalled()
      process.emit('SIGTERM', 'SIGTERM')
      process.emit('SIGTERM', 'SIGTERM')
      expect(outlasted.mock.calls).toEqual([['SIGTERM', ['build'], false]])
      writeFileSync(release, '')
      expect((await building).cancelled).toBe(true)
    } finally {
      cancellation.dispose()
    }
  })

  it('tells of no Packer outlasting a cancel that came while none ran', () => {
    const outlasted = jest.fn()
    const cancellation = new Cancellation(jest.fn(), () => undefined, undefined, undefined, outlasted).listen()
    try {
      process.emit('SIGINT', 'SIGINT')
      process.emit('SIGTERM', 'SIGTERM')
      expect(outlasted).not.toHaveBeenCalled()
    } finally {
      cancellation.dispose()
    }
  })
})

/** A job log whose stream keeps what it is given. */
function keptLog(secrets: () => Iterable<string> = () => []): { log: PackerLog; text: () => string } {
  const written: Buffer[] = []
  const stream: LogStream = {
    write: (bytes, done) => {
      written.push(Buffer.from(bytes))
      done()
      return true
    },
    once: () => undefined,
    on: () => undefined
  }
  return { log: actionsLog(new JobLog(stream), secrets), text: () => Buffer.concat(written).toString('latin1') }
}

/** A Packer that prints `bytes` and exits. */
function printing(name: string, bytes: Buffer): string[] {
  const file = join(scratch, name)
  writeFileSync(file, bytes)
  return ['-c', `cat '${file}'`]
}

describe("Packer's lines in the job log", () => {
  it('a line cut short never ends in part of a secret', async () => {
    const secret = 'S3cr3t%!(PACKER_COMMA)Value'
    const prefix = '1796463804,,ui,message,    null: '
    // The cut falls 5 bytes into the secret; `,` as Packer writes it.
    const filler = 'x'.repeat(maxLineBytes - prefix.length - 5)
    const bytes = Buffer.from(`${prefix}${filler}${secret} and more\n1796463804,,ui,message,    null: next\n`)
    const { log, text } = keptLog(() => ['S3cr3t,Value'])
    await runPacker('/bin/sh', printing('secret-at-cut', bytes), { cwd: scratch, env: process.env, log })

    const lines = text().split(/\r\n|\r|\n/)
    const cut = lines.findIndex((line) => line.startsWith('    null: xxx'))
    // Compared by length and ending: a megabyte of x is no message to read.
    expect(lines[cut].length).toBe(`    null: ${filler}`.length)
    expect(lines[cut].slice(-10)).toBe('x'.repeat(10))
    expect(lines[cut + 1]).toBe(`(Packer's line above went on for ${secret.length + ' and more'.length} more bytes, not shown)`)
    expect(lines[cut + 2]).toBe('    null: next')
  })

  it("what a script prints reaches the log byte for byte: bytes that are not UTF-8, NUL, colours, an empty line", async () => {
    // As Packer 1.6.6 prints a shell-local script's `printf 'bad \\377\\376 [\\000]\\n'`,
    // `printf '\\033[31mred\\033[0m\\n'` and `printf '\\r\\n'` (it keeps what follows a line's last \r).
    const lines = ['    null: bad \xff\xfe [\x00] end', '    null: \x1b[31mred\x1b[0m plain', '    null:']
    const bytes = Buffer.from(lines.map((line) => `1796463804,,ui,message,${line}\n`).join(''), 'latin1')
    const { log, text } = keptLog()
    await runPacker('/bin/sh', printing('bytes', bytes), { cwd: scratch, env: process.env, log })
    const logged = text().split('\n')
    expect(logged[0]).toMatch(/^::stop-commands::[0-9a-f-]{36}$/)
    expect(logged.slice(1, 4)).toEqual(lines)
    expect(logged[4]).toBe(`::${logged[0].slice('::stop-commands::'.length)}::`)
  })
})
