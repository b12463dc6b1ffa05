// Inputs variables, only and except: what is passed to Packer besides the files.
import type { InputReader } from './reader.js'
import type { TemplateFiles } from './template-files.js'

export type Variables = Array<{ name: string; value: string }>

export interface BuildSelection {
  variables: Variables
  only: string[]
  except: string[]
}

const variableNamePattern = /^[A-Za-z_][A-Za-z0-9_-]*$/
const globCharacters = /[*?[]/

export function readVariables(reader: InputReader): Variables {
  const variables: Variables = []
  for (const line of reader.lines('variables')) {
    const equals = line.indexOf('=')
    const name = equals < 0 ? '' : line.slice(0, equals).trim()
    if (!variableNamePattern.test(name)) {
      reader.problem(`variables: expected NAME=VALUE with a variable name, found "${line.slice(0, 40)}"`)
      continue
    }
    variables.push({ name, value: line.slice(equals + 1) })
  }
  return variables
}

/**
 * only and except against a JSON template's builds, when their names are known before Packer
 * runs. Packer matches exact names there and ignores a glob, building everything, so a glob is
 * refused. HCL2 builds are checked once Packer has listed them (packer inspect).
 */
export function readBuildSelection(
  reader: InputReader,
  variables: Variables,
  template: Pick<TemplateFiles, 'templateKind' | 'buildNames' | 'buildNamesKnown'>
): BuildSelection {
  const selection = { variables, only: reader.list('only'), except: reader.list('except') }
  if (template.templateKind !== 'json') return selection
  const { buildNames, buildNamesKnown } = template
  const builds = buildNames.length > 0 ? ` (the template's builds: ${buildNames.join(', ')})` : ''
  for (const input of ['only', 'except'] as const) {
    for (const build of selection[input]) {
      if (globCharacters.test(build)) {
        reader.problem(
          `${input}: "${build}" is a pattern, and Packer matches only exact build names in a JSON ` +
            `template (it would ignore the pattern and build everything); list the builds by name${builds}`
        )
      } else if (buildNamesKnown && buildNames.length > 0 && !buildNames.includes(build)) {
        reader.problem(`${input}: the template has no build named "${build}" (its builds: ${buildNames.join(', ')})`)
      }
    }
  }
  return selection
}
