// Runs Packer as a child process: argument arrays (never a shell), machine-readable output
// rendered back into log lines as it arrives, and cancellation that lets Packer clean up.
import { spawn, type ChildProcess } from 'node:child_process'
import type { Readable } from 'node:stream'
import type { Buffer } from 'node:buffer'
import { withinDeadline } from '../common/waiting.js'
import { startedIn } from '../common/paths.js'
import { hasCrashLog, keepCrashLog, type CrashReport } from './crash-log.js'
import { ByteLineSplitter, isLoggedEventLine, parseEventLine, RunRecord, uiTextStart, type LineHandler, type PackerCrash, type PackerEvent } from './machine-readable.js'

export interface PackerLog {
  /** Before Packer's first line. */
  begin(): void
  /** A parsed event, in order. */
  event(event: PackerEvent): void
  /** A line that is not an event (a crash trace, a plugin's own output). */
  raw(line: string, stream: 'stdout' | 'stderr'): void
  /** The text of a `ui,say` or `ui,message` event, still as Packer wrote it (escaped). */
  packerText(bytes: Buffer, start: number, end: number): void
  /**
   * A line of Packer's debug log (PACKER_LOG, on standard error) that copies a machine-readable
   * line, still escaped; a log without it drops such lines with the rest of standard error.
   */
  loggedEvent?(bytes: Buffer, start: number, end: number): void
  /**
   * Where a line that is cut short (maxLineBytes) may end, at `end` or before: never in part of
   * a secret, which the runner, masking only whole ones, would show.
   */
  cutAt?(bytes: Buffer, start: number, end: number): number
  /**
   * After each chunk of Packer's output: writes what it made, and returns a promise while the
   * log cannot take more, during which Packer's output is not read (and Packer waits).
   */
  flush(): Promise<void> | undefined
  /** After Packer's last line, with how the run ended. */
  end(run: PackerRun): void
}

export interface PackerRun {
  exitCode: number
  /** The signal that killed Packer, when it did not exit by itself (SIGKILL, the OOM killer). */
  killedBy?: NodeJS.Signals
  cancelled: boolean
  /** Stopped because it ran past its deadline. */
  timedOut?: true
  record: RunRecord
  /** Packer itself crashed (a Go panic): which command, its panic, and where its crash report is now. */
  panicked?: PackerPanic
}

/** A crash of Packer's (packerCrashed in report/packer-crash.ts tells it). */
export interface PackerPanic {
  /** As the log names it: `packer build`, `packer plugins install`. */
  command: string
  crash: PackerCrash
  /** Undefined when Packer could not write one. */
  report: CrashReport | undefined
}

/**
 * How long Packer's output may go on after Packer itself has exited. Its plugin processes
 * share the output pipe: killed with Packer's process group, they let it close at once; one
 * that left the group could hold it open for as long as it runs, so the wait is bounded.
 */
const outputDrainMs = 2_000

/** How long the job has to end after a crash once Packer has exited, before the step ends itself. */
const crashExitMs = 10_000

/** How long Packer has to exit after the SIGTERM of a deadline, before its process group is killed. */
const deadlineGraceMs = 5_000

/**
 * Turns SIGINT and SIGTERM to the action into one SIGTERM to Packer: Packer's parent process
 * ignores SIGINT and forwards SIGTERM to the build, which then terminates the instance and
 * deletes its temporary key pair and security group before exiting. The runner sends SIGINT
 * and then SIGTERM when a workflow is cancelled; both must lead to one clean-up, not two. An
 * error nothing caught while Packer runs stops Packer the same way. While no Packer runs, the
 * first signal or uncaught error ends the job, and only the first:
 * the step is already ending when the runner's SIGTERM follows its SIGINT. A signal again while
 * the Packer that the first stopped still runs, or once it has ended while the run still ends,
 * is the runner's last word: it kills the step 2.5 s later, and `outlasted` is told, once, so that
 * the job says now how the run ended. After
 * a crash that stopped Packer, the runner's first signal is its cancel of a run already ending,
 * and its second its last word as well, whether or not that Packer has ended since: no signal
 * after the crash starts a second end of the run.
 */
