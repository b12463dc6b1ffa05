// Where in a template Packer's errors about it are. Packer names no line for a legacy JSON
// template: it says "builder 2: missing 'type'", or `Failed to prepare build: "amazon-ebs"` and
// "unknown configuration key: '"instance_typo"'". The template is read with a JSON parser that
// keeps positions (jsonc-parser), and each problem is pointed at the builder, provisioner,
// post-processor, variable or key it names. For an HCL2 source block that its builder refused,
// Packer names the block's first line: each problem is pointed at the attribute it begins with.
// Packer's warnings (`Warning when preparing build: "amazon-ebs"`, a deprecated setting) are
// placed the same way, and a variable set but not declared on the variables file's line that
// sets it. Loaded only when Packer failed or warned.
import { AsyncLocalStorage } from 'node:async_hooks'
import { readFile } from 'node:fs/promises'
import { relative, resolve } from 'node:path'
import { findNodeAtLocation, parseTree, type Node } from 'jsonc-parser'
import leven from 'leven'
import {
  jsonVariableValues,
  onlyUserVariable,
  positionOf,
  readByPacker,
  resolveUserVariables,
  withPackerRootKeys,
  type JsonPath,
  type JsonVariableOrigin,
  type TemplateContext,
  type UserVariables
} from '../inputs/template.js'
import { jsonPlace, jsonValuePlace, rootEntry } from '../common/json-place.js'
import { emptyListUntyped, onlyHclVariable, hclBuildBlock, hclDeclaredVariables, hclLocals, hclPaths, hclRunScope, hclTemplateFiles, meantHclVariable, parseHclFile, readHclFile, type HclBody, type PathValues } from '../inputs/hcl.js'
import type { HclSyntaxError, KnownValues, Unclosed } from '../inputs/hcl-parser.js'
import type { HclFileText } from '../inputs/template-files.js'
import { duplicateVariable, failedValidation, hclSubject, isHclBlockError, isHclComponentError, isUnreadableSource, refusedFilter, refusedSetting, refusedValue, unknownSource, unsetVariable, type HclSubject, type UnknownSource } from './machine-readable.js'
import { meantName } from '../inputs/near-names.js'
import { sourceParts } from '../inputs/source-references.js'
import { escapedForRegExp, isRecord } from '../common/values.js'

/**
 * An HCL2 template's files for one placing of Packer's problems: each read, and parsed, at most
 * once, whatever the number of problems and of places that look; those the job read already
 * (`files`, as the input checks read them, with their parse where it was made) not again.
 */
export interface TemplateReads {
  text: (path: string) => Promise<string>
  body: (path: string, text: string) => Promise<HclBody>
}

export function templateReads(files: HclFileText[] = []): TemplateReads {
  const texts = new Map<string, Promise<string>>(files.flatMap((entry) => ('text' in entry ? [[entry.file, Promise.resolve(entry.text)]] : [])))
  const bodies = new Map<string, Promise<HclBody>>(files.flatMap((entry) => ('read' in entry && entry.read ? [[entry.file, Promise.resolve(entry.read.body)]] : [])))
  const once = <T>(known: Map<string, Promise<T>>, path: string, make: () => Promise<T>): Promise<T> => {
    if (!known.has(path)) known.set(path, make())
    return known.get(path) as Promise<T>
  }
  return {
    text: (path) => once(texts, path, () => readFile(path, 'utf8')),
    body: (path, text) => once(bodies, path, () => parseHclFile(path, text))
  }
}

/** The reads of the placing under way (withTemplateReads); without one, each look reads the disk. */
const placing = new AsyncLocalStorage<TemplateReads>()

/** Runs `place` with `reads` as the template's files every look of its places at them reads. */
export function withTemplateReads<T>(reads: TemplateReads, place: () => Promise<T>): Promise<T> {
  return placing.run(reads, place)
}

function textOf(path: string): Promise<string> {
  return placing.getStore()?.text(path) ?? readFile(path, 'utf8')
}

function bodyOf(path: string, text: string): Promise<HclBody> {
  return placing.getStore()?.body(path, text) ?? parseHclFile(path, text)
}

/** The bodies of an HCL2 template's files (`template`, absolute), through the placing's reads. */
async function templateBodies(template: string): Promise<HclBody[]> {
  return Promise.all(hclTemplateFiles(template).map(async (file) => bodyOf(file, await textOf(file))))
}

/** One problem of Packer's message, and where in the template it is, when that is known. */
export interface TemplateError {
  message: string
  /** The file, relative to the directory Packer runs in; when not given, the template. */
  file?: string
  line?: number
  column?: number
  /** A warning of Packer's (a deprecated setting), not an error. */
  warning?: boolean
  /** About a value of the input `variables`, which no file holds: annotated with no place. */
  inInputs?: boolean
}

/**
 * The problems of Packer's error about an HCL2 block a plugin refused, each on the attribute it
 * begins with (`ami_name must be between 3 and 128 characters long`), else on the block; or
 * undefined when the message is not that, whole, so that none of it is lost.
 */
export async function locateHclBlockErrors(message: string, workingDirectory: string, template: string): Promise<TemplateError[] | undefined> {
  const subject = isHclBlockError(message) ? hclSubject(message, readByPacker(workingDirectory, template)) : undefined
  if (!subject) return undefined
  const { file, line: blockLine } = subject
  const problems = listedProblems(message.slice(0, subject.index).split('\n').slice(1))
  if (problems === undefined || !file.endsWith('.pkr.hcl')) return undefined
  // What each problem names, else begins with, else mentions (`A source_ami or
  // source_ami_filter must be specified` when `source_ami` is there but its variable is empty).
  const named = problems.map((problem) => [namedKey(problem) ?? leadingWord(problem), ...mentionedSettings(problem)])
  const path = resolve(workingDirectory, file)
  const [places, overrides] = await Promise.all([
    attributesIn(path, blockLine, named.flat()),
    overridesOf(path, blockLine, named.flat(), workingDirectory, template)
  ])
  let next = 0
  const located = problems.map((problem, index) => {
    const keys = named[index].map((_, key) => next + key)
    next += keys.length
    // Where the first setting it names is set: in the block, or in a build's override of it
    // (Packer names the block for both). Set in more than one of these, the block is as near as is known.
    const sets = keys
      .map((key) => [...(places[key] ? [{ file, ...places[key] }] : []), ...overrides.flatMap((override) => override[key] ?? [])])
      .find((found) => found.length > 0)
    return { message: problem, ...(sets?.length === 1 ? sets[0] : { file, line: blockLine }) }
  })
  return onTheirDevices(located, { path, file, blockLine }, workingDirectory, template)
}

/**
 * The device a problem of an Amazon builder's block device mapping names (1.6.6's
 * BlockDevice.Prepare, the plugin's since): its device_name, or null for the one that says a
 * mapping has none; undefined for a problem of anything else.
 */
