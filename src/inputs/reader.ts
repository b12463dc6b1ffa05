// Reading inputs with one collector of problems, so that a run with several bad inputs reports
// all of them at once, each naming its input or file.
import { readFileSync, statSync } from 'node:fs'
import { basename } from 'node:path'
import { workspaceRelative } from '../common/paths.js'
import { JsonSyntaxError, parseJsonWithPosition, type JsonPath } from './template.js'

/** Where a problem points, so the annotation lands on the file and line. */
export interface ProblemLocation {
  file: string
  line?: number
  column?: number
  /**
   * The value in a JSON file (its absolute path) that the problem is about. Its line is found
   * when the problem is reported: that takes a parser with positions, which a valid run never needs.
   * Its key's line, or, with `itself`, where the value itself is written (a string's opening quote).
   */
  value?: { path: string; at: JsonPath; itself?: boolean }
}

export interface InputProblem {
  message: string
  location?: ProblemLocation
}

export class InputError extends Error {
  constructor(readonly problems: InputProblem[]) {
    super(problems.map((problem) => problem.message).join('\n'))
  }
}

export type InputGetter = (name: string) => string

/**
 * Lines of a multi-line input, trimmed, without blanks or `#` comments. In a `|` block YAML keeps
 * a `# …` line as text, but whoever writes one means a comment, as in a `run:` script; no tag
 * key, variable name, plugin source, file or build name a user means begins with `#`.
 */
export function inputLines(value: string): string[] {
  return numberedInputLines(value).map(({ text }) => text)
}

/** inputLines, each with its line number as written (blank and `#` lines counted), from 1. */
export function numberedInputLines(value: string): Array<{ text: string; line: number }> {
  return value
    .split(/\r?\n/)
    .map((line, index) => ({ text: line.trim(), line: index + 1 }))
    .filter(({ text }) => text !== '' && !text.startsWith('#'))
}

/** Names separated by commas or newlines; `#` comment lines are skipped as in inputLines. */
export function inputList(value: string): string[] {
  return inputLines(value)
    .flatMap((line) => line.split(','))
    .map((item) => item.trim())
    .filter((item) => item !== '')
}

export function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory()
  } catch {
    return false
  }
}

/** The inputs as the runner passes them, and every problem found in them so far. */
export class InputReader {
  readonly problems: InputProblem[] = []

  constructor(
    private readonly get: InputGetter,
    /** Absolute workspace: files in messages are named relative to it. */
    readonly workspace: string
  ) {}

  /** The input, trimmed; `fallback` when it is empty. */
  text(name: string, fallback = ''): string {
    return this.get(name).trim() || fallback
  }

  /** The input as it was given, untrimmed (for multi-line values). */
  raw(name: string): string {
    return this.get(name)
  }

  lines(name: string): string[] {
    return inputLines(this.get(name))
  }

  numberedLines(name: string): Array<{ text: string; line: number }> {
    return numberedInputLines(this.get(name))
  }

  list(name: string): string[] {
    return inputList(this.get(name))
  }

  problem(message: string, location?: ProblemLocation): void {
    this.problems.push({ message, location })
  }

  /**
   * true or false as YAML 1.2 writes them (what @actions/core's getBooleanInput takes); `fallback`,
   * action.yml's default, when empty. The runner passes '' when `with:` has the key with an empty
   * value, such as `${{ inputs.force }}` of a reusable workflow called without it: that asks for
   * nothing, so it gets the default, as when the key is left out.
   */
  boolean(name: string, fallback: boolean): boolean {
    const value = this.text(name)
    if (value === '') return fallback
    if (['true', 'True', 'TRUE'].includes(value)) return true
    if (['false', 'False', 'FALSE'].includes(value)) return false
    this.problem(`${name}: expected true or false, found "${value}"`)
    return fallback
  }

  /** One of `allowed`; `fallback`, action.yml's default, when empty (see boolean). */
  oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
    const value = this.text(name, fallback)
    if ((allowed as readonly string[]).includes(value)) return value as T
    this.problem(`${name}: expected one of ${allowed.join(', ')}, found "${value}"`)
    return fallback
  }

  /** A path as messages and annotations show it. */
  shown(path: string): string {
    return workspaceRelative(path, this.workspace)
  }

  /**
   * Parses a JSON file that `input` names; a problem at its line and column when it is not JSON,
   * ending with `hint` (what to do about it) when there is one.
   */
  json(path: string, input: string, hint?: string): unknown {
    return this.jsonFile(path, input, hint)?.parsed
  }

  /**
   * A JSON file that `input` names, with its text and the bytes it is read from (which the
   * fingerprint hashes); a problem as `json` gives when it is not JSON.
   */
  jsonFile(path: string, input: string, hint?: string): { text: string; bytes: Uint8Array; parsed: unknown } | undefined {
    const shown = this.shown(path)
    try {
      const bytes = readFileSync(path)
      const text = bytes.toString('utf8')
      return { text, bytes, parsed: parseJsonWithPosition(text) }
    } catch (error) {
      if (!(error instanceof JsonSyntaxError)) {
        this.problem(`${input}: cannot read ${basename(path)}: ${(error as Error).message}`)
        return undefined
      }
      const { position } = error
      const at = position ? ` at line ${position.line}, column ${position.column}` : ''
      this.problem(`${input}: ${shown} is not valid JSON${at}: ${error.message}${hint ? `. ${hint}` : ''}`, {
        file: shown,
        line: position?.line,
        column: position?.column
      })
      return undefined
    }
  }

  /** Throws one InputError with every problem found, if there is any. */
  done(): void {
    if (this.problems.length > 0) throw new InputError(this.problems)
  }
}