export class Cancellation {
  cancelled = false
  /** Whether a cancelled build's Packer leaves what it made as it is (on-error: abort), not cleaning up. */
  keepsWhatPackerMade = false
  /**
   * The Packer commands that run (`build`, `inspect`, …; inspect may run beside validate and
   * build): only a build has an instance to clean up.
   */
  private readonly children = new Map<ChildProcess, string>()
  private readonly handler = (signal: NodeJS.Signals): void => this.cancel(signal)
  private readonly crashHandler = (error: Error): void => this.crashed(error)
  private readonly exitHandler = (): void => {
    if (this.crash) this.crashUnended(this.crash, this.crash === this.crashFirst)
  }
  private crash: Error | undefined
  /** The crash that ended the run, if it came before any signal: the run was not cancelled, it failed. */
  private crashFirst: Error | undefined
  /** Whether a signal or a crash while no Packer ran has begun to end the job. */
  private endingWhileIdle = false
  /** Whether a signal has come while Packer ran. */
  private signalled = false
  /** What stopped the Packer commands that ran: not set by a signal or a crash while none ran. */
  private stoppedBy: 'signal' | 'crash' | undefined
  /** The Packer commands that the signal or the crash stopped (stoppedBy), as the log names them. */
  private stopped: string[] = []
  private outlastedTold = false

  constructor(
    /** Called on a signal while no Packer runs: there is nothing to wait for. */
    private readonly whenIdle: (signal: NodeJS.Signals) => void,
    private readonly announce: (message: string) => void,
    /**
     * Says that the action itself crashed (an error nothing caught) while Packer ran, and
     * `stopping`: which Packer commands it stops, and what they do before they end. The run's
     * end, once they have, says how it ended (or `outlasted`, or `crashUnended`).
     */
    private readonly sayCrashed: (error: Error, stopping: string) => void = (error, stopping) => announce(`${String(error)}: ${stopping}`),
    /** Called on an error nothing caught while no Packer runs; by default, exits as Node would. */
    private readonly crashedWhileIdle: (error: Error) => void = () => process.exit(1),
    /**
     * Called on a signal again while the Packer commands a signal or a crash stopped (`build`,
     * `validate`, …) still run, or once they have `ended` while the run still ends, once: the
     * step is killed before the run may end. After a crash (stoppedByCrash), the job's words are
     * the crash's.
     */
    private readonly outlasted: (signal: NodeJS.Signals, commands: string[], ended: boolean) => void = () => undefined,
    /**
     * Called as the step exits after a crash (`error`; `first`: it came before any signal) before
     * the run has ended (dispose): what the crash left unsettled kept the run from its end, or
     * held the step open until it ended itself. Writes synchronously (the process is exiting).
     */
    private readonly crashUnended: (error: Error, first: boolean) => void = () => undefined,
    /**
     * Called on an error nothing caught once the Packer commands a signal stopped have ended,
     * before a signal again has given the cancel's failure: the run's end, under way, gives it,
     * and must say the crash too.
     */
    private readonly crashedOnceCancelled: (error: Error) => void = () => undefined
  ) {}

  listen(): this {
    process.on('SIGINT', this.handler)
    process.on('SIGTERM', this.handler)
    process.on('uncaughtException', this.crashHandler)
    process.on('exit', this.exitHandler)
    return this
  }

  dispose(): void {
    process.off('SIGINT', this.handler)
    process.off('SIGTERM', this.handler)
    process.off('uncaughtException', this.crashHandler)
    process.off('exit', this.exitHandler)
  }

  /**
   * The error nothing caught that ended the run, when it came before any signal: the job then
   * says that the action crashed, not that the run was cancelled, though Packer is stopped alike.
   */
  get stoppedByCrash(): Error | undefined {
    return this.crashFirst
  }

  attach(child: ChildProcess, command: string): void {
    this.children.set(child, command)
    if (this.cancelled) child.kill('SIGTERM')
  }

  detach(child: ChildProcess): void {
    this.children.delete(child)
    if (this.children.size > 0) return
    // The job goes on to its end as after a cancel; whatever the crash left unsettled must not
    // hold the step open for longer than that takes.
    if (this.crash) setTimeout(() => process.exit(), crashExitMs).unref()
  }

