// Packer's events as a reader of the job log sees them: plain lines, written in batches at the
// pace the runner reads them, never read as workflow commands. Its errors become annotations in
// report/packer-errors.ts, once Packer has said whether it failed.
import { Buffer } from 'node:buffer'
import { randomUUID } from 'node:crypto'
import { safeLength, secretsOfTheStep } from '../common/cut.js'
import { bytesAt, renderEvent, type PackerEvent } from './machine-readable.js'
import type { PackerLog } from './run.js'

/** The part of a stream the job log needs: Node's process.stdout, or a test's stand-in. */
export interface LogStream {
  write(bytes: Uint8Array, written: () => void): boolean
  once(event: 'drain', listener: () => void): unknown
  on(event: 'error', listener: (error: Error) => void): unknown
}

const NEWLINE = 0x0a
const BACKSLASH = 0x5c
const PERCENT = 0x25
const packerComma = Buffer.from('%!(PACKER_COMMA)')
/**
 * How far back from where a long line is cut white space is looked for: the runner's live log
 * shows 1024 characters of a line, and a secret only the runner knows is cut in two by no cut at
 * white space unless it holds some.
 */
const nearTheCut = 1024

/**
 * The job log as the pipe it is on a runner. Lines are copied into one buffer and written in
 * one write per batch, and `flush()` tells the reader of Packer's output to wait while the
 * pipe is full: Node would otherwise queue every write in memory for as long as the runner
 * reads slower than Packer prints, which a chatty provisioner easily does.
 */
export class JobLog {
  private batch: Buffer
  private used = 0
  /**
   * Batches the stream is done with, for reuse. Allocating a new one per write would leave
   * each to the garbage collector, and V8 lets such outside-the-heap memory grow by tens of
   * megabytes before it collects.
   */
  private readonly spare: Buffer[] = []
  private full?: Promise<void>
  private release?: () => void
  private broken = false

  constructor(
    private readonly out: LogStream = process.stdout,
    private readonly batchBytes = 64 * 1024
  ) {
    this.batch = Buffer.allocUnsafe(batchBytes)
    // A job log that can no longer be written (the runner went away) must not take the build
    // down with it: Packer still has to finish or clean up. Its output is dropped from then on.
    out.on('error', () => {
      this.broken = true
      this.used = 0
      this.release?.()
    })
  }

  line(text: string): void {
    this.room(Buffer.byteLength(text) + 1)
    this.used += this.batch.write(text, this.used)
    this.batch[this.used++] = NEWLINE
  }

  /**
   * The text of a machine-readable field, given as bytes, as one or more lines: Packer's
   * escapes for commas, newlines and carriage returns become the characters again, and
   * trailing newlines are dropped.
   */
  packerText(bytes: Buffer, start: number, end: number): void {
    if (end > start && bytes[end - 1] === 0x0d) end-- // a CRLF line end
    while (end - start >= 2 && bytes[end - 2] === BACKSLASH && bytes[end - 1] === 0x6e) end -= 2
    // Unescaping only ever shortens the text.
    this.room(end - start + 1)
    const text = bytes.subarray(start, end)
    let from = 0
    let backslash = text.indexOf(BACKSLASH)
    let percent = text.indexOf(PERCENT)
    while (backslash >= 0 || percent >= 0) {
      const at = backslash >= 0 && (percent < 0 || backslash < percent) ? backslash : percent
      let skip = 0
      let replacement = 0
      if (at === backslash) {
        const next = text[at + 1]
        if (next === 0x6e || next === 0x72) [skip, replacement] = [2, next === 0x6e ? NEWLINE : 0x0d]
      } else if (bytesAt(text, at, text.length, packerComma)) {
        ;[skip, replacement] = [packerComma.length, 0x2c]
      }
      if (skip > 0) {
        this.used += text.copy(this.batch, this.used, from, at)
        this.batch[this.used++] = replacement
        from = at + skip
      }
      const after = at + Math.max(skip, 1)
      if (at === backslash || backslash >= 0 && backslash < after) backslash = text.indexOf(BACKSLASH, after)
      if (at === percent || percent >= 0 && percent < after) percent = text.indexOf(PERCENT, after)
    }
    this.used += text.copy(this.batch, this.used, from)
    this.batch[this.used++] = NEWLINE
  }

  /** Hands the batch to the stream; returns a promise while the stream is full. */
  flush(): Promise<void> | undefined {
    if (this.used > 0 && !this.broken) {
      const batch = this.batch
      const bytes = batch.subarray(0, this.used)
      // The stream holds on to what it was given until it is written: meanwhile, another batch.
      this.batch = this.spare.pop() ?? Buffer.allocUnsafe(this.batchBytes)
      this.used = 0
      const written = (): void => {
        if (batch.length === this.batchBytes && this.spare.length < 4) this.spare.push(batch)
      }
      if (!this.out.write(bytes, written) && !this.full) {
        this.full = new Promise((resolvePromise) => {
          this.release = () => {
            this.full = undefined
            this.release = undefined
            resolvePromise()
          }
          this.out.once('drain', () => this.release?.())
        })
      }
    }
    return this.full
  }

