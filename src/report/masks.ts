// The secrets the action knows (the values of a template's sensitive variables), masked in the
// log by the runner, and in the job summary by the action as well. The runner masks the summary
// file line by line, as written: it no longer finds a secret that the summary had to reshape
// (a `|` escaped in a table's cell, a message cut short), so the summary masks these itself first.
import * as core from '@actions/core'
import { unescapeField } from '../packer/machine-readable.js'

const known = new Set<string>()

/**
 * Registers each value as a secret, and each line of a multi-line value too: the runner masks
 * line by line, and ends a line at `\n`, `\r\n` or a lone `\r`. A value holding a `\n` or `\r`
 * as two characters (a key kept on one line) is also registered as the log shows it: Packer's
 * machine-readable output writes a line break as those two characters, and the log turns them
 * back into one, whichever they were.
 */
export function maskValues(values: string[]): void {
  for (const value of values) {
    const shown = unescapeField(value)
    const forms = shown === value ? [value] : [value, shown]
    for (const secret of forms.flatMap((form) => [form, ...form.split(/\r\n|\r|\n/)])) {
      if (secret.trim() === '' || known.has(secret)) continue
      known.add(secret)
      core.setSecret(secret)
    }
  }
}

/** The text with every secret registered so far shown as `***`, as the runner shows it. */
export function masked(text: string): string {
  let shown = text
  // The longest first, so that a secret that holds another is masked whole.
  for (const secret of [...known].sort((a, b) => b.length - a.length)) shown = shown.replaceAll(secret, '***')
  return shown
}