  private cancel(signal: NodeJS.Signals): void {
    const stoppedAlready = this.cancelled
    this.cancelled = true
    if (this.children.size === 0 && this.stoppedBy === 'crash') {
      this.afterStoppedPackerEnded(signal)
      return
    }
    if (this.children.size === 0) {
      if (this.endingWhileIdle) return
      if (this.stoppedBy === 'signal') {
        // The runner's SIGTERM once the Packer its SIGINT stopped has ended: no Packer runs, but
        // the run is the cancel's, and ending; nothing ran before it.
        this.afterStoppedPackerEnded(signal)
        return
      }
      this.endingWhileIdle = true
      this.whenIdle(signal)
      return
    }
    const first = !this.signalled
    this.signalled = true
    if (!stoppedAlready) {
      this.announce(`Received ${signal}: ${this.stopping()}`)
      this.stopped = [...this.children.values()]
      for (const child of this.children.keys()) child.kill('SIGTERM')
      this.stoppedBy = 'signal'
    } else if (first && this.crashFirst) {
      // Packer is stopping already: the cancel stops nothing more, and is no signal "again".
      this.announce(`Received ${signal} after the action crashed: ${this.stillWaiting()}`)
    } else {
      this.announce(`Received ${signal} again: ${this.stillWaiting()}`)
      if (this.stoppedBy && !this.outlastedTold) {
        this.outlastedTold = true
        this.outlasted(signal, [...this.children.values()], false)
      }
    }
  }

  /**
   * A signal once the Packer that a signal or the action's crash stopped has ended, while the run
   * ends: the run's end tells how it ended, as it would have without the signal, not the signal
   * a second time (whenIdle). After a crash, the runner's first signal is its cancel of a run
   * already ending; a signal again is its last word, and `outlasted` is told, once, so that the
   * job says how the run ended before the kill.
   */
  private afterStoppedPackerEnded(signal: NodeJS.Signals): void {
    const first = !this.signalled
    this.signalled = true
    const named = this.stopped.map((command) => `packer ${command}`).join(' and ')
    const ended = `${named} ${this.stopped.length === 1 ? 'was' : 'were'} stopped and ${this.stopped.length === 1 ? 'has' : 'have'} ended; the run is ending…`
    if (first && this.crashFirst) {
      this.announce(`Received ${signal} after the action crashed: ${ended}`)
      return
    }
    this.announce(`Received ${signal} again: ${ended}`)
    if (this.outlastedTold) return
    this.outlastedTold = true
    this.outlasted(signal, this.stopped, true)
  }

  /** What Packer, stopped already, is still waited for to do. */
  private stillWaiting(): string {
    const building = [...this.children.values()].includes('build')
    return building && !this.keepsWhatPackerMade ? 'still waiting for Packer to finish cleaning up…' : `still waiting for ${this.named()} to stop…`
  }

  /** Which Packer commands a cancel or a crash stops, and what they do before they end. */
  private stopping(): string {
    const commands = [...this.children.values()]
    if (commands.includes('build')) {
      return this.keepsWhatPackerMade
        ? 'stopping Packer, which leaves what it made as it is (on-error: abort)…'
        : 'stopping Packer and waiting for it to clean up (instance, key pair, security group)…'
    }
    return `stopping ${this.named()}…`
  }

  /** The Packer commands that run, as the log names them (`packer validate and packer inspect`). */
  private named(): string {
    return [...this.children.values()].map((command) => `packer ${command}`).join(' and ')
  }

