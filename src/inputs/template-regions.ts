// The regions a template's Amazon builders name, checked for white space (an HCL2 template's in
// hcl.ts, hclRegionProblems, with the words made here): Packer decodes a string into a list by
// splitting it at each comma and keeps what is around the commas (mapstructure's
// StringToSliceHookFunc), so "us-west-2, eu-west-1" gives " eu-west-1", which no region is. The
// build then fails at its region check ("Invalid region(s): [ eu-west-1]", after DescribeRegions),
// or, with skip_region_validation, once the AMI is made and copied, without saying where the space is.
import type { SensitiveValue } from '../common/values.js'
import { regionsOf } from './ami-builds.js'
import type { Variables } from './build-selection.js'
import { unbracedCallMistake, unbracedCalls } from './quoted-json-references.js'
import type { InputProblem } from './reader.js'
import { jsonVariableValues, onlyUserVariable, resolveUserVariables, type JsonPath, type TemplateContext, type UserVariables } from './template.js'

/** Where the value of a JSON template's setting is written, for the problem's place and words. */
interface JsonSources {
  /** The template, absolute, and as the log names it. */
  template: { path: string; shown: string }
  /** The variables files in the order Packer reads them, absolute, each as the log names it and parsed. */
  varFiles: Array<{ path: string; shown: string; parsed: unknown }>
  /** The `variables` input. */
  variables: Variables
  /** Whether Packer builds the template's builder of that index, with the inputs only and except. */
  built: (index: number) => boolean
}

/** Where variable `name` takes its value (jsonVariableValues): the `variables` input, a variables file, or the template's default. */
function origin(name: string, template: unknown, sources: JsonSources): { where: string; location?: InputProblem['location'] } | undefined {
  const set = jsonVariableValues(template, sources.varFiles.map(({ parsed }) => parsed), sources.variables).get(name)
  if (set === undefined) return undefined
  if (set.from === 'variables') return { where: `variables: "${name}"` }
  const [{ path, shown }, at] = set.from === 'var-file' ? [sources.varFiles[set.index], [name]] : [sources.template, ['variables', name]]
  return { where: `${set.from}: ${shown}: variable "${name}"`, location: { file: shown, value: { path, at } } }
}

/**
 * Each built Amazon builder's `region` and `ami_regions` whose value, known before the build, holds a
 * region with white space in it, `ami_users` with an entry that is no account ID, and
 * `iam_instance_profile` that is no name IAM takes (instanceProfileMistake), or any of them that
 * writes a variable's call as text (unbracedMistake): on the variable's value where the setting
 * is one variable alone, else on the setting.
 */
export function jsonRegionProblems(template: unknown, values: UserVariables, context: TemplateContext, sources: JsonSources): InputProblem[] {
  const builders = (template as { builders?: unknown } | null)?.builders
  if (!Array.isArray(builders)) return []
  const resolve = (written: string): string | undefined => resolveUserVariables(written, values, context)
  const problems: InputProblem[] = []
  builders.forEach((builder: unknown, index) => {
    const { type, name } = (builder ?? {}) as { type?: unknown; name?: unknown }
    if (typeof type !== 'string' || !type.startsWith('amazon-') || !sources.built(index)) return
    const shownBuilder = `builder "${typeof name === 'string' && name !== '' ? name : type}"`
    for (const setting of ['region', 'ami_regions', 'ami_users', 'iam_instance_profile'] as const) {
      const written = (builder as Record<string, unknown>)[setting]
      const at: JsonPath = ['builders', index, setting]
      // Written as text, the call is the mistake, whatever else the text is not: on the string.
      const unbraced = unbracedMistake(setting, written, template, values)
      if (unbraced !== undefined) {
        const location = { file: sources.template.shown, value: { path: sources.template.path, at: [...at, ...unbraced.entry], itself: true } }
        problems.push({ message: `template: ${sources.template.shown}: ${setting} of ${shownBuilder} ${unbraced.mistake}`, location })
        continue
      }
      const mistake = valueMistake(setting, written, resolve)
      if (mistake === undefined) continue
      const variable = typeof written === 'string' ? onlyUserVariable(written) : undefined
      const found = variable === undefined ? undefined : origin(variable, template, sources)
      const { where, location } = found ?? {
        where: `template: ${sources.template.shown}: ${setting} of ${shownBuilder}`,
        location: { file: sources.template.shown, value: { path: sources.template.path, at } }
      }
      const what = found ? `, which ${shownBuilder} takes for ${setting},` : ''
      problems.push({ message: `${where}${what} ${mistake}`, location })
    }
  })
  return problems
}

/** What is wrong with the value of the setting, known before the build, that EC2 or IAM refuses. */
function valueMistake(
  setting: 'region' | 'ami_regions' | 'ami_users' | 'iam_instance_profile',
  written: unknown,
  resolve: (written: string) => string | undefined
): string | undefined {
  const value = setting !== 'region' && typeof written === 'string' ? resolve(written) : undefined
  if (setting === 'iam_instance_profile') return value === undefined ? undefined : instanceProfileMistake(value)
  if (setting === 'ami_users') {
    // Packer splits a string at each comma, as it does ami_regions.
    const wrong = wrongAccounts(regionsOf(written, resolve) ?? [])
    return wrong.length > 0 ? accountMistake(wrong) : undefined
  }
  const regions = setting === 'region' ? (typeof written === 'string' ? [resolve(written)] : []) : regionsOf(written, resolve)
  const spaced = spacedRegions(regions ?? [])
  const list = value === undefined ? undefined : { value, splits: 'Packer splits it' }
  return spaced.length > 0 ? regionMistake(setting, spaced, list) : undefined
}