  /** Makes room for `bytes` more in the batch: writes it out first when it is full. */
  private room(bytes: number): void {
    if (this.used + bytes <= this.batch.length) return
    this.flush()
    if (this.broken) this.used = 0
    if (bytes > this.batch.length) this.batch = Buffer.allocUnsafe(bytes)
  }
}

let processJobLog: JobLog | undefined

/** One JobLog per process for process.stdout, so its error listener is added once. */
export function jobLog(): JobLog {
  processJobLog ??= new JobLog()
  return processJobLog
}

/**
 * Packer's output through the job log. Whatever a template's scripts print reaches the log as
 * text: the runner reads `::name::` at the start of a line, and `##[name]` anywhere in one, as
 * workflow commands, and a script can print either (Packer even turns a printed `\n` into a
 * real line break). So the runner's command processing is stopped, with a token nobody else
 * knows, for as long as Packer's lines are written, and resumed before the action's own
 * commands (annotations) are written again. `secrets` are the values the runner masks, or may: a
 * line cut short ends before any part of one.
 */
export function actionsLog(log: JobLog = jobLog(), secrets: () => Iterable<string> = secretsOfTheStep): PackerLog {
  const token = randomUUID()
  let stopped = false
  const pause: StoppedCommands = {
    resume: () => {
      log.line(`::${token}::`)
      log.flush()
    },
    stopAgain: () => {
      log.line(`::stop-commands::${token}`)
      log.flush()
    }
  }
  return {
    begin(): void {
      log.line(`::stop-commands::${token}`)
      stopped = true
      stoppedNow.add(pause)
    },
    event(event: PackerEvent): void {
      const rendered = renderEvent(event)
      if (rendered) log.line(rendered.text)
    },
    raw(line: string): void {
      log.line(line)
    },
    packerText(bytes: Buffer, start: number, end: number): void {
      log.packerText(bytes, start, end)
    },
    // Unescaped whole, its date and fields included: a secret in it shows as it is, and is masked.
    loggedEvent(bytes: Buffer, start: number, end: number): void {
      log.packerText(bytes, start, end)
    },
    cutAt(bytes: Buffer, start: number, end: number): number {
      return beforePartOfSecret(bytes, start, end, secrets())
    },
    flush(): Promise<void> | undefined {
      return log.flush()
    },
    end(): void {
      if (stopped) log.line(`::${token}::`)
      stopped = false
      stoppedNow.delete(pause)
      log.flush()
    }
  }
}

/** A Packer log that has the runner's command processing stopped: how to resume it, and stop it again. */
interface StoppedCommands {
  resume(): void
  stopAgain(): void
}

/** The Packer logs that have the runner's command processing stopped now. */
const stoppedNow = new Set<StoppedCommands>()

/**
 * Runs `write`, which makes the action's own workflow commands (annotations) while Packer may be
 * running: on a signal, or a crash. The runner shows every command as text while Packer's lines
 * have its command processing stopped, so it is resumed for them, after the lines Packer wrote
 * so far, and stopped again for the lines Packer writes next.
 */
export function withCommandsResumed(write: () => void): void {
  const stopped = [...stoppedNow]
  for (const log of stopped) log.resume()
  try {
    write()
  } finally {
    for (const log of stopped) log.stopAgain()
  }
}

/** A secret as Packer's machine-readable output writes it, and as it is, as latin1 text (one character a byte). */
function writtenForms(secret: string): string[] {
  const escaped = secret.replaceAll(',', '%!(PACKER_COMMA)').replaceAll('\r', '\\r').replaceAll('\n', '\\n')
  return [...new Set([secret, escaped])].map((form) => Buffer.from(form).toString('latin1'))
}

/**
 * Where a line cut short at `end` may end (common/cut.ts): at white space near the cut when there
 * is some, and before any start of a secret or a value given to the step that it would end in.
 * Read as latin1, one character a byte, so that a place in the text is one in the bytes.
 */
function beforePartOfSecret(bytes: Buffer, start: number, end: number, secrets: Iterable<string>): number {
  const text = bytes.toString('latin1', start, end)
  const forms = [...secrets].filter((secret) => secret !== '').flatMap(writtenForms)
  return start + safeLength(text, text.length, { secrets: forms, whiteSpaceWithin: nearTheCut, goesOn: true })
}
