// Inputs variables, only and except: what is passed to Packer besides the files.
import type { InputReader } from './reader.js'

export interface BuildSelection {
  variables: Array<{ name: string; value: string }>
  only: string[]
  except: string[]
}

const variableNamePattern = /^[A-Za-z_][A-Za-z0-9_-]*$/
const globCharacters = /[*?[]/

/** `buildNames` are the template's builds, when they are known before Packer runs. */
export function readBuildSelection(reader: InputReader, buildNames: string[]): BuildSelection {
  const variables: BuildSelection['variables'] = []
  for (const line of reader.lines('variables')) {
    const equals = line.indexOf('=')
    const name = equals < 0 ? '' : line.slice(0, equals).trim()
    if (!variableNamePattern.test(name)) {
      reader.problem(`variables: expected NAME=VALUE with a variable name, found "${line.slice(0, 40)}"`)
      continue
    }
    variables.push({ name, value: line.slice(equals + 1) })
  }

  const selection = { variables, only: reader.list('only'), except: reader.list('except') }
  if (buildNames.length === 0) return selection
  for (const input of ['only', 'except'] as const) {
    for (const build of selection[input]) {
      if (!globCharacters.test(build) && !buildNames.includes(build)) {
        reader.problem(`${input}: the template has no build named "${build}" (its builds: ${buildNames.join(', ')})`)
      }
    }
  }
  return selection
}
