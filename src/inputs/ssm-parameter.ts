// Input ssm-parameter: the Parameter Store name under which each region's new AMI ID is
// published, checked against Parameter Store's naming rules before anything is built.
import { cutSafely } from '../common/cut.js'
import { longestArnRegion } from '../common/regions.js'
import type { InputReader } from './reader.js'

export interface SsmParameterInputs {
  ssmParameter?: string
}

const allowedCharacters = /^[a-zA-Z0-9_.\-/]+$/
const maxLevels = 15

/**
 * PutParameter: "The maximum length for a parameter name that you specify is 1011 characters.
 * This count of 1011 characters includes the characters in the ARN that precede the name you
 * specify. This ARN length will vary depending on your partition and Region." The parameter is
 * put in every region a build makes an AMI in, which only Packer knows (a template's regions can
 * come from its variables), in any partition: so the ARN counted is the longest there can be.
 */
const maxNameWithArn = 1011
const longestArnBeforeName = `arn:${longestArnRegion.partition}:ssm:${longestArnRegion.region}:111122223333:parameter/`

/** Why SSM would refuse a name this long in some region, or undefined. */
function tooLong(name: string): string | undefined {
  // A path's leading "/" is the ARN's own last one: /images/web is …:parameter/images/web.
  const allowed = maxNameWithArn - longestArnBeforeName.length + (name.startsWith('/') ? 1 : 0)
  if (name.length <= allowed) return undefined
  // Not the name's first characters: the runner masks an input that is a secret only whole.
  return (
    `ssm-parameter: expected a Parameter Store name of at most ${allowed} characters, found ${name.length}: ` +
    `SSM's limit of ${maxNameWithArn} characters counts the ARN in front of the name, and the parameter goes to every region a ` +
    'build makes an AMI in, which only Packer knows; so the name is bounded by the longest ARN in front of a name of any region ' +
    `the AWS SDK knows: ${longestArnBeforeName} (${longestArnBeforeName.length} characters; a leading "/" of the name is its last)`
  )
}

function whatIsWrong(name: string): string | undefined {
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
    reader.problem(`ssm-parameter: expected a Parameter Store name with ${wrong}, found "${cutSafely(name, 140, '…')}"`)
    return {}
  }
  const long = tooLong(name)
  if (long !== undefined) {
    reader.problem(long)
    return {}
  }
  return { ssmParameter: name }
}