function deviceOf(problem: string): string | null | undefined {
  if (problem.startsWith('The `device_name` must be specified for every device')) return null
  return (
    /^(?:Throughput|IOPS) (?:must be between \d+ and \d+|is not available) for device (\S+)$/.exec(problem)?.[1] ??
    /^The device (\S+), must also have `encrypted/.exec(problem)?.[1] ??
    /^(\S+): the maximum ratio of provisioned IOPS/.exec(problem)?.[1]
  )
}

/**
 * Problems of block device mappings that Packer names the source block for, each on the mapping
 * it is about, where that can be told: the block writes as many mappings of that device_name
 * (or of none) as Packer has problems with it, all literal, and no build block overrides its
 * mappings. Packer checks the AMI mappings, then the launch ones (deviceMappings), so the n-th
 * problem of a device is its n-th mapping's.
 */
async function onTheirDevices(
  located: TemplateError[],
  { path, file, blockLine }: { path: string; file: string; blockLine: number },
  workingDirectory: string,
  template: string
): Promise<TemplateError[]> {
  const onBlock = (error: TemplateError): boolean => error.line === blockLine && error.column === undefined && error.file === file
  const devices = located.map((error) => (onBlock(error) ? deviceOf(error.message) : undefined))
  if (devices.every((device) => device === undefined)) return located
  const { deviceMappings } = await import('../inputs/hcl-parser.js')
  const mappings = await deviceMappings(path, await textOf(path), blockLine)
  if (mappings === undefined) return located
  const kinds = ['ami_block_device_mappings', 'launch_block_device_mappings']
  const overridden = await overridesOf(path, blockLine, kinds, workingDirectory, template)
  if (overridden.some((places) => places.some((place) => place !== undefined))) return located
  const theirs = theirMappings(devices, mappings)
  return located.map((error, index) => {
    const mapping = theirs[index]
    return mapping === undefined ? error : { ...error, line: mapping.line, column: mapping.column }
  })
}

/**
 * The mapping each problem is about (of `devices`, what each names: deviceOf), of a builder's
 * `mappings` in the order Packer checks them: the n-th problem of a device is the n-th mapping
 * of that device_name, where there are as many of each; none where a device_name is not
 * literal (undefined), or for a problem of no device.
 */
function theirMappings<T extends { device: string | null | undefined }>(devices: Array<string | null | undefined>, mappings: T[]): Array<T | undefined> {
  if (mappings.some(({ device }) => device === undefined)) return devices.map(() => undefined)
  return devices.map((device, index) => {
    if (device === undefined) return undefined
    const its = mappings.filter((mapping) => mapping.device === device)
    const nth = devices.slice(0, index).filter((one) => one === device).length
    return its.length === devices.filter((one) => one === device).length ? its[nth] : undefined
  })
}

/**
 * The problems of a plugin's error list (`* ` each), or undefined when the lines hold anything
 * else. `wrapped`: the list is a diagnostic's detail, which hcl wraps at 78 columns, so that a
 * problem goes on in lines of no indent.
 */
function listedProblems(lines: string[], wrapped = false): string[] | undefined {
  const problems: string[] = []
  for (const line of lines) {
    const bullet = /^\s*\* (.+)$/.exec(line)
    if (bullet) problems.push(bullet[1])
    // A problem's own further lines (`  Note: some builders used to default ssh_username …`).
    else if ((wrapped ? /\S/ : /^\s+\S/).test(line) && problems.length > 0) problems[problems.length - 1] += `\n${line}`
    else if (line.trim() !== '') return undefined
  }
  return problems.length === 0 ? undefined : problems
}

/**
 * The problems of Packer's error about a provisioner or post-processor block its plugin refused
 * (isHclComponentError), which names the block's first line: each on the setting it names or
 * begins with, else on the value it quotes (`Bad script 'b.sh': …` of `script = "b.sh"`), else
 * on the block; undefined when the message is not that, whole.
 */
export async function locateHclComponentErrors(
  message: string,
  workingDirectory: string,
  template: string,
  pathValues?: PathValues
): Promise<TemplateError[] | undefined> {
  const subject = isHclComponentError(message) ? hclSubject(message, readByPacker(workingDirectory, template)) : undefined
  if (!subject?.file.endsWith('.pkr.hcl')) return undefined
  const [, ...detail] = withoutSubject(message, subject).split('\n')
  const listed = detail.findIndex((line) => /^\d+ error(\(s\)|s)? (occurred|decoding):$/.test(line))
  const problems = listed < 0 || detail.slice(0, listed).some((line) => line.trim() !== '') ? undefined : listedProblems(detail.slice(listed + 1), true)
  if (problems === undefined) return undefined
  const path = resolve(workingDirectory, subject.file)
  const text = await textOf(path)
  const { attributePositions, valuePositions } = await import('../inputs/hcl-parser.js')
  const named = problems.map((problem) => [namedKey(problem) ?? leadingWord(problem), ...mentionedSettings(problem)])
  const quoted = problems.map((problem) => /'([^']+)'/.exec(problem)?.[1] ?? '')
  const [places, values] = await Promise.all([
    attributePositions(path, text, subject.line, named.flat()),
    valuePositions(path, text, subject.line, quoted, knownValues(workingDirectory, template, pathValues))
  ])
  const known = knownValues(workingDirectory, template, pathValues)
  let next = 0
  return Promise.all(
    problems.map(async (problem, index) => {
      const place = places.slice(next, (next += named[index].length)).find((found) => found !== undefined) ?? (quoted[index] ? values[index] : undefined)
      if (place) return { message: problem, file: subject.file, ...place }
      const inLocal = quoted[index] && known ? await localEntryPlace(path, text, subject.line, quoted[index], { workingDirectory, template, known }) : undefined
      return { message: problem, ...(inLocal ?? { file: subject.file, line: subject.line }) }
    })
  )
}

/**
 * Where an entry of an object local that the block on line `blockLine` of `path` reads
 * (`local.scripts.linux`, a branch of a conditional too) is written as a string that names
 * `value`, in any file of the template: the line that holds the path Packer quotes, as a value
 * written in the block is its own. Undefined when no such entry names it.
 */
async function localEntryPlace(
  path: string,
  text: string,
  blockLine: number,
  value: string,
  { workingDirectory, template, known }: { workingDirectory: string; template: string; known: KnownValues }
): Promise<(Place & { file: string }) | undefined> {
  const { localEntriesRead, localEntryPosition } = await import('../inputs/hcl-parser.js')
  const entries = await localEntriesRead(path, text, blockLine)
  if (entries.length === 0) return undefined
  // The block's own file first: where its locals most often are.
  const files = [path, ...hclTemplateFiles(template).filter((file) => file !== path && file.endsWith('.pkr.hcl'))]
  for (const file of files) {
    const fileText = file === path ? text : await textOf(file)
    for (const entry of entries) {
      const place = await localEntryPosition(file, fileText, entry, value, known)
      if (place) return { file: relative(workingDirectory, file), ...place }
    }
  }
  return undefined
}

/**
 * `path.root` and `path.cwd` as Packer sets them for `template` (absolute), with the input
 * variables' and locals' values of text or lists of text; none where the paths cannot be told.
 */
function knownValues(workingDirectory: string, template: string, values?: PathValues): KnownValues | undefined {
  try {
    return {
      ...hclPaths(workingDirectory, relative(workingDirectory, template) || '.'),
      variables: new Map(Object.entries(values?.variables ?? {})),
      locals: new Map(Object.entries(values?.locals ?? {}))
    }
  } catch {
    return undefined
  }
}

/**
 * Where a build's `source "amazon-ebs.web" { … }` block, in any of the template's files, sets each
 * of `names`, when the block on line `blockLine` of `path` is that source: one list per override.
 */
async function overridesOf(
  path: string,
  blockLine: number,
  names: Array<string | undefined>,
  workingDirectory: string,
  template: string
): Promise<Array<Array<(Place & { file: string }) | undefined>>> {
  const { blockNamesAt, sourceOverrides } = await import('../inputs/hcl-parser.js')
  const [kind, type, name] = (await blockNamesAt(path, await textOf(path), blockLine)) ?? []
  if (kind !== 'source' || name === undefined) return []
  const found: Array<Array<(Place & { file: string }) | undefined>> = []
  for (const file of hclTemplateFiles(template).filter((each) => each.endsWith('.pkr.hcl'))) {
    for (const { used, places } of await sourceOverrides(file, await textOf(file), names)) {
      if (namesSource(used, type, name)) found.push(places.map((place) => place && { file: relative(workingDirectory, file), ...place }))
    }
  }
  return found
}

/**
 * Packer's warning about an HCL2 block, which names the block's first line (`Warning:
 * spot_price_auto_product is deprecated …`, then `on a.pkr.hcl line 1:`): on the attribute it
 * begins with, else on the block; or undefined when the message is not that.
 */
export async function locateHclWarning(message: string, workingDirectory: string, template: string): Promise<TemplateError[] | undefined> {
  const at = message.startsWith('Warning: ') ? hclSubject(message, readByPacker(workingDirectory, template)) : undefined
  if (!at) return undefined
  const { file, line: blockLine } = at
  const text = withoutSubject(message, at).slice('Warning: '.length).replace(/\n{3,}/g, '\n\n').trim()
  const warning = { message: text, file, line: blockLine, warning: true }
  if (!file.endsWith('.pkr.hcl')) return [warning]
  const [place] = await attributesIn(resolve(workingDirectory, file), Number(blockLine), [leadingWord(text)])
  return [{ ...warning, ...place }]
}

/**
 * Where the attributes `names` of the HCL file at `path` are, in the block that begins on line
 * `blockLine`, or in the file itself with 0 (hcl-parser.ts's attributePositions).
 */
async function attributesIn(path: string, blockLine: number, names: Array<string | undefined>): Promise<Array<Place | undefined>> {
  const [{ attributePositions }, text] = await Promise.all([import('../inputs/hcl-parser.js'), textOf(path)])
  return attributePositions(path, text, blockLine, names)
}

/**
 * Packer's warning of a variable that a variables file sets but the template does not declare
 * names the variable, not the file: placed on the first of `varFiles` (absolute, in the order
 * Packer reads them) that sets it, with the declared variable it is near, which Packer does not
 * say (`template` absolute); undefined when the message is not that, or none sets it.
 */
export async function locateUndeclaredVariable(
  message: string,
  workingDirectory: string,
  varFiles: string[],
  template: string
): Promise<TemplateError[] | undefined> {
  const named = /^Warning: Undefined variable\n\n(?:A "([^"]+)" variable was set|The variable "([^"]+)" was set)/.exec(message)
  if (!named) return undefined
  const name = named[1] ?? named[2]
  for (const path of varFiles) {
    const place = await varFilePlace(path, name)
    if (!place) continue
    const meant = await meantHclVariable(name, template)
    const hint = meant === undefined ? '' : `\n\nDid you mean "${meant}"?`
    return [{ message: `${message.slice('Warning: '.length)}${hint}`, file: relative(workingDirectory, path), ...place, warning: true }]
  }
  return undefined
}

/** Where the variables file at `path` (absolute; HCL, or JSON by its name) sets variable `name`. */
function varFilePlace(path: string, name: string): Promise<Place | undefined> {
  const found = path.endsWith('.json') ? jsonKeyPlace(path, name) : attributesIn(path, 0, [name]).then(([place]) => place)
  return found.catch(() => undefined)
}

/**
 * Packer's error of a variable that has no value and no default names no place: placed on the
 * variable's block in the template's files (`template` absolute), with what sets a variable in
 * this action; undefined when the message is not that, or no file declares it.
 */
export async function locateUnsetVariable(message: string, workingDirectory: string, template: string): Promise<TemplateError[] | undefined> {
  const name = unsetVariable(message)
  if (name === undefined) return undefined
  const text = `Unset variable "${name}": it has no default and was given no value. Set it in the input \`variables\`, in a file of the input \`var-file\`, or as PKR_VAR_${name} in the step's env.`
  return onDeclaration(name, text, workingDirectory, template)
}

/**
 * Packer's error of a `variable` block that declares a variable declared before it names no
 * place: placed on each such block, in the order Packer reads the template's files (`template`
 * absolute: a folder's by name, `.pkr.hcl` then `.pkr.json`) and their blocks, saying where the
 * first declaration is. Undefined when the message is not that, or a file cannot be read with
 * certainty (not valid HCL, or a `.pkr.json` file that declares it twice or in a `variables` block).
 */
export async function locateDuplicateVariable(message: string, workingDirectory: string, template: string): Promise<TemplateError[] | undefined> {
  const name = duplicateVariable(message)
  if (name === undefined) return undefined
  const [{ variableDeclarations }, { hclJsonVariableDeclaration }] = await Promise.all([import('../inputs/hcl-parser.js'), import('../inputs/hcl-json.js')])
  const declarations: Array<{ file: string; block: boolean; line: number; column: number }> = []
  for (const path of hclTemplateFiles(template)) {
    const source = await textOf(path)
    const found = path.endsWith('.json')
      ? hclJsonVariableDeclaration(source, name)?.map((place) => ({ block: true, ...place }))
      : await variableDeclarations(path, source, name)
    if (found === undefined) return undefined
    declarations.push(...found.map((declaration) => ({ file: relative(workingDirectory, path), ...declaration })))
  }
  // Those after the first that are `variable` blocks: Packer names the place of a `variables` attribute itself.
  const [first, ...later] = declarations
  const refused = later.filter(({ block }) => block)
  if (first === undefined || refused.length === 0) return undefined
  const text = `${message.slice('Error: '.length).trim()} Declared first at ${first.file} line ${first.line}.`
  return refused.map(({ file, line, column }) => ({ message: text, file, line, column }))
}

/**
 * Packer's error about a value given in the input `variables` (`-var`) or as a PKR_VAR_
 * variable, which names no file: on the variable's declaration, saying where the value came
 * from and how Packer reads it, then Packer's own words.
 */
export async function locateRefusedValue(message: string, workingDirectory: string, template: string): Promise<TemplateError[] | undefined> {
  const refused = refusedValue(message)
  if (refused === undefined) return undefined
  const { name, from } = refused
  const given = from === 'arguments' ? 'in the input `variables`' : `as PKR_VAR_${name} in the step's env`
  // A file that cannot be read tells nothing of the type: the general advice stays.
  const files = await templateBodies(template).catch(() => [])
  const how = emptyListUntyped(name, files)
    ? `"${name}" has no type, so Packer gives it the type of its default, []: a list of nothing, which no other list fits. ` +
      'Declare its type (type = list(string)) to give it one.'
    : 'Unless a variable is a string, Packer reads its value as HCL, as in a variables file: a number 20, a list ["a", "b"], a map {key = "value"}.'
  const text = `Packer refused the value given for "${name}" ${given}. ${how}\n\n${message}`
  return onDeclaration(name, text, workingDirectory, template)
}

/**
 * Packer 1.6.6's error of a value given in the input `variables` or as a PKR_VAR_ variable that a
 * variable's `validation` rule refused (failedValidation), which names neither the variable nor a
 * place but the rule: on the rule, naming the variable, where the value came from, and what the
 * rule says; undefined when the message is not that, or the rule is in none of the template's files.
 */
export async function locateFailedValidation(message: string, workingDirectory: string, template: string): Promise<TemplateError[] | undefined> {
  const failed = failedValidation(message)
  if (failed === undefined) return undefined
  const path = resolve(workingDirectory, failed.file)
  if (!hclTemplateFiles(template).includes(path) || !path.endsWith('.pkr.hcl')) return undefined
  const { blockPosition } = await import('../inputs/hcl-parser.js')
  const source = await textOf(path)
  // The variable whose block is the last to begin before the rule: the block the rule is in.
  let variable: { name: string; line: number } | undefined
  for (const name of hclDeclaredVariables([await bodyOf(path, source)])) {
    const place = await blockPosition(path, source, 'variable', [name])
    if (place && place.line <= failed.line && (variable === undefined || place.line > variable.line)) variable = { name, line: place.line }
  }
  const named = variable === undefined ? 'a variable' : `"${variable.name}"`
  const given = failed.from === 'arguments' ? 'in the input `variables`' : `as PKR_VAR_${variable?.name ?? 'NAME'} in the step's env`
  const text = `The value given for ${named} ${given} fails the variable's validation rule: ${failed.detail}`
  return [{ message: text, file: relative(workingDirectory, path), line: failed.line, column: failed.column }]
}

/**
 * Packer's error of a build that uses a source it does not know (unknownSource), which names the
 * build block, or nothing: on the entry of the build's `sources` (or its `source` block) that
 * names the source, in the template's files (`template` absolute), `.pkr.json` ones too, which
 * Packer names no line of; undefined when the message is
 * not that, or no build of the named block uses such a source.
 */
export async function locateUnknownSource(message: string, workingDirectory: string, template: string): Promise<TemplateError[] | undefined> {
  const unknown = unknownSource(message)
  if (unknown === undefined) return undefined
  const { sourceUses } = await import('../inputs/hcl-parser.js')
  // The build block Packer names, where it names one (from 1.7 on; 1.6.6 says `on  line 0:`).
  const at = hclSubject(message, readByPacker(workingDirectory, template))
  const said = (at ? withoutSubject(message, at) : message)
    .slice('Error: '.length)
    .replace(/^ {2}on {2}line 0:\n {2}\(source code not available\)\n/m, '')
    .replace(/\n{3,}/g, '\n\n')
    .trim()
  const text = withKnownSources(said, unknown)
  for (const path of hclTemplateFiles(template).filter((file) => file.endsWith('.pkr.hcl') || file.endsWith('.pkr.json'))) {
    if (at && resolve(workingDirectory, at.file) !== path) continue
    const written = await textOf(path)
    const uses = path.endsWith('.pkr.json') ? (await import('../inputs/hcl-json.js')).hclJsonRead(written).sourceUses : await sourceUses(path, written)
    const use = uses.find(({ build, used }) => (!at || build === at.line) && namesSource(used, unknown.type, unknown.name))
    if (use) return [{ message: text, file: relative(workingDirectory, path), line: use.line, column: use.column }]
  }
  return undefined
}

/**
 * Packer's error of a `var.NAME` or `local.NAME` that the template does not declare, `Error:
 * Unsupported attribute` and `This object does not have an attribute named "NAME"`, which
 * names the file and line but not which reference: on that reference, saying what it is, with
 * the declared name it is near; undefined when the message is not that, or the line holds no
 * such reference.
 */
export async function locateUnknownReference(message: string, workingDirectory: string, template: string): Promise<TemplateError[] | undefined> {
  const name = /^Error: Unsupported attribute\n[^]*\nThis object does not have an attribute named "([^"]+)"\.\s*$/.exec(message)?.[1]
  const at = name === undefined ? undefined : hclSubject(message, readByPacker(workingDirectory, template))
  if (name === undefined || at === undefined || !at.file.endsWith('.pkr.hcl')) return undefined
  // Columns as an editor shows them: a byte order mark (HCL reads past it) is none.
  const line = (await textOf(resolve(workingDirectory, at.file))).replace(/^\uFEFF/, '').split(/\r?\n/)[at.line - 1] ?? ''
  const escaped = escapedForRegExp(name)
  const references = [...line.matchAll(new RegExp(`\\b(var|local)\\.${escaped}(?![\\w-])`, 'g'))]
  const kinds = new Set(references.map(([, kind]) => kind))
  if (references.length === 0 || kinds.size > 1) return undefined
  const kind = references[0][1]
  const files = await templateBodies(template)
  const declared = kind === 'var' ? [...hclDeclaredVariables(files)] : [...hclLocals(files).keys()]
  const column = (references[0].index ?? 0) + 1
  if (declared.includes(name)) {
    // Declared, so its value is what failed: Packer 1.6.6 drops a local whose expression fails
    // (a file() of a file that is not there) and names only the locals that read it.
    if (kind === 'var') return undefined
    const set = await localPlace(name, hclTemplateFiles(template), workingDirectory)
    const setAt = set ? ` (set at ${set.file} line ${set.line})` : ''
    const cycle = await localCycle(name, hclLocals(files))
    const text = cycle
      ? `local.${name}: local "${name}"${setAt} reads itself${cycle.length === 2 ? '' : ` through ${cycle.slice(1, -1).map((one) => `local.${one}`).join(', then ')}`}, ` +
        `so Packer cannot work out its value (Packer 1.6.6 names the reference to it, not the loop). ` +
        (cycle.length === 2 ? `Take local.${name} out of its own expression.` : `Break the loop: one of these locals must not read the next.`)
      : `local.${name}: Packer could not work out the value of local "${name}"${setAt}, ` +
        `so it has no value here: Packer 1.6.6 names the reference to it, not what failed in its expression. ` +
        `Check that expression: a file it reads that is not there (file() reads a path relative to the template's directory), a function it calls.`
    return [{ message: text, file: at.file, line: at.line, column }]
  }
  const meant = meantName(name, declared)
  const what = kind === 'var' ? `declares no variable "${name}" (no \`variable "${name}"\` block)` : `sets no local "${name}" (in no \`locals\` block)`
  const text = `${kind}.${name}: the template ${what} in any of its files.${meant === undefined ? '' : ` Did you mean "${kind}.${meant}"?`}`
  return [{ message: text, file: at.file, line: at.line, column }]
}

