// Packer's events as a reader of the job log sees them: plain lines, written in batches at the
// pace the runner reads them, never read as workflow commands; errors as annotations on the
// template file and line when Packer says where, once Packer has said whether it failed.
import * as core from '@actions/core'
import { randomUUID } from 'node:crypto'
import { isAbsolute, relative, resolve } from 'node:path'
import { locateError, renderEvent, type PackerEvent } from './machine-readable.js'
import type { PackerLog, PackerRun } from './run.js'

export interface AnnotationContext {
  /** Directory Packer runs in: HCL2 diagnostics name files relative to it. */
  workingDirectory: string
  /** The template, relative to workingDirectory: JSON parse errors point into it. */
  template: string
  /** Annotations name files relative to the workspace. */
  workspace: string
}

export function annotationFor(message: string, context: AnnotationContext): core.AnnotationProperties {
  const location = locateError(message)
  if (!location) return { title: 'Packer' }
  const file = resolve(context.workingDirectory, location.file ?? context.template)
  const fromWorkspace = relative(context.workspace, file)
  return {
    title: 'Packer',
    file: fromWorkspace.startsWith('..') || isAbsolute(fromWorkspace) ? file : fromWorkspace,
    startLine: location.line,
    startColumn: location.column
  }
}

/** The part of a stream the job log needs: Node's process.stdout, or a test's stand-in. */
export interface LogStream {
  write(text: string): boolean
  once(event: 'drain', listener: () => void): unknown
  on(event: 'error', listener: (error: Error) => void): unknown
}

/**
 * The job log as the pipe it is on a runner. Lines are joined into one write per batch, and
 * `ready()` tells the reader of Packer's output to wait while the pipe is full: Node would
 * otherwise queue every write in memory for as long as the runner reads slower than Packer
 * prints, which a chatty provisioner easily does.
 */
export class JobLog {
  private batch: string[] = []
  private batchChars = 0
  private full?: Promise<void>
  private release?: () => void
  private broken = false

  constructor(
    private readonly out: LogStream = process.stdout,
    private readonly maxBatchChars = 64 * 1024
  ) {
    // A job log that can no longer be written (the runner went away) must not take the build
    // down with it: Packer still has to finish or clean up. Its output is dropped from then on.
    out.on('error', () => {
      this.broken = true
      this.batch = []
      this.batchChars = 0
      this.release?.()
    })
  }

  line(text: string): void {
    this.batch.push(text)
    this.batchChars += text.length + 1
    if (this.batchChars >= this.maxBatchChars) this.flush()
  }

  /** Hands the batch to the stream; returns a promise while the stream is full. */
  flush(): Promise<void> | undefined {
    if (this.batchChars > 0 && !this.broken) {
      const text = this.batch.join('\n') + '\n'
      this.batch = []
      this.batchChars = 0
      if (!this.out.write(text) && !this.full) {
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
 * commands (annotations) are written again.
 *
 * Errors become annotations only when the run failed: a provisioner's stderr arrives as
 * `ui,error` lines too, and a successful build must not end with a list of "errors".
 */
export function actionsLog(context: AnnotationContext, log: JobLog = jobLog()): PackerLog {
  const token = randomUUID()
  let stopped = false
  return {
    begin(): void {
      log.line(`::stop-commands::${token}`)
      stopped = true
    },
    event(event: PackerEvent): void {
      const rendered = renderEvent(event)
      if (rendered) log.line(rendered.text)
    },
    raw(line: string): void {
      log.line(line)
    },
    flush(): Promise<void> | undefined {
      return log.flush()
    },
    end(run: PackerRun): void {
      if (stopped) log.line(`::${token}::`)
      stopped = false
      log.flush()
      for (const notice of run.record.notices) core.notice(notice, { title: 'Packer' })
      if (run.exitCode === 0 || run.cancelled) return
      for (const error of run.record.errors) core.error(error, annotationFor(error, context))
    }
  }
}
