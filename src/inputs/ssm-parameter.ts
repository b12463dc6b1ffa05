// Input ssm-parameter: the Parameter Store name under which each region's new AMI ID is
// published, checked against Parameter Store's naming rules before anything is built.
import type { InputReader } from './reader.js'

export interface SsmParameterInputs {
  ssmParameter?: string
}

const allowedCharacters = /^[a-zA-Z0-9_.\-/]+$/
const maxNameLength = 1011
const maxLevels = 15

function whatIsWrong(name: string): string | undefined {
  if (name.length > maxNameLength) return `at most ${maxNameLength} characters`
  if (!allowedCharacters.test(name)) return 'only letters, digits and _ . - /'
  if (/^\/?(aws|ssm)/i.test(name)) return 'a name that does not begin with "aws" or "ssm"'
  if (name.includes('/') && !name.startsWith('/')) return 'a path that begins with "/" (e.g. /images/web/latest)'
  if (name.endsWith('/') || name.includes('//')) return 'a path without empty levels'
  if (name.split('/').length - 1 > maxLevels) return `at most ${maxLevels} levels`
  return undefined
}

export function readSsmParameterInputs(reader: InputReader): SsmParameterInputs {
  const name = reader.text('ssm-parameter')
  if (name === '') return {}
  const wrong = whatIsWrong(name)
  if (wrong !== undefined) {
    reader.problem(`ssm-parameter: expected a Parameter Store name with ${wrong}, found "${name.slice(0, 140)}"`)
    return {}
  }
  return { ssmParameter: name }
}
