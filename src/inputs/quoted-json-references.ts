// A JSON template's call written without its braces (`"tags": { "Name": "user `name`" }`,
// `"default": "env `HOME`"`): Packer reads a JSON template's strings with Go's text/template, in
// which only what is inside `{{ }}` is a call, so it takes `user `name`` as text, without a word.
// Packer 1.6.6 tags the AMIs with that text, gives a variable that text as its value, refuses it as
// an AMI name only at packer validate (saying which characters an AMI name may hold, not why), and
// fails on it as a source AMI once the build has begun. The amazon builders' region, ami_regions,
// ami_users and iam_instance_profile are checked with the rest of their values
// (template-regions.ts), with the words made here.
import { isRecord } from '../common/values.js'
import type { JsonPath } from './template.js'

/** `user `NAME`` or `env `NAME`` (or with "NAME") written outside `{{ }}`, as written, and what it names. */
export interface UnbracedCall {
  written: string
  fn: 'user' | 'env'
  name: string
}

/**
 * The calls to `user` and `env` that `text` writes outside `{{ }}`: of variables that `known` says
 * the template has (any other such text may well be meant), and of environment variables by a
 * name one can have. `{{ }}` actions are left out as Packer reads them: `{{ split (user `x`) "-" 0 }}`
 * is a call.
 */
