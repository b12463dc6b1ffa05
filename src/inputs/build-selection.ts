// Inputs variables, only and except: what is passed to Packer besides the files.
import type { InputReader } from './reader.js'
import type { TemplateFiles } from './template-files.js'
import type { TemplateKind } from './template.js'

/** `line`: where the input has it, counting every line as written (blank and `#` ones too). */
export type Variables = Array<{ name: string; value: string; line?: number }>

export interface BuildSelection {
  variables: Variables
  only: string[]
  except: string[]
}

/**
 * An HCL2 variable's name, an HCL identifier (hclsyntax.ValidIdentifier): a letter (any
 * script's, `variable "région"`) or _, then letters, digits, _ or -. Packer refuses any other in
 * an HCL2 template's -var, as no variable block can declare it.
 */
const hclVariableNamePattern = /^[\p{L}_][\p{L}\p{N}_-]*$/u
const globCharacters = /[*?[]/

/**
 * Input variables, each NAME=VALUE. A JSON template's variable may have any name (aws.region):
 * Packer splits -var at its first =. An HCL2 template's names are checked once its kind is
 * known (checkVariableNames).
 */
export function readVariables(reader: InputReader): Variables {
  const variables: Variables = []
  for (const { text: line, line: number } of reader.numberedLines('variables')) {
    const equals = line.indexOf('=')
    const name = equals < 0 ? '' : line.slice(0, equals).trim()
    if (name === '') {
      // The line whole: a secret in it that the runner knows is masked only when it shows whole.
      reader.problem(`variables: expected NAME=VALUE with a variable name, found "${line}"`)
      continue
    }
    // Spaces around the = are ignored, as in tags: the line itself is already trimmed.
    variables.push({ name, value: line.slice(equals + 1).trimStart(), line: number })
  }
  return variables
}

/**
 * A variable as a message names it: quoted, or by its line when its value is empty or only `=`.
 * A line that is a secret alone, ending in base64's padding, has all but the padding as its
 * "name": quoted, that would show in clear, as the runner masks only the whole secret.
 */
export function variableNamed({ name, value, line }: Variables[number]): string {
  return /^=*$/.test(value) && line !== undefined ? `the name on line ${line} (its value is empty or only =)` : `"${name}"`
}

/** Input variables' names against an HCL2 template, whose variables are identifiers. */
export function checkVariableNames(reader: InputReader, variables: Variables, kind: TemplateKind): void {
  if (kind !== 'hcl') return
  for (const { name, line } of variables) {
    if (hclVariableNamePattern.test(name)) continue
    // Not quoted: a line that is a secret alone, holding `=` (base64's padding), has a start of
    // it as its "name", which the runner would not mask.
    reader.problem(
      `variables: expected NAME=VALUE with a variable name, found ${line === undefined ? 'a name' : `line ${line} with a name`} ` +
        'an HCL2 template cannot declare (a letter or _, then letters, digits, _ or -) before its first ='
    )
  }
}

/**
 * only and except against a JSON template's builds, when their names are known before Packer
 * runs. Packer matches exact names there: a glob in only builds nothing, and one in except
 * skips nothing, so a glob is refused, unless it is a name the template has (ubuntu[arm64]).
 * except may also name a post-processor, by its name or, unnamed, its type: Packer then skips
 * it; an except that names every build is refused to a build (everyBuildExcepted). HCL2 builds
 * are checked once Packer has listed them (packer inspect).
 */
export function readBuildSelection(
  reader: InputReader,
  variables: Variables,
  template: Pick<TemplateFiles, 'templateKind' | 'buildNames' | 'buildNamesKnown' | 'postProcessorNames'>
): BuildSelection {
  const selection = { variables, only: reader.list('only'), except: reader.list('except') }
  if (template.templateKind !== 'json') return selection
  const { buildNames, buildNamesKnown, postProcessorNames } = template
  const builds = buildNames.length > 0 ? ` (the template's builds: ${buildNames.join(', ')})` : ''
  for (const input of ['only', 'except'] as const) {
    const { names, kinds, glob } = selectable[input]
    const named = input === 'except' ? [...buildNames, ...postProcessorNames] : buildNames
    const listed = input === 'except' && postProcessorNames.length > 0 ? `; its post-processors: ${postProcessorNames.join(', ')}` : ''
    for (const entry of selection[input]) {
      // A build may be named ubuntu[arm64]: Packer selects it by that name.
      if (named.includes(entry)) continue
      if (globCharacters.test(entry)) {
        reader.problem(
          `${input}: "${entry}" is a pattern, and Packer matches only exact ${names} in a JSON template (it would ` +
            `take the pattern as a name and ${glob}); list the builds by name${builds}`
        )
      } else if (buildNamesKnown && buildNames.length > 0) {
        reader.problem(`${input}: the template has no ${kinds} named "${entry}" (its builds: ${buildNames.join(', ')}${listed})`)
      }
    }
  }
  if (buildNamesKnown && reader.text('command', 'build') === 'build' && selection.only.length === 0) {
    const problem = everyBuildExcepted(selection.except, buildNames, (name, entry) => name === entry)
    if (problem !== undefined) reader.problem(problem)
  }
  return selection
}

/**
 * What is wrong with an except that names every one of the template's `builds` (`matches`, as
 * Packer matches an entry to a name): Packer builds nothing and ends as a success, and a build
 * finds no AMI once Packer is done. Undefined when one is left to build.
 */
export function everyBuildExcepted(except: string[], builds: string[], matches: (build: string, entry: string) => boolean): string | undefined {
  if (except.length === 0 || builds.length === 0 || !builds.every((build) => except.some((entry) => matches(build, entry)))) return undefined
  return (
    `except: leaves none of the template's builds (${builds.join(', ')}) to run: Packer would build nothing and end as a success, ` +
    'and the job would fail after it, finding no AMI. Name in except only the builds to leave out, or leave it empty to build them all'
  )
}

/** What each input names in a JSON template, and what Packer does with a pattern in it. */
const selectable = {
  only: { names: 'build names', kinds: 'build', glob: 'build nothing' },
  except: { names: 'build and post-processor names', kinds: 'build or post-processor', glob: 'skip nothing' }
}

/**
 * Whether a block's own `only` and `except` let it run in the build named `build` (any of its
 * names), as Packer reads them: exact names, an empty list as none; undefined when only Packer
 * knows, where a list is not one or a name is made from a variable, or where both list names,
 * which packer validate refuses in a JSON template.
 */
export function runsByOnlyExcept(build: string | string[], only: unknown, except: unknown): boolean | undefined {
  const names = Array.isArray(build) ? build : [build]
  const lists = [only, except].filter((list) => list !== undefined && list !== null)
  if (lists.some((list) => !Array.isArray(list) || list.some((name) => typeof name !== 'string' || name.includes('{{')))) return undefined
  const [onlyNames, exceptNames] = [only, except].map((list) => (Array.isArray(list) ? (list as string[]) : []))
  if (onlyNames.length > 0 && exceptNames.length > 0) return undefined
  if (onlyNames.length > 0) return onlyNames.some((name) => names.includes(name))
  return !exceptNames.some((name) => names.includes(name))
}
