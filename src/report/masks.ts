// The secrets the action knows (the values of a template's sensitive variables), masked in the
// log by the runner, and in the job summary by the action as well. The runner masks the summary
// file line by line, as written: it no longer finds a secret that the summary had to reshape
// (a `|` escaped in a table's cell, a message cut short), so the summary masks these itself first.
import * as core from '@actions/core'
import { rememberSecret, valuesGiven } from '../common/cut.js'
import type { SensitiveValue } from '../common/values.js'
import { unescapeField } from '../packer/machine-readable.js'

/** A variable or local of the template, by name: what holds a sensitive value. */
export type SensitiveName = Pick<SensitiveValue, 'of' | 'name'>

/**
 * Each secret registered: whether it is a whole value or one line of a multi-line value, and the
 * variables and locals whose values it is (or is a line of), by `of` and name.
 */
const known = new Map<string, { kind: 'value' | 'line'; holders: Map<string, SensitiveName> }>()

/**
 * Registers each value as a secret, and each line of a multi-line value too, as the runner does
 * for a secret of the workflow: the runner masks line by line, and ends a line at `\n`, `\r\n`
 * or a lone `\r`. A value holding a `\n` or `\r` as two characters (a key kept on one line) is
 * also registered as the log shows it: Packer's machine-readable output writes a line break as
 * those two characters, and the log turns them back into one, whichever they were. A value Packer
 * quotes escaped is registered as quoted too. A line of nothing but structure (onlyStructure) is
 * not registered on its own: it tells nothing of the secret, and the runner would mask it in every
 * line of the log and drop each JSON output that holds it from the job's outputs.
 */
export function maskValues(values: SensitiveValue[]): void {
  for (const { value, of, name } of values) {
    const written = [value, ...quotedForms(value)]
    const forms = [...new Set(written.flatMap((form) => [form, unescapeField(form)]))]
    for (const form of forms) {
      const lines = form.split(/\r\n|\r|\n/).filter((line) => line !== form && !onlyStructure(line))
      register(form, 'value', { of, name })
      for (const line of lines) register(line, 'line', { of, name })
    }
  }
}

function register(secret: string, kind: 'value' | 'line', holder: SensitiveName): void {
  if (secret.trim() === '') return
  const registered = known.get(secret)
  if (registered) {
    // Registered once; each variable or local whose value it is is remembered, and a whole value outranks a line.
    registered.holders.set(JSON.stringify([holder.of, holder.name]), holder)
    if (kind === 'value') registered.kind = 'value'
    return
  }
  known.set(secret, { kind, holders: new Map([[JSON.stringify([holder.of, holder.name]), holder]]) })
  // Text the action cuts short is cut before any of them (common/cut.ts).
  rememberSecret(secret)
  core.setSecret(secret)
}

/**
 * Whether a line of a multi-line value holds nothing but the structure of a JSON or HCL document
 * (or of code): brackets, braces, parentheses, commas, semicolons and white space, as `{`, `],`
 * or `})`. Nothing else: a letter, a digit or any other mark may be some of a secret, and a line
 * of `:`, `"`, `=` or `*` alone may be a password's.
 */
export function onlyStructure(line: string): boolean {
  return /^[\s[\]{}(),;]*$/.test(line)
}

/**
 * The value as it stands between the quotes of a string that escapes it, where that differs:
 * Packer's errors quote a value as Go does (`"` and `\` escaped, a tab as `\t`; Go's time
 * package writes each byte of a control or non-ASCII character as `\x09`), and an HCL2
 * diagnostic quotes the line of the file, where a string is escaped as in JSON. The runner
 * masks only the value as registered, so each of these would show in clear.
 */
function quotedForms(value: string): string[] {
  const chars = [...value]
  const control = (char: string): boolean => char < ' ' || char === '\x7f'
  if (!chars.some((char) => char === '"' || char === '\\' || control(char) || char > '\x7f')) return []
  const hex = (char: string): string => [...Buffer.from(char)].map((byte) => `\\x${byte.toString(16).padStart(2, '0')}`).join('')
  const named: Record<string, string> = { '\x07': '\\a', '\b': '\\b', '\f': '\\f', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\v': '\\v' }
  const quoted = (escape: (char: string) => string | undefined): string =>
    chars.map((char) => (char === '"' || char === '\\' ? `\\${char}` : (escape(char) ?? char))).join('')
  const goQuoted = quoted((char) => (control(char) ? (named[char] ?? hex(char)) : undefined))
  const goTimeQuoted = quoted((char) => (control(char) || char > '\x7f' ? hex(char) : undefined))
  const jsonQuoted = JSON.stringify(value).slice(1, -1)
  return [...new Set([goQuoted, goTimeQuoted, jsonQuoted])].filter((form) => form !== value)
}

/** The text with every secret registered so far shown as `***`, as the runner shows it. */
export function masked(text: string): string {
  let shown = text
  // The longest first, so that a secret that holds another is masked whole.
  for (const secret of [...known.keys()].sort((a, b) => b.length - a.length)) shown = shown.replaceAll(secret, '***')
  return shown
}

/**
 * The text with each value given to the step that holds a `|` shown as `***`, as it is and as a
 * quoted string escapes it (Packer quotes values so): a Markdown table's cell escapes its `|`,
 * and the runner, which may know the value as a secret (`${{ secrets.X }}`) without the action
 * being told, masks it only as it is. One that is no secret is *** here too: the log shows it.
 */
export function withoutValuesWithBars(text: string, given: string[] = valuesGiven()): string {
  if (!text.includes('|')) return text
  const forms = given.filter((value) => value.includes('|')).flatMap((value) => [value, JSON.stringify(value).slice(1, -1)])
  let shown = text
  // The longest first, so that a value that holds another is masked whole.
  for (const form of [...new Set(forms)].sort((a, b) => b.length - a.length)) shown = shown.replaceAll(form, '***')
  return shown
}

/** An output that holds a secret the action registered. */
export interface OutputHoldingSecrets {
  output: string
  /** Whether it holds a whole sensitive value, or only a line of a multi-line one. */
  held: 'value' | 'line'
  /** The variables and locals whose values (or lines of them) it holds, each once, in the order registered. */
  holders: SensitiveName[]
}

/**
 * The outputs whose value holds a secret the action registered: the runner skips such an output
 * when it hands the job's outputs to another job. Secrets only the runner knows are not the
 * action's to tell.
 */
export function outputsHoldingSecrets(outputs: Record<string, string>): OutputHoldingSecrets[] {
  return Object.entries(outputs).flatMap(([output, value]) => {
    const held = [...known].filter(([secret]) => value.includes(secret)).map(([, registered]) => registered)
    if (held.length === 0) return []
    const holders = new Map(held.flatMap((registered) => [...registered.holders]))
    return [{ output, held: held.some(({ kind }) => kind === 'value') ? 'value' : 'line', holders: [...holders.values()] }]
  })
}