/**
 * The locals through which local `name`'s value reads itself, from `name` back to it (`a, a` for
 * one that reads itself, `a, b, a` for two that read each other), by the references the parser
 * finds in each local's expression; undefined when it does not.
 */
async function localCycle(name: string, locals: Map<string, unknown>): Promise<string[] | undefined> {
  const { attributesOf } = await import('../inputs/hcl-parser.js')
  const read = new Map<string, string[]>()
  const readBy = async (local: string): Promise<string[]> => {
    const strings = (value: unknown): string[] =>
      typeof value === 'string' ? [value] : Array.isArray(value) ? value.flatMap(strings) : isRecord(value) ? Object.entries(value).flatMap((entry) => entry.flatMap(strings)) : []
    if (!read.has(local)) read.set(local, [...new Set((await Promise.all(strings(locals.get(local)).map((one) => attributesOf('local', one)))).flat())])
    return read.get(local) ?? []
  }
  const seen = new Set<string>()
  const walk = async (path: string[]): Promise<string[] | undefined> => {
    for (const next of await readBy(path.at(-1) ?? name)) {
      if (next === name) return [...path, name]
      if (seen.has(next) || !locals.has(next)) continue
      seen.add(next)
      const found = await walk([...path, next])
      if (found) return found
    }
    return undefined
  }
  return walk([name])
}

/**
 * Packer's error about an HCL file that leaves a block, `{`, `[`, `(` or heredoc open: Packer
 * names where it stopped looking for the end, the file's end for a brace (`Argument or block
 * definition required`, `Unterminated template string`), or the next item for a `[` or `(`
 * (`Missing item separator`). On the opener, as the HCL parser's tree tells it (HclSyntaxError's
 * `unclosed`), saying so; only when the parser found the same file wanting that closer on the
 * line Packer names, so that both read the mistake alike. Undefined otherwise, and for a file the
 * parser reads: Packer's place stands. The parse that found it is made again only here, once
 * Packer has failed, from the text the input checks read (templateReads).
 */
export async function locateUnclosed(message: string, workingDirectory: string, template: string, varFiles: string[] = []): Promise<TemplateError[] | undefined> {
  // A file that leaves something open is an error; a warning's file was read, and is not read again.
  const at = message.startsWith('Error: ') ? hclSubject(message, readByPacker(workingDirectory, template, varFiles)) : undefined
  if (!at?.file.endsWith('.hcl')) return undefined
  const path = resolve(workingDirectory, at.file)
  const failure = await textOf(path).then(
    (text) => bodyOf(path, text).then(() => undefined, (error: unknown) => error),
    () => undefined
  )
  const unclosed = (failure as Partial<HclSyntaxError> | undefined)?.unclosed
  if (unclosed === undefined || (failure as HclSyntaxError).line !== at.line) return undefined
  return [{ message: `${message}\n${neverClosed(unclosed)}`, file: at.file, line: unclosed.line, column: unclosed.column }]
}

function neverClosed({ opener, closer }: Unclosed): string {
  switch (opener) {
    case 'block':
      return `This block is opened here and never closed: the ${closer} that ends it is missing, or a { inside it that is never closed takes it.`
    case 'object':
      return `This { is opened here and never closed: the ${closer} that ends it is missing.`
    case 'tuple':
      return `This [ is opened here and never closed: the ${closer} that ends it is missing.`
    case 'call':
      return `This ( is opened here and never closed: the ${closer} that ends the function's arguments is missing.`
    case 'heredoc':
      return `This heredoc is opened here and never closed: no line holding only ${closer} (and spaces) ends it.`
  }
}

/**
 * Packer before 1.7.7 gives a source block `source.name` and `source.type` as unknown values,
 * and then fails to read the block (isUnreadableSource), naming only its first line: on each
 * setting that reads one, in the block or in a build's `source "TYPE.NAME" { … }` block of it,
 * saying so and that later Packers allow it; undefined when the message is not that, or no
 * setting of that source reads them.
 */
export async function locateSourceReadings(message: string, workingDirectory: string, template: string): Promise<TemplateError[] | undefined> {
  const at = isUnreadableSource(message) ? hclSubject(message, readByPacker(workingDirectory, template)) : undefined
  if (!at?.file.endsWith('.pkr.hcl')) return undefined
  const { blockNamesAt, sourceReadings } = await import('../inputs/hcl-parser.js')
  const named = resolve(workingDirectory, at.file)
  const [kind, type, name] = (await blockNamesAt(named, await textOf(named), at.line)) ?? []
  if (kind !== 'source' || name === undefined) return undefined
  const said = withoutSubject(message, at).slice('Error: '.length).trim()
  const located: TemplateError[] = []
  for (const path of hclTemplateFiles(template).filter((file) => file.endsWith('.pkr.hcl'))) {
    const readings = await sourceReadings(path, await textOf(path), path === named ? at.line : 0)
    for (const { setting, reads, used, line, column } of readings) {
      if (used !== undefined && !namesSource(used, type, name)) continue
      const text =
        `${setting} reads ${reads}, which Packer before 1.7.7 does not know in a source block (it gives source.name and source.type ` +
        `only to a build's provisioners and post-processors), so it cannot read source "${type}" "${name}": ${said}. ` +
        `Packer 1.7.7 and later allow them in a source block: set the input packer-version to ">=1.7.7", or write the value out.`
      located.push({ message: text, file: relative(workingDirectory, path), line, column })
    }
  }
  return located.length > 0 ? located : undefined
}

