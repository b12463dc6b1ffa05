// `packer inspect`: Packer's own list of an HCL2 template's builds, in the order Packer reads
// them (.pkr.hcl files, then .pkr.json files, each in name order; blocks in file order), named
// as -only and the build's output name them. Build finish order is not template order, so this
// is what "the first build" means.
import type { Buffer } from 'node:buffer'
import { errorMessage } from '../common/errors.js'
import { stoppedAtDeadline } from '../common/waiting.js'
import { parseEventLine, unescapeField, type PackerEvent } from './machine-readable.js'
import { runPacker, type Cancellation, type PackerLog, type PackerPanic } from './run.js'

/**
 * How long packer inspect may take. For inspect, Packer runs the template's data sources (with
 * its variables unset), and has no way to skip them as validate does: one whose service takes
 * the request and never answers would hold the job here, before anything is validated.
 */
export const inspectDeadlineMs = 60_000

/** The most of inspect's text that is kept: it lists every variable with its value. */
const maxKeptChars = 4 * 1024 * 1024

/**
 * Why packer inspect gave no list of builds; `timedOut` when it was stopped at its deadline,
 * `panicked` when Packer crashed.
 */
export class InspectFailed extends Error {
  constructor(
    message: string,
    readonly timedOut = false,
    readonly panicked?: PackerPanic
  ) {
    super(message)
    this.name = 'InspectFailed'
  }
}

/**
 * Build names from `packer inspect -machine-readable` of an HCL2 template, as printed: `TYPE.NAME`
 * per source, prefixed with `BUILD.` for a named build block.
 */
export function buildsFromInspect(output: string): string[] {
  return buildsFromSays(
    output
      .split('\n')
      .map((line) => sayText(parseEventLine(line)))
      .filter((text) => text !== undefined)
  )
}

/** The text of a `ui,say` event; undefined for any other line. */
function sayText(event: PackerEvent | undefined): string | undefined {
  return event?.type === 'ui' && event.data[0] === 'say' ? event.data.slice(1).join(',') : undefined
}

/** Build names from the text of inspect's `ui,say` lines, in order. */
function buildsFromSays(says: string[]): string[] {
  const text = says.join('\n')
  const start = text.indexOf('> builds:')
  if (start < 0) return []
  const builds: string[] = []
  let buildName: string | undefined
  let inSources = false
  for (const line of text.slice(start).split('\n').slice(1)) {
    const header = /^ {2}> (.+):$/.exec(line)
    if (header) {
      buildName = /^<unnamed build \d+>$/.test(header[1]) ? '' : header[1]
      inSources = false
    } else if (/^ {4}\S/.test(line)) {
      inSources = line.trim() === 'sources:'
    } else if (inSources && buildName !== undefined && /^ {6}\S+$/.test(line)) {
      const source = line.trim()
      builds.push(buildName === '' ? source : `${buildName}.${source}`)
    }
  }
  return builds
}

/** What packer inspect prints, kept rather than logged: the text of its say lines, unescaped. */
class KeptSays implements PackerLog {
  readonly says: string[] = []
  overflowed = false
  private chars = 0

  begin(): void {}
  event(event: PackerEvent): void {
    const text = sayText(event)
    if (text !== undefined) this.keep(text)
  }
  raw(): void {}
  packerText(bytes: Buffer, start: number, end: number): void {
    this.keep(unescapeField(bytes.toString('utf8', start, end)))
  }
  flush(): undefined {
    return undefined
  }
  end(): void {}

  private keep(text: string): void {
    this.chars += text.length
    if (this.chars > maxKeptChars) this.overflowed = true
    else this.says.push(text)
  }
}

/**
 * Runs packer inspect, a short query, stopped at `deadlineMs` (inspectDeadlineMs), on a cancel
 * like any Packer run, and by `stop`; throws InspectFailed with what Packer said when it gives
 * no list.
 */
export async function inspectBuilds(
  packerPath: string,
  template: string,
  options: { cwd: string; env: NodeJS.ProcessEnv; cancellation?: Cancellation; deadlineMs?: number; stop?: AbortSignal }
): Promise<string[]> {
  const deadlineMs = options.deadlineMs ?? inspectDeadlineMs
  const output = new KeptSays()
  let run
  try {
    run = await runPacker(packerPath, ['inspect', '-machine-readable', template], {
      cwd: options.cwd,
      env: options.env,
      log: output,
      cancellation: options.cancellation,
      deadlineMs,
      stop: options.stop,
      // Whole, or cut where it is already too long to be kept.
      maxLineBytes: 2 * maxKeptChars
    })
  } catch (error) {
    throw new InspectFailed(`packer inspect ${template} failed: ${errorMessage(error)}`)
  }
  if (run.timedOut) {
    throw new InspectFailed(
      `${stoppedAtDeadline(`packer inspect ${template}`, deadlineMs)}. ` +
        "For inspect, Packer runs the template's data sources: one of them may be waiting for a service that does not answer",
      true
    )
  }
  if (run.cancelled) throw new InspectFailed(`packer inspect ${template} was stopped: the run was cancelled`)
  if (options.stop?.aborted) throw new InspectFailed(`packer inspect ${template} was stopped: the job no longer needed it`)
  if (output.overflowed) throw new InspectFailed(`packer inspect ${template} printed more than ${maxKeptChars / 1024 / 1024} MiB`)
  if (run.panicked) throw new InspectFailed(`packer inspect ${template} crashed: ${run.panicked.crash.panic}`, false, run.panicked)
  if (run.exitCode === 0) return buildsFromSays(output.says)
  throw new InspectFailed(`packer inspect ${template} failed: ${run.record.errors.join('\n') || `exit code ${run.exitCode}`}`)
}
