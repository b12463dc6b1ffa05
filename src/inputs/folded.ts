// Inputs of one NAME=VALUE a line (tags, variables) that reach the action with lines holding
// several pairs. YAML joins lines with spaces in a folded block (`tags: >`) and in lines written
// under the key with no block indicator, so Team=platform and Env=prod become one tag Team of
// value "platform Env=prod"; only a blank line between them keeps a line break. The action sees
// only the string, and a value may mean it (`Ticket=see Foo=bar`): a warning, not a refusal, and
// the run goes on.
import { numberedInputLines, type InputReader } from './reader.js'

/**
 * A NAME= as a line folded in begins: at the start or after white space, a run of tag key
 * characters (tags.ts) other than white space and `=`, which variable names (`aws.region`) fall
 * within too, then `=`.
 */
const pairStart = /(?:^|\s)[\p{L}\p{N}_.:/+\-@]+=/gu

/** How many NAME= a line holds where a pair could begin. */
function pairStarts(line: string, hclValues: boolean): number {
  return [...(hclValues ? outsideHclCollections(line) : line).matchAll(pairStart)].length
}

/**
 * `line` with what is inside HCL's braces, brackets and quoted strings blanked out: a variable
 * that is not a string takes an HCL value (`tags={Team="a", Env="b"}`), whose `Env=` is part of
 * it, not a pair that YAML folded in.
 */
function outsideHclCollections(line: string): string {
  let depth = 0
  let quoted = false
  let blanked = ''
  for (let index = 0; index < line.length; index++) {
    const character = line[index]
    const inside = quoted || depth > 0
    if (quoted && character === '\\') {
      blanked += '\u0000\u0000'
      index++
      continue
    }
    if (character === '"') quoted = !quoted
    else if (!quoted && (character === '{' || character === '[')) depth++
    else if (!quoted && (character === '}' || character === ']')) depth = Math.max(0, depth - 1)
    blanked += inside || quoted || depth > 0 ? '\u0000' : character
  }
  return blanked
}

/**
 * How `value`, an input of NAME=VALUE lines, looks folded: `pairs` when it is one line holding
 * a second NAME= after white space (its first pair took the rest as its value); `comment` when
 * that one line begins with `#` and holds a NAME=, so it is skipped as a comment (a folded block
 * whose first line was one); `lines`, the lines by number as given, when it is several lines of
 * which some hold a second NAME=: a `>` block keeps a line break only where a blank line was, so
 * each run of lines between blank ones became one. Undefined when it looks as meant. A `#` line
 * among several is left alone: a `|` block comments out a Key=Value that way.
 */
export function foldedInput(value: string, hclValues = false): 'pairs' | 'comment' | { lines: number[] } | undefined {
  const lines = value.split(/\r?\n/).map((line) => line.trim()).filter((line) => line !== '')
  if (lines.length > 1) {
    const folded = numberedInputLines(value).filter(({ text }) => pairStarts(text, hclValues) > 1)
    return folded.length > 0 ? { lines: folded.map(({ line }) => line) } : undefined
  }
  if (lines.length === 0) return undefined
  const [line] = lines
  const pairs = pairStarts(line, hclValues)
  if (line.startsWith('#')) return pairs > 0 ? 'comment' : undefined
  return pairs > 1 ? 'pairs' : undefined
}

/**
 * How `input`, an input of one `pair` a line, comes to look folded, and what to write instead;
 * `breaksKept` when it is several lines, to say why it still is.
 */
function foldedCause(input: string, pair: string, breaksKept = false): string {
  const kept = breaksKept ? ', which keep a line break only where a blank line is' : ''
  return `probably lines that YAML folded into one (a \`>\` block, or lines under the key without \`|\`${kept}). Write \`${input}: |\`, one ${pair} per line`
}

/** The lines `numbers` of an input, as a message names them: "line 2", "lines 1 and 3", "lines 1, 3 and 4". */
function linesNamed(numbers: number[]): string {
  if (numbers.length === 1) return `line ${numbers[0]}`
  return `lines ${numbers.slice(0, -1).join(', ')} and ${numbers.at(-1)}`
}

/**
 * The warning for `input` when it looks folded; `pair` is the input's form (Key=Value), `item`
 * what one line gives (tag). It quotes nothing of the input, not even a name: an input that is
 * one secret (`variables: ${{ secrets.X }}`) holding `a=1 b=2` would show in part, and the runner
 * masks a secret only whole. Naming the line, by its number in the input, names the pair.
 */
function foldedInputWarning(input: string, value: string, { pair, item, hclValues }: FoldedForm): string | undefined {
  const folded = foldedInput(value, hclValues)
  if (folded === undefined) return undefined
  const name = pair.slice(0, pair.indexOf('='))
  const cause = foldedCause(input, pair, typeof folded === 'object')
  if (typeof folded === 'object') {
    const one = folded.lines.length === 1
    return (
      `${input}: ${linesNamed(folded.lines)} of the input ${one ? 'holds' : 'hold'} another ${name}= after a space, so ` +
      `${one ? 'it makes' : 'each makes'} one ${item} of all that follows ${one ? 'its' : 'its own'} first =: ${cause}; ` +
      `if ${one ? `that ${item} is` : `those ${item}s are`} meant, nothing needs to change.`
    )
  }
  const what =
    folded === 'comment'
      ? `begins with # and holds ${name}=, so it is skipped as a comment and no ${item} is set`
      : `holds another ${name}= after a space, so it makes one ${item} of all that follows its first =`
  const meant = folded === 'comment' ? '' : `; if that one ${item} is meant, nothing needs to change`
  return `${input}: the input is one line that ${what}: ${cause}${meant}.`
}

interface FoldedForm {
  pair: string
  item: string
  /** Whether a value may be HCL (a variable's), whose braces and quotes hold no pair of the input. */
  hclValues: boolean
}

const foldedForms: Array<{ input: string } & FoldedForm> = [
  { input: 'variables', pair: 'NAME=VALUE', item: 'variable', hclValues: true },
  { input: 'tags', pair: 'Key=Value', item: 'tag', hclValues: false }
]

/** The warnings for tags and variables that look folded. */
export function foldedInputWarnings(reader: InputReader): string[] {
  return foldedForms.flatMap(({ input, ...form }) => foldedInputWarning(input, reader.raw(input), form) ?? [])
}

/**
 * Ends each problem of tags or variables, when that input looks folded, with how it may have
 * been folded: a folded line can break another rule (a value over 256 characters, of all the
 * tags that followed), which then stops the run before the warning of the fold is shown.
 */
export function hintFoldedInputs(reader: InputReader): void {
  for (const { input, pair, hclValues } of foldedForms) {
    const folded = foldedInput(reader.raw(input), hclValues)
    if (folded === undefined) continue
    const hint = `The input looks folded: ${foldedCause(input, pair, typeof folded === 'object')}.`
    for (const problem of reader.problems) {
      if (problem.message.startsWith(`${input}: `)) problem.message += `${problem.message.endsWith('.') ? '' : '.'} ${hint}`
    }
  }
}
