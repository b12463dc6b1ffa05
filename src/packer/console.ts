// `packer console`: the values of sensitive variables and locals that only Packer can work out
// (`{{vault …}}`, `aws_secretsmanager()`, a data source), and of what an HCL2 template reads
// from a secret store, sensitive or not, asked of Packer itself so that the job can mask them
// before Packer prints them. Packer 1.6.6 to 1.15.0 print sensitive values in
// clear in -machine-readable mode, which the job uses.
//
// Packer's console answers with sensitive values shown as <sensitive>, so it is asked for them
// encoded: hex bytes for a JSON template, base64 of JSON for HCL2. Where Packer still finds a
// sensitive value in the encoded text (a very short secret may be there by chance), it shows
// <sensitive> there too, and the answer is not read.
import { Buffer } from 'node:buffer'
import { errorMessage } from '../common/errors.js'
import { stoppedAtDeadline } from '../common/waiting.js'
import { sensitiveStrings, stringsOf, type SensitiveValue } from '../common/values.js'
import type { TemplateKind } from '../inputs/template.js'
import { consoleArguments } from './commands.js'
import { distinctHclDiagnostics, unescapeField } from './machine-readable.js'
import { runPacker, type Cancellation, type PackerLog, type PackerPanic, type PackerRun } from './run.js'

/**
 * How long packer console may take. For an HCL2 template Packer runs the data sources first,
 * and one whose service never answers would hold the job here.
 */
export const consoleDeadlineMs = 60_000

/** The most of the answer that is kept: secrets are short, an answer this size is not one. */
const maxAnswerChars = 4 * 1024 * 1024

/** The question: JSON user variables (`sensitive-variables`), or HCL2 locals (`local "x"`), by name. */
export interface SensitiveQuestion {
  kind: TemplateKind
  names: string[]
  /** What an HCL2 template reads from a secret store (hclSecretReads), after the locals. */
  secrets?: string[]
}

/** A field of a JSON secret whose name says it holds the secret itself, not a host, port or user name. */
const secretField = /pass|pwd|secret|token|key|cred|private|auth/i

/**
 * Each string of a secret's value, and, in one that is a JSON document (the whole secret of
 * aws_secretsmanager_raw(), or a data source's secret_string, which a template may take apart
 * with jsondecode() and print a piece of), each text field whose name says it is secret
 * (secretField). Its other fields are not masked: every "us-east-1" or "admin" in the log, and any
 * output holding one, would be lost to the mask.
 */