/** Where the local `name` is set, in a `locals` block or a `local "NAME"` block of one of `paths`: the file, relative to the working directory, and line. */
async function localPlace(name: string, paths: string[], workingDirectory: string): Promise<{ file: string; line: number } | undefined> {
  const { settingPosition } = await import('../inputs/hcl-parser.js')
  for (const path of paths.filter((file) => file.endsWith('.pkr.hcl'))) {
    const source = await textOf(path)
    const body = await bodyOf(path, source)
    const blocks = Array.isArray(body.locals) ? body.locals : body.locals === undefined ? [] : [body.locals]
    const index = blocks.findIndex((block) => typeof block === 'object' && block !== null && Object.hasOwn(block, name))
    const place =
      index >= 0
        ? await settingPosition(path, source, ['locals', index, name])
        : isRecord(body.local) && Object.hasOwn(body.local, name)
          ? await settingPosition(path, source, ['local', name, 0])
          : undefined
    if (place) return { file: relative(workingDirectory, path), line: place.line }
  }
  return undefined
}

/**
 * Packer 1.6.6 lists the known sources as Go prints its map of them, memory addresses and all
 * (`Known: map[amazon-ebs.al2:{amazon-ebs al2 0xc0005031e0 <nil> }]`): listed by name instead, as
 * later Packers do, with the one the unknown source's name is a small edit from.
 */
function withKnownSources(message: string, unknown: UnknownSource): string {
  return message.replace(/^Known: map\[([^]*)\]$/m, (_, map: string) => {
    const known = [...map.matchAll(/(?:^|\s)([^\s:{}]+):\{[^{}]*\}/g)].map(([, name]) => name)
    const meant = unknown.name === undefined ? undefined : meantName(`${unknown.type}.${unknown.name}`, known)
    return `Known: [${known.join(' ')}]${meant === undefined ? '' : `\n\nDid you mean "${meant}"?`}`
  })
}

/** A diagnostic without the place it names, and the `(source code not available)` Packer writes after it. */
function withoutSubject(message: string, { index, length }: HclSubject): string {
  const after = message.slice(index + length).replace(/^\n {2}\(source code not available\)/, '')
  return message.slice(0, index) + after.replace(/^\n/, '')
}

/** Whether a build's `source.amazon-ebs.web` (or `amazon-ebs.web`) is of `type`, and named `name` where given, as Packer reads it. */
function namesSource(used: string, type: string, name: string | undefined): boolean {
  const [usedType, usedName] = sourceParts(used) ?? []
  return usedType === type && (name === undefined || usedName === name)
}

/** The message on the block that declares variable `name`, in whichever of the template's files. */
async function onDeclaration(name: string, message: string, workingDirectory: string, template: string): Promise<TemplateError[] | undefined> {
  const { blockPosition } = await import('../inputs/hcl-parser.js')
  for (const path of hclTemplateFiles(template)) {
    const source = await textOf(path)
    const place = path.endsWith('.json')
      ? (await import('../inputs/hcl-json.js')).hclJsonBlockPlace(source, 'variable', [name])
      : await blockPosition(path, source, 'variable', [name])
    if (place) return [{ message, file: relative(workingDirectory, path), ...place }]
  }
  return undefined
}

/** Where the JSON variables file at `path` sets `name`. */
async function jsonKeyPlace(path: string, name: string): Promise<Place | undefined> {
  return jsonPlace(await textOf(path), [name])
}

/** A JSON template's variables file, read: `file` is relative to the directory Packer runs in. */
export interface JsonVariablesFile {
  file: string
  text: string
}

/**
 * Where the variable is that Packer could not work out: `error interpolating default value for
 * 'name': …` (a function it does not know, a `{{` left open), `Failed to interpolate "name": …`
 * (a variable it uses that is not set), or only the call that failed, `template: root:1:3:
 * executing "root" at <vault `secret/ci` `token`>: …` (a secret Vault or Secrets Manager did not
 * give). Each variable's value is where Packer took it from: the input `variables` (`given`, in
 * no file), else the last of `varFiles` that sets it, else the template's `variables`. Packer
 * works them out in the order of their names and stops at the first that fails. Undefined when
 * the message is not about a variable.
 */
export function locateVariableError(
  message: string,
  template: string,
  varFiles: JsonVariablesFile[],
  given: Array<{ name: string; value: string }>
): TemplateError[] | undefined {
  if (!isVariableError(message)) return undefined
  const lines = message.split('\n').filter((line) => !framing.test(line))
  const unwrapped = lines.join(' ')
  const named = variableNamed.exec(unwrapped)
  const call = named ? undefined : callFailed.exec(unwrapped)?.[1]
  const values = variableValues(template, varFiles, given)
  const name =
    named?.[1] ?? named?.[2] ?? [...values.keys()].sort().find((key) => withoutSpaces(values.get(key)?.value).includes(withoutSpaces(call)))
  const set = name === undefined ? undefined : values.get(name)
  const written = name === undefined || set === undefined ? undefined : writtenAt(name, set, template, varFiles)
  // Packer names the variable, or only the call: then it is named here, and where it was set.
  const from = written === undefined ? ' (input variables)' : ''
  const problem = { message: named || name === undefined ? lines.join('\n') : `Variable "${name}"${from}: ${lines.join('\n')}` }
  return [written === undefined ? problem : { ...problem, ...(written.file !== undefined && { file: written.file }), ...written.place }]
}

/** Packer's problem with a variable it names. */
const variableNamed = /^(?:error interpolating default value for '(.+?)': |Failed to interpolate "(.+?)": )/
/** Packer's problem with a call in a variable's value, which names only the call. */
const callFailing = /^template: root:\d+:\d+: executing "root" at </
const callFailed = new RegExp(`${callFailing.source}(.+?)>: `)

/** Whether Packer's message is about a JSON template variable's value (locateVariableError). */
function isVariableError(message: string): boolean {
  const first = message.split('\n').find((line) => !framing.test(line)) ?? ''
  return variableNamed.test(first) || callFailing.test(first)
}

function withoutSpaces(text: string | undefined): string {
  return text?.replace(/\s+/g, '') ?? ''
}

/** Each variable's value as Packer takes it in this run, and where (jsonVariableValues), from the texts of the template and its variables files. */
function variableValues(
  template: string,
  varFiles: JsonVariablesFile[],
  given: Array<{ name: string; value: string }>
): Map<string, JsonVariableValue> {
  const parsed = (text: string): unknown => {
    try {
      return JSON.parse(text)
    } catch {
      return undefined
    }
  }
  return jsonVariableValues(withPackerRootKeys(parsed(template)), varFiles.map(({ text }) => parsed(text)), given)
}

type JsonVariableValue = JsonVariableOrigin & { value?: string }

/**
 * Where the value of variable `name` (`set`, of variableValues) is written: in `file` (the
 * template when not given) at `place`; undefined for the input `variables`, which no file holds.
 */
function writtenAt(
  name: string,
  set: JsonVariableValue,
  template: string,
  varFiles: JsonVariablesFile[]
): { from: 'var-file' | 'template'; file?: string; place: Place } | undefined {
  if (set.from === 'variables') return undefined
  const { file, text } = set.from === 'var-file' ? varFiles[set.index] : { file: undefined, text: template }
  return { from: set.from, file, place: jsonValuePlace(text, set.from === 'template' ? ['variables', name] : [name]) ?? {} }
}

/**
 * What Packer fills into a value before it quotes it: `{{template_dir}}`, `{{pwd}}`, and the
 * user variables (userVariables), as `Bad source 'consul_1.7.2.zip'` of `{{user `consul_zip`}}`.
 */
export type Filling = Pick<TemplateContext, 'templateDir' | 'pwd'> & { variables?: UserVariables }

/** Packer's messages about a template as a whole: the only ones read here. */
const aboutTheTemplate = /^(Error: |Warning: |Failed to parse template:)/
/**
 * What Packer 1.7.1 and later write where 1.6.6 wrote `Failed to parse template: `: advice for
 * an HCL2 template in a file not named as one, which a template that reads as JSON does not need.
 */
const parseFailedSince171 = /^Failed to parse file as legacy JSON template: [^\n]*\nOriginal error: /
/** The template's `min_packer_version`, which the Packer that runs does not meet or cannot read. */
const minimumVersion = /^(This template requires Packer version .+ or higher; using |min_version is invalid: )/
/**
 * A builder, provisioner or post-processor whose settings Packer could not decode (a
 * `pause_before` that is not a duration): its problems follow, each an unindented bullet.
 */
const undecodable = /^((?:builder|provisioner) \d+|post-processor \d+(?:\.\d+)?): (?:Error decoding provisioner: )?\d+ error\(s\) decoding:$/
/** Lines of such a message that say nothing of their own: a count, a blank. */
const framing = /^\s*((Error: )?(Failed to parse template: )?(Error decoding config: )?\d+ error(\(s\)|s)? (occurred|decoding):|Error:)?\s*$/

/**
 * EC2's refusal of a filter name that a build's filters give (`amazon-ebs: Error querying VPCs:
 * InvalidParameterValue: The filter 'isDefault' is invalid`, where EC2's name is `is-default`),
 * on that name in the build's builder: in its vpc_filter, subnet_filter, source_ami_filter or
 * security_group_filter, the one EC2 was asked for when more than one gives the name. Undefined
 * for any other message, or a name no filter of the build writes, so that it stays as Packer said it.
 */
export function locateRefusedFilter(message: string, text: string, buildNames?: string[]): TemplateError[] | undefined {
  const refused = refusedFilter(message)
  const root = refused === undefined ? undefined : parseTree(text)
  if (!refused || !root || root.type !== 'object') return undefined
  const place = new JsonTemplate(root, text, buildNames).filterNamed(refused.build, refused.name, refused.query)
  return place.line === undefined ? undefined : [{ message, ...place }]
}

/**
 * The same in an HCL2 template: on the name in the `filters` of the source block's
 * `vpc_filter`, `subnet_filter`, `source_ami_filter` or `security_group_filter` that Packer names
 * the build by (`amazon-ebs.web`, or `BUILD.amazon-ebs.web` in a named build block); undefined
 * when no source block of that name writes it (a source a build block renames).
 */
export async function locateHclRefusedFilter(message: string, workingDirectory: string, template: string): Promise<TemplateError[] | undefined> {
  const refused = refusedFilter(message)
  const found = refused && (await hclSourceOf(refused.build, template))
  if (!refused || !found) return undefined
  const { path, text, source, at } = found
  const written = builderFilters.flatMap(([setting, asked]) => {
    const filter = firstBlock(source[setting], [...at, setting])
    const filters = filter?.body.filters
    return filter && isRecord(filters) && refused.name in filters ? [{ filters: [...filter.path, 'filters'], asked: asked.test(refused.query) }] : []
  })
  const chosen = written.length === 1 ? written[0] : written.find(({ asked }) => asked)
  const place = chosen && (await hclPlace(path, text, chosen.filters, refused.name))
  return place && [{ message, file: relative(workingDirectory, path), ...place }]
}

/**
 * Packer's error of a build about one setting of its builder (`Error: AMI Name: 'web' is used by
 * an existing AMI: ami-…`, `InvalidSubnetID.NotFound`, an SSH private key it cannot read, …),
 * which it names only by the build: on that setting in a JSON template's builder, on the key
 * Packer names in a map setting where it is written. A setting that is one user variable alone
 * (`{{user `subnet`}}`) reads the same whatever the value: the error is where `values` give that
 * variable its value (onOrigin), unless the value is a default read from the environment.
 * Where the builder writes none of them and Packer took its own value (`Timeout waiting for
 * WinRM.` after its default 30 minutes), the message says so, with no place: the build's block is
 * as near as it is. Undefined for any other message, or a builder that writes none of the
 * settings that could be it, or more than one.
 */
