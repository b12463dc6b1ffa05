// Text cut short, for the log, an annotation or the summary. The runner masks a secret only
// where it shows whole: a secret cut in two shows its first part in clear. So every cut falls at
// white space, which no secret without white space can straddle, and before any secret the action
// knows (those it registered, and every value given to the step) that would straddle it.
// Loaded with the input checks: it needs nothing else.

/** The secrets the action registered with the runner (report/masks.ts), in each form registered. */
const registered = new Set<string>()

export function rememberSecret(secret: string): void {
  registered.add(secret)
}

/**
 * Values the runner may hold as secrets without the action being told (`${{ secrets.X }}` in the
 * workflow): each value given to the step, its inputs and its environment, each line of one, and
 * the part after the first `=` of such a line (`NAME=${{ secrets.X }}` in variables or tags).
 */
export function valuesGiven(env: NodeJS.ProcessEnv = process.env): string[] {
  const values = new Set<string>()
  for (const value of Object.values(env)) {
    if (value === undefined) continue
    for (const line of [value, ...value.split(/\r\n|\r|\n/)]) {
      const equals = line.indexOf('=')
      for (const part of [line, equals < 0 ? '' : line.slice(equals + 1)]) if (part.trim().length > 1) values.add(part.trim())
    }
  }
  return [...values]
}

/** What no cut may fall inside: the secrets registered and the values given to the step. */
export function secretsOfTheStep(): string[] {
  return [...registered, ...valuesGiven()]
}

export interface CutOptions {
  /** What no cut may fall inside; secretsOfTheStep() unless given. */
  secrets?: Iterable<string>
  /**
   * How far before the limit white space is looked for; when there is none that near, the cut
   * falls at the limit itself (the log's lines, where a script may print a line with no space).
   * Unless given, white space anywhere, and nothing shown without it.
   */
  whiteSpaceWithin?: number
  /** The text went on past its end (what was kept of a longer line): a secret may begin in its last characters. */
  goesOn?: boolean
}

/** ASCII white space: a cut there never falls inside a character, even in bytes read as latin1. */
const whiteSpace = /[ \t\n\r\f\v]/

/**
 * How many of `text`'s first characters to show in at most `room`: all of it when it fits; else
 * up to white space, and before any secret that would be cut in two, so that the runner either
 * masks a secret whole or none of it shows.
 */
export function safeLength(text: string, room: number, options: CutOptions = {}): number {
  if (text.length <= room && !options.goesOn) return text.length
  const secrets = [...new Set(options.secrets ?? secretsOfTheStep())].filter((secret) => secret.length > 1)
  let end = Math.min(room, text.length)
  for (;;) {
    end = atWhiteSpace(text, end, options)
    const split = secretStartBefore(text, end, secrets, options.goesOn === true)
    if (split === undefined) return end
    end = split
  }
}

/**
 * `text` cut to at most `room` characters with safeLength, ending in `more` when cut; `more` alone
 * when nothing can be shown.
 */
export function cutSafely(text: string, room: number, more: string, options: CutOptions = {}): string {
  const length = safeLength(text, room, options)
  return length >= text.length ? text : `${text.slice(0, length).trimEnd()}${more}`
}

/**
 * `text` with each run of white space made one space, except inside a secret the step knows:
 * the runner masks a secret only as it is, and one whose white space changed would show in clear.
 */
export function squeezeWhiteSpace(text: string, secrets: Iterable<string> = secretsOfTheStep()): string {
  const kept = keptWhole(text, [...secrets].filter((secret) => /\s/.test(secret)))
  let squeezed = ''
  let from = 0
  for (const [start, end] of kept) {
    squeezed += text.slice(from, start).replace(/\s+/g, ' ') + text.slice(start, end)
    from = end
  }
  return squeezed + text.slice(from).replace(/\s+/g, ' ')
}

/**
 * Where `text` first matches `end` (a global pattern) outside any secret the step knows: text cut
 * there shows no part of one. Undefined when it matches only inside secrets, or nowhere.
 */
export function firstOutsideSecrets(text: string, end: RegExp, secrets: Iterable<string> = secretsOfTheStep()): RegExpExecArray | undefined {
  const kept = keptWhole(text, [...secrets].filter((secret) => secret.length > 1))
  for (const match of text.matchAll(end)) {
    const at = match.index
    if (!kept.some(([start, stop]) => at >= start && at < stop)) return match
  }
  return undefined
}

/** Where `secrets` are in `text`, as [start, end) spans in order, overlapping ones made one. */
function keptWhole(text: string, secrets: string[]): Array<[number, number]> {
  const spans: Array<[number, number]> = []
  for (const secret of secrets) {
    for (let at = text.indexOf(secret); at >= 0; at = text.indexOf(secret, at + 1)) spans.push([at, at + secret.length])
  }
  spans.sort(([a], [b]) => a - b)
  const merged: Array<[number, number]> = []
  for (const [start, end] of spans) {
    const last = merged.at(-1)
    if (last && start <= last[1]) last[1] = Math.max(last[1], end)
    else merged.push([start, end])
  }
  return merged
}

/** The last white space at or before `end`, as the end of what is shown (see whiteSpaceWithin). */
function atWhiteSpace(text: string, end: number, { whiteSpaceWithin, goesOn }: CutOptions): number {
  if (end >= text.length && !goesOn) return end
  const from = whiteSpaceWithin === undefined ? 0 : Math.max(0, end - whiteSpaceWithin)
  for (let at = Math.min(end, text.length - 1); at >= from; at--) if (whiteSpace.test(text[at])) return at
  return whiteSpaceWithin === undefined ? 0 : end
}

/**
 * Where the first secret that text shown up to `end` would cut in two begins, if one would: one
 * that begins before `end` and goes on past it, or, in text that `goesOn`, that it ends in the start of.
 */
function secretStartBefore(text: string, end: number, secrets: string[], goesOn: boolean): number | undefined {
  let first: number | undefined
  for (const secret of secrets) {
    const at = text.indexOf(secret, Math.max(0, end - secret.length + 1))
    if (at >= 0 && at < end) first = Math.min(first ?? at, at)
    if (!goesOn) continue
    const start = partStart(text, end, secret)
    if (start !== undefined) first = Math.min(first ?? start, start)
  }
  return first
}

/** Where the text begins a part of `secret` that it ends in, before `end`: the earliest such start. */
function partStart(text: string, end: number, secret: string): number | undefined {
  const lowest = Math.max(0, text.length - secret.length + 1)
  // Found by the secret's first characters, then compared whole: a log line can be 64 KiB long.
  const head = secret.slice(0, Math.min(8, secret.length - 1))
  for (let at = text.indexOf(head, lowest); at >= 0 && at < end; at = text.indexOf(head, at + 1)) {
    if (secret.startsWith(text.slice(at))) return at
  }
  for (let at = Math.max(lowest, text.length - head.length + 1); at < Math.min(end, text.length); at++) {
    if (secret.startsWith(text.slice(at))) return at
  }
  return undefined
}