  /**
   * An error nothing caught (the action's own fault) while Packer runs. Node would exit at once,
   * leaving Packer, in its own process group, building on through the job's later steps until
   * the post step: its instance running, nobody reading what it makes. Instead Packer is
   * stopped as on a cancel, and cleans up before the step ends, failed. While no Packer runs,
   * `crashedWhileIdle` ends the job (main.ts: with an error that says why, and the summary as
   * it stands), unless a cancel stopped the Packer that ran and the run is ending after it
   * (`crashedOnceCancelled`).
   */
  private crashed(error: Error): void {
    // As Node would have: the error on stderr, and the step failed.
    console.error(error)
    process.exitCode = 1
    if (this.crash || this.endingWhileIdle) return
    this.crash = error
    if (!this.cancelled) this.crashFirst = error
    if (this.children.size === 0 && this.stoppedBy === 'signal' && !this.outlastedTold) {
      // No second end of the run: the cancel's, under way, tells what Packer left, which one
      // while no Packer ran would not. Whatever the crash left unsettled must not hold the step.
      this.crashedOnceCancelled(error)
      setTimeout(() => process.exit(), crashExitMs).unref()
      return
    }
    if (this.children.size === 0) {
      this.endingWhileIdle = true
      // A Packer the job would start before the step has ended is stopped as it starts.
      this.cancelled = true
      this.crashedWhileIdle(error)
      return
    }
    // After a cancel, Packer is stopping already: only the crash is new.
    this.sayCrashed(error, this.cancelled ? `still waiting for ${this.named()} to stop after the cancel…` : this.stopping())
    if (!this.cancelled) {
      this.stopped = [...this.children.values()]
      for (const child of this.children.keys()) child.kill('SIGTERM')
      this.stoppedBy = 'crash'
    }
    this.cancelled = true
  }
}

/** How runPacker runs Packer. */
export interface RunOptions {
  cwd: string
  env: NodeJS.ProcessEnv
  log: PackerLog
  cancellation?: Cancellation
  /** Where the run's events are collected; a fresh one unless given. */
  record?: RunRecord
  /** Stops Packer once it has run this long: SIGTERM, then its whole process group. */
  deadlineMs?: number
  /** Stops Packer when aborted (SIGTERM): the job no longer needs what it would say. */
  stop?: AbortSignal
  /**
   * Packer's output is read, and logged, only once this settles (while an HCL2 template's
   * sensitive values are not yet masked); Packer runs meanwhile, and waits once the pipe is
   * full. If it rejects, Packer is stopped and nothing it wrote is logged.
   */
  logAfter?: Promise<unknown>
  /** What Packer reads on its standard input (a pipe then; else none). */
  input?: string
  /** Told Packer's process ID (its process group's too) once it has started. */
  started?: (pid: number) => void
  /**
   * The longest line that is kept whole (by default the job log's, maxLineBytes): the rest of
   * a longer one is counted, not kept. What the job reads from Packer's answers keeps more.
   */
  maxLineBytes?: number
}

/**
 * Runs Packer; when Packer itself crashed (a panic, not a kill or a stop), moves the crash.log it
 * wrote out of the checkout at once, whatever the job does next (`panicked`): every Packer
 * command the job runs goes through here.
 */
export async function runPacker(packerPath: string, args: string[], options: RunOptions): Promise<PackerRun> {
  const crashLogBefore = hasCrashLog(options.cwd)
  const run = await spawnPacker(packerPath, args, options)
  const { crash } = run.record
  if (crash === undefined || run.exitCode === 0 || run.killedBy || run.cancelled) return run
  return { ...run, panicked: { command: `packer ${commandName(args)}`, crash, report: await keepCrashLog(options.cwd, crashLogBefore) } }
}

/** A command as the log names it: `build`, `plugins install`. */
function commandName(args: string[]): string {
  return args.slice(0, args[0] === 'plugins' ? 2 : 1).join(' ')
}