export function locateRefusedSetting(message: string, text: string, buildNames?: string[], values?: JsonValues): TemplateError[] | undefined {
  const refused = refusedSetting(message)
  const root = refused === undefined ? undefined : parseTree(text)
  if (!refused || !root || root.type !== 'object') return undefined
  const template = new JsonTemplate(root, text, buildNames)
  // Packer's default, not the template, is what to change: said so, on the builder (the build's fallback).
  if (refused.unset !== undefined && template.builderPlace(refused.build).line !== undefined && !template.writesAny(refused.build, refused.settings)) {
    return [{ message: `${message}\n${refused.unset}` }]
  }
  const written = refused.key === undefined && refused.within === undefined ? template.writtenSetting(refused.build, refused.settings) : undefined
  const name = typeof written?.value === 'string' ? onlyUserVariable(written.value) : undefined
  const set = name === undefined || !values ? undefined : variableValues(text, values.varFiles, values.given).get(name)
  // A default Packer fills in from the environment (`{{env `X`}}`) is not where the value is written.
  if (written && name !== undefined && values && set && !set.value?.includes('{{')) {
    const at = writtenAt(name, set, text, values.varFiles)
    const origin: ValueOrigin = at === undefined ? { name, from: 'variables' } : { name, from: at.from, file: at.file ?? values.template, place: at.place }
    return [onOrigin(message, refused.build, written.setting, origin)]
  }
  const place = template.builderSetting(refused.build, refused.settings, refused.key ?? refused.within)
  return place.line === undefined ? undefined : [{ message, ...place }]
}

/**
 * Where the value of a variable is given in this run: the input `variables` (in no file), a
 * variables file, or the variable's default in the template (`file` relative to the directory
 * Packer runs in).
 */
type ValueOrigin = { name: string } & ({ from: 'variables' } | { from: 'var-file' | 'template'; file: string; place: Place })

/**
 * Packer's error about `setting` of `build`, whose value is one variable alone, where that
 * variable's value is given, named as the input checks name it (`variables: "subnet"`, which no
 * file holds): the setting reads the same whatever the value, and the value is what to change.
 */
function onOrigin(message: string, build: string, setting: string, origin: ValueOrigin): TemplateError {
  const where = origin.from === 'variables' ? `variables: "${origin.name}"` : `${origin.from}: ${origin.file}: variable "${origin.name}"`
  const said = message.startsWith(`${build}: `) ? message.slice(build.length + 2) : message
  const text = `${where}, which ${build} takes for ${setting}: ${said}`
  return origin.from === 'variables' ? { message: text, inInputs: true } : { message: text, file: origin.file, ...origin.place }
}

/** What gives a JSON template's variables their values: its defaults, the variables files and the input `variables`. */
export interface JsonValues {
  /** The template, relative to the directory Packer runs in. */
  template: string
  varFiles: JsonVariablesFile[]
  given: Array<{ name: string; value: string }>
}

/**
 * The same in an HCL2 template: on the setting in the source block Packer names the build by,
 * or where the variable it is alone (`var.subnet`) is given its value (hclValueOrigin, with what
 * `given` holds); undefined when a build block's `source` block of that source sets it too (which of the two
 * Packer took cannot be told here), or when no source block of that name writes it, except that
 * where none sets it and Packer took its own value, the message says so, with no place.
 */
export async function locateHclRefusedSetting(
  message: string,
  workingDirectory: string,
  template: string,
  given?: HclValues
): Promise<TemplateError[] | undefined> {
  const refused = refusedSetting(message)
  const found = refused && (await hclSourceOf(refused.build, template))
  if (!refused || !found) return undefined
  const written = refused.settings.filter((setting) => setting in found.source)
  const [setting] = written
  const label = refused.build.split('.').slice(-2).join('.')
  const overridden = async (): Promise<boolean> =>
    (await templateBodies(template)).some((body) =>
      buildSourcesOf(body).some((each) => Object.entries(each).some(([written, block]) => sourceParts(written)?.join('.') === label && settingIn(block, refused.settings)))
    )
  // Packer's default, not the template, is what to change: said so, on the source block (the build's fallback).
  if (setting === undefined && refused.unset !== undefined && !(await overridden())) return [{ message: `${message}\n${refused.unset}` }]
  if (setting === undefined || written.length > 1 || (await overridden())) return undefined
  const name = typeof found.source[setting] === 'string' ? onlyHclVariable(found.source[setting]) : undefined
  const origin = name === undefined || refused.key !== undefined || refused.within !== undefined || !given ? undefined : await hclValueOrigin(name, workingDirectory, template, given)
  if (origin) return [onOrigin(message, refused.build, setting, origin)]
  const block = refused.within === undefined ? undefined : firstBlock(found.source[setting], [...found.at, setting])
  const within = block && refused.within !== undefined && refused.within in block.body ? [...block.path, refused.within] : undefined
  const place = await hclPlace(found.path, found.text, within ?? [...found.at, setting], refused.key)
  return place && [{ message, file: relative(workingDirectory, found.path), ...place }]
}

/** What gives an HCL2 template's variables their values in this run, besides the template. */
export interface HclValues {
  /** The variables files, absolute, in the order Packer reads them: its own, then those it is given. */
  varFiles: string[]
  variables: Array<{ name: string; value: string }>
  env: Record<string, string | undefined>
}

/**
 * Where the value of the HCL2 variable `name` is given in this run, as Packer ranks what gives it
 * (hclVariableCandidates): the input `variables`, else the last variables file that sets it,
 * else its default in the template. Undefined when PKR_VAR_ gives it (in no file), or its
 * default is read from the environment (`env("X")`), or that cannot be told.
 */
async function hclValueOrigin(name: string, workingDirectory: string, template: string, given: HclValues): Promise<ValueOrigin | undefined> {
  if (given.variables.some((variable) => variable.name === name)) return { name, from: 'variables' }
  for (const path of [...given.varFiles].reverse()) {
    const place = await varFilePlace(path, name)
    if (place) return { name, from: 'var-file', file: relative(workingDirectory, path), place }
  }
  if (given.env[`PKR_VAR_${name}`] !== undefined) return undefined
  for (const path of hclTemplateFiles(template)) {
    const text = await textOf(path)
    const declared = firstBlock((await bodyOf(path, text)).variable, ['variable'], [name])
    if (!declared) continue
    const value = declared.body.default
    if (value === undefined || (typeof value === 'string' && value.includes('${'))) return undefined
    const place = await hclPlace(path, text, [...declared.path, 'default'])
    return place && { name, from: 'template', file: relative(workingDirectory, path), place }
  }
  return undefined
}

/**
 * The `source` blocks of a file's build blocks, each as its labels' map (a parsed file lists
 * blocks; a .pkr.json file may too). A label is the source as written: Packer reads
 * `source.amazon-ebs.web` and `sources.amazon-ebs.web` as `amazon-ebs.web` (sourceParts).
 */
function buildSourcesOf(body: HclBody): Array<Record<string, unknown>> {
  const all = (value: unknown): Array<Record<string, unknown>> => (Array.isArray(value) ? value.flatMap(all) : isRecord(value) ? [value] : [])
  return all((body as Record<string, unknown>).build).flatMap((build) => all(build.source))
}

/** Whether a block (or a list of blocks) sets any of `settings`. */
function settingIn(value: unknown, settings: string[]): boolean {
  if (Array.isArray(value)) return value.some((each) => settingIn(each, settings))
  return isRecord(value) && settings.some((setting) => setting in value)
}

/**
 * Where a setting (`at`, a path into the body of the file at `path`) is written in an HCL2 file,
 * in either syntax; with `key`, the key of that name in the object it holds, where it has one.
 */
async function hclPlace(path: string, text: string, at: JsonPath, key?: string): Promise<Place | undefined> {
  if (path.endsWith('.pkr.json')) {
    const { hclJsonPlace } = await import('../inputs/hcl-json.js')
    return (key === undefined ? undefined : hclJsonPlace(text, [...at, key])) ?? hclJsonPlace(text, at)
  }
  const { objectKeyPosition, settingPosition } = await import('../inputs/hcl-parser.js')
  return (key === undefined ? undefined : await objectKeyPosition(path, text, at, key)) ?? (await settingPosition(path, text, at))
}

/**
 * The first block at `keys` under `value` (a body's `source`), with its path: a parsed `.pkr.hcl`
 * file lists each block; a `.pkr.json` file writes one as an object, or a list of them.
 */
function firstBlock(value: unknown, path: JsonPath, keys: string[] = []): { body: Record<string, unknown>; path: JsonPath } | undefined {
  if (Array.isArray(value)) {
    for (const [index, element] of value.entries()) {
      const found = firstBlock(element, [...path, index], keys)
      if (found) return found
    }
    return undefined
  }
  if (!isRecord(value)) return undefined
  const [key, ...rest] = keys
  if (key === undefined) return { body: value, path }
  return Object.hasOwn(value, key) ? firstBlock(value[key], [...path, key], rest) : undefined
}

/**
 * Where the builder of the build Packer names `build` begins in a JSON template (`text`): its
 * builder's object, found by the name Packer resolved (`buildNames`), else its `name` as written,
 * else its type, else by the shape of a name only Packer works out, its user variables filled in
 * from `filling`. Where a build failed as it built, with an error no finer rule places.
 */
export function locateFailedBuild(build: string, text: string, buildNames?: string[], filling: Filling = {}): Place {
  const root = parseTree(text)
  return root?.type === 'object' ? new JsonTemplate(root, text, buildNames, filling).builderPlace(build) : {}
}

/**
 * The same in an HCL2 template (`template` absolute): the block of the build (hclBuildBlock), its
 * file relative to the directory Packer runs in; none when it cannot be told for sure. A build
 * block's name is read with the variables' values in this run: the template's defaults,
 * `PKR_VAR_…` in `env`, the variables files (`varFiles`, relative to the directory Packer runs
 * in) and `variables`, as Packer ranks them.
 */
export async function locateHclFailedBuild(
  build: string,
  workingDirectory: string,
  template: string,
  given: { varFiles?: string[]; variables?: Array<{ name: string; value: string }>; env?: Record<string, string | undefined> } = {}
): Promise<Place & { file?: string }> {
  const read = await Promise.all(hclTemplateFiles(template).map(async (file) => readHclFile(file, await textOf(file))))
  const request = { workingDirectory, template: relative(workingDirectory, template) || '.', varFiles: given.varFiles ?? [], variables: given.variables ?? [] }
  const { scope } = await hclRunScope(
    read.map(({ body }) => body),
    request,
    given.env ?? process.env
  )
  const block = await hclBuildBlock(read, build, scope)
  return block === undefined ? {} : { ...block, file: relative(workingDirectory, block.file) }
}

/**
 * The source block that Packer names a build by (`amazon-ebs.web`, or `BUILD.amazon-ebs.web` for
 * a named build block), as parsed, with its file, the text read for it (read once) and its path
 * in the file's body; undefined when no file of the template has it.
 */
async function hclSourceOf(build: string, template: string): Promise<{ path: string; text: string; source: Record<string, unknown>; at: JsonPath } | undefined> {
  const [type, name] = build.split('.').slice(-2)
  if (name === undefined) return undefined
  for (const path of hclTemplateFiles(template)) {
    const text = await textOf(path).catch(() => undefined)
    const body = text === undefined ? undefined : await bodyOf(path, text).catch(() => undefined)
    const found = firstBlock(body?.source, ['source'], [type, name])
    if (text !== undefined && found) return { path, text, source: found.body, at: found.path }
  }
  return undefined
}

