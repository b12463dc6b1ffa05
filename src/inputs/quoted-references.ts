// A reference to a variable or local written in quotes, as text (`ami_name = "var.ami_name"`,
// `tags = { Name = "local.name" }`): HCL reads a quoted string as a template, in which only
// `${…}` refers to anything, so Packer takes the text as it is, without a word. Packer 1.6.6
// builds with it (an AMI named `var.ami_name`, a tag `Name=local.name`) wherever a setting takes
// any text; where it refuses the text itself, Packer says so, on the line, and this says nothing.
import { readFileSync } from 'node:fs'
import { workspaceRelative } from '../common/paths.js'
import { isRecord } from '../common/values.js'
import type { HclBody, HclFileRead } from './hcl.js'
import type { InputProblem } from './reader.js'
import type { JsonPath } from './template.js'

/** The variables and locals a template declares, by name. */
export interface DeclaredNames {
  variables: Set<string>
  locals: Set<string>
}

/** A reference as HCL writes one: `var.NAME` or `local.NAME`, then attributes (`var.tags.Name`). */
const writtenReference = /^(var|local)\.([\p{L}_][\p{L}\p{N}_-]*)((?:\.[\p{L}_][\p{L}\p{N}_-]*)*)$/u

/**
 * Settings whose text Packer 1.6.6 refuses before it builds anything, so that Packer's error
 * already points at the line: a number or a boolean (HCL cannot convert the text), a duration, a
 * word of a list (communicator, ssh_interface, tenancy, shutdown_behavior), a KMS key, a CIDR; and
 * `region`, whose first EC2 call fails naming the text. `pause_before` and `timeout` of a
 * provisioner are the action's own error (hclDurationProblems), `ami_users` entries too
 * (hclAccountProblems).
 */
const refusedByPacker = new Set([
  'region',
  'communicator',
  'ssh_interface',
  'tenancy',
  'shutdown_behavior',
  'kms_key_id',
  'temporary_security_group_source_cidrs',
  'ami_users',
  'pause_before',
  'timeout',
  'ena_support',
  'encrypt_boot',
  'associate_public_ip_address',
  'volume_size',
  'iops',
  'throughput',
  'encrypted',
  'delete_on_termination',
  'ssh_port',
  'delay_seconds',
  'max_attempts'
])

/** What a setting is part of, as the warning names it, and its settings' path into the file's body. */
interface Settings {
  of: string
  body: HclBody
  path: JsonPath
}

/**
 * The strings of the source and build blocks of an HCL2 template's files that are exactly a
 * reference to a variable or local the template declares, written in quotes: one warning each, on
 * the string, saying that Packer takes it as text and how to write the reference. Not in a
 * build's `sources`, `only` or `except`, which other checks read, nor in a setting Packer refuses
 * such text in (refusedByPacker).
 */
export async function quotedReferenceWarnings(read: HclFileRead[], declared: DeclaredNames): Promise<InputProblem[]> {
  const warnings: InputProblem[] = []
  for (const { file, body, place } of read) {
    const shown = workspaceRelative(file, process.cwd())
    for (const { of, body: settings, path } of settingsOf(body)) {
      for (const [name, value] of Object.entries(settings)) {
        if (skipped(of, name, value)) continue
        for (const found of quotedStrings(value, [...path, name])) {
          const reference = declaredReference(found.text, declared)
          const last = found.path.filter((step): step is string => typeof step === 'string').at(-1) ?? name
          // A tag is any text, whatever its key (`tags = { region = "var.region" }`).
          if (reference === undefined || (refusedByPacker.has(last) && !name.endsWith('tags'))) continue
          const where = await stringPlace(file, found.path, place)
          // A value in a map or a block is named by its key too (`Name in tags`).
          const setting = found.path.length > path.length + 1 && last !== name ? `${last} in ${name}` : name
          // HCL's JSON syntax has no expression outside a string: there it is written `"${var.NAME}"`.
          const write = file.endsWith('.pkr.json') ? `Write "\${${found.text}}"` : `Write ${found.text} without quotes, or "\${${found.text}}" inside a string`
          warnings.push({
            message:
              `template: ${shown}: ${setting} of ${of} is the text "${found.text}", not the value of ${reference}: Packer takes a ` +
              `quoted string as it is written, and builds with "${found.text}" there. ${write}.`,
            location: { file: shown, ...where }
          })
        }
      }
    }
  }
  return warnings
}