async function spawnPacker(packerPath: string, args: string[], options: RunOptions): Promise<PackerRun> {
  const record = options.record ?? new RunRecord()
  const { log, cancellation } = options
  // Its own process group, so a Ctrl-C in a terminal reaches only the action, which then
  // stops Packer the one way that makes it clean up.
  const child = spawn(packerPath, args, {
    cwd: options.cwd,
    env: startedIn(options.cwd, options.env),
    stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    detached: process.platform !== 'win32'
  })
  if (options.input !== undefined) feed(child, options.input)
  if (child.pid !== undefined) options.started?.(child.pid)
  // Listened for at once: a Packer that cannot start says so on the next tick.
  const exit = exited(child, packerPath)
  exit.catch(() => undefined)
  cancellation?.attach(child, commandName(args))
  const deadline = options.deadlineMs === undefined ? undefined : stopAtDeadline(child, options.deadlineMs)
  const stopNow = (): void => void child.kill('SIGTERM')
  if (options.stop?.aborted) stopNow()
  options.stop?.addEventListener('abort', stopNow, { once: true })

  const { onStdoutLine, onStderrLine } = lineHandlers(log, record)
  const logging = options.logAfter ? loggedOnceReady(options.logAfter, child, log) : undefined
  if (logging) logging.catch(() => undefined)
  else log.begin()
  // Each stream is read a chunk at a time and not read on while the job log is full, so the
  // pipe from Packer fills and Packer waits: memory stays flat however much it prints. They
  // are read from the start all the same: Node drops what an exited child wrote if nobody is.
  const reading = Promise.all([
    readLines(child.stdout, onStdoutLine, log, logging, options.maxLineBytes),
    readLines(child.stderr, onStderrLine, log, logging, options.maxLineBytes)
  ])
  // Awaited once Packer has exited; until then (or if it never started) not an unhandled rejection.
  reading.catch(() => undefined)

  let run: PackerRun = { exitCode: 1, cancelled: false, record }
  try {
    await logging
    const [code, signal] = await exit
    endProcessGroup(child)
    await drained(reading, child, outputDrainMs)
    const exitCode = code ?? (signal ? 128 + signalNumber(signal) : 1)
    run = { exitCode, killedBy: signal ?? undefined, cancelled: cancellation?.cancelled ?? false, record }
    if (deadline?.passed()) run.timedOut = true
    return run
  } finally {
    deadline?.clear()
    options.stop?.removeEventListener('abort', stopNow)
    cancellation?.detach(child)
    log.end(run)
  }
}

/** Writes Packer's standard input. A Packer that exits without reading it all closes the pipe: not an error of the action's. */
function feed(child: ChildProcess, input: string): void {
  child.stdin?.on('error', () => undefined)
  child.stdin?.end(input)
}

/**
 * Begins the log once `ready` settles; if it fails, ends Packer and its process group, and
 * fails with its error, so that nothing Packer wrote is logged.
 */
async function loggedOnceReady(ready: Promise<unknown>, child: ChildProcess, log: PackerLog): Promise<void> {
  try {
    await ready
  } catch (error) {
    endProcessGroup(child)
    child.kill('SIGKILL')
    throw error
  }
  log.begin()
}

/** Stops `child` once `ms` have passed: SIGTERM, and its process group killed if it lingers. */
function stopAtDeadline(child: ChildProcess, ms: number): { passed(): boolean; clear(): void } {
  let passed = false
  let grace: NodeJS.Timeout | undefined
  const timer = setTimeout(() => {
    passed = true
    child.kill('SIGTERM')
    grace = setTimeout(() => endProcessGroup(child), deadlineGraceMs)
  }, ms)
  return {
    passed: () => passed,
    clear: () => {
      clearTimeout(timer)
      clearTimeout(grace)
    }
  }
}

function lineHandlers(log: PackerLog, record: RunRecord): { onStdoutLine: LineHandler; onStderrLine: LineHandler } {
  const onStdoutLine: LineHandler = (bytes, start, whole, cut) => {
    const end = cut > 0 ? (log.cutAt?.(bytes, start, whole) ?? whole) : whole
    const dropped = cut + whole - end
    // Nearly every line is text to show: it goes to the log as bytes, and only the others
    // become strings and events.
    const text = uiTextStart(bytes, start, end)
    if (text >= 0) {
      log.packerText(bytes, text, end)
      record.observeText(bytes, text, end)
    } else {
      const line = bytes.toString('utf8', start, end)
      const event = parseEventLine(line, record.namesWithCommas)
      if (event) {
        record.observe(event)
        log.event(event)
      } else if (line.trim() !== '') {
        log.raw(line, 'stdout')
      }
    }
    if (dropped > 0) log.raw(cutShort(dropped), 'stdout')
  }
  const onStderrLine: LineHandler = (bytes, start, whole, cut) => {
    const end = cut > 0 ? (log.cutAt?.(bytes, start, whole) ?? whole) : whole
    const dropped = cut + whole - end
    // Packer's debug log (PACKER_LOG) copies each machine-readable line, escaped as on standard
    // output: shown as is, a secret with a comma or a line break would be in a form the runner
    // does not mask. It is unescaped as the text of a `ui` line is, whose secrets the runner masks;
    // as bytes, as that text is: the copies are as many as Packer's lines.
    if (isLoggedEventLine(bytes, start, end)) {
      log.loggedEvent?.(bytes, start, end)
    } else {
      const line = bytes.toString('utf8', start, end)
      record.observeStderr(line)
      if (line.trim() !== '') log.raw(line, 'stderr')
    }
    if (dropped > 0) log.raw(cutShort(dropped), 'stderr')
  }
  return { onStdoutLine, onStderrLine }
}

