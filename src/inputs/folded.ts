// Inputs of one NAME=VALUE a line (tags, variables) that reach the action as one line holding
// several pairs. YAML joins lines with spaces in a folded block (`tags: >`) and in lines written
// under the key with no block indicator, so Team=platform and Env=prod become one tag Team of
// value "platform Env=prod". The action sees only the string, and a value may mean it
// (`Ticket=see Foo=bar`): a warning, not a refusal, and the run goes on.
import type { InputReader } from './reader.js'

/**
 * A NAME= as a line folded in begins: at the start or after white space, a run of tag key
 * characters (tags.ts) other than white space and `=`, which variable names (`aws.region`) fall
 * within too, then `=`.
 */
const pairStart = /(?:^|\s)[\p{L}\p{N}_.:/+\-@]+=/gu

/**
 * How `value`, an input of NAME=VALUE lines, looks folded: `pairs` when it is one line holding
 * a second NAME= after white space (its first pair took the rest as its value); `comment` when
 * that one line begins with `#` and holds a NAME=, so it is skipped as a comment (a folded block
 * whose first line was one). Undefined when it is given as lines, or as one line that does not.
 * Only a one-line input: lines given in a `|` block are each as meant.
 */
export function foldedInput(value: string): 'pairs' | 'comment' | undefined {
  const lines = value.split(/\r?\n/).map((line) => line.trim()).filter((line) => line !== '')
  if (lines.length !== 1) return undefined
  const [line] = lines
  const pairs = [...line.matchAll(pairStart)].length
  if (line.startsWith('#')) return pairs > 0 ? 'comment' : undefined
  return pairs > 1 ? 'pairs' : undefined
}

/**
 * The warning for `input` when it looks folded; `pair` is the input's form (Key=Value), `item`
 * what one line gives (tag). It quotes nothing of the input, not even a name: an input that is
 * one secret (`variables: ${{ secrets.X }}`) holding `a=1 b=2` would show in part, and the runner
 * masks a secret only whole. The input is one line, so naming it names the pair.
 */
function foldedInputWarning(input: string, value: string, { pair, item }: { pair: string; item: string }): string | undefined {
  const folded = foldedInput(value)
  if (folded === undefined) return undefined
  const name = pair.slice(0, pair.indexOf('='))
  const what =
    folded === 'comment'
      ? `begins with # and holds ${name}=, so it is skipped as a comment and no ${item} is set`
      : `holds another ${name}= after a space, so it makes one ${item} of all that follows its first =`
  const meant = folded === 'comment' ? '' : `; if that one ${item} is meant, nothing needs to change`
  return (
    `${input}: the input is one line that ${what}: probably lines that YAML folded into one (a \`>\` block, or ` +
    `lines under the key without \`|\`). Write \`${input}: |\`, one ${pair} per line${meant}.`
  )
}

/** The warnings for tags and variables that look folded. */
export function foldedInputWarnings(reader: InputReader): string[] {
  const warnings = [
    foldedInputWarning('variables', reader.raw('variables'), { pair: 'NAME=VALUE', item: 'variable' }),
    foldedInputWarning('tags', reader.raw('tags'), { pair: 'Key=Value', item: 'tag' })
  ]
  return warnings.filter((warning) => warning !== undefined)
}
