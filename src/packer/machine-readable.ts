// Packer's -machine-readable output: one event per line, `timestamp,target,type,data...`.
// Inside data, commas are written as %!(PACKER_COMMA) and newlines as a literal \n.

export interface PackerEvent {
  timestamp: string
  /** The build name, or '' for events about the whole run (ui lines, error-count). */
  target: string
  type: string
  data: string[]
}

export function unescapeField(field: string): string {
  return field
    .replaceAll('%!(PACKER_COMMA)', ',')
    .replaceAll('\\n', '\n')
    .replaceAll('\\r', '\r')
}

/** Parses one line; anything that is not a machine-readable event (e.g. a panic) is undefined. */
export function parseEventLine(line: string): PackerEvent | undefined {
  const fields = line.replace(/\r$/, '').split(',')
  if (fields.length < 3 || !/^\d+$/.test(fields[0])) return undefined
  const [timestamp, target, type, ...data] = fields
  return { timestamp, target, type, data: data.map(unescapeField) }
}

/**
 * Splits a byte stream into lines as chunks arrive, holding only the unfinished last line,
 * so a build log of any length is handled in constant memory.
 */
export class LineSplitter {
  private partial = ''
  private readonly decoder = new TextDecoder()

  push(chunk: Uint8Array | string, onLine: (line: string) => void): void {
    const text =
      typeof chunk === 'string' ? chunk : this.decoder.decode(chunk, { stream: true })
    const lines = (this.partial + text).split('\n')
    this.partial = lines.pop() ?? ''
    for (const line of lines) onLine(line)
  }

  end(onLine: (line: string) => void): void {
    const rest = this.partial + this.decoder.decode()
    this.partial = ''
    if (rest !== '') onLine(rest)
  }
}

/** An artifact announced by `artifact,I,…` events, for runs that wrote no manifest file. */
export interface AnnouncedArtifact {
  build: string
  builderId: string
  id: string
}

/**
 * A copy of a string that shares no memory with the chunk it was cut from. Lines are slices
 * of 64 KiB decoded chunks, and V8 keeps the whole chunk alive behind any slice that is kept.
 */
function detached(text: string): string {
  return (' ' + text).slice(1)
}

/**
 * What an amazon builder said it created and deletes again when it cleans up: the source
 * instance, the temporary key pair and the temporary security group. If Packer dies before
 * its clean-up, these are what is left running in the account.
 */
export interface TemporaryResources {
  instanceIds: string[]
  keyPairs: string[]
  securityGroups: string[]
}

// The amazon builders' own log lines (step_run_source_instance, step_key_pair,
// step_security_group). Only these lines count: a resource is never guessed from a name.
const announcedResources: Array<[RegExp, keyof TemporaryResources]> = [
  [/^\s*.+?: Instance ID: (i-[0-9a-f]{8,17})\s*$/, 'instanceIds'],
  [/^==> .+?: Creating temporary keypair: (\S+)\s*$/, 'keyPairs'],
  [/^==> .+?: Creating temporary security group for this instance: (\S+)\s*$/, 'securityGroups']
]

/**
 * Collects what the rest of the job needs from the event stream: the Packer version, the
 * artifacts, the errors and the temporary resources. Only small, bounded state is kept.
 */
export class RunRecord {
  version?: string
  readonly artifacts: AnnouncedArtifact[] = []
  readonly errors: string[] = []
  readonly temporaryResources: TemporaryResources = { instanceIds: [], keyPairs: [], securityGroups: [] }
  private readonly pending = new Map<string, Partial<AnnouncedArtifact>>()
  private static readonly maxErrors = 100
  private static readonly maxResources = 100

  /** Called when a temporary resource is announced, e.g. to save it for the post step at once. */
  constructor(private readonly onTemporaryResource?: (resources: TemporaryResources) => void) {}

  observe(event: PackerEvent): void {
    switch (event.type) {
      case 'version':
        if (event.target === '' && event.data[0]) this.version = detached(event.data[0])
        break
      case 'artifact':
        this.observeArtifact(event)
        break
      case 'error':
        // `<build>,error,<message>`: the build's own failure summary.
        if (event.target !== '') this.addError(`${event.target}: ${event.data.join(',')}`)
        break
      case 'ui':
        if (event.data[0] === 'error') this.addError(event.data.slice(1).join(','))
        else if (event.data[0] === 'say' || event.data[0] === 'message') this.observeSay(event.data.slice(1).join(','))
        break
    }
  }

  private observeSay(text: string): void {
    for (const [pattern, kind] of announcedResources) {
      const match = pattern.exec(text)
      const list = this.temporaryResources[kind]
      if (!match || list.includes(match[1]) || list.length >= RunRecord.maxResources) continue
      list.push(detached(match[1]))
      this.onTemporaryResource?.(this.temporaryResources)
    }
  }

  private addError(message: string): void {
    const trimmed = message.trim()
    if (trimmed === '' || this.errors.includes(trimmed)) return
    if (this.errors.length < RunRecord.maxErrors) this.errors.push(detached(trimmed))
  }

  private observeArtifact(event: PackerEvent): void {
    const [index, key, ...rest] = event.data
    if (index === undefined || key === undefined) return
    const slot = `${event.target}\u0000${index}`
    const artifact = this.pending.get(slot) ?? { build: detached(event.target) }
    if (key === 'builder-id') artifact.builderId = detached(rest.join(','))
    if (key === 'id') artifact.id = detached(rest.join(','))
    if (key === 'end') {
      this.pending.delete(slot)
      if (artifact.id !== undefined) {
        this.artifacts.push({
          build: artifact.build ?? detached(event.target),
          builderId: artifact.builderId ?? '',
          id: artifact.id
        })
      }
      return
    }
    this.pending.set(slot, artifact)
  }
}

/** What a human reads for one event, or undefined for events that are bookkeeping only. */
export type Rendered =
  | { level: 'info'; text: string }
  | { level: 'error'; text: string }
  | undefined

export function renderEvent(event: PackerEvent): Rendered {
  if (event.type === 'ui') {
    const [kind, ...rest] = event.data
    const text = rest.join(',').replace(/\n+$/, '')
    if (kind === 'error') return { level: 'error', text }
    if (kind === 'say' || kind === 'message') return { level: 'info', text }
    return undefined
  }
  // `<build>,error,…` repeats what a `ui,error` line already said.
  return undefined
}

/** Where a Packer error points in a template, when it says. */
export interface ErrorLocation {
  file?: string
  line: number
  column?: number
}

export function locateError(message: string): ErrorLocation | undefined {
  // HCL2 diagnostics: `on ami.pkr.hcl line 12, in source "amazon-ebs" "x":`
  const hcl = /\bon (\S+) line (\d+)(?:, column (\d+))?/.exec(message)
  if (hcl) {
    return {
      file: hcl[1],
      line: Number(hcl[2]),
      column: hcl[3] === undefined ? undefined : Number(hcl[3])
    }
  }
  // JSON templates: `Error parsing JSON: … At line 7, column 5 (offset 123)`
  const json = /\bline (\d+), column (\d+)/i.exec(message)
  if (json) return { line: Number(json[1]), column: Number(json[2]) }
  return undefined
}