/** A builder's filters, and the words of Packer's error when EC2 refused one of theirs. */
const builderFilters: Array<[setting: string, query: RegExp]> = [
  ['vpc_filter', /\bVPCs?\b/],
  ['subnet_filter', /\b[Ss]ubnets?\b/],
  ['source_ami_filter', /\bAMIs?\b/],
  ['security_group_filter', /\bsecurity groups?\b/]
]

/**
 * Packer's error (or warning) message split into its problems, each with its place in the
 * template (`text`); `buildNames` are the builders' names as Packer resolved them, in the
 * template's order, where they are all known; `filling` is what Packer fills into a value it
 * quotes. A message that is not about the template, or a template that does not parse, gives
 * the message whole, with no place.
 */
export function locateTemplateErrors(message: string, text: string, buildNames?: string[], filling: Filling = {}): TemplateError[] {
  const said = message.replace(parseFailedSince171, 'Failed to parse template: ')
  const root = aboutTheTemplate.test(said) ? parseTree(text) : undefined
  if (!root || root.type !== 'object') return [{ message }]
  const template = new JsonTemplate(root, text, buildNames, filling)
  const problems: TemplateError[] = []
  let build: string | undefined
  /** Whether the build's problems are warnings (`Warning when preparing build: "amazon-ebs"`). */
  let warning = false
  /** How many problems there were before this build's: a problem of its own continues. */
  let before = 0
  /** Each listed problem's text, with the lines Packer wrapped it onto: placed once it is whole. */
  const written = new Map<TemplateError, string>()
  /**
   * The component whose settings Packer could not decode (`provisioner 1: Error decoding
   * provisioner: 2 error(s) decoding:`): the unindented bullets after it are its problems.
   */
  let decoding: string | undefined
  const add = (problem: string): void => {
    const error = { message: inBuild(build, problem), ...(warning && { warning }) }
    written.set(error, problem)
    problems.push(error)
  }
  for (const line of said.split('\n')) {
    const header = /^(?:Error: |(Warning): )?(?:Failed to (?:prepare|initialize) build:?|Warning when preparing build:) "(.+)"\s*$/.exec(line)
    if (header) {
      placeBuild(problems.slice(before), written, template, build)
      warning = header[1] !== undefined
      build = header[2]
      before = problems.length
      continue
    }
    const own = problemOfItsOwn(line, template, build)
    if (own) {
      problems.push(own)
      continue
    }
    const bullet = /^(\s*)\* (.+)$/.exec(line)
    const last = problems.length > before ? problems.at(-1) : undefined
    if (bullet && bullet[1] !== '') decoding = undecodable.exec(bullet[2])?.[1]
    if (bullet && decoding !== undefined) {
      if (bullet[1] === '') add(`${decoding}: ${bullet[2]}`)
    } else if (bullet) add(bullet[2])
    else if (framing.test(line)) continue
    // Another of Packer's diagnostics, not about a build: not one read here.
    else if (line.startsWith('Error: ')) return [{ message }]
    // A problem's own further lines: indented, or, in a build's, the rest of what Packer wrote
    // (a line it wrapped, the text it quotes).
    else if (last !== undefined && (/^ +\S/.test(line) || build !== undefined)) {
      last.message += `\n${line}`
      const problem = written.get(last)
      if (problem !== undefined) written.set(last, `${problem}\n${line}`)
    }
    // A build's one problem, not in a list (`invalid 'ami_name': template: …`), or the template's.
    else if (build !== undefined || minimumVersion.test(line)) add(line)
    // A line that is none of these is not one of Packer's messages about the template.
    else return [{ message }]
  }
  placeBuild(problems.slice(before), written, template, build)
  return problems.length > 0 ? problems : [{ message }]
}

/**
 * A problem Packer writes on a line of its own, placed as it is read: a key written twice, or a
 * builder, provisioner or post-processor whose type Packer cannot start (`error initializing
 * builder 'amazon-ebz': …`; from Packer 1.11, `The builder amazon-ebz is unknown by Packer, …`,
 * or only `Did you mean to use "amazon-ebs"?`).
 */
function problemOfItsOwn(line: string, template: JsonTemplate, build: string | undefined): TemplateError | undefined {
  // A key written twice in one object, which Packer refuses rather than keep the last.
  const duplicate = /^Failed to parse template: (template has duplicate field: (.+))$/.exec(line)
  if (duplicate) return { message: duplicate[1], ...template.repeated(duplicate[2]) }
  const typed =
    /^error initializing (builder|provisioner|post-processor) '(.*?)': /.exec(line) ??
    /^The (builder|provisioner|post-processor) (\S+) is unknown by Packer\b/.exec(line)
  if (typed) return { message: inBuild(build, line), ...template.typed(typed[1], typed[2], build) }
  const suggested = /^Did you mean to use "(.+)"\?$/.exec(line)
  if (suggested && build !== undefined) return { message: inBuild(build, line), ...template.suggested(suggested[1], build) }
  return undefined
}

/**
 * Places a build's problems, now that each has all the lines Packer wrapped it onto: those
 * listed (`written` holds their text); the others were placed as they were read.
 */
function placeBuild(problems: TemplateError[], written: Map<TemplateError, string>, template: JsonTemplate, build: string | undefined): void {
  /** The builder, provisioner or post-processor that holds what a problem names. */
  const components = new Map<TemplateError, Node>()
  /** The settings, each in another component, that a problem may be about. */
  const choices = new Map<TemplateError, Node[]>()
  for (const error of problems) {
    const problem = written.get(error)
    if (problem === undefined) continue
    const { component, choices: couldBe, ...place } = template.problem(problem.replace(/\s*\n\s*/g, ' '), build)
    Object.assign(error, place)
    if (component) components.set(error, component)
    if (couldBe) choices.set(error, couldBe)
  }
  placeOnTheirComponent(problems, components, choices, template)
  // Those of block device mappings, which name only a device: on the mapping of that device.
  const devices = problems.map((error) => {
    const problem = written.get(error)
    return problem === undefined ? undefined : deviceOf(problem)
  })
  if (build === undefined || devices.every((device) => device === undefined)) return
  const theirs = theirMappings(devices, template.deviceMappings(build))
  problems.forEach((error, index) => Object.assign(error, template.at(theirs[index]?.node)))
}

/**
 * Packer prepares a build's builder, then its provisioners and post-processors, and stops at
 * the first that fails: all of a build's problems are that one's. Those that name nothing of
 * it are placed on it, where the others show which it is.
 */
function placeOnTheirComponent(problems: TemplateError[], components: Map<TemplateError, Node>, choices: Map<TemplateError, Node[]>, template: JsonTemplate): void {
  const named = new Set(problems.flatMap((problem) => components.get(problem) ?? []))
  if (named.size !== 1) return
  const [component] = named
  for (const problem of problems) {
    if (problem.line !== undefined) continue
    // A setting two components write: that one's.
    const setting = choices.get(problem)?.find((node) => contains(component, node))
    Object.assign(problem, template.at(setting ?? component))
  }
}

/**
 * The setting a plugin's problem quotes: `unknown configuration key: '"instance_typo"'`,
 * `'launch_block_device_mappings[0]' expected a map, got 'string'`, `error decoding
 * 'ssh_timeout': time: invalid duration "soon"`, `invalid 'ami_name': template: …` (a value
 * whose `{{ … }}` Packer cannot read).
 */
function namedKey(problem: string): string | undefined {
  const unknown = unknownKey.exec(problem)?.[1]
  return unknown === undefined ? quotedSetting.exec(problem)?.[1] : (/^[^.[\]]+/.exec(unknown)?.[0] ?? unknown)
}

/**
 * The key a plugin does not know, with the path to it when it is inside a setting:
 * `launch_block_device_mappings[1].volume_sise`. Packer breaks a long message after the colon.
 */
const unknownKey = /^unknown configuration key:\s+'"(.+)"'/

/**
 * A setting a plugin quotes as its decoder does, with the path inside it: `'ami_name'`,
 * `cannot parse 'launch_block_device_mappings[0].volume_size' as int: …`.
 */
