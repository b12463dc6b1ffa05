// The secrets the action knows (the values of a template's sensitive variables), masked in the
// log by the runner, and in the job summary by the action as well. The runner masks the summary
// file line by line, as written: it no longer finds a secret that the summary had to reshape
// (a `|` escaped in a table's cell, a message cut short), so the summary masks these itself first.
import * as core from '@actions/core'

const known = new Set<string>()

/**
 * Registers each value as a secret, and each line of a multi-line value too: the runner masks
 * line by line, and ends a line at `\n`, `\r\n` or a lone `\r`.
 */
export function maskValues(values: string[]): void {
  for (const value of values) {
    for (const secret of [value, ...value.split(/\r\n|\r|\n/)]) {
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