export function unbracedCalls(text: string, known: (name: string) => boolean): UnbracedCall[] {
  if (!text.includes('user') && !text.includes('env')) return []
  const outside = text.replace(/\{\{[\s\S]*?\}\}/g, (action) => ' '.repeat(action.length))
  return [...outside.matchAll(/(?<![\w.$-])(user|env)\s+(?:`([^`\s]+)`|"([^"\s\\]+)")/g)].flatMap(([written, fn, raw, quoted]) => {
    const name = raw ?? quoted
    const meant = fn === 'user' ? known(name) : /^[A-Za-z_][A-Za-z0-9_]*$/.test(name)
    return meant ? [{ written, fn: fn as UnbracedCall['fn'], name }] : []
  })
}

/**
 * What Packer does with `text`, which writes `call` outside `{{ }}`, and how to write it (`does`:
 * what then happens to the setting; `inVariable`: `text` is a variable's default, the only place
 * Packer allows env), as a problem's words after where it is.
 */
export function unbracedCallMistake(text: string, call: UnbracedCall, does: string, inVariable = false): string {
  const what = call.fn === 'user' ? `variable "${call.name}"` : `environment variable "${call.name}"`
  const write =
    call.fn === 'env' && !inVariable
      ? `Packer allows env only in a variable's default: declare a variable such as ${JSON.stringify(envVariableName(call.name))}: ` +
        `${JSON.stringify(`{{${call.written}}}`)} and write {{user \`${envVariableName(call.name)}\`}} here.`
      : `Write ${JSON.stringify(text.replace(call.written, `{{${call.written}}}`))}.`
  return (
    `writes ${call.written} outside {{ }}: Packer reads only what is inside {{ }} as a template, so it takes that as text, ` +
    `not the value of ${what}, and ${does}. ${write}`
  )
}

/** A name for the variable that holds environment variable `name`: `aws_profile` for AWS_PROFILE. */
export function envVariableName(name: string): string {
  return name.toLowerCase()
}

/**
 * Settings whose text a shell or another program reads, where a backquote is its own
 * (`echo "user `whoami`"`): not Packer's mistake to tell.
 */
const readByAShell = new Set(['inline', 'inline_shebang', 'execute_command', 'elevated_execute_command', 'command', 'shebang', 'user_data', 'extra_arguments'])

/** An amazon builder's settings checked with their values (jsonRegionProblems), which say so there. */
const checkedWithTheirValues = new Set(['region', 'ami_regions', 'ami_users', 'iam_instance_profile'])

/** One string of a JSON template that writes a call to `user` or `env` outside `{{ }}`. */
export interface JsonUnbracedCall {
  /** Where the string is. */
  at: JsonPath
  /** The setting, as the warning names it: `ami_name`, `Name in tags`. */
  setting: string
  /** What it is a setting of: `builder "amazon-ebs"`, `provisioner "shell"`. */
  of: string
  text: string
  call: UnbracedCall
  /** What Packer then does with the text (unbracedCallMistake). */
  does: string
  /** The string is a variable's default, where Packer allows env. */
  inVariable?: boolean
  /** The index of the builder it is in, for a build that only/except leaves out. */
  builder?: number
  /** A provisioner's or post-processor's own only and except, which may leave it out of every build the run builds. */
  onlyExcept?: { only: unknown; except: unknown }
}

/**
 * The strings of a JSON template's variables' defaults, builders, provisioners and post-processors
 * that write a call to `env`, or to `user` naming a variable the template declares or is given
 * (`given`), outside `{{ }}`: one per call. Not in commands (readByAShell), in comments (`_` keys), in only and except (names of
 * builds, which Packer does not read as a template), nor in an amazon builder's settings checked
 * with their values.
 */
export function jsonUnbracedCalls(template: unknown, given: Iterable<string>): JsonUnbracedCall[] {
  if (!isRecord(template)) return []
  const declared = isRecord(template.variables) ? Object.keys(template.variables) : []
  const names = new Set([...declared, ...given])
  const known = (name: string): boolean => names.has(name)
  const found: JsonUnbracedCall[] = []
  if (isRecord(template.variables)) {
    for (const [name, text] of Object.entries(template.variables)) {
      if (typeof text !== 'string' || name.startsWith('_')) continue
      const does = `the variable's value is ${JSON.stringify(text)}`
      for (const call of unbracedCalls(text, known)) found.push({ at: ['variables', name], setting: 'default', of: `variable "${name}"`, text, call, does, inVariable: true })
    }
  }
  for (const { block, path, of, type } of jsonTemplateBlocks(template)) {
    const amazon = type.startsWith('amazon-') && path[0] === 'builders'
    const place = path[0] === 'builders' ? { builder: path[1] as number } : { onlyExcept: { only: block.only, except: block.except } }
    for (const [name, value] of Object.entries(block)) {
      if (name === 'type' || name === 'only' || name === 'except' || (amazon && checkedWithTheirValues.has(name))) continue
      for (const { text, at, last } of strings(value, [...path, name], name, readByAShell)) {
        const setting = last === name ? name : `${last} in ${name}`
        const does = whatPackerDoes(amazon && last === name ? name : '', text)
        for (const call of unbracedCalls(text, known)) found.push({ at, setting, of, text, call, does, ...place })
      }
    }
  }
  return found
}

/** One builder, provisioner or post-processor of a JSON template. */
export interface JsonTemplateBlock {
  block: Record<string, unknown>
  /** Where it is: `['builders', 0]`, `['post-processors', 1, 0]` in a chain. */
  path: JsonPath
  /** What it is, as messages name it: `builder "amazon-ebs"`, `provisioner "shell"`. */
  of: string
  /** Its type; '' when it has none. */
  type: string
}

/** A JSON template's builders, provisioners and post-processors, in that order. */
export function jsonTemplateBlocks(template: Record<string, unknown>): JsonTemplateBlock[] {
  const sections = [
    ['builders', 'builder'],
    ['provisioners', 'provisioner'],
    ['post-processors', 'post-processor']
  ] as const
  return sections.flatMap(([section, kind]) => {
    const entries = template[section]
    if (!Array.isArray(entries)) return []
    // A post-processors' chain is a list in the list.
    const blocks = entries.flatMap((entry, index): Array<[unknown, JsonPath]> =>
      Array.isArray(entry) ? entry.map((inner, position) => [inner, [section, index, position]]) : [[entry, [section, index]]]
    )
    return blocks.flatMap(([block, path]) => {
      if (!isRecord(block)) return []
      const type = typeof block.type === 'string' ? block.type : ''
      const named = kind === 'builder' && typeof block.name === 'string' && block.name !== '' ? block.name : type || '?'
      return [{ block, path, of: `${kind} "${named}"`, type }]
    })
  })
}

/** The strings of a setting's value, with where each is and the key it is last under; not those of a comment, nor under the keys `left`. */
export function strings(value: unknown, at: JsonPath, last: string, left: ReadonlySet<string> = new Set()): Array<{ text: string; at: JsonPath; last: string }> {
  if (last.startsWith('_') || left.has(last)) return []
  if (typeof value === 'string') return [{ text: value, at, last }]
  if (Array.isArray(value)) return value.flatMap((entry, index) => strings(entry, [...at, index], last, left))
  if (isRecord(value)) return Object.entries(value).flatMap(([key, entry]) => strings(entry, [...at, key], key, left))
  return []
}

/** What Packer 1.6.6 does with an amazon builder's `setting` that is text, where it does more than build with it. */
function whatPackerDoes(setting: string, text: string): string {
  if (setting === 'ami_name') return `packer validate refuses ${JSON.stringify(text)} as an AMI name (its error says which characters a name may hold)`
  if (setting === 'source_ami') return `the build fails as it looks up the source AMI ${JSON.stringify(text)}`
  return `builds with ${JSON.stringify(text)} there`
}