const quotedSetting = /^(?:error decoding |invalid |render |cannot parse )?'([^'.[\]]+)([^']*)'[ :]/

/** The path a quoted setting goes on with, inside its value: `[0].volume_size` is [0, 'volume_size']. */
function namedPath(problem: string): JsonPath {
  const unknown = unknownKey.exec(problem)?.[1]
  const rest = unknown === undefined ? (quotedSetting.exec(problem)?.[2] ?? '') : unknown.slice(namedKey(problem)?.length)
  return [...rest.matchAll(/\[(\d+)\]|\.([^.[\]]+)/g)].map(([, index, name]) => (index === undefined ? name : Number(index)))
}

/** Whether a setting, as written (true, false, or unknown until Packer fills it in), may be absent or empty. */
const mayLack = (written: boolean | undefined): boolean => written !== true
/** Whether it may be there. */
const mayHave = (written: boolean | undefined): boolean => written !== false

/**
 * Problems that a provisioner's (or the shell-local post-processor's) plugin finds and that
 * name no setting as Packer's decoder does: Packer 1.6.6 names only the build. Each is said by
 * the plugins of `types`, of a component whose settings `fits`; `written` tells whether it
 * writes a setting. It is placed on the component, or on its setting `on` where it writes that.
 */
const componentRefusals: Array<{ says: RegExp; types: string[]; fits: (written: (key: string) => boolean | undefined) => boolean; on?: string }> = [
  {
    says: /^Either a script file or inline script must be specified\.$/,
    types: ['shell', 'powershell', 'windows-shell'],
    fits: (written) => ['inline', 'script', 'scripts'].every((key) => mayLack(written(key)))
  },
  {
    says: /^Only a script file or an inline script can be specified, not both\.$/,
    types: ['shell', 'powershell', 'windows-shell'],
    fits: (written) => mayHave(written('inline')) && (mayHave(written('script')) || mayHave(written('scripts')))
  },
  {
    says: /^Only one of script or scripts can be specified\.$/,
    types: ['shell', 'powershell', 'windows-shell'],
    fits: (written) => mayHave(written('script')) && mayHave(written('scripts'))
  },
  {
    // A password with no user to run as (a user with no password is taken: SYSTEM has none).
    says: /^Must supply an 'elevated_user' if 'elevated_password' provided$/,
    types: ['powershell'],
    fits: (written) => mayHave(written('elevated_password')) && mayLack(written('elevated_user')),
    on: 'elevated_password'
  },
  {
    says: /^Command, Inline, Script and Scripts options cannot all be empty\.$/,
    types: ['shell-local'],
    fits: (written) => ['command', 'inline', 'script', 'scripts'].every((key) => mayLack(written(key)))
  },
  {
    says: /^You may only specify one of the following options: Command, Inline, Script or Scripts\./,
    types: ['shell-local'],
    fits: (written) => ['command', 'inline', 'script', 'scripts'].filter((key) => mayHave(written(key))).length > 1
  },
  { says: /^Source must be specified\.$/, types: ['file'], fits: (written) => mayLack(written('source')) && mayLack(written('sources')) },
  { says: /^Destination must be specified\.$/, types: ['file'], fits: (written) => mayLack(written('destination')) }
]

/** The communicator's problem of a builder that writes no user for it (Packer 1.6.6's communicator config). */
const communicatorUser = /^(?:winrm_username must be specified\.|An ssh_username must be specified)(?:\s|$)/

/**
 * Whether a provisioner or post-processor may be what a build's problem that names nothing of
 * it means. Packer's manifest post-processor refuses only a setting it names, or an output path
 * it cannot read (`Error parsing target template: …`): a problem that names nothing is not its.
 */
function mayMeanUnnamed(node: Node, problem: string): boolean {
  const type = node.type === 'string' ? node.value : node.children?.find((property) => property.children?.[0]?.value === 'type')?.children?.[1]?.value
  return type !== 'manifest' || problem.startsWith('Error parsing target template')
}

/**
 * The words of a problem that look like settings (`source_ami`, `spot_instance_types`), in
 * order; then the settings it names in prose, longest first (`your source AMI filter must
 * declare an owner` names `source_ami_filter`): each run of three or four words, joined as a
 * setting's name is. Two would find `source_ami` in that problem, which is not about it.
 */
function mentionedSettings(problem: string): string[] {
  const written = [...problem.matchAll(/\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b/g)].map(([word]) => word)
  const phrases = problem.split(/[^A-Za-z0-9 ]+/).map((part) => part.toLowerCase().split(' ').filter(Boolean))
  const prose = [4, 3].flatMap((length) =>
    phrases.flatMap((words) => words.slice(0, Math.max(0, words.length - length + 1)).map((_, at) => words.slice(at, at + length).join('_')))
  )
  return [...written, ...prose, ...(sessionManagerConnectivity.test(problem) ? ['ssh_interface'] : [])]
}

/**
 * Packer's refusals of a build that connects through Session Manager without an instance profile,
 * or with WinRM (1.6.6's RunConfig, the Amazon plugin's since): they name `session_manager`, the
 * value, and the settings it lacks; what calls for them is the build's `ssh_interface`.
 */
const sessionManagerConnectivity = /\bsession_manager\s+connectivity\b/

/**
 * The setting a problem begins with, as in `ami_name must be between 3 and 128 characters long`;
 * or as the plugin's Go field names it: `AMIName should only contain …` is about `ami_name`.
 */
function leadingWord(problem: string): string | undefined {
  const goField = /^[A-Z][A-Za-z0-9]*\b/.exec(problem)?.[0]
  if (goField !== undefined && /[a-z]/.test(goField) && /[A-Z]/.test(goField.slice(1))) return asSetting(goField)
  return /^([a-z][a-z0-9_]*)\b/.exec(problem)?.[1]
}

/** A Go field's name as the setting it decodes is written: `AMIName` is `ami_name`, `Only` is `only`. */
function asSetting(goField: string): string {
  return goField.replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2').replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase()
}


function inBuild(build: string | undefined, problem: string): string {
  return build === undefined ? problem : `Build "${build}": ${problem}`
}

/** Where something is in the template, when it is there. */
type Place = { line?: number; column?: number }

function contains(outer: Node, inner: Node): boolean {
  return inner.offset >= outer.offset && inner.offset < outer.offset + outer.length
}

/**
 * The first key that repeats an earlier key of its object, as Packer's check reads the
 * template: each key, then its value, depth first.
 */
function firstRepeatedKey(node: Node): Node | undefined {
  const seen = new Set<unknown>()
  for (const child of node.children ?? []) {
    const [key, value] = node.type === 'object' ? (child.children ?? []) : [undefined, child]
    if (key !== undefined && seen.has(key.value)) return key
    seen.add(key?.value)
    const inner = value === undefined ? undefined : firstRepeatedKey(value)
    if (inner) return inner
  }
  return undefined
}

/**
 * The names a JSON builder's `name` may resolve to: its text as written, each `{{ … }}` filled
 * in where `filling` tells its value (a user variable), else any text.
 */
function jsonNameShape(name: string, filling: Filling): RegExp {
  const parts = name.split(/(\{\{.*?\}\})/s).map((part, index) => {
    const value = index % 2 === 0 ? part : filling.variables && resolveUserVariables(part, filling.variables, filling)
    return value === undefined ? '.*' : escapedForRegExp(value)
  })
  return new RegExp(`^${parts.join('')}$`, 's')
}

class JsonTemplate {
  private readonly builders: Node[]
  private readonly provisioners: Node[]
  /** Every post-processor, chains flattened. */
  private readonly postProcessors: Node[]
  /** The provisioners and post-processors: each applies to every build it does not exclude. */
  private readonly others: Node[]

  constructor(
    private readonly root: Node,
    private readonly text: string,
    private readonly buildNames?: string[],
    private readonly filling: Filling = {}
  ) {
    this.builders = this.items('builders')
    this.provisioners = this.items('provisioners')
    this.postProcessors = this.items('post-processors').flatMap((entry) => (entry.type === 'array' ? (entry.children ?? []) : [entry]))
    this.others = [...this.provisioners, ...this.postProcessors]
  }

  /**
   * Where a problem Packer listed is: what it names, else the build's builder; and the builder,
   * provisioner or post-processor that holds what it names, when it names one of the build's.
   */
  problem(problem: string, build: string | undefined): Place & { component?: Node; choices?: Node[] } {
    const numbered = /^(builder|provisioner) (\d+): (.*)$/.exec(problem)
    if (numbered) {
      const [, kind, number, rest] = numbered
      const node = (kind === 'builder' ? this.builders : this.provisioners)[Number(number) - 1]
      return this.at(this.named(node, rest) ?? node)
    }
    // `post-processor 1.2: …` of a chain's second, `post-processor 1: bad format` of an entry that is none.
    const postProcessor = /^post-processor (\d+)(?:\.(\d+))?: (.*)$/.exec(problem)
    if (postProcessor) {
      const [, chain, number, rest] = postProcessor
      const node = number === undefined ? this.items('post-processors')[Number(chain) - 1] : this.postProcessor(Number(chain) - 1, Number(number) - 1)
      return this.at(this.named(node, rest) ?? node)
    }
    const rootKey = /^Unknown root level key in template: '(.+)'$/.exec(problem)
    if (rootKey) return this.at(this.key(this.root, rootKey[1]))
    if (minimumVersion.test(problem)) return this.at(this.rootKey('min_packer_version'))
    // `required variable not set: region`; `variable size: '' expected type 'string', got unconvertible type 'float64', …`
    const variable = /^required variable not set: (.+)$/.exec(problem) ?? /^variable (\S+): '' expected type /.exec(problem)
    if (variable) return this.at(this.key(rootEntry(this.root, 'variables'), variable[1]))
    if (build === undefined) return {}
    const builder = this.builder(build)
    // `unknown configuration key: '"instance_typo"'`, `'launch_block_device_mappings[0]' expected a map, got 'string'`
    const key = namedKey(problem)
    // A key written with a dot in its name is named whole, as it is written.
    const whole = unknownKey.exec(problem)?.[1]
    // The setting as written, else as the plugin's Go field names it (`'Inline[0]' expected type 'string'`).
    const keys = new Set(whole !== undefined ? [whole, key] : key === undefined ? [] : [key, asSetting(key)])
    const choices = [...keys].flatMap((name) => (name === undefined ? [] : this.keysInBuild(builder, name))).map((found) => this.within(found, namedPath(problem)))
    // Two provisioners or post-processors that write it, and nothing here tells which Packer
    // means: on the one the build's other problems name, else on none (placeOnTheirComponent).
    if (choices.length > 1 && !(builder && contains(builder, choices[0] as Node))) return { choices: choices as Node[] }
    const named = choices[0]
    const found =
      named ?? this.templateValue(builder, problem) ?? this.leadingKey(builder, problem) ?? this.quotedValue(builder, problem) ?? this.mentionedKey(builder, problem)
    if (found) return { ...this.at(found), component: [builder, ...this.others].find((node) => node && contains(node, found)) }
    const runner = this.programRunner(build, problem)
    if (runner) return { ...this.at(this.key(runner, 'command') ?? runner), component: runner }
    const refusing = this.refusingComponent(build, problem)
    if (refusing) return { ...this.at(refusing.on ?? refusing.node), component: refusing.node }
    // The communicator's user, which the builder leaves out: on the communicator it chose, else
    // the builder (SSH is the default), not on no line for the provisioners beside it.
    if (communicatorUser.test(problem)) return { ...this.at(this.key(builder, 'communicator') ?? builder), component: builder }
    // Packer says only which build: its builder's, unless a provisioner or post-processor may be
    // what it means (`Either a script file or inline script must be specified.`).
    return this.others.some((node) => mayMeanUnnamed(node, problem)) ? {} : this.at(builder)
  }

  /**
   * The provisioner of the build whose program on the runner a problem says Packer could not run:
   * the ansible provisioner's `Error running "ansible-playbook --version": exec: …: executable
   * file not found in $PATH`, of its `command` (ansible-playbook unless it sets one), which Packer
   * names only by the build. The first that applies to the build, as Packer prepares them in order.
   */
  private programRunner(build: string, problem: string): Node | undefined {
    const program = /^Error running "(.+) --version": /.exec(problem)?.[1]
    if (program === undefined) return undefined
    return this.provisioners.find((node) => {
      if (this.value(node, 'type')?.value !== 'ansible' || !this.appliesTo(node, build)) return false
      const command = this.value(node, 'command')?.value
      return (typeof command === 'string' && command !== '' ? this.filledIn(command) : 'ansible-playbook') === program
    })
  }

  /** Whether a provisioner's `only` and `except` let it run in the build Packer names `build`. */
  private appliesTo(node: Node, build: string): boolean {
    const names = (key: string): unknown[] | undefined => {
      const value = this.value(node, key)
      return value?.type === 'array' ? (value.children ?? []).map((entry) => entry.value) : undefined
    }
    return (names('only')?.includes(build) ?? true) && !(names('except')?.includes(build) ?? false)
  }

  /**
   * What a quoted path names inside the setting `key` holds: the `volume_size` of
   * `'launch_block_device_mappings[0].volume_size'`; else `key`, where the value has no such thing.
   */
  private within(key: Node | undefined, path: JsonPath): Node | undefined {
    const value = key?.parent?.children?.[1]
    const inner = value && path.length > 0 ? findNodeAtLocation(value, path) : undefined
    return (inner?.parent?.type === 'property' ? inner.parent.children?.[0] : inner) ?? key
  }

  /**
   * A setting of the builder that the problem mentions, as in `A source_ami or source_ami_filter
   * must be specified` when `source_ami` is there but its variable was given no value.
   */
  private mentionedKey(builder: Node | undefined, problem: string): Node | undefined {
    for (const word of mentionedSettings(problem)) {
      const key = this.key(builder, word)
      if (key) return key
    }
    return undefined
  }

  /**
   * A value the problem quotes (`Bad source 'nope.txt': …`), or an entry of a list (`Bad script
   * 'b.sh': …` of `scripts`), in the build's builder or any provisioner or post-processor.
   */
  private quotedValue(builder: Node | undefined, problem: string): Node | undefined {
    const quoted = [...problem.matchAll(/'([^']+)'/g)].map((match) => match[1])
    const isQuoted = (node: Node | undefined): boolean => node?.type === 'string' && quoted.includes(this.filledIn(node.value))
    for (const node of [builder, ...this.others]) {
      for (const [key, value] of node?.type === 'object' ? (node.children ?? []).map((property) => property.children ?? []) : []) {
        if (isQuoted(value)) return key
        const entry = value?.type === 'array' ? value.children?.find(isQuoted) : undefined
        if (entry) return entry
      }
    }
    return undefined
  }

  /**
   * The value whose `{{ … }}` Packer could not read, which it quotes after `in:` (`Error decoding
   * config: invalid 'inline': template: root:1: function "pwdd" not defined in: echo {{pwdd}}`,
   * a provisioner's, which it names only by the build): the setting, or the entry of a list, in
   * the build's builder or any provisioner or post-processor, whose text is that, as Packer wraps
   * it onto lines.
   */
  private templateValue(builder: Node | undefined, problem: string): Node | undefined {
    const quoted = /\btemplate: .*? in: (.*\{\{.*)$/.exec(problem)?.[1]
    if (quoted === undefined) return undefined
    const unwrapped = (text: string): string => text.replace(/\s+/g, '')
    const isQuoted = (node: Node | undefined): boolean => node?.type === 'string' && unwrapped(String(node.value)) === unwrapped(quoted)
    for (const node of [builder, ...this.others]) {
      for (const [key, value] of node?.type === 'object' ? (node.children ?? []).map((property) => property.children ?? []) : []) {
        if (isQuoted(value)) return key
        const entry = value?.type === 'array' ? value.children?.find(isQuoted) : undefined
        if (entry) return entry
      }
    }
    return undefined
  }

  /** A value with its variables and directories filled in, as Packer quotes it; else as written. */
  private filledIn(value: string): string {
    return (value.includes('{{') && resolveUserVariables(value, this.filling.variables ?? new Map(), this.filling)) || value
  }

  /** The key `name` written again in the same object: the first such key, in the order Packer reads them. */
  repeated(name: string): Place {
    const key = firstRepeatedKey(this.root)
    return key?.value === name ? this.at(key) : {}
  }

  /** The `type` of the builder, provisioner or post-processor that Packer could not start. */
  typed(kind: string, type: string, build: string | undefined): Place {
    if (kind === 'builder') return this.at(this.value(build === undefined ? undefined : this.builder(build), 'type'))
    for (const node of kind === 'provisioner' ? this.provisioners : this.postProcessors) {
      if (node.type === 'string' && node.value === type) return this.at(node)
      const value = this.value(node, 'type')
      if (value?.value === type) return this.at(value)
    }
    return {}
  }

  /**
   * The `type` Packer means when it suggests another (`Did you mean to use "shell"?`): it
   * suggests a name less than 3 edits from the type it does not know. Of the build's builder
   * (else any builder, where it is not found), the provisioners and the post-processors, the
   * one type that close; none when more are.
   */
  suggested(suggestion: string, build: string): Place {
    const builder = this.builder(build)
    const components = [...(builder ? [builder] : this.builders), ...this.others]
    const types = components.map((node) => (node.type === 'string' ? node : this.value(node, 'type')))
    const close = types.filter(
      (type) => typeof type?.value === 'string' && type.value !== suggestion && leven(type.value, suggestion) < 3
    )
    return close.length === 1 ? this.at(close[0]) : {}
  }

  /**
   * The block device mappings of the build's builder, in the order Packer checks them: its
   * ami_block_device_mappings, then its launch_block_device_mappings; each with its device_name
   * as Packer fills it in (null when not set, undefined when only Packer knows it: a `{{ … }}`
   * the action cannot fill in, or not a string).
   */
  deviceMappings(build: string): Array<{ device: string | null | undefined; node: Node }> {
    const builder = this.builder(build)
    return ['ami_block_device_mappings', 'launch_block_device_mappings'].flatMap((kind) => {
      const list = this.value(builder, kind)
      return (list?.type === 'array' ? (list.children ?? []) : []).map((node) => {
        const written = node.type === 'object' ? this.value(node, 'device_name') : undefined
        const filled = written?.type === 'string' ? this.filledIn(String(written.value)) : undefined
        const literal = filled?.includes('{{') ? undefined : filled
        return { device: node.type === 'object' && written === undefined ? null : literal, node }
      })
    })
  }

  /**
   * The key `name` of a filters object of the build's builder: of the filter that `query`
   * (Packer's words before EC2's error) names, when more than one writes it.
   */
  filterNamed(build: string, name: string, query: string): Place {
    const builder = this.builder(build)
    const written = builderFilters.flatMap(([setting, asked]) => {
      const key = this.key(this.value(this.value(builder, setting), 'filters'), name)
      return key ? [{ key, asked: asked.test(query) }] : []
    })
    const refused = written.length === 1 ? written[0] : written.find(({ asked }) => asked)
    return this.at(refused?.key)
  }

  /** The one of `settings` the build's builder writes, and its value as written; none when it writes more than one. */
  writtenSetting(build: string, settings: string[]): { setting: string; value: unknown } | undefined {
    const builder = this.builder(build)
    const written = settings.filter((setting) => this.key(builder, setting))
    return written.length === 1 ? { setting: written[0], value: this.value(builder, written[0])?.value } : undefined
  }

  /** Whether the build's builder writes any of `settings`. */
  writesAny(build: string, settings: string[]): boolean {
    const builder = this.builder(build)
    return settings.some((setting) => this.key(builder, setting) !== undefined)
  }

  /** Where the build's builder begins. */
  builderPlace(build: string): Place {
    return this.at(this.builder(build))
  }

  /**
   * The one of `settings` the build's builder writes (none when it writes more than one); with
   * `key`, that key in the object it holds, where it has one.
   */
  builderSetting(build: string, settings: string[], key?: string): Place {
    const builder = this.builder(build)
    const written = settings.filter((setting) => this.key(builder, setting))
    if (written.length !== 1) return {}
    const inMap = key === undefined ? undefined : this.key(this.value(builder, written[0]), key)
    return this.at(inMap ?? this.key(builder, written[0]))
  }

  /**
   * The builder of the build Packer names: by its resolved name, else as written, else by type;
   * else the one builder whose name only Packer works out (`{{timestamp}}`) that could give that
   * name, by its text around what Packer fills in (none when two could).
   */
  private builder(build: string): Node | undefined {
    const byResolvedName = this.buildNames?.length === this.builders.length ? this.buildNames.indexOf(build) : -1
    if (byResolvedName >= 0) return this.builders[byResolvedName]
    const found = this.builders.find((node) => {
      const name = this.value(node, 'name')?.value
      return typeof name === 'string' && name !== '' ? name === build : this.value(node, 'type')?.value === build
    })
    if (found || this.buildNames?.length === this.builders.length) return found
    const couldBe = this.builders.filter((node) => {
      const name = this.value(node, 'name')?.value
      return typeof name === 'string' && name.includes('{{') && jsonNameShape(name, this.filling).test(build)
    })
    return couldBe.length === 1 ? couldBe[0] : undefined
  }

  /**
   * The provisioner or post-processor that a problem naming no setting is about, where Packer's
   * plugin says it of one kind of component only (componentRefusals): the one of the build
   * whose settings as written could give it; none where two could.
   */
  private refusingComponent(build: string, problem: string): { node: Node; on?: Node } | undefined {
    const refusal = componentRefusals.find(({ says }) => says.test(problem))
    if (!refusal) return undefined
    const couldBe = this.others.filter((node) => {
      const type = this.value(node, 'type')?.value
      return typeof type === 'string' && refusal.types.includes(type) && this.appliesTo(node, build) && refusal.fits((key) => this.written(node, key))
    })
    if (couldBe.length !== 1) return undefined
    const [node] = couldBe
    return { node, on: refusal.on === undefined ? undefined : this.key(node, refusal.on) }
  }

  /**
   * Whether a component writes a setting: false where it leaves it out or empty, true where its
   * value is one; undefined where Packer fills it in (`{{user `script`}}`), which may be empty.
   */
  private written(node: Node, key: string): boolean | undefined {
    const value = this.value(node, key)
    if (value === undefined || value.type === 'null') return false
    if (value.type === 'array') return (value.children?.length ?? 0) > 0 ? true : false
    if (value.type !== 'string') return true
    const text = value.value as string
    return text === '' ? false : text.includes('{{') ? undefined : true
  }

  /** The key in the build's builder, else each provisioner's or post-processor's that writes it. */
  private keysInBuild(builder: Node | undefined, key: string): Node[] {
    const own = this.key(builder, key)
    return own ? [own] : this.others.flatMap((node) => this.key(node, key) ?? [])
  }

  /** A key of the build's builder, else of a provisioner, else of a post-processor. */
  private keyInBuild(builder: Node | undefined, key: string): Node | undefined {
    for (const node of [builder, ...this.others]) {
      const found = this.key(node, key)
      if (found) return found
    }
    return undefined
  }

  /**
   * A key that the problem begins with (`ami_name must be between 3 and 128 characters long`,
   * `playbook_file: ./playbook.yml is invalid`), of the build's builder, else of a provisioner or
   * post-processor.
   */
  private leadingKey(builder: Node | undefined, problem: string): Node | undefined {
    const word = leadingWord(problem)
    return word === undefined ? undefined : this.keyInBuild(builder, word)
  }

  /**
   * The entry of an `only`, `except` or `override` that a numbered problem quotes, or the setting
   * it could not decode, which Packer quotes as written (`'pause_before'`) or as its Go field
   * (`'Only[0]'`).
   */
  private named(node: Node | undefined, problem: string): Node | undefined {
    const option = /^'(only|except)' specified builder /.exec(problem)?.[1]
    if (option) return this.key(node, option)
    const override = /^override '(.+)' doesn't exist$/.exec(problem)?.[1]
    if (override !== undefined) return this.key(this.value(node, 'override'), override)
    const setting = quotedSetting.exec(problem)?.[1]
    if (setting === undefined) return undefined
    return this.within(this.key(node, setting) ?? this.key(node, asSetting(setting)), namedPath(problem))
  }

  /** Post-processor `number` of chain `chain` (an entry that is not a list is a chain of one). */
  private postProcessor(chain: number, number: number): Node | undefined {
    const entry = this.items('post-processors')[chain]
    if (entry?.type === 'array') return entry.children?.[number]
    return number === 0 ? entry : undefined
  }

  /** The entries of the array at the template's root key `name`, if there is one. */
  private items(name: string): Node[] {
    const node = rootEntry(this.root, name)
    return node?.type === 'array' ? (node.children ?? []) : []
  }

  /** The key node of the template's root key `name`, in whatever case it is written. */
  private rootKey(name: string): Node | undefined {
    const value = rootEntry(this.root, name)
    return value?.parent?.type === 'property' ? value.parent.children?.[0] : undefined
  }

  /** The key node of property `name` of an object. */
  private key(node: Node | undefined, name: string): Node | undefined {
    return this.property(node, name)?.children?.[0]
  }

  private value(node: Node | undefined, name: string): Node | undefined {
    return this.property(node, name)?.children?.[1]
  }

  private property(node: Node | undefined, name: string): Node | undefined {
    return node?.type === 'object' ? node.children?.find((property) => property.children?.[0]?.value === name) : undefined
  }

  at(node: Node | undefined): Place {
    return node ? positionOf(this.text, node.offset) : {}
  }
}