function secretStrings(value: unknown): string[] {
  return stringsOf(value).flatMap((text) => {
    if (!/^\s*[[{]/.test(text)) return [text]
    try {
      return [text, ...secretFields(JSON.parse(text))]
    } catch {
      return [text]
    }
  })
}

/** The text values of a parsed JSON document under a field named as secretField says. */
function secretFields(document: unknown, secret = false): string[] {
  if (typeof document === 'string') return secret && document !== '' ? [document] : []
  if (Array.isArray(document)) return document.flatMap((each) => secretFields(each, secret))
  if (typeof document !== 'object' || document === null) return []
  return Object.entries(document).flatMap(([field, each]) => secretFields(each, secret || secretField.test(field)))
}

export interface SensitiveAnswer {
  /** Every string of their values, each with its variable or local, to be masked. */
  values: SensitiveValue[]
  /** Why Packer's answer could not be read: none of the values is known then. */
  problem?: string
  /** Packer crashed (the problem then): what runPacker knows of it. */
  panicked?: PackerPanic
}

/** A JSON template's user variable names that a Go template can quote as `name`. */
function quotable(name: string): boolean {
  return name !== '' && !/[`\r\n]/.test(name)
}

/**
 * What packer console is asked: one line that evaluates to all the values at once (it answers
 * only the last line it reads).
 */
export function consoleExpression(question: SensitiveQuestion): string {
  if (question.kind === 'json') {
    return question.names
      .filter(quotable)
      .map((name) => `{{printf "% x" (user \`${name}\`)}}`)
      .join('|')
  }
  const asked = [...question.names.map((name) => `local.${name}`), ...(question.secrets ?? [])]
  return `base64encode(jsonencode([${asked.join(', ')}]))`
}

/**
 * The values in packer console's answer to consoleExpression, each with the variable or local it
 * asked for; throws when it cannot be read.
 */
export function readConsoleAnswer(question: SensitiveQuestion, answer: string): SensitiveValue[] {
  const text = answer.trim()
  if (text.includes('<sensitive>')) {
    throw new Error('Packer hid part of its answer as <sensitive> (a sensitive value is too short to tell from the text around it)')
  }
  if (question.kind === 'json') {
    // One field for each name asked for, in order.
    const names = question.names.filter(quotable)
    const fields = text.split('|')
    if (fields.length !== names.length) throw new Error('its answer is not the hex text asked for')
    return fields.flatMap((field, index) => {
      if (!/^([0-9a-f]{2}( [0-9a-f]{2})*)?$/.test(field)) throw new Error('its answer is not the hex text asked for')
      return sensitiveStrings(Buffer.from(field.replaceAll(' ', ''), 'hex').toString('utf8'), 'variable', names[index])
    })
  }
  // A Packer that prints strings quoted, and one that does not.
  const encoded = /^"(.*)"$/.exec(text)?.[1] ?? text
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(encoded) || encoded === '') throw new Error('its answer is not the base64 text asked for')
  let values: unknown
  try {
    values = JSON.parse(Buffer.from(encoded, 'base64').toString('utf8'))
  } catch {
    throw new Error('its answer is not the JSON asked for')
  }
  // A list of the locals' values, then the secrets', in the order asked for.
  const secrets = question.secrets ?? []
  if (!Array.isArray(values) || values.length !== question.names.length + secrets.length) throw new Error('its answer is not the JSON asked for')
  return values.flatMap((value, index) =>
    index < question.names.length
      ? sensitiveStrings(value, 'local', question.names[index])
      : sensitiveStrings(secretStrings(value), 'secret', secrets[index - question.names.length])
  )
}

/** What packer console prints, kept rather than logged: its last `ui,message`, unescaped. */
class KeptAnswer implements PackerLog {
  answer = ''
  overflowed = false

  begin(): void {}
  event(): void {}
  raw(): void {}
  /** The text of each `ui,message` (and `ui,say`): the answer is the last one. */
  packerText(bytes: Buffer, start: number, end: number): void {
    if (end - start > maxAnswerChars) this.overflowed = true
    else this.answer = unescapeField(bytes.toString('utf8', start, end))
  }
  flush(): undefined {
    return undefined
  }
  end(): void {}
}

/**
 * Why packer console failed, in a few lines: its first error, and how many more. A template
 * Packer cannot read has as many as it has mistakes, which packer validate annotates each on
 * its line.
 */
function failure(run: PackerRun): string {
  const [first, ...more] = distinctHclDiagnostics(run.record.errors)
  if (first === undefined) return `exit code ${run.exitCode}`
  return more.length === 0 ? first : `${first}\n\n(and ${more.length} more error${more.length === 1 ? '' : 's'})`
}

/**
 * Asks packer console for the values of `question`'s variables or locals, with the build's
 * template, variables files and variables. Never throws: a question Packer could not answer
 * (a secret store that is not reachable fails the build the same way) comes back as `problem`.
 */
export async function askSensitiveValues(
  packerPath: string,
  question: SensitiveQuestion,
  request: { workingDirectory: string; template: string; varFiles: string[]; variables: Array<{ name: string; value: string }> },
  options: { env: NodeJS.ProcessEnv; cancellation?: Cancellation; deadlineMs?: number }
): Promise<SensitiveAnswer> {
  const expression = consoleExpression(question)
  if (question.names.length + (question.secrets?.length ?? 0) === 0 || expression === '') return { values: [] }
  const deadlineMs = options.deadlineMs ?? consoleDeadlineMs
  const output = new KeptAnswer()
  let run: PackerRun
  try {
    run = await runPacker(packerPath, consoleArguments(request), {
      cwd: request.workingDirectory,
      env: options.env,
      log: output,
      cancellation: options.cancellation,
      deadlineMs,
      input: `${expression}\n`,
      // Whole, or cut where it is already too long to be read.
      maxLineBytes: 2 * maxAnswerChars
    })
  } catch (error) {
    return { values: [], problem: errorMessage(error) }
  }
  if (run.timedOut) {
    const why = 'Packer was reading a secret, or running a data source, whose service did not answer'
    return { values: [], problem: `${stoppedAtDeadline('packer console', deadlineMs)}: ${why}` }
  }
  if (run.cancelled) return { values: [], problem: 'packer console was stopped: the run was cancelled' }
  if (run.panicked) return { values: [], problem: `packer console crashed: ${run.panicked.crash.panic}`, panicked: run.panicked }
  if (output.overflowed) return { values: [], problem: `packer console printed more than ${maxAnswerChars / 1024 / 1024} MiB` }
  if (run.exitCode !== 0 || run.record.errors.length > 0) return { values: [], problem: `packer console failed: ${failure(run)}` }
  try {
    return { values: readConsoleAnswer(question, output.answer) }
  } catch (error) {
    return { values: [], problem: `packer console: ${errorMessage(error)}` }
  }
}