/** What Packer 1.6.6 does with each of these settings when it is a variable's call written as text. */
const unbracedFails = {
  region: (text: string) => `the build fails as soon as it calls AWS in the region ${JSON.stringify(text)}`,
  ami_regions: (text: string) =>
    `${JSON.stringify(text)} is no region: the build fails at its region check ("Invalid region(s)"), or, with skip_region_validation, once the AMI is made, as Packer copies it`,
  ami_users: (text: string) => `EC2 refuses ${JSON.stringify(text)} as an account only once the AMI is made, and Packer deregisters the AMI`,
  iam_instance_profile: (text: string) => `IAM refuses ${JSON.stringify(text)} as an instance profile's name once the build has started`
}

/**
 * The setting's mistake when it writes a call to `user` or `env` outside `{{ }}` (in the string, or in an
 * entry of its list: `entry`, its index), of a variable the template declares or is given (unbracedCalls).
 */
function unbracedMistake(
  setting: keyof typeof unbracedFails,
  written: unknown,
  template: unknown,
  values: UserVariables
): { mistake: string; entry: number[] } | undefined {
  const declared = (template as { variables?: unknown } | null)?.variables
  const known = (name: string): boolean => values.has(name) || (typeof declared === 'object' && declared !== null && Object.hasOwn(declared, name))
  const texts: Array<[unknown, number[]]> = Array.isArray(written) ? written.map((text, index) => [text, [index]]) : [[written, []]]
  for (const [text, entry] of texts) {
    const [call] = typeof text === 'string' ? unbracedCalls(text, known) : []
    if (call) return { mistake: unbracedCallMistake(text as string, call, unbracedFails[setting](text as string)), entry }
  }
  return undefined
}

/** The entries of `ami_users` that are no AWS account ID (12 digits), which EC2 refuses. */
export function wrongAccounts(entries: Array<string | undefined>): string[] {
  return entries.filter((entry): entry is string => entry !== undefined && !/^\d{12}$/.test(entry))
}

/**
 * What was expected of `ami_users`, the entries found (`wrong`), what EC2 and Packer do with them,
 * and what to write: a list given whole as one entry holds several IDs; else an ID is mistyped.
 */
export function accountMistake(wrong: string[]): string {
  const advice = wrong.some((entry) => (entry.match(/\d{12}/g) ?? []).length > 1)
    ? 'Give each account ID as its own entry of the list.'
    : 'Write each as the 12 digits of an account ID.'
  return (
    `expected AWS account IDs of 12 digits, found ${wrong.map((entry) => JSON.stringify(entry)).join(', ')}: EC2 refuses ` +
    `${wrong.length === 1 ? 'it' : 'them'} only once the AMI is made (InvalidAMIAttributeItemValue), and Packer deregisters the AMI. ${advice}`
  )
}

/**
 * What is wrong with `name` given to `iam_instance_profile`, when IAM would refuse it as the name of
 * an instance profile (1 to 128 of letters, digits and +=,.@_-): Packer asks IAM for it
 * (GetInstanceProfile) only once the build has started, and fails there (ValidationError). Empty
 * means none.
 */
export function instanceProfileMistake(name: string): string | undefined {
  if (name === '' || /^[\w+=,.@-]{1,128}$/.test(name)) return undefined
  const advice = /^arn:/.test(name)
    ? `Give its name, ${JSON.stringify(name.replace(/^.*\//, ''))}, not its ARN.`
    : 'Write the name of an instance profile of the account.'
  return (
    `expected the name of an IAM instance profile (up to 128 letters, digits and +=,.@_-), found ${JSON.stringify(name)}: IAM refuses it ` +
    `(ValidationError) when Packer looks the profile up, once the build has started. ${advice}`
  )
}

/**
 * The problems that quote none of `sensitive`: one that would is left to Packer, as the action
 * masks those values only once the inputs pass.
 */
export function withoutValues<T extends InputProblem>(problems: T[], sensitive: SensitiveValue[]): T[] {
  const secrets = sensitive.map(({ value }) => value).filter((value) => value !== '')
  return problems.filter(({ message }) => !secrets.some((value) => message.includes(value)))
}

/** The regions of `regions` with white space in them, none of which is a region. */
export function spacedRegions(regions: Array<string | undefined>): string[] {
  return regions.filter((region): region is string => region !== undefined && /\s/.test(region))
}

/**
 * What was expected, what was found (`spaced`, from a list written as the string `value` that
 * `splits` at each comma, when it is one), what Packer does with it, and what to write.
 */
export function regionMistake(setting: 'region' | 'ami_regions', spaced: string[], list?: { value: string; splits: string }): string {
  const listed = spaced.map((region) => JSON.stringify(region)).join(', ')
  if (setting === 'region') {
    return `expected an AWS region such as us-east-1, found ${listed}: Packer keeps the space, and the build fails as soon as it calls AWS. Write ${JSON.stringify(spaced[0]?.replace(/\s+/g, ''))}.`
  }
  const fails = 'the build fails at its region check ("Invalid region(s)"), or, with skip_region_validation, once the AMI is made, as Packer copies it'
  if (list === undefined) return `expected AWS regions without spaces, found ${listed}: Packer keeps the spaces, and ${fails}. Write each region without spaces.`
  return (
    `expected AWS regions separated by commas alone (as in "us-west-2,eu-west-1"), found ${JSON.stringify(list.value)}: ${list.splits} at each comma ` +
    `and keeps the spaces, so ${listed} ${spaced.length === 1 ? 'is' : 'are'} no region, and ${fails}. Write ${JSON.stringify(list.value.replace(/\s+/g, ''))}.`
  )
}