/** Said after a line that was longer than the log keeps (maxLineBytes). */
function cutShort(dropped: number): string {
  return `(Packer's line above went on for ${dropped} more bytes, not shown)`
}

/**
 * 'exit', not 'close': 'close' waits for every holder of the output pipes, and a plugin
 * process that outlived a killed Packer holds them for as long as it polls EC2.
 */
function exited(child: ChildProcess, packerPath: string): Promise<[number | null, NodeJS.Signals | null]> {
  return new Promise((resolvePromise, reject) => {
    child.on('error', (error: NodeJS.ErrnoException) => {
      reject(new Error(`could not run Packer at ${packerPath}: ${error.code ?? error.message}`))
    })
    child.on('exit', (exitCode, exitSignal) => resolvePromise([exitCode, exitSignal]))
  })
}

async function readLines(
  stream: Readable | null,
  onLine: LineHandler,
  log: PackerLog,
  logging: Promise<void> | undefined,
  maxLineBytes: number | undefined
): Promise<void> {
  if (!stream) return
  const splitter = new ByteLineSplitter(maxLineBytes)
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    // Until the log begins, the stream holds what Packer wrote and then stops reading.
    if (logging) await logging
    splitter.push(chunk, onLine)
    released(chunk)
    const full = log.flush()
    if (full) await full
  }
  if (logging) await logging
  splitter.end(onLine)
  log.flush()
}

/** An ArrayBuffer's ES2024 `transfer`, which Node has from version 21 on. */
type Transferable = ArrayBuffer & { transfer?: (length: number) => ArrayBuffer }

/**
 * Frees a chunk of Packer's output once its lines are handled (the splitter and the log keep
 * copies only). Left to the garbage collector, chunks that make few objects on the heap, as the
 * rest of a line too long to keep (maxLineBytes) does, pile up outside it: V8 lets that memory
 * grow by tens of megabytes before it collects. Only a chunk that is the whole of its memory
 * is freed: a slice of a shared pool is others' too.
 */
function released(chunk: Buffer): void {
  const memory = chunk.buffer as Transferable
  if (chunk.byteOffset === 0 && chunk.byteLength === memory.byteLength) memory.transfer?.(0)
}

/**
 * Packer runs as the leader of its own process group; once it has exited, whatever is left in
 * the group (plugin processes of a Packer that was killed) has no one to report to, and is
 * killed. Their instances are the post step's to clean up.
 */
function endProcessGroup(child: ChildProcess): void {
  if (process.platform === 'win32' || child.pid === undefined) return
  try {
    process.kill(-child.pid, 'SIGKILL')
  } catch {
    // ESRCH: the group is already empty.
  }
}

/**
 * Resolves when what Packer wrote has been read to the end, or after `limitMs`: a process
 * outside the group could hold the pipes open for ever. The pipes are closed then.
 */
async function drained(reading: Promise<unknown>, child: ChildProcess, limitMs: number): Promise<void> {
  await withinDeadline(reading.catch(() => undefined), limitMs)
  for (const stream of [child.stdout, child.stderr]) stream?.destroy()
}

function signalNumber(signal: NodeJS.Signals): number {
  return signal === 'SIGKILL' ? 9 : signal === 'SIGINT' ? 2 : 15
}