/** A build block's settings that are blocks read on their own, or that other checks read. */
const buildOwn = new Set(['sources', 'source', 'provisioner', 'error-cleanup-provisioner', 'post-processor', 'post-processors'])

function skipped(of: string, name: string, value: unknown): boolean {
  if (of === 'the build block') return buildOwn.has(name)
  // A provisioner's or post-processor's only and except name sources (hclSelectionWarnings).
  return (name === 'only' || name === 'except') && Array.isArray(value) && !of.startsWith('source')
}

/** The source, build, provisioner and post-processor blocks of a file's body, each with what the warning calls it. */
function settingsOf(body: HclBody): Settings[] {
  const found: Settings[] = []
  for (const source of blocks(body.source, ['source'], 2)) found.push({ of: `source "${source.labels.join('.')}"`, ...source })
  for (const build of blocks(body.build, ['build'], 0)) {
    found.push({ of: 'the build block', ...build })
    for (const source of blocks(build.body.source, [...build.path, 'source'], 1)) found.push({ of: `source "${source.labels[0]}" of the build block`, ...source })
    for (const kind of ['provisioner', 'error-cleanup-provisioner', 'post-processor']) {
      for (const block of blocks(build.body[kind], [...build.path, kind], 1)) found.push({ of: `${kind} "${block.labels[0]}"`, ...block })
    }
    for (const chain of blocks(build.body['post-processors'], [...build.path, 'post-processors'], 0)) {
      for (const block of blocks(chain.body['post-processor'], [...chain.path, 'post-processor'], 1)) found.push({ of: `post-processor "${block.labels[0]}"`, ...block })
    }
  }
  return found
}

/**
 * The blocks of a type with `labels` labels, each with its labels and path into the body: the
 * parser gives each label's blocks as a list, HCL's JSON syntax allows a single object too.
 */
function blocks(value: unknown, path: JsonPath, labels: number): Array<{ labels: string[]; body: HclBody; path: JsonPath }> {
  const each: Array<[unknown, JsonPath]> = Array.isArray(value) ? value.map((inner, index) => [inner, [...path, index]]) : value === undefined ? [] : [[value, path]]
  if (labels === 0) return each.flatMap(([body, at]) => (isRecord(body) ? [{ labels: [], body, path: at }] : []))
  return each.flatMap(([byLabel, at]) =>
    Object.entries(isRecord(byLabel) ? byLabel : {}).flatMap(([label, inner]) =>
      blocks(inner, [...at, label], labels - 1).map((block) => ({ ...block, labels: [label, ...block.labels] }))
    )
  )
}

/** Every string in a setting's value (in its lists, maps and blocks), with its path. */
function quotedStrings(value: unknown, path: JsonPath): Array<{ text: string; path: JsonPath }> {
  if (typeof value === 'string') return [{ text: value, path }]
  if (Array.isArray(value)) return value.flatMap((entry, index) => quotedStrings(entry, [...path, index]))
  if (isRecord(value)) return Object.entries(value).flatMap(([key, entry]) => quotedStrings(entry, [...path, key]))
  return []
}

/**
 * What `text` refers to when it is written as a reference to a variable or local the template
 * declares (`variable "NAME"`, `local.NAME`); undefined for any other text, such as `var.x` of a
 * variable that is not declared, which may well be meant.
 */
function declaredReference(text: string, declared: DeclaredNames): string | undefined {
  const [, kind, name] = writtenReference.exec(text) ?? []
  if (kind === 'var' && declared.variables.has(name)) return `variable "${name}"`
  if (kind === 'local' && declared.locals.has(name)) return `local "${name}"`
  return undefined
}

/**
 * Where a string at `path` is written: its opening quote, where the parser tells (in a list, a map
 * or the setting itself); else the setting.
 */
export async function stringPlace(file: string, path: JsonPath, place: HclFileRead['place']): Promise<{ line?: number; column?: number }> {
  if (file.endsWith('.pkr.hcl')) {
    const { valuePosition } = await import('./hcl-parser.js')
    const at = await valuePosition(file, readFileSync(file, 'utf8'), path)
    if (at !== undefined) return at
  } else if (file.endsWith('.pkr.json')) {
    const { hclJsonPlace } = await import('./hcl-json.js')
    const at = hclJsonPlace(readFileSync(file, 'utf8'), path, true)
    if (at !== undefined) return at
  }
  return place(path)
}
