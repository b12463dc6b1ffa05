// What the action needs from an HCL2 template before Packer's output is logged, read with an
// HCL parser (tree-sitter's HCL grammar, hcl-parser.ts): the manifest post-processor's output,
// the sensitive variables and locals and their values, and required_plugins. The job reads it while Packer
// answers its version (src/index.ts). Build names and their order come from Packer itself
// (packer inspect), once it is installed.
import { existsSync, readFileSync, statSync } from 'node:fs'
import { basename, dirname, relative, resolve } from 'node:path'
import type { InputProblem, Inputs } from './index.js'
import type { ProblemLocation } from './reader.js'
import { buildRegionOf, copiesToNoRegion, otherAssumeRoleSettings, namesCredentials, ownCredentialsOf, pickedSourceAmi, regionsMade, setsOwnCredentials, sourceAmiFilterOf, type AmiBuild, type CopyRegion, type OwnCredentials, type SourceAmiFilter, type WrittenTags } from './ami-builds.js'
import type { BuildOfUse, BuildVariableUse, ConnectionRead, ProvisionerUse } from './build-variables.js'
import { checkedProvisioners, connectionAttributes } from './connecting-provisioners.js'
import { variableNamed } from './build-selection.js'
import { meantName } from './near-names.js'
import { connectsThroughSessionManager } from './session-manager.js'
import { binaryShellScripts, shellLocalScripts } from './shell-local.js'
import { hclSourceDataMistake, hclTemplateDataMistake } from './hcl-template-scope.js'
import { imageFilterMistake } from './image-filters.js'
import { deviceMappingSettings, volumeTypeMistake } from './volume-types.js'
import { accountMistake, instanceProfileMistake, regionMistake, spacedRegions, withoutValues, wrongAccounts } from './template-regions.js'
import { checkExistingManifest } from './manifest.js'
import { sourceReferenceName, sourceReferenceProblems } from './source-references.js'
import { quotedReferenceWarnings, stringPlace } from './quoted-references.js'
import { hclVersionDemands, type VersionDemand } from './required-version.js'
import { hclFileText, type HclFileText } from './template-files.js'
import { isPathSeparator, startedIn, workspaceRelative } from '../common/paths.js'
import { withHomeRegion } from '../common/regions.js'
import { distinctSensitive, escapedForRegExp, isRecord, literalBoolean, sensitiveStrings, stringsOf, type SensitiveValue } from '../common/values.js'
import type { Reference, SourceUse, StringPart } from './hcl-parser.js'
import { autoVarFiles, environmentRead, goConnectionReads, hclTemplateFiles as directoryFiles, type EnvironmentRead, type JsonPath } from './template.js'
import {
  builderPathSettings,
  fileProvisionerReads,
  misplacedReferences,
  missingReferences,
  withBuilds,
  postProcessorPathSettings,
  provisionerPathSettings,
  referencesOf,
  sortReferences,
  writtenPaths,
  type MisplacedReference,
  type MissingFileProblem,
  type PathSetting,
  type ReadingBuild,
  type SettingSite,
  type TemplateReference
} from './template-references.js'

/** A file's body as the parser gives it (hcl-parser.ts): blocks by type and label, bodies in arrays. */
export type HclBody = Record<string, unknown>

/**
 * Parses one HCL2 file (`.pkr.hcl`, `.pkrvars.hcl`) or its JSON form (`.pkr.json`, `.json`).
 * The parser is loaded on first use, so runs with JSON templates never load it.
 */
export async function parseHclFile(path: string, text = readFileSync(path, 'utf8')): Promise<HclBody> {
  if (path.endsWith('.pkr.json')) return templateBody(text)
  // A variables file's values must be an object.
  if (path.endsWith('.json')) return asObject(JSON.parse(text))
  const { parse } = await import('./hcl-parser.js')
  return parse(relative(process.cwd(), path) || path, text)
}

/**
 * A file of an HCL2 template as the job reads it, once: its path, absolute, its body, and where
 * each of its settings is written, which the checks place their problems with.
 */
export interface HclFileRead {
  file: string
  body: HclBody
  place: (at: JsonPath) => Promise<{ line?: number; column?: number }>
  /** The sources its build blocks use, as written (in a `.pkr.json` file, the entries of their `sources` lists). */
  sourceUses: SourceUse[]
}

/** Parses one file of an HCL2 template (parseHclFile), read from disk unless its `text` is given, with where its settings are. */
export async function readHclFile(file: string, text = readFileSync(file, 'utf8')): Promise<HclFileRead> {
  const place = (at: JsonPath): Promise<{ line?: number; column?: number }> => settingPlace(file, text, at)
  if (file.endsWith('.pkr.json')) return { file, ...(await templateRead(text)), place }
  if (file.endsWith('.json')) return { file, body: await parseHclFile(file, text), place, sourceUses: [] }
  const { readHclText } = await import('./hcl-parser.js')
  return readHclText(file, text)
}

/** The files of an HCL2 template, in the order Packer reads them (a directory's: hclTemplateFiles). */
export function hclTemplateFiles(templatePath: string): string[] {
  return statSync(templatePath).isDirectory() ? directoryFiles(templatePath) : [templatePath]
}

/**
 * A `.pkr.json` file as one body: an object, or an array of objects whose blocks are all kept,
 * in order, as are those of a name given twice (HCL's JSON syntax allows both, and Packer reads
 * them so: hcl-json.ts). JSON.parse says first whether it is JSON at all, and where it is not.
 */
async function templateBody(text: string): Promise<HclBody> {
  return (await templateRead(text)).body
}

/** A `.pkr.json` file's body (templateBody) and the sources its build blocks list, from one parse. */
async function templateRead(text: string): Promise<{ body: HclBody; sourceUses: SourceUse[] }> {
  JSON.parse(text)
  const { hclJsonRead } = await import('./hcl-json.js')
  return hclJsonRead(text)
}

function asObject(value: unknown): HclBody {
  return isRecord(value) ? value : {}
}

/** A block's bodies: the parser gives a list; the JSON syntax allows a single object too. */
function bodies(value: unknown): HclBody[] {
  if (Array.isArray(value)) return value.map(asObject)
  return value === undefined ? [] : [asObject(value)]
}

/** Labelled blocks (`variable "x" {…}`): label → bodies. */
function labelled(value: unknown): Array<[string, HclBody[]]> {
  return bodies(value).flatMap((body) => Object.entries(body).map(([label, inner]) => [label, bodies(inner)] as [string, HclBody[]]))
}

/**
 * The `dynamic` blocks of `body` that make blocks of `type` (`dynamic "source" { for_each = …
 * labels = ["amazon-ebs.web"] content { name = … } }` in a build block, Packer 1.7.1 and later):
 * each its own body. Which blocks they make, and so which builds, only Packer works out.
 */
function dynamicBlocks(body: HclBody, type: string): HclBody[] {
  return labelled(body.dynamic).flatMap(([label, found]) => (label === type ? found : []))
}

/** Whether the builds of a template's files are only Packer's to know: a `dynamic "build"` block, or a build block's `dynamic "source"`. */
function buildsMadeDynamically(files: HclBody[]): boolean {
  return files.some((file) => dynamicBlocks(file, 'build').length > 0 || bodies(file.build).some((build) => dynamicBlocks(build, 'source').length > 0))
}

/** What a string of the template may refer to that is known before Packer runs. */
export interface HclScope {
  /** Input variables' values in this run. */
  variables: Map<string, unknown>
  /** Local values as the parser gives them (`"${path.root}/out"`), by name. */
  locals?: Map<string, unknown>
  /** `path.root` and `path.cwd`, as Packer sets them (hclPaths). */
  path?: { root: string; cwd: string }
  /** The environment, for `env("NAME")`: Packer allows it in variables' defaults only. */
  env?: Record<string, string | undefined>
  /** The build a setting of a build block is read for: `source.name`, `source.type`, `build.name`. */
  build?: { source: { name: string; type: string }; name?: string }
}

/** How deep a local may refer to another local: deeper, or in a cycle, it is left to Packer. */
const maxLocalDepth = 8

/**
 * A string as the parser gives it (`"${var.dir}/m.json"`), evaluated when it is made of literal
 * text, input variables, `path.root`, `path.cwd`, locals made of the same, and `env("NAME")`
 * where the scope has the environment; else undefined.
 */
export async function hclStringValue(expression: string, scope: HclScope, depth = 0): Promise<string | undefined> {
  if (!expression.includes('${')) return expression.includes('{{') ? undefined : expression
  const { literalText, stringParts } = await import('./hcl-parser.js')
  const literal = literalText(expression)
  if (literal !== undefined) return literal
  const parts = await stringParts(expression)
  return parts ? partsValue(parts, scope, depth) : undefined
}

/** A string's parts (stringParts) evaluated as hclStringValue does. */
async function partsValue(parts: StringPart[], scope: HclScope, depth: number): Promise<string | undefined> {
  let text = ''
  for (const part of parts) {
    if ('other' in part) return undefined
    if ('literal' in part) {
      text += part.literal
      continue
    }
    const value = await referenceValue(part.reference, scope, depth)
    if (value === undefined) return undefined
    text += value
  }
  // Packer fills in `{{ … }}` in a post-processor's settings at build time.
  return text.includes('{{') ? undefined : text
}

async function referenceValue(reference: Reference, scope: HclScope, depth: number): Promise<string | undefined> {
  if ('path' in reference) {
    return reference.path === 'root' ? scope.path?.root : reference.path === 'cwd' ? scope.path?.cwd : undefined
  }
  if ('env' in reference) return scope.env === undefined ? undefined : (scope.env[reference.env] ?? '')
  if ('source' in reference) return reference.source === 'name' || reference.source === 'type' ? scope.build?.source[reference.source] : undefined
  if ('build' in reference) return reference.build === 'name' ? scope.build?.name : undefined
  if ('var' in reference) {
    const value = scope.variables.get(reference.var)
    return typeof value === 'string' && !value.includes('${') ? value : undefined
  }
  const local = scope.locals?.get(reference.local)
  return typeof local === 'string' && depth < maxLocalDepth ? hclStringValue(local, scope, depth + 1) : undefined
}

/** The one reference an expression is written as alone (`${var.x}`, `${local.y}`); undefined when it is anything else. */
async function loneReference(expression: string): Promise<Reference | undefined> {
  const { stringParts } = await import('./hcl-parser.js')
  const parts = await stringParts(expression)
  return parts?.length === 1 && 'reference' in parts[0] ? parts[0].reference : undefined
}

/**
 * Whether a setting as the parser gives it is null in this run, which HCL and Packer take for not
 * set: written `null`, or a reference alone (`var.profile`, `"${var.profile}"`) to an input
 * variable whose value is null (a `default = null` that no -var, variables file or PKR_VAR_
 * replaces; one of them giving null counts too), or to a local that is null so. Null inside
 * more text is an error that Packer reports: not counted.
 */
export async function hclIsNull(written: unknown, scope: HclScope, depth = 0): Promise<boolean> {
  if (written === null || written === '${null}') return true
  if (typeof written !== 'string' || !written.startsWith('${') || depth >= maxLocalDepth) return false
  const reference = await loneReference(written)
  if (reference === undefined) return false
  if ('var' in reference) return scope.variables.has(reference.var) && scope.variables.get(reference.var) === null
  return 'local' in reference && scope.locals?.has(reference.local) === true && hclIsNull(scope.locals.get(reference.local), scope, depth + 1)
}

/**
 * `path.root` and `path.cwd` as Packer sets them when it runs in `workingDirectory` on
 * `template`: the template as given when it is a directory, else its file's directory; and
 * the directory Packer runs in.
 */
export function hclPaths(workingDirectory: string, template: string): { root: string; cwd: string } {
  const cwd = resolve(workingDirectory)
  return { root: statSync(resolve(cwd, template)).isDirectory() ? template : dirname(template), cwd }
}

/** The template's local values as the parser gives them: `locals { … }` and `local "NAME" { expression = … }`. */
export function hclLocals(files: HclBody[]): Map<string, unknown> {
  const locals = new Map<string, unknown>()
  for (const file of files) {
    for (const block of bodies(file.locals)) for (const [name, value] of Object.entries(block)) locals.set(name, value)
    for (const [name, definitions] of labelled(file.local)) locals.set(name, definitions[0]?.expression)
  }
  return locals
}

/**
 * Every post-processor block of every build block, in file order: its type and body. A build
 * may have several of one type (two `post-processor "shell-local"`): each counts.
 */
function postProcessorBlocks(files: HclBody[]): Array<[string, HclBody]> {
  const each = (value: unknown): Array<[string, HclBody]> =>
    labelled(value).flatMap(([type, definitions]) => definitions.map((definition) => [type, definition] as [string, HclBody]))
  return files.flatMap((file) =>
    bodies(file.build).flatMap((build) => [
      ...each(build['post-processor']),
      ...bodies(build['post-processors']).flatMap((chain) => each(chain['post-processor']))
    ])
  )
}

/** `output` of each manifest post-processor, in file order, as the parser gives it; undefined when empty. */
function hclManifestOutputs(files: HclBody[]): Array<string | undefined> {
  return postProcessorBlocks(files)
    .filter(([type]) => type === 'manifest')
    .map(([, definition]) => definition.output)
    .map((output) => (typeof output === 'string' && output !== '' ? output : undefined))
}

/** `output` of the first manifest post-processor, in file order, as the parser gives it. */
export function hclManifestOutput(files: HclBody[]): { output?: string; found: boolean } {
  const outputs = hclManifestOutputs(files)
  return outputs.length === 0 ? { found: false } : { output: outputs[0], found: true }
}

/**
 * Where the other manifest post-processors write, absolute, where that is known before the
 * build and not Packer's default: their folders are made before the build too.
 */
async function otherManifestOutputs(files: HclBody[], scope: HclScope, workingDirectory: string): Promise<string[]> {
  const paths: string[] = []
  for (const output of hclManifestOutputs(files).slice(1)) {
    const value = output === undefined ? undefined : await hclStringValue(output, scope)
    if (value) paths.push(resolve(workingDirectory, value))
  }
  return paths
}

/**
 * The folder of each manifest post-processor's `output` that only Packer knows whole
 * (`manifests/${formatdate(…)}.json`), absolute, for each build of its build block
 * (`${source.name}`), where the folder is known: its text up to the last separator outside an
 * interpolation (`\` too, on Windows). Packer's manifest post-processor does not make it, and
 * when it cannot write, Packer deregisters the build's AMIs.
 */
async function manifestFolders(files: HclBody[], scope: HclScope, workingDirectory: string, platform: NodeJS.Platform): Promise<string[]> {
  const folders = new Set<string>()
  for (const build of files.flatMap((file) => bodies(file.build))) {
    const outputs = hclManifestOutputs([{ build: [build] }])
    const name = build.name === undefined ? '' : typeof build.name === 'string' ? await hclStringValue(build.name, scope) : undefined
    for (const output of outputs) {
      if (output === undefined || (await hclStringValue(output, scope)) !== undefined) continue
      const folder = await folderParts(output, platform)
      for (const source of buildSources(build)) {
        const value = folder && (await partsValue(folder, { ...scope, build: { source, name } }, 0))
        if (value) folders.add(resolve(workingDirectory, value))
      }
    }
  }
  return [...folders]
}

/** The parts of a string up to its last separator outside an interpolation; undefined when it has none. */
async function folderParts(written: string, platform: NodeJS.Platform): Promise<StringPart[] | undefined> {
  const { literalText, stringParts } = await import('./hcl-parser.js')
  const literal = literalText(written)
  const parts = literal === undefined ? await stringParts(written) : [{ literal }]
  const lastSeparator = (text: string): number => [...text].findLastIndex((character) => isPathSeparator(character, platform))
  const last = parts?.findLastIndex((part) => 'literal' in part && lastSeparator(part.literal) >= 0) ?? -1
  if (!parts || last < 0) return undefined
  const text = (parts[last] as { literal: string }).literal
  return [...parts.slice(0, last), { literal: text.slice(0, lastSeparator(text)) }]
}

/**
 * The sources a build block builds, each with its type and the name Packer gives `source.name`:
 * those `sources` lists (`"source.amazon-ebs.web"`) and those its `source` blocks set more of,
 * under the name one gives (`name = "jammy"`).
 */
function buildSources(build: HclBody): Array<{ type: string; name: string }> {
  const listed = (Array.isArray(build.sources) ? build.sources : []).flatMap((entry: unknown) => {
    const [type, name] = sourceReferenceName(entry)?.split('.') ?? []
    return type === undefined ? [] : [{ type, name }]
  })
  const blocks = labelled(build.source).flatMap(([label, definitions]) => {
    const [type, name] = label.split('.')
    // A name made by an expression is only Packer's to know.
    return definitions.flatMap((definition) => {
      const given = definition.name === undefined ? name : definition.name
      return typeof given === 'string' && !given.includes('${') ? [{ type, name: given }] : []
    })
  })
  return [...listed, ...blocks]
}

/**
 * The post-processors of every build block by name, or by type when unnamed: what `-except`
 * may match besides builds. Undefined when a name is an expression only Packer works out.
 */
export function hclPostProcessorNames(files: HclBody[]): string[] | undefined {
  const names = new Set<string>()
  for (const [type, definition] of postProcessorBlocks(files)) {
    const name = definition.name ?? type
    if (typeof name !== 'string' || name.includes('${')) return undefined
    names.add(name)
  }
  return [...names]
}

/**
 * How many builds the template's build blocks make: one for each source a block names in
 * `sources` or defines in a `source` block. Undefined when `sources` is not a list, or a dynamic
 * block makes builds (buildsMadeDynamically).
 */
export function hclBuildCount(files: HclBody[]): number | undefined {
  if (buildsMadeDynamically(files)) return undefined
  let count = 0
  for (const file of files) {
    for (const build of bodies(file.build)) {
      if (build.sources !== undefined && !Array.isArray(build.sources)) return undefined
      count += (build.sources ?? []).length
      for (const [, definitions] of labelled(build.source)) count += definitions.length
    }
  }
  return count
}

/** A source a build block builds: its type, and the names that make its build's name, as written. */
interface BuiltSource {
  block: unknown
  type: string
  name: unknown
}

/**
 * The sources the build blocks build: each one a block lists in `sources`, and each it sets more
 * of in a `source` block (under the `name` one gives). Undefined when a source is not named as
 * TYPE.NAME, or a dynamic block makes builds: only Packer knows those builds.
 */
function builtSources(files: HclBody[]): BuiltSource[] | undefined {
  if (buildsMadeDynamically(files)) return undefined
  const built: BuiltSource[] = []
  for (const build of files.flatMap((file) => bodies(file.build))) {
    const sources = sourcesBuiltBy(build)
    if (sources === undefined) return undefined
    built.push(...sources)
  }
  return built
}

/** The sources one build block builds (see builtSources). */
function sourcesBuiltBy(build: HclBody): BuiltSource[] | undefined {
  const built: BuiltSource[] = []
  if ((build.sources !== undefined && !Array.isArray(build.sources)) || dynamicBlocks(build, 'source').length > 0) return undefined
  for (const entry of (build.sources ?? []) as unknown[]) {
    const [type, name] = sourceReferenceName(entry)?.split('.') ?? []
    if (type === undefined) return undefined
    built.push({ block: build.name, type, name })
  }
  for (const [label, definitions] of labelled(build.source)) {
    // Packer takes `source "TYPE.NAME"` and `source "source.TYPE.NAME"` alike.
    const parts = label.split('.')
    if (parts.length < 2 || parts.length > 3) return undefined
    const [type, name] = parts.slice(-2)
    for (const definition of definitions) {
      built.push({ block: build.name, type, name: definition.name === undefined || definition.name === '' ? name : definition.name })
    }
  }
  return built
}

/**
 * The builds' names as Packer builds them: `TYPE.NAME` for each source a build block builds
 * (builtSources), with `BUILD.` in front for a block named BUILD. Undefined when a name is made
 * by an expression or a source is not named as TYPE.NAME: only Packer knows those builds.
 */
export function hclBuildNames(files: HclBody[]): string[] | undefined {
  return namesOf(builtSources(files))
}

function namesOf(built: BuiltSource[] | undefined): string[] | undefined {
  const literal = (name: unknown) => typeof name === 'string' && !/[$%]\{/.test(name)
  if (built === undefined || built.some(({ block, name }) => (block !== undefined && !literal(block)) || !literal(name))) return undefined
  return built.map(({ block, type, name }) => `${block === undefined || block === '' ? '' : `${block as string}.`}${type}.${name as string}`)
}

/**
 * Where the build blocks of an HCL2 template that make a build Packer names `name` begin, in
 * the order Packer reads them: file (as given to `path`) and line. Files that do not parse, and
 * blocks whose builds only Packer can name, are passed over.
 */
export async function hclBuildBlocksMaking(templatePath: string, name: string, path: (file: string) => string): Promise<Array<{ file: string; line: number }>> {
  const { blockPositions } = await import('./hcl-parser.js')
  const found: Array<{ file: string; line: number }> = []
  for (const file of hclTemplateFiles(templatePath).filter((file) => file.endsWith('.pkr.hcl'))) {
    try {
      const source = readFileSync(file, 'utf8')
      const blocks = bodies((await parseHclFile(file, source)).build)
      const positions = await blockPositions(path(file), source, 'build')
      if (positions.length !== blocks.length) continue
      blocks.forEach((block, index) => {
        if (namesOf(sourcesBuiltBy(block))?.includes(name)) found.push({ file: path(file), line: positions[index].line })
      })
    } catch {
      continue
    }
  }
  return found
}

/** The types of the provisioners the build blocks run, their error-cleanup-provisioner's too. */
export function hclProvisionerTypes(files: HclBody[]): string[] {
  const builds = files.flatMap((file) => bodies(file.build))
  const types = builds.flatMap((build) => [...labelled(build.provisioner), ...labelled(build['error-cleanup-provisioner'])].map(([type]) => type))
  return [...new Set(types)]
}

/** The builder type of each build (builtSources), undefined where only Packer knows one. */
export function hclBuildTypes(files: HclBody[]): string[] | undefined {
  return builtSources(files)?.map(({ type }) => type)
}

/** The names build blocks give their builds, as written: each block's `name`, and each source's (`source "TYPE.NAME" { name = … }`). */
function buildNamesWritten(files: HclBody[]): { blocks: unknown[]; sources: unknown[] } {
  const builds = files.flatMap((file) => bodies(file.build))
  // A dynamic "source" block's content names each source it makes, as a `source` block does.
  const sources = builds.flatMap((build) => [
    ...labelled(build.source).flatMap(([, definitions]) => definitions),
    ...dynamicBlocks(build, 'source').flatMap((dynamic) => bodies(dynamic.content))
  ])
  return {
    blocks: builds.map((build) => build.name).filter((name) => name !== undefined),
    sources: sources.map((definition) => definition.name).filter((name) => name !== undefined)
  }
}

/** Whether a `build` block names a build of its own: `source "TYPE.NAME" { name = "…" }`. */
export function hclRenamesSources(files: HclBody[]): boolean {
  return buildNamesWritten(files).sources.length > 0
}

/**
 * Whether a build's name may hold a comma: a build block's `name`, or a name it gives a source,
 * that is written with one or made by an expression. Packer writes a build's name as it is in
 * its machine-readable lines, where a comma ends it.
 */
export function hclNamesMayHoldComma(files: HclBody[]): boolean {
  const { blocks, sources } = buildNamesWritten(files)
  return [...blocks, ...sources].some((name) => typeof name !== 'string' || /,|[$%]\{/.test(name))
}

/** `packer { required_plugins { … } }` declarations, each as canonical JSON, sorted. */
export function hclRequiredPlugins(files: HclBody[]): string[] {
  const declarations: string[] = []
  for (const file of files) {
    for (const packer of bodies(file.packer)) {
      for (const plugins of bodies(packer.required_plugins)) {
        for (const [name, definition] of Object.entries(plugins)) {
          declarations.push(canonicalJson({ [name]: definition }))
        }
      }
    }
  }
  return declarations.sort()
}

/** JSON with every object's keys in order, so that the same declaration reads the same. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, inner: unknown) =>
    typeof inner === 'object' && inner !== null && !Array.isArray(inner)
      ? Object.fromEntries(Object.entries(inner).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : inner
  )
}

/** Names of the variables declared with `sensitive = true`, and their defaults. */
export function hclSensitiveVariables(files: HclBody[]): Map<string, unknown> {
  const sensitive = new Map<string, unknown>()
  for (const file of files) {
    for (const [name, definitions] of labelled(file.variable)) {
      const definition = definitions[0] ?? {}
      if (definition.sensitive === true || definition.sensitive === 'true') sensitive.set(name, definition.default)
    }
  }
  return sensitive
}

/**
 * The values of the `local` blocks marked `sensitive = true` (Packer 1.7 and later), where the
 * action can read them: made of text, input variables, `path.root`, `path.cwd` and other locals
 * (hclStringValue), or a whole variable (`expression = var.keys`), whose every string counts.
 * The names of those with a part that only Packer knows (a data source, `vault()`,
 * `aws_secretsmanager()`) are in `unknown`: the job asks Packer for their values.
 */
export async function hclSensitiveLocalValues(
  files: HclBody[],
  scope: HclScope
): Promise<{ values: SensitiveValue[]; unknown: string[] }> {
  const values: SensitiveValue[] = []
  const unknown: string[] = []
  for (const file of files) {
    for (const [name, definitions] of labelled(file.local)) {
      const definition = definitions[0] ?? {}
      if (definition.sensitive === true || definition.sensitive === 'true') {
        const read = await localStrings(definition.expression, scope)
        values.push(...sensitiveStrings(read.strings, 'local', name))
        if (!read.known) unknown.push(name)
      }
    }
  }
  return { values, unknown }
}

/** The functions of Packer's HCL2 that read a secret store. */
const secretFunctions = ['vault', 'aws_secretsmanager', 'aws_secretsmanager_raw']

/**
 * What a template reads from a secret store, whether or not it declares it sensitive (Packer
 * hides only what is, and prints the rest as a provisioner or its debug log shows it): each
 * attribute of a `data "amazon-secretsmanager"` block that holds the secret and that the template
 * reads (`data.amazon-secretsmanager.NAME.value`), the value of each `data "amazon-parameterstore"`
 * block that decrypts it (`with_decryption`) where the template reads it, and each call to
 * vault(), aws_secretsmanager() or aws_secretsmanager_raw() as written, where its arguments are
 * values, variables and locals (`packer console` can then work it out alone). The job asks Packer
 * for their values and masks them.
 */
export async function hclSecretReads(files: HclBody[]): Promise<string[]> {
  // Each data source that holds a secret, with the attributes that hold it.
  const secretData = new Map<string, string[]>()
  for (const file of files) {
    for (const { labels, body } of blocksAt(file.data, ['data'], 2)) {
      if (labels[0] === 'amazon-secretsmanager') secretData.set(labels.join('.'), ['value', 'secret_string', 'secret_binary'])
      // A SecureString parameter, which the data source decrypts.
      if (labels[0] === 'amazon-parameterstore' && literalBoolean(body.with_decryption) !== false) secretData.set(labels.join('.'), ['value'])
    }
  }
  const { callsTo, traversalsOf } = await import('./hcl-parser.js')
  const reads: string[] = []
  for (const text of files.flatMap(stringsOf)) {
    if (!text.includes('${')) continue
    reads.push(...(await callsTo(secretFunctions, text)))
    // Only the attributes the template reads: a Secrets Manager secret's `value` without a `key`
    // is any one of its fields, and its other fields (a host, a port) are no secret to mask.
    for (const [type, name, attribute] of secretData.size === 0 ? [] : await traversalsOf('data', text)) {
      const held = secretData.get(`${type}.${name}`)
      if (held === undefined) continue
      reads.push(...(attribute === undefined ? held : held.includes(attribute) ? [attribute] : []).map((each) => `data.${type}.${name}.${each}`))
    }
  }
  return [...new Set(reads)]
}

/** The strings of a local's value that the action can read; `known` when that is all of them. */
async function localStrings(value: unknown, scope: HclScope): Promise<{ strings: string[]; known: boolean }> {
  if (typeof value === 'object' && value !== null) {
    const parts = await Promise.all(Object.values(value).map((inner) => localStrings(inner, scope)))
    return { strings: parts.flatMap((part) => part.strings), known: parts.every((part) => part.known) }
  }
  if (typeof value !== 'string') return { strings: stringsOf(value), known: true }
  const text = await hclStringValue(value, scope)
  if (text !== undefined) return { strings: stringsOf(text), known: true }
  const reference = value.includes('${') ? await loneReference(value) : undefined
  return reference && 'var' in reference ? { strings: stringsOf(scope.variables.get(reference.var)), known: true } : { strings: [], known: false }
}

/**
 * Every value each input variable is given in this run, lowest precedence first, as Packer
 * ranks them: the default, `PKR_VAR_…`, `*.auto.pkrvars.hcl` of a template directory, then the
 * variables files and input `variables` (passed after them). The last one wins. `environment` is
 * filled in with the environment variables the value that wins reads, by variable: the
 * `env("NAME")` calls of its default, or its `PKR_VAR_<name>`; none when a file or the input gives it.
 */
export async function hclVariableCandidates(
  files: HclBody[],
  templatePath: string,
  varFiles: string[],
  variables: Array<{ name: string; value: string }>,
  env: Record<string, string | undefined>,
  unreadable: Unreadable[] = [],
  environment: Map<string, string[]> = new Map()
): Promise<Map<string, unknown[]>> {
  const candidates = new Map<string, unknown[]>()
  const add = (name: string, value: unknown, reads: string[] = []): void => {
    if (value === undefined) return
    candidates.set(name, [...(candidates.get(name) ?? []), value])
    environment.set(name, reads)
  }
  const types = new Map<string, unknown>()
  // Each text given on the command line or in PKR_VAR_…, then the value Packer reads from it.
  const addGiven = async (name: string, text: string | undefined, reads?: string[]): Promise<void> => {
    if (text === undefined) return
    const value = await givenValue(text, types.get(name))
    add(name, text, reads)
    if (value !== text) add(name, value, reads)
  }
  for (const file of files) {
    for (const [name, definitions] of labelled(file.variable)) {
      const definition = definitions[0] ?? {}
      types.set(name, typeExpression(definition.type) ?? typeOfDefault(definition.default))
      add(name, await valueRead(definition.default, env), await environmentNamesOf(definition.default))
    }
    // `variables { NAME = default }`: each one typed by its default.
    for (const block of bodies(file.variables)) {
      for (const [name, value] of Object.entries(block)) {
        types.set(name, typeOfDefault(value))
        add(name, await valueRead(value, env), await environmentNamesOf(value))
      }
    }
  }
  const declared = [...types.keys()]
  // Packer takes PKR_VAR_ only of a variable the template declares.
  for (const name of declared) await addGiven(name, env[`PKR_VAR_${name}`], [`PKR_VAR_${name}`])
  for (const file of [...autoVarFiles(templatePath), ...varFiles]) {
    if (!existsSync(file)) continue
    try {
      const body = await parseHclFile(file)
      for (const name of declared) add(name, await valueRead(body[name]))
    } catch (error) {
      // packer validate reports a variables file that does not parse, with its line.
      unreadable.push(unreadableFile(file, error))
    }
  }
  for (const { name, value } of variables) await addGiven(name, value)
  return candidates
}

/** The NAMEs of the `env("NAME")` calls in a variable's default, as the parser gives it, wherever its strings make them. */
async function environmentNamesOf(value: unknown): Promise<string[]> {
  if (typeof value === 'string') {
    const { environmentNames } = await import('./hcl-parser.js')
    return environmentNames(value)
  }
  if (typeof value !== 'object' || value === null) return []
  const inner = await Promise.all(Object.values(value).map(environmentNamesOf))
  return [...new Set(inner.flat())]
}

/**
 * A variable's `type` as the parser writes it (`${string}`). A `.pkr.json` file gives it as the
 * bare expression (`"type": "string"`), which HCL's JSON syntax reads as one.
 */
function typeExpression(type: unknown): unknown {
  return typeof type === 'string' && !type.startsWith('${') ? `\${${type}}` : type
}

/**
 * The type Packer gives a variable without a `type`, as the parser would write it: its
 * default's. Undefined without a default (Packer reads a value given as text as text then);
 * `${any}` for a default that is neither a string nor a number (a list, a map, a bool, null).
 */
function typeOfDefault(value: unknown): string | undefined {
  if (value === undefined) return undefined
  if (typeof value === 'string') return '${string}'
  if (typeof value === 'number') return '${number}'
  return '${any}'
}

/**
 * A value given as text (`-var`, `PKR_VAR_…`) as Packer reads it: the text itself for a
 * variable of type string or number, or of no type; else an HCL expression
 * (`{prod = "…"}`, `["…"]`), whose strings Packer masks one by one when the variable is
 * sensitive. Undefined when the text is not one: packer validate says so.
 */
async function givenValue(text: string, type: unknown): Promise<unknown> {
  if (type === undefined || type === '${string}' || type === '${number}') return text
  const { parse } = await import('./hcl-parser.js')
  try {
    return await valueRead((await parse('variables', `value = ${text}\n`)).value)
  } catch {
    return undefined
  }
}

/**
 * A value as a file gives it, with each string that is literal text read as that text (`$${`
 * is `${`): the value Packer has, and prints. A string that interpolates stays as written,
 * but for a variable's default, read with `env`: there `env("NAME")`, the one function Packer
 * allows, is filled in from the environment.
 */
async function valueRead(value: unknown, env?: Record<string, string | undefined>): Promise<unknown> {
  if (typeof value === 'string') {
    if (!value.includes('{')) return value
    const evaluated = env && value.includes('env(') ? await hclStringValue(value, { variables: new Map(), env }) : undefined
    if (evaluated !== undefined) return evaluated
    const { literalText } = await import('./hcl-parser.js')
    return literalText(value) ?? value
  }
  if (Array.isArray(value)) return Promise.all(value.map((inner) => valueRead(inner, env)))
  if (typeof value === 'object' && value !== null) {
    const entries = await Promise.all(Object.entries(value).map(async ([key, inner]) => [key, await valueRead(inner, env)]))
    return Object.fromEntries(entries)
  }
  return value
}

/**
 * The values a sensitive variable can take in this run, from everywhere Packer takes them.
 * All of them are masked, whichever wins.
 */
export function hclSensitiveValues(files: HclBody[], candidates: Map<string, unknown[]>): SensitiveValue[] {
  const sensitive = hclSensitiveVariables(files)
  const values = [...sensitive.keys()].flatMap((name) => sensitiveStrings(candidates.get(name) ?? [], 'variable', name))
  return distinctSensitive(values)
}

/**
 * The blocks of a type with `labels` labels, each with its labels and its path into the file's
 * body (`['build', 0, 'provisioner', 'shell', 1]`): the parser gives each label's blocks as a
 * list, HCL's JSON syntax allows a single object too.
 */
function blocksAt(value: unknown, path: JsonPath, labels: number): Array<{ labels: string[]; body: HclBody; path: JsonPath }> {
  const each: Array<[unknown, JsonPath]> = Array.isArray(value)
    ? value.map((inner, index): [unknown, JsonPath] => [inner, [...path, index]])
    : value === undefined
      ? []
      : [[value, path]]
  if (labels === 0) return each.map(([body, at]) => ({ labels: [], body: asObject(body), path: at }))
  return each.flatMap(([byLabel, at]) =>
    Object.entries(asObject(byLabel)).flatMap(([label, inner]) =>
      blocksAt(inner, [...at, label], labels - 1).map((block) => ({ ...block, labels: [label, ...block.labels] }))
    )
  )
}

/**
 * A setting's value as Packer has it before the build: a string made of what hclStringValue
 * reads, or, for a list given whole as a variable or local (`scripts = var.scripts`), each of
 * its strings; undefined when only Packer knows it.
 */
async function hclPathValue(written: string, scope: HclScope): Promise<string | string[] | undefined> {
  const text = await hclStringValue(written, scope)
  if (text !== undefined || !written.startsWith('${')) return text
  const reference = await loneReference(written)
  if (!reference) return undefined
  const list =
    'var' in reference ? scope.variables.get(reference.var) : 'local' in reference ? scope.locals?.get(reference.local) : undefined
  if (!Array.isArray(list)) return undefined
  const values: string[] = []
  for (const item of list) {
    const value = typeof item === 'string' ? await hclStringValue(item, scope) : undefined
    if (value === undefined) return undefined
    values.push(value)
  }
  return values
}

/** The file provisioner's `generated`: a bool, or a string as evaluated; undefined when only Packer knows it. */
async function hclGenerated(value: unknown, scope: HclScope): Promise<boolean | string | undefined> {
  if (value === undefined) return false
  if (typeof value === 'boolean') return value
  return typeof value === 'string' ? hclStringValue(value, scope) : undefined
}

/** Whether a file provisioner's settings make it read its sources before the build (fileProvisionerReads). */
async function hclFileProvisionerReads(settings: HclBody, scope: HclScope): Promise<boolean | undefined> {
  const { direction } = settings
  const evaluated =
    direction === undefined ? '' : typeof direction === 'string' ? await hclStringValue(direction, scope) : undefined
  return fileProvisionerReads(evaluated, await hclGenerated(settings.generated, scope))
}

/**
 * The references of an HCL2 template's files (each `file` absolute): the settings of its
 * sources, of its build blocks' sources, provisioners (and their `override`) and
 * post-processors that name a local path, evaluated where the action can (hclStringValue),
 * relative to `workingDirectory`; each with the builds that read it, where the action knows
 * them (TemplateReference's builds).
 */
export async function hclTemplateReferences(
  read: HclFileRead[],
  scope: HclScope,
  workingDirectory: string
): Promise<TemplateReference[]> {
  const references: TemplateReference[] = []
  const sources = sourceDefinitions(read.map(({ body }) => body))
  const blocks = read.flatMap(({ body }) => blocksAt(body.build, ['build'], 0))
  const everyBuild = (await Promise.all(blocks.map((build) => blockBuilds(build.body, sources, scope)))).flat()
  for (const { file, body } of read) {
    /**
     * The references `settings` make in `site`; all of them unknown when not `known`; with the
     * `builds` that read them; marked when its block runs in no build.
     */
    const add = async (site: SettingSite, settings: PathSetting[], builds: ReadingBuild[], { known = true, inNoBuild }: { known?: boolean; inNoBuild?: true } = {}): Promise<void> => {
      for (const value of writtenPaths(site, settings)) {
        const evaluated = known ? await hclPathValue(value.written, scope) : undefined
        const shown = value.written.startsWith('${') ? await (await import('./hcl-parser.js')).soleExpressionText(value.written) : undefined
        references.push(...referencesOf({ ...value, ...(shown !== undefined && { shown }) }, evaluated, { file, workingDirectory }).map((found) => ({ ...found, builds, ...(inNoBuild ? { inNoBuild } : {}) })))
      }
    }
    /**
     * A provisioner's or post-processor's settings, and those its `override` gives each build;
     * `built`, the builds of its build block, and `builds`, those that run it: its own
     * only/except may leave every one out. An override's settings are read in its build only.
     */
    const plugin = async (
      kind: string,
      { labels: [type], body: settings, path }: { labels: string[]; body: HclBody; path: JsonPath },
      table: Record<string, PathSetting[]>,
      built: BlockBuild[],
      builds: Array<ReadingBuild & { selected?: string }>
    ): Promise<void> => {
      const pathSettings = Object.hasOwn(table, type) ? table[type] : undefined
      if (!pathSettings) return
      const inNoBuild = built.length > 0 && builds.length === 0 ? true : undefined
      const shown = `${kind} "${type}" `
      const overrides = Object.entries(asObject(settings.override)).map(([build, inner]) => ({
        ...site(asObject(inner), [...path, 'override', build], `${shown}override["${build}"].`),
        builds: builds.filter(({ selected }) => selected === build)
      }))
      for (const each of [{ ...site(settings, path, shown), builds }, ...overrides]) {
        const reads = type === 'file' ? await hclFileProvisionerReads({ ...settings, ...each.body }, scope) : true
        const reading = each.builds.map(({ selected: _, ...build }) => build)
        if (reads !== false) await add(each, pathSettings, reading, { known: reads === true, inNoBuild })
      }
    }
    for (const source of blocksAt(body.source, ['source'], 2)) {
      const builds = readingBuilds(everyBuild.filter((build) => build.source === source.labels.join('.')))
      await add(site(source.body, source.path, `source "${source.labels.join('" "')}" `), builderPathSettings, builds)
    }
    for (const build of blocksAt(body.build, ['build'], 0)) {
      const built = await blockBuilds(build.body, sources, scope)
      // A build block's source block sets more of a source's settings (`source "amazon-ebs.web" {…}`), for its build alone.
      for (const source of blocksAt(build.body.source, [...build.path, 'source'], 1)) {
        await add(site(source.body, source.path, `source "${source.labels[0]}" `), builderPathSettings, readingBuilds(sourceBlockBuilds(built, source)))
      }
      for (const provisioner of blocksAt(build.body.provisioner, [...build.path, 'provisioner'], 1)) {
        const builds = built.filter(({ selected }) => runsFor(provisioner.body, selected)).map(({ name, selected }) => ({ ...(name === undefined ? {} : { name }), selected, skippedBy: [] }))
        await plugin('provisioner', provisioner, provisionerPathSettings, built, builds)
      }
      for (const postProcessor of await postProcessorsOf(build, sources, scope)) {
        const builds = postProcessor.builds.map(({ name, skippedBy }) => ({ ...(name === undefined ? {} : { name }), skippedBy, selected: selectedOf(built, name) }))
        await plugin('post-processor', postProcessor, postProcessorPathSettings, built, builds)
      }
    }
  }
  return references
}

/** Where a block's settings are in an HCL2 file (`path`), shown as `shown` and the key. */
function site(settings: HclBody, path: JsonPath, shown: string): SettingSite {
  return { body: settings, shown: (key) => `${shown}${key}`, at: (key) => [...path, key] }
}

/** The builds that read a path of a source's settings, as -only names them: those of that source. */
function readingBuilds(built: BlockBuild[]): ReadingBuild[] {
  return built.map(({ name }) => ({ ...(name === undefined ? {} : { name }), skippedBy: [] }))
}

/** The build of `built` that a build block's `source "source.TYPE.NAME" { … }` block makes. */
function sourceBlockBuilds(built: BlockBuild[], source: { labels: string[]; body: HclBody }): BlockBuild[] {
  const ref = sourceReferenceName(source.labels[0])
  if (ref === undefined) return []
  const [type, defined] = ref.split('.')
  const name = typeof source.body.name === 'string' ? source.body.name : defined
  return built.filter((each) => each.source === ref && each.selected === `${type}.${name}`)
}

/** The source's name, as a block's only/except select it, of the build of `built` named `name`. */
function selectedOf(built: BlockBuild[], name: string | undefined): string | undefined {
  return name === undefined ? undefined : built.find((build) => build.name === name)?.selected
}

/**
 * The `build.*` attributes the settings of the build blocks' post-processors read, each where it
 * is written, with the builds that run it: which of them a Packer fills in at build time depends
 * on its version, on the build's communicator and on only/except (build-variables.ts). Each
 * setting is placed only when it reads one, which few do.
 */
export async function hclBuildVariableUses(read: HclFileRead[], scope: HclScope): Promise<BuildVariableUse[]> {
  const { attributesOf } = await import('./hcl-parser.js')
  const sources = sourceDefinitions(read.map(({ body }) => body))
  const uses: BuildVariableUse[] = []
  for (const { file, body, place } of read) {
    const found: Array<Omit<BuildVariableUse, 'file' | 'line' | 'column'> & { at: JsonPath }> = []
    const visit = async (value: unknown, at: JsonPath, block: { type: string; builds: BuildOfUse[] }): Promise<void> => {
      if (typeof value === 'string') {
        for (const attribute of await attributesOf('build', value)) found.push({ at, attribute, block: 'post-processor', ...block })
      } else if (Array.isArray(value)) {
        for (const [index, inner] of value.entries()) await visit(inner, [...at, index], block)
      } else if (isRecord(value)) {
        for (const [key, inner] of Object.entries(value)) await visit(inner, [...at, key], block)
      }
    }
    for (const build of blocksAt(body.build, ['build'], 0)) {
      for (const { labels, body: settings, path, builds } of await postProcessorsOf(build, sources, scope)) {
        await visit(settings, path, { type: labels[0], builds })
      }
    }
    if (found.length === 0) continue
    const shown = workspaceRelative(file, process.cwd())
    for (const { at, ...use } of found) uses.push({ ...use, file: shown, ...(await place(at)) })
  }
  return uses
}

/**
 * A build block's post-processors, each with the builds that run it: its own only/except may
 * leave some out, and an except entry skips it by its name or that of one before it in its chain.
 * Packer runs each post-processor block of a build as a chain of its own, and a post-processors
 * block as one chain.
 */
async function postProcessorsOf(
  build: { body: HclBody; path: JsonPath },
  sources: Map<string, HclBody>,
  scope: HclScope
): Promise<Array<{ labels: string[]; body: HclBody; path: JsonPath; builds: BuildOfUse[] }>> {
  const single = blocksAt(build.body['post-processor'], [...build.path, 'post-processor'], 1).map((block) => [block])
  const chains = blocksAt(build.body['post-processors'], [...build.path, 'post-processors'], 0).map((chain) =>
    blocksAt(chain.body['post-processor'], [...chain.path, 'post-processor'], 1)
  )
  if (single.length === 0 && chains.length === 0) return []
  const built = await blockBuilds(build.body, sources, scope)
  return [...single, ...chains].flatMap((chain) =>
    chain.map((block, index) => ({
      ...block,
      builds: built
        .filter(({ selected }) => runsFor(block.body, selected))
        .map(({ selected, ...each }): BuildOfUse => {
          const before = chain.slice(0, index).filter((earlier) => runsFor(earlier.body, selected))
          return { ...each, skippedBy: [...before, block].map(({ labels: [type], body: earlier }) => postProcessorName(type, earlier)) }
        })
    }))
  )
}

/**
 * The provisioners of the build blocks that provisionerProblems checks (checkedProvisioners), and
 * their shell-local post-processors, each where it is written, with the builds that run it: its own
 * only/except may leave some out, and a build connects none only where its communicator is written
 * "none"; a shell-local's scripts with where each is written. A build block's
 * error-cleanup-provisioner too, which Packer runs through the same communicator once the build
 * has failed, from Packer 1.7.0 on: before, Packer refuses the block itself (awaitsPackerVersion).
 */
export async function hclProvisionerUses(read: HclFileRead[]): Promise<ProvisionerUse[]> {
  const sources = sourceDefinitions(read.map(({ body }) => body))
  // Only a communicator written "none" counts: a variable's value may come from where the job does not look.
  const scope: HclScope = { variables: new Map() }
  const uses: ProvisionerUse[] = []
  for (const { file, body, place } of read) {
    for (const build of blocksAt(body.build, ['build'], 0)) {
      // Packer refuses a second error-cleanup-provisioner of a build block ("Only one … is allowed").
      const cleanup = blocksAt(build.body['error-cleanup-provisioner'], [...build.path, 'error-cleanup-provisioner'], 1).slice(0, 1)
      const provisioners = [
        ...blocksAt(build.body.provisioner, [...build.path, 'provisioner'], 1).map((block) => ({ ...block, block: 'provisioner' as const })),
        ...cleanup.map((block) => ({ ...block, block: 'error-cleanup-provisioner' as const }))
      ].filter(({ labels }) => checkedProvisioners.includes(labels[0]))
      const postProcessors = (await postProcessorsOf(build, sources, scope)).filter(({ labels }) => labels[0] === 'shell-local')
      if (provisioners.length === 0 && postProcessors.length === 0) continue
      const built = await blockBuilds(build.body, sources, scope)
      const blocks = [
        // An error-cleanup-provisioner's own only/except leave builds out too (GetBuilds, from Packer 1.7.0).
        ...provisioners.map((block) => ({
          ...block,
          builds: built.filter(({ selected }) => runsFor(block.body, selected)).map(({ selected: _, ...each }): BuildOfUse => ({ ...each, skippedBy: [] }))
        })),
        ...postProcessors.map((block) => ({ ...block, block: 'post-processor' as const }))
      ]
      const shown = workspaceRelative(file, process.cwd())
      for (const { labels, body: settings, path, block, builds } of blocks) {
        const location = { file: shown, ...(await place(path)) }
        const use: ProvisionerUse = { type: labels[0], block, kind: 'hcl', location, builds, disabled: literalBoolean(settings.disable) }
        // A path made from variables or templates is only Packer's to read.
        const literal = (text: string): boolean => !/\$\{|%\{|\{\{/.test(text)
        const written = use.type === 'shell-local' ? shellLocalScripts(settings, literal) : use.type === 'shell' ? binaryShellScripts(settings, literal) : []
        if (use.type === 'shell-local' || written.length > 0) {
          use.scripts = await Promise.all(written.map(async ({ path: script, at }) => ({ path: script, location: { file: shown, ...(await place([...path, ...at])) } })))
        }
        if (use.type === 'shell-local') {
          const reads = await hclConnectionReads(settings, path, block, shown, place)
          if (reads.length > 0) use.connectionReads = reads
        }
        uses.push(use)
      }
    }
  }
  return uses
}

/**
 * What the settings of a shell-local provisioner or post-processor read of the values only a
 * communicator gives a build, each on its string: a provisioner's `${build.Host}`, which HCL2
 * fills in as the provisioner runs, "<unknown>" in a build that connects none (a post-processor's
 * fails instead before Packer 1.7.7: buildVariableProblems); and Go's `{{ .Host }}` or
 * `{{ build `Host` }}` in a command (goConnectionReads). Measured with Packer 1.6.6 on the loopback
 * endpoint. A provisioner with an override, which may give a build other settings, is left to Packer.
 */
async function hclConnectionReads(
  settings: HclBody,
  path: JsonPath,
  block: ProvisionerUse['block'],
  shown: string,
  place: HclFileRead['place']
): Promise<ConnectionRead[]> {
  if (block === 'error-cleanup-provisioner' || settings.override !== undefined) return []
  const { attributesOf, stringParts } = await import('./hcl-parser.js')
  const found: Array<Omit<ConnectionRead, 'location'> & { at: JsonPath }> = []
  const visit = async (value: unknown, at: JsonPath, name: string, setting: string): Promise<void> => {
    if (Array.isArray(value)) {
      for (const [index, inner] of value.entries()) await visit(inner, [...at, index], name, setting)
    } else if (isRecord(value)) {
      for (const [key, inner] of Object.entries(value)) await visit(inner, [...at, key], name, `${key} in ${name}`)
    } else if (typeof value === 'string') {
      const command = name === 'execute_command'
      if (block === 'provisioner') {
        for (const attribute of await attributesOf('build', value)) {
          if (connectionAttributes.includes(attribute)) found.push({ setting, read: `build.${attribute}`, attribute, gets: '<unknown>', command, at })
        }
      }
      if (!value.includes('{{')) return
      // Only the text written as such is Go's to render: an interpolation's value is left to Packer.
      const parts = await stringParts(value)
      const text = (parts ?? []).map((part) => ('literal' in part ? part.literal : ' ')).join('')
      for (const read of goConnectionReads(text, command, 'hcl')) found.push({ setting, ...read, at })
    }
  }
  for (const [name, value] of Object.entries(settings)) {
    if (name !== 'only' && name !== 'except') await visit(value, [...path, name], name, name)
  }
  return Promise.all(found.map(async ({ at, ...read }) => ({ ...read, location: { file: shown, ...(await place(at)) } })))
}

/**
 * The strings of the provisioners and post-processors that a build runs (their own only/except
 * may leave them out of every build, where Packer prepares none of their settings) that read
 * Go's template data where Packer does not give it (hclTemplateDataMistake): a shell's
 * execute_command reading a field its command does not have, a field in its inline or
 * environment_vars. One problem each, on the string.
 */
export async function hclTemplateDataProblems(read: HclFileRead[]): Promise<InputProblem[]> {
  const sources = sourceDefinitions(read.map(({ body }) => body))
  const scope: HclScope = { variables: new Map() }
  const problems: InputProblem[] = []
  for (const { file, body, place } of read) {
    const shown = workspaceRelative(file, process.cwd())
    for (const build of blocksAt(body.build, ['build'], 0)) {
      const built = await blockBuilds(build.body, sources, scope)
      const blocks = [
        ...blocksAt(build.body.provisioner, [...build.path, 'provisioner'], 1)
          .filter(({ body: settings }) => built.some(({ selected }) => runsFor(settings, selected)))
          .map((block) => ({ ...block, kind: 'provisioner' as const })),
        ...(await postProcessorsOf(build, sources, scope)).filter(({ builds }) => builds.length > 0).map((block) => ({ ...block, kind: 'post-processor' as const }))
      ]
      for (const { labels, body: settings, path, kind } of blocks) {
        for (const [name, value] of Object.entries(settings)) {
          const written: Array<[unknown, JsonPath]> = Array.isArray(value) ? value.map((entry, index) => [entry, [...path, name, index]]) : [[value, [...path, name]]]
          for (const [text, at] of written) {
            if (typeof text !== 'string' || !text.includes('{{')) continue
            // The parser loads only for a template that has Go's templates there.
            const { stringParts } = await import('./hcl-parser.js')
            const parts = await stringParts(text)
            const mistake = parts === undefined ? undefined : hclTemplateDataMistake(kind, labels[0], name, parts)
            if (mistake === undefined) continue
            problems.push({ message: `template: ${shown}: ${name} of ${kind} "${labels[0]}" ${mistake}`, location: { file: shown, ...(await place(at)) } })
          }
        }
      }
    }
  }
  return problems
}

/** The tag blocks of an Amazon source (`tag { key = … value = … }`), each with the map Packer 1.6.6 adds it to and the attribute its key is. */
const tagBlocks: Record<string, { map: string; key: string }> = {
  tag: { map: 'tags', key: 'key' },
  run_tag: { map: 'run_tags', key: 'key' },
  snapshot_tag: { map: 'snapshot_tags', key: 'key' },
  spot_tag: { map: 'spot_tags', key: 'key' },
  run_volume_tag: { map: 'run_volume_tags', key: 'name' }
}

/**
 * The strings of the Amazon sources a build block builds that read template data Packer does not
 * give there as the build runs (hclSourceDataMistake): ami_description, a tag's value or key in
 * tags, run_tags… or a tag block. One problem each, on the string, or on the key. A map given as
 * a local (`tags = local.common_tags`), or merged with one (`merge(local.common_tags, { … })`),
 * is read in the `locals` block that writes it, and the problem is on its string there. The text
 * of a variable, of a local given any other way, and a dynamic block's, are left to Packer.
 */
export async function hclSourceDataProblems(read: HclFileRead[], scope: HclScope = { variables: new Map() }): Promise<InputProblem[]> {
  const problems: InputProblem[] = []
  const locals = writtenLocals(read)
  for (const { file, shown, source, settings, path, placeOf } of builtAmazonSources(read)) {
    const checked = async (
      setting: string,
      text: unknown,
      written: string,
      at: () => Promise<{ line?: number; column?: number }>,
      where: { shown: string; from?: string } = { shown }
    ): Promise<void> => {
      if (typeof text !== 'string' || !text.includes('{{')) return
      // The parser loads only for a template that has Go's templates there.
      const { stringParts } = await import('./hcl-parser.js')
      const parts = await stringParts(text)
      const mistake = parts === undefined ? undefined : hclSourceDataMistake(source.split('.')[0], setting, settings, parts)
      const from = where.from === undefined ? '' : ` (in ${where.from})`
      if (mistake !== undefined) problems.push({ message: `template: ${where.shown}: ${written} of source "${source}"${from} ${mistake}`, location: { file: where.shown, ...(await at()) } })
    }
    // Packer renders a tag's key as it renders its value.
    const checkedMap = async (name: string, map: Record<string, unknown>, file: string, at: JsonPath, placeOf: HclFileRead['place'], from?: string): Promise<void> => {
      const where = { shown: workspaceRelative(file, process.cwd()), ...(from !== undefined && { from }) }
      for (const [key, text] of Object.entries(map)) {
        await checked(name, key, `the key ${JSON.stringify(key)} in ${name}`, async () => (await filterNamePlace(file, at, key)) ?? (await placeOf(at)), where)
        await checked(name, text, `${key} in ${name}`, () => stringPlace(file, [...at, key], placeOf), where)
      }
    }
    for (const [name, value] of Object.entries(settings)) {
      const at = [...path, name]
      const block = Object.hasOwn(tagBlocks, name) ? tagBlocks[name] : undefined
      if (block !== undefined) {
        for (const tag of blocksAt(value, at, 0)) {
          for (const attribute of [block.key, 'value']) await checked(block.map, tag.body[attribute], `${attribute} of ${name}`, () => placeOf([...tag.path, attribute]))
        }
      } else if (isRecord(value)) await checkedMap(name, value, file, at, placeOf)
      else {
        for (const { local, replaced } of await givenLocals(value, scope)) {
          const written = locals.get(local)
          if (written === undefined || !isRecord(written.value)) continue
          const kept = Object.fromEntries(Object.entries(written.value).filter(([key]) => !replaced.has(key)))
          await checkedMap(name, kept, written.read.file, written.path, written.read.place, `local.${local}`)
        }
        await checked(name, value, name, () => stringPlace(file, at, placeOf))
      }
    }
  }
  return problems
}

/** The locals written in `locals` blocks, by name: each with its value as the parser gives it, its file, and where it is in it. */
function writtenLocals(read: HclFileRead[]): Map<string, { value: unknown; read: HclFileRead; path: JsonPath }> {
  const locals = new Map<string, { value: unknown; read: HclFileRead; path: JsonPath }>()
  for (const file of read) {
    for (const { body, path } of blocksAt(file.body.locals, ['locals'], 0)) {
      for (const [name, value] of Object.entries(body)) locals.set(name, { value, read: file, path: [...path, name] })
    }
  }
  return locals
}

/**
 * The locals a setting is given whole: `local.NAME`, or each `local.NAME` that `merge` is given,
 * with the keys a later map of the merge gives anew (knownMapKeys). A local that a later map may
 * give any key after (its keys only Packer knows), and anything else, are left to Packer.
 */
async function givenLocals(value: unknown, scope: HclScope): Promise<Array<{ local: string; replaced: Set<string> }>> {
  if (typeof value !== 'string' || !value.startsWith('${')) return []
  const { functionCall } = await import('./hcl-parser.js')
  const local = async (expression: unknown): Promise<string | undefined> => {
    if (typeof expression !== 'string') return undefined
    const reference = await loneReference(expression)
    return reference !== undefined && 'local' in reference ? reference.local : undefined
  }
  const call = await functionCall(value)
  if (call === undefined) {
    const name = await local(value)
    return name === undefined ? [] : [{ local: name, replaced: new Set() }]
  }
  if (call.name !== 'merge') return []
  const given: Array<{ local: string; replaced: Set<string> }> = []
  for (const [index, arg] of call.args.entries()) {
    const name = await local(arg)
    if (name === undefined) continue
    const later = await Promise.all(call.args.slice(index + 1).map((after) => knownMapKeys(after, scope)))
    if (later.some(({ partial }) => partial)) continue
    given.push({ local: name, replaced: new Set(later.flatMap(({ keys }) => keys)) })
  }
  return given
}

/**
 * A provisioner's `pause_before` or `timeout` that Go's time.ParseDuration, which Packer reads
 * them with, refuses (`"10"`, which has no unit): Packer 1.6.6 crashes on one in an HCL2
 * template, printing a stack trace and naming no file. One problem each, on the setting.
 */
export async function hclDurationProblems(read: HclFileRead[], scope: HclScope): Promise<InputProblem[]> {
  const problems: InputProblem[] = []
  for (const { file, body, place: placeOf } of read) {
    const shown = workspaceRelative(file, process.cwd())
    for (const build of blocksAt(body.build, ['build'], 0)) {
      for (const kind of ['provisioner', 'error-cleanup-provisioner']) {
        for (const { labels, body: settings, path } of blocksAt(build.body[kind], [...build.path, kind], 1)) {
          for (const name of ['pause_before', 'timeout']) {
            const written = settings[name]
            const value = typeof written === 'string' ? await hclStringValue(written, scope) : undefined
            if (value === undefined || value === '' || isGoDuration(value)) continue
            const place = await placeOf([...path, name])
            problems.push({
              message:
                `template: ${shown}: ${name} of ${kind} "${labels[0]}" expected a duration, a number and a unit ` +
                `(ns, us, ms, s, m, h) such as "30s", "5m" or "1h30m", found "${value}"`,
              location: { file: shown, ...place }
            })
          }
        }
      }
    }
  }
  return problems
}

/**
 * The `region` and `ami_regions` of Amazon source blocks whose value, known before the build,
 * holds a region with white space in it: a list entry, or a piece of `split(",", …)`, which keeps
 * the spaces around the commas (`"us-west-2, eu-west-1"`), in a source that a build block builds.
 * One problem each, on the setting.
 */
export async function hclRegionProblems(read: HclFileRead[], scope: HclScope): Promise<InputProblem[]> {
  const problems: InputProblem[] = []
  for (const { shown, source, settings, path, placeOf } of builtAmazonSources(read)) {
    for (const setting of ['region', 'ami_regions'] as const) {
      const written = settings[setting]
      let regions: Array<string | undefined> = []
      let list: { value: string; splits: string } | undefined
      const alone = setting === 'region' && typeof written === 'string'
      const listed = alone ? undefined : await listEntries(written, scope)
      if (alone) regions = [await hclStringValue(written, scope)]
      else if (listed !== undefined) regions = listed
      else if (typeof written === 'string') {
        const splitOf = /^\$\{split\(\s*","\s*,\s*([\s\S]+)\)\}$/.exec(written)?.[1]
        const value = splitOf === undefined ? undefined : await hclStringValue(`\${${splitOf}}`, scope)
        if (value !== undefined) {
          regions = value.split(',')
          list = { value, splits: 'split(",", …) splits it' }
        }
      }
      const spaced = spacedRegions(regions)
      if (spaced.length === 0) continue
      const place = await placeOf([...path, setting])
      problems.push({
        message: `template: ${shown}: ${setting} of source "${source}" ${regionMistake(setting, spaced, list)}`,
        location: { file: shown, ...place }
      })
    }
  }
  return problems
}

/**
 * The Amazon source blocks that a build block builds as written, each with its file as the log
 * names it: only those are Packer's to refuse, as a source block inside the build block may set
 * their settings anew.
 */
function* builtAmazonSources(read: HclFileRead[]): Generator<{
  file: string
  shown: string
  source: string
  settings: Record<string, unknown>
  path: Array<string | number>
  placeOf: HclFileRead['place']
}> {
  const builds = read.flatMap(({ body }) => blocksAt(body.build, ['build'], 0))
  const built = new Set(builds.flatMap((build) => (Array.isArray(build.body.sources) ? build.body.sources : [])))
  const rewritten = new Set(builds.flatMap((build) => Object.keys(asObject(build.body.source)).map((name) => name.replace(/^source\./, ''))))
  for (const { file, body, place: placeOf } of read) {
    const shown = workspaceRelative(file, process.cwd())
    for (const { labels, body: settings, path } of blocksAt(body.source, ['source'], 2)) {
      const source = labels.join('.')
      if (labels[0].startsWith('amazon-') && built.has(`source.${source}`) && !rewritten.has(source)) yield { file, shown, source, settings, path, placeOf }
    }
  }
}

/**
 * The filter names of Amazon source blocks' source_ami_filter that imageFilterMistake refuses, a
 * small edit from one EC2 knows: EC2 refuses them only once the build has started. One problem
 * each, on the name.
 */
export async function hclImageFilterProblems(read: HclFileRead[]): Promise<InputProblem[]> {
  const problems: InputProblem[] = []
  for (const { file, shown, source, settings, path, placeOf } of builtAmazonSources(read)) {
    for (const filter of blocksAt(settings.source_ami_filter, [...path, 'source_ami_filter'], 0)) {
      const { filters } = filter.body
      if (!isRecord(filters)) continue
      for (const name of Object.keys(filters)) {
        const mistake = imageFilterMistake(name)
        if (mistake === undefined) continue
        const at = [...filter.path, 'filters']
        const place = (await filterNamePlace(file, at, name)) ?? (await placeOf(at))
        problems.push({ message: `template: ${shown}: source_ami_filter of source "${source}" ${mistake}`, location: { file: shown, ...place } })
      }
    }
  }
  return problems
}

/**
 * The volume_type of Amazon source blocks' block device mappings (launch_block_device_mappings,
 * ami_block_device_mappings, ebs_volumes) whose value, known before the build, is no EBS volume
 * type (volumeTypeMistake): EC2 refuses it only once the build has started. One problem each,
 * on the setting.
 */
export async function hclVolumeTypeProblems(read: HclFileRead[], scope: HclScope): Promise<InputProblem[]> {
  const problems: InputProblem[] = []
  for (const { shown, source, settings, path, placeOf } of builtAmazonSources(read)) {
    for (const setting of deviceMappingSettings) {
      for (const mapping of blocksAt(settings[setting], [...path, setting], 0)) {
        const written = mapping.body.volume_type
        const value = typeof written === 'string' ? await hclStringValue(written, scope) : undefined
        const mistake = value === undefined ? undefined : volumeTypeMistake(setting, value)
        if (mistake === undefined) continue
        problems.push({
          message: `template: ${shown}: ${setting} of source "${source}" ${mistake}`,
          location: { file: shown, ...(await placeOf([...mapping.path, 'volume_type'])) }
        })
      }
    }
  }
  return problems
}

/** Where the key `name` of the object at `at` (a source's `filters`) is written in `file`. */
async function filterNamePlace(file: string, at: JsonPath, name: string): Promise<{ line: number; column: number } | undefined> {
  const text = readFileSync(file, 'utf8')
  if (file.endsWith('.pkr.json')) return (await import('./hcl-json.js')).hclJsonPlace(text, [...at, name])
  return (await import('./hcl-parser.js')).objectKeyPosition(file, text, at, name)
}

/**
 * The `ami_users` entries of Amazon source blocks whose value, known before the build, is no AWS
 * account ID (12 digits), as `[var.ami_users]` of a list given to a string variable: EC2 refuses
 * it (InvalidAMIAttributeItemValue) only once the AMI is made, and Packer then deregisters the
 * AMI. One problem each, on the setting.
 */
export async function hclAccountProblems(read: HclFileRead[], scope: HclScope): Promise<InputProblem[]> {
  const problems: InputProblem[] = []
  for (const { shown, source, settings, path, placeOf } of builtAmazonSources(read)) {
    const entries = await listEntries(settings.ami_users, scope)
    const wrong = entries === undefined ? [] : wrongAccounts(entries)
    if (wrong.length === 0) continue
    problems.push({
      message: `template: ${shown}: ami_users of source "${source}" ${accountMistake(wrong)}`,
      location: { file: shown, ...(await placeOf([...path, 'ami_users'])) }
    })
  }
  return problems
}

/**
 * The `iam_instance_profile` of Amazon source blocks whose value, known before the build, is no name
 * IAM takes (instanceProfileMistake), as a placeholder with spaces or an ARN: Packer fails once the
 * build has started. One problem each, on the setting.
 */
export async function hclInstanceProfileProblems(read: HclFileRead[], scope: HclScope): Promise<InputProblem[]> {
  const problems: InputProblem[] = []
  for (const { shown, source, settings, path, placeOf } of builtAmazonSources(read)) {
    const written = settings.iam_instance_profile
    const value = typeof written === 'string' ? await hclStringValue(written, scope) : undefined
    const mistake = value === undefined ? undefined : instanceProfileMistake(value)
    if (mistake === undefined) continue
    problems.push({
      message: `template: ${shown}: iam_instance_profile of source "${source}" ${mistake}`,
      location: { file: shown, ...(await placeOf([...path, 'iam_instance_profile'])) }
    })
  }
  return problems
}

/**
 * The references of an HCL2 template that are not where Packer runs, but beside the template or
 * in one of its parents (misplacedReferences): one error each, on the setting, or on its entry
 * of a list written as such.
 */
export async function hclMisplacedReferences(
  read: HclFileRead[],
  references: TemplateReference[],
  where: { workingDirectory: string; template: string; workspace: string }
): Promise<InputProblem[]> {
  return onTheirValues(read, misplacedReferences(references, { kind: 'hcl', ...where }), where.workspace)
}

/**
 * The references of an HCL2 template that are not there at all (missingReferences): one error
 * each, placed as hclMisplacedReferences places them.
 */
export async function hclMissingReferences(
  read: HclFileRead[],
  references: TemplateReference[],
  where: { workingDirectory: string; template: string; workspace: string }
): Promise<MissingFileProblem[]> {
  const missing = missingReferences(references, { kind: 'hcl', ...where })
  const placed = await onTheirValues(read, missing, where.workspace)
  return placed.map((problem, index) => withBuilds(problem, missing[index].reference))
}

/** Each reference's message on its setting, or on its entry of a list written as such. */
function onTheirValues(read: HclFileRead[], found: MisplacedReference[], workspace: string): Promise<InputProblem[]> {
  return Promise.all(
    found.map(async ({ reference, message }) => {
      const fileRead = read.find(({ file }) => file === reference.file)
      return { message, location: { file: workspaceRelative(reference.file, workspace), ...(fileRead ? await fileRead.place(reference.at) : {}) } }
    })
  )
}

/**
 * The entries of a list setting, known before the build: a written list's strings evaluated, or
 * the list of an input variable the setting is alone (`${var.regions}`); undefined when it is
 * neither. An entry that is not a string, or not known before the build, is undefined.
 */
async function listEntries(written: unknown, scope: HclScope): Promise<Array<string | undefined> | undefined> {
  if (Array.isArray(written)) return Promise.all(written.map((entry) => (typeof entry === 'string' ? hclStringValue(entry, scope) : undefined)))
  const name = typeof written === 'string' ? onlyHclVariable(written) : undefined
  const value = name === undefined ? undefined : scope.variables.get(name)
  return Array.isArray(value) ? value.map((entry) => (typeof entry === 'string' ? entry : undefined)) : undefined
}

/** The input variable a setting as the parser gives it is alone (`${var.subnet}`), when it is one. */
export function onlyHclVariable(written: string): string | undefined {
  return /^\$\{var\.([A-Za-z_][\w-]*)\}$/.exec(written)?.[1]
}

/**
 * A provisioner's or post-processor's `only` or `except` entry that names no source of its build
 * block: Packer 1.6.6 matches them against `TYPE.NAME` and says nothing of one that matches none,
 * so that `only = ["source.amazon-ebs.web"]`, as a source is named in `sources`, runs the
 * provisioner in no build, or writes no manifest. One warning each, on the setting, with the
 * source it is near.
 */
export async function hclSelectionWarnings(read: HclFileRead[]): Promise<InputProblem[]> {
  const warnings: InputProblem[] = []
  for (const { file, body, place: placeOf } of read) {
    const shown = workspaceRelative(file, process.cwd())
    for (const build of blocksAt(body.build, ['build'], 0)) {
      // A source block in the build may rename the build, or add a source whose name only Packer
      // knows; a dynamic one makes sources only Packer knows.
      if (build.body.source !== undefined || dynamicBlocks(build.body, 'source').length > 0) continue
      const sources = hclBuildSources(build.body)
      const chains = blocksAt(build.body['post-processors'], [...build.path, 'post-processors'], 0)
      const selecting = [
        ...blocksAt(build.body.provisioner, [...build.path, 'provisioner'], 1).map((block) => ({ ...block, kind: 'provisioner' })),
        ...[build, ...chains].flatMap(({ body: chain, path: at }) =>
          blocksAt(chain['post-processor'], [...at, 'post-processor'], 1).map((block) => ({ ...block, kind: 'post-processor' }))
        )
      ]
      for (const { labels, body: settings, path, kind } of selecting) {
        for (const option of ['only', 'except']) {
          const names = Array.isArray(settings[option]) ? (settings[option] as unknown[]) : []
          for (const name of names) {
            if (typeof name !== 'string' || name.includes('${') || sources.includes(name)) continue
            const meant = sources.find((source) => name === `source.${source}`) ?? meantName(name, sources)
            const runs = option === 'only' ? 'in none of its builds' : 'in all of its builds'
            const place = await placeOf([...path, option])
            warnings.push({
              message:
                `template: ${shown}: ${option} of ${kind} "${labels[0]}" names "${name}", which is not a source of its build ` +
                `(${sources.join(', ')}), so Packer runs the ${kind} ${runs}. Packer names a source TYPE.NAME there` +
                (meant === undefined ? '.' : `: did you mean "${meant}"?`),
              location: { file: shown, ...place }
            })
          }
        }
      }
    }
  }
  return warnings
}

/**
 * A template whose build blocks build no source (a `build` block without `sources` or a `source`
 * block, or no `build` block at all): packer validate accepts it, and packer build has nothing
 * to build, which Packer 1.6.6 calls a success and newer versions fail with "No builds to run",
 * either way after the job has installed and validated. One problem, on the first build block,
 * else on the template's first file, with the source to list when the template defines one.
 */
export async function hclBuildlessProblems(read: HclFileRead[]): Promise<InputProblem[]> {
  if (read.length === 0 || hclBuildCount(read.map(({ body }) => body)) !== 0) return []
  const defined = read.flatMap(({ body }) => blocksAt(body.source, ['source'], 2)).map(({ labels }) => labels.join('.'))
  const example = `sources = ["source.${defined[0] ?? 'amazon-ebs.NAME'}"]`
  const nothing =
    'packer validate accepts it, but Packer has no build to run: Packer 1.6.6 succeeds without building anything, ' +
    'newer versions fail with "No builds to run"'
  const legacy = await legacyJsonProblem(read)
  if (legacy !== undefined) return [legacy]
  for (const { file, body, place: placeOf } of read) {
    const [build] = blocksAt(body.build, ['build'], 0)
    if (build === undefined) continue
    const shown = workspaceRelative(file, process.cwd())
    const place = await placeOf(build.path)
    const lacks = build.body.sources === undefined ? 'it has neither "sources" nor a "source" block' : 'its "sources" is empty, and it has no "source" block'
    const message =
      `template: ${shown}: the build block builds no source (${lacks}): ${nothing}. ` +
      `List the sources it builds: ${example}.`
    return [{ message, location: { file: shown, ...place } }]
  }
  const shown = workspaceRelative(read[0].file, process.cwd())
  const message = `template: ${shown}: the template has no build block, so it builds no source: ${nothing}. Add one: build { ${example} }.`
  return [{ message, location: { file: shown } }]
}

/**
 * A legacy JSON template (its `builders`) in a file named `.pkr.json`: Packer reads that name as
 * HCL2 in JSON syntax, which has no `builders`, and packer validate refuses the property. It
 * builds nothing, but the fix is the file's name, not a build block.
 */
async function legacyJsonProblem(read: HclFileRead[]): Promise<InputProblem | undefined> {
  const legacy = read.find(({ file, body }) => file.endsWith('.pkr.json') && Array.isArray(body.builders))
  if (legacy === undefined) return undefined
  const shown = workspaceRelative(legacy.file, process.cwd())
  const renamed = basename(shown).replace(/\.pkr\.json$/, '.json')
  const message =
    `template: ${shown}: "builders" belongs to a legacy JSON template, but Packer reads a file whose name ends in .pkr.json ` +
    'as an HCL2 template in JSON syntax, which has no "builders": packer validate refuses it. ' +
    `Name the file ${renamed} to build it as a legacy JSON template, or write its builders as source and build blocks.`
  return { message, location: { file: shown, ...(await legacy.place(['builders'])) } }
}

/** The sources a build block builds, `TYPE.NAME`: its `sources` and its `source "TYPE.NAME"` blocks. */
export function hclBuildSources(build: HclBody): string[] {
  const listed = Array.isArray(build.sources) ? build.sources.filter((source) => typeof source === 'string') : []
  return [...listed, ...Object.keys(asObject(build.source))].map((source) => source.replace(/^source\./, ''))
}

/** Whether Go's time.ParseDuration reads `text`: a sign, then "0" or numbers each with its unit. */
function isGoDuration(text: string): boolean {
  return /^[-+]?(?:0|(?:(?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|μs|ms|s|m|h))+)$/.test(text)
}

/** The name -except skips a post-processor by: its `name`, else its type. */
function postProcessorName(type: string, settings: HclBody): string {
  return typeof settings.name === 'string' && settings.name !== '' ? settings.name : type
}

/**
 * Whether a post-processor's own only/except lets it run in the build of `selected`, the source
 * as Packer names it there (`amazon-ebs.web`), matched whole, not as a glob; undefined when only
 * Packer knows it.
 */
function runsFor(settings: HclBody, selected: string | undefined): boolean {
  const names = (list: unknown): string[] => (Array.isArray(list) ? list.filter((name) => typeof name === 'string') : [])
  const only = names(settings.only)
  if (selected === undefined) return true
  if (only.length > 0) return only.includes(selected)
  return !names(settings.except).includes(selected)
}

/** The template's `source "TYPE" "NAME"` blocks, by `TYPE.NAME`. */
function sourceDefinitions(files: HclBody[]): Map<string, HclBody> {
  const definitions = new Map<string, HclBody>()
  for (const body of files) {
    for (const { labels, body: settings } of blocksAt(body.source, ['source'], 2)) definitions.set(labels.join('.'), settings)
  }
  return definitions
}

/** A source a build block runs, as `TYPE.NAME` when written so, and the settings the block adds to it. */
type BuildSource = { written: unknown; ref?: string; added: HclBody }

/** A build a build block makes, and the source's name as a post-processor's only/except select it. */
type BlockBuild = Omit<BuildOfUse, 'skippedBy'> & { selected?: string }

/**
 * The builds a build block makes, one for each source it runs, named as -only matches them
 * (`BUILD.TYPE.NAME`, NAME the one the block gives the source, if any), each with why it connects
 * no communicator, if it connects none: its communicator is "none" (set in the source, or in the
 * build block's `source` block, which adds settings to it), or it is an amazon-chroot build. A
 * communicator only Packer knows is taken to connect.
 */
async function blockBuilds(build: HclBody, sources: Map<string, HclBody>, scope: HclScope, names: HclScope = { variables: new Map() }): Promise<BlockBuild[]> {
  const listed = (Array.isArray(build.sources) ? build.sources : []).map((written: unknown): BuildSource => ({ written, ref: sourceReferenceName(written), added: {} }))
  const blocks = blocksAt(build.source, ['source'], 1).map(({ labels, body }): BuildSource => ({ written: labels[0], ref: sourceReferenceName(labels[0]), added: body }))
  // Packer before 1.7.9 reads a build block's name without variables or locals, which it refuses
  // there; later ones read them (`names` has their values, where the caller knows them).
  const block = build.name === undefined ? '' : await writtenName(build.name, names)
  const builds: BlockBuild[] = []
  for (const { written, ref, added } of [...listed, ...blocks]) {
    // A source only Packer can read still builds: it runs the block as the others do.
    if (ref === undefined) {
      builds.push({ source: String(written) })
      continue
    }
    const [type, defined] = ref.split('.')
    const given = added.name
    // Packer reads the name a build block's `source` block gives without variables or locals.
    const name = given === undefined ? defined : await writtenName(given, { variables: new Map() })
    const selected = name === undefined ? undefined : `${type}.${name}`
    const communicator = added.communicator ?? sources.get(ref)?.communicator
    const value =
      typeof communicator === 'string' ? await hclStringValue(communicator, { ...scope, build: { source: { type, name: name ?? defined } } }) : undefined
    const fullName = selected === undefined || block === undefined ? undefined : block === '' ? selected : `${block}.${selected}`
    // An amazon-chroot source takes no communicator: it never connects, whatever its settings.
    const without = type === 'amazon-chroot' ? 'chroot' : value === 'none' ? 'none' : undefined
    builds.push({ ...(fullName === undefined ? {} : { name: fullName }), source: ref, ...(without === undefined ? {} : { withoutCommunicator: without }), selected })
  }
  return builds
}

/**
 * A build's or source's `name` as Packer reads it: as written, or the value of what is written
 * in `${ … }` or `%{ … }` (`"${"web"}"`, or variables and locals where `scope` has them); undefined where
 * only Packer knows it.
 */
async function writtenName(written: unknown, scope: HclScope): Promise<string | undefined> {
  if (typeof written !== 'string') return undefined
  if (written.includes('${')) return hclStringValue(written, scope)
  if (!written.includes('%{')) return written
  // A template directive (`%{ if … }`) and no interpolation.
  const { stringParts } = await import('./hcl-parser.js')
  const parts = await stringParts(written)
  return parts && partsValue(parts, scope, 0)
}

/**
 * The names a `name` that only Packer knows may be: its text around what is written in `${ … }`,
 * which may be any text.
 */
async function nameShape(written: unknown): Promise<string> {
  const { stringParts } = await import('./hcl-parser.js')
  const parts = typeof written === 'string' ? await stringParts(written) : undefined
  return parts === undefined ? '.*' : parts.map((part) => ('literal' in part ? escapedForRegExp(part.literal) : '.*')).join('')
}

/**
 * The names Packer may give a build whose name only it knows: `[BUILD.]TYPE.NAME`, each of BUILD
 * (the build block's `name`, which may be empty) and NAME (the `name` its `source` block gives
 * it, else its source's) as written around what only Packer fills in (nameShape).
 */
async function buildShape(blockName: unknown, type: string, name: unknown): Promise<RegExp> {
  const block = blockName === undefined ? '' : `(?:${await nameShape(blockName)}\\.)?`
  return new RegExp(`^${block}${escapedForRegExp(type)}\\.${await nameShape(name)}$`, 's')
}

/** A setting's or block's place in one of a template's files: the file, and the path to it in the file's body. */
type WrittenAt = { file: HclFileRead; path: JsonPath; body: HclBody }

/**
 * A build the build blocks make (blockBuilds), with the source block it builds and, where a
 * build block's `source` block makes it, that block, which adds settings to the source.
 */
interface DefinedBuild {
  each: BlockBuild
  definition: WrittenAt
  override?: WrittenAt
  /** The names Packer may give the build, where only it knows its name (buildShape). */
  shape?: RegExp
  /** The build block that makes it, and its entry of the block's `sources` (its index there), else its `source` block (override). */
  block: WrittenAt
  listedAt?: number
}

/**
 * Each build the build blocks make, in the order Packer reads them (DefinedBuild). Undefined when
 * a build's source is one only Packer reads, or one the template does not define, which packer
 * validate refuses itself, or a dynamic block makes builds (buildsMadeDynamically).
 */
async function definedBuilds(read: HclFileRead[], names?: HclScope): Promise<DefinedBuild[] | undefined> {
  if (buildsMadeDynamically(read.map(({ body }) => body))) return undefined
  const defined = new Map<string, WrittenAt>()
  for (const file of read) {
    for (const { labels, body: settings, path } of blocksAt(file.body.source, ['source'], 2)) defined.set(labels.join('.'), { file, path, body: settings })
  }
  const sources = new Map([...defined].map(([ref, { body }]) => [ref, body]))
  const builds: DefinedBuild[] = []
  for (const file of read) {
    for (const build of blocksAt(file.body.build, ['build'], 0)) {
      const added = blocksAt(build.body.source, [...build.path, 'source'], 1)
      const listed = Array.isArray(build.body.sources) ? build.body.sources.length : 0
      for (const [index, each] of (await blockBuilds(build.body, sources, { variables: new Map() }, names)).entries()) {
        const definition = defined.get(each.source)
        if (definition === undefined) return undefined
        const override = index < listed ? undefined : added[index - listed]
        const shape = each.name === undefined ? await buildShape(build.body.name, each.source.split('.')[0], override?.body.name ?? each.source.split('.')[1]) : undefined
        const block = { file, path: build.path, body: build.body }
        builds.push({ each, definition, ...(override && { override: { file, ...override } }), ...(shape && { shape }), block, ...(index < listed && { listedAt: index }) })
      }
    }
  }
  return builds
}

/**
 * Each build the build blocks make, with its builder type, whether its `skip_create_ami` is
 * written true, or its `skip_save_build_region` with no `ami_regions` (in its source, or in the
 * build block's `source` block that adds to it), and its source block's place, or that
 * setting's (noAmiProblems). Undefined when a build's source is one only Packer reads,
 * or one the template does not define, which packer validate refuses itself.
 */
export async function hclAmiBuilds(read: HclFileRead[], scope: HclScope = { variables: new Map() }, homeRegion?: string): Promise<AmiBuild[] | undefined> {
  const built = await definedBuilds(read)
  if (built === undefined) return undefined
  const builds: AmiBuild[] = []
  for (const { each, definition, override, block, listedAt } of built) {
    const unset = await nullSettings([definition.body, ...(override ? [override.body] : [])], scope)
    // A setting whose value is null in this run is not set, as Packer takes it.
    const asWritten = (key: string): unknown => (unset.has(key) ? undefined : (override?.body[key] ?? definition.body[key]))
    const switches = await switchValues(asWritten, scope)
    const setting = (key: string): unknown => (switches.has(key) ? switches.get(key) : asWritten(key))
    const skipsAmi = literalBoolean(setting('skip_create_ami')) === true
    const skipsBuildRegion = copiesToNoRegion(setting('skip_save_build_region'), setting('ami_regions'))
    // On what makes it none: the setting that counts (the build's `source` block's, else the
    // source's), else the source block.
    const why = skipsAmi ? 'skip_create_ami' : skipsBuildRegion ? 'skip_save_build_region' : undefined
    const at: WrittenAt =
      why !== undefined && override?.body[why] !== undefined
        ? { ...override, path: [...override.path, why] }
        : why !== undefined
          ? { ...definition, path: [...definition.path, why] }
          : definition
    const location = { file: workspaceRelative(at.file.file, process.cwd()), ...(await at.file.place(at.path)) }
    const written = [definition, ...(override ? [override] : [])]
    const tags = { ami: await hclWrittenTags(written, scope, 'tags', 'tag'), snapshots: await hclWrittenTags(written, scope, 'snapshot_tags', 'snapshot_tag') }
    const type = each.source.split('.')[0]
    const { regions, buildRegion, inHomeRegion } = await hclRegionsMade(setting, scope, { type, homeRegion })
    const copies = await hclCopies(override?.body.ami_regions !== undefined ? override : definition, override?.body.region_kms_key_ids !== undefined ? override : definition, scope)
    const sameAmi = sameAmiEachTime(each.source, definition, override)
    const sessionManager = await hclSessionManager(type, setting, scope, override, definition)
    const picksSourceAmi = pickedSourceAmi(setting('source_ami_filter'), await readsDataSource(setting('source_ami'), scope)) ? await hclSourceAmiPlace(override, definition) : undefined
    const picks = picksSourceAmi === undefined ? {} : await hclSourceAmiPick(setting, scope, read, homeRegion)
    const made = {
      source: each.source,
      location: await placeOfUse(block, listedAt, override),
      block: { file: workspaceRelative(block.file.file, process.cwd()), ...(await block.file.place(block.path)) },
      ...(sameAmi === undefined ? {} : { sameAmi })
    }
    builds.push({
      ...(each.name === undefined ? {} : { name: each.name }),
      type,
      skipsAmi,
      ...(skipsBuildRegion ? { skipsBuildRegion } : {}),
      location,
      tags,
      made,
      ...(regions === undefined ? {} : { regions }),
      ...(buildRegion === undefined ? {} : { buildRegion }),
      ...(inHomeRegion ? { buildsInHomeRegion: true as const } : {}),
      ...(copies.length === 0 ? {} : { copies }),
      ...(literalBoolean(setting('force_deregister')) === false ? {} : { mayDeregister: true as const }),
      ...(sessionManager === undefined ? {} : { sessionManager }),
      ...(picksSourceAmi === undefined ? {} : { picksSourceAmi }),
      ...picks,
      ...(namesCredentials(setting)
        ? { ownCredentials: { ...(await hclOwnCredentials(setting, scope)), ...(setsOwnCredentials(setting) ? { stepFree: true as const } : {}) } }
        : {})
    })
  }
  return builds
}

/** The settings of a source (`bodies`: its block, then the build block's `source` block) whose value is null in this run (hclIsNull). */
async function nullSettings(bodies: HclBody[], scope: HclScope): Promise<Set<string>> {
  const unset = new Set<string>()
  for (const key of new Set(bodies.flatMap((body) => Object.keys(body)))) {
    const written = bodies.findLast((body) => body[key] !== undefined)?.[key]
    if (await hclIsNull(written, scope)) unset.add(key)
  }
  return unset
}

/**
 * The values in this run of the settings that decide whether a build makes an AMI where it is
 * made (skip_create_ami, skip_save_build_region) when they are written as an expression this run
 * gives a value (`var.skip_create_ami`, set by -var, a variables file or PKR_VAR_, or an env()
 * default), as Packer decodes them into its boolean: a build whose skip_create_ami a variable
 * makes true makes no AMI, as one that writes true does. Those only Packer works out are left out.
 */
async function switchValues(written: (key: string) => unknown, scope: HclScope): Promise<Map<string, unknown>> {
  const values = new Map<string, unknown>()
  for (const key of ['skip_create_ami', 'skip_save_build_region']) {
    const expression = written(key)
    if (typeof expression !== 'string' || !expression.includes('${')) continue
    const value = await switchValue(expression, scope)
    const decoded = value === undefined ? undefined : literalBoolean(value)
    if (decoded !== undefined) values.set(key, decoded)
  }
  return values
}

/**
 * The value in this run of an input variable that a setting is written as alone
 * (`"${var.skip_create_ami}"`), whatever its type: a `bool` variable's is a boolean, which
 * hclStringValue, made for text, leaves out.
 */
async function variableAlone(expression: string, scope: HclScope): Promise<unknown> {
  const reference = await loneReference(expression)
  return reference !== undefined && 'var' in reference ? scope.variables.get(reference.var) : undefined
}

/**
 * Where a build's `ssh_interface` is written (in the build block's `source` block that sets it,
 * else in its source block), when the build connects through Session Manager with the run's
 * values (connectsThroughSessionManager).
 */
async function hclSessionManager(
  type: string,
  setting: (key: string) => unknown,
  scope: HclScope,
  override: WrittenAt | undefined,
  definition: WrittenAt
): Promise<ProblemLocation | undefined> {
  const value = async (key: string): Promise<string | undefined | null> => {
    const written = setting(key)
    return written === undefined ? null : typeof written === 'string' ? hclStringValue(written, scope) : undefined
  }
  if (!connectsThroughSessionManager(type, (await value('ssh_interface')) ?? undefined, await value('communicator'))) return undefined
  const at = override?.body.ssh_interface !== undefined ? override : definition
  return { file: workspaceRelative(at.file.file, process.cwd()), ...(await at.file.place([...at.path, 'ssh_interface'])) }
}

/**
 * Whether a setting as the parser gives it reads a data source (`data.amazon-ami.base.id`), which
 * Packer runs only as it builds: itself, or through the locals it reads.
 */
async function readsDataSource(written: unknown, scope: HclScope, depth = 0): Promise<boolean> {
  if (typeof written !== 'string' || !written.includes('${')) return false
  const { attributesOf } = await import('./hcl-parser.js')
  if ((await attributesOf('data', written)).length > 0) return true
  if (depth >= maxLocalDepth) return false
  for (const local of await attributesOf('local', written)) if (await readsDataSource(scope.locals?.get(local), scope, depth + 1)) return true
  return false
}

/** Where an HCL2 build picks its source AMI (AmiBuild.picksSourceAmi): on the setting that counts, the build's `source` block's, else the source's. */
async function hclSourceAmiPlace(override: WrittenAt | undefined, definition: WrittenAt): Promise<ProblemLocation> {
  const key = [override, definition].some((at) => at?.body.source_ami_filter !== undefined) ? 'source_ami_filter' : 'source_ami'
  const at = override?.body[key] !== undefined ? override : definition
  // A block is written as a list of its bodies: its place is its first's.
  return { file: workspaceRelative(at.file.file, process.cwd()), ...(await at.file.place(key === 'source_ami_filter' ? [...at.path, key, 0] : [...at.path, key])) }
}

/**
 * How the action can ask which AMI an HCL2 build picks as it builds: its `source_ami_filter`
 * (hclSourceAmiFilter), else the `data "amazon-ami"` block's filter, or the `data
 * "amazon-parameterstore"` block's parameter, that its `source_ami` reads alone (hclDataSource).
 * Empty where only Packer can tell.
 */
async function hclSourceAmiPick(
  setting: (key: string) => unknown,
  scope: HclScope,
  read: HclFileRead[],
  homeRegion: string | undefined
): Promise<Pick<AmiBuild, 'sourceAmiFilter' | 'sourceAmiParameter'>> {
  if (setting('source_ami_filter') !== undefined) {
    const filter = await hclSourceAmiFilter(setting, scope)
    return filter === undefined ? {} : { sourceAmiFilter: filter }
  }
  const data = await hclDataSource(setting('source_ami'), read, scope, homeRegion)
  if (data?.type === 'amazon-parameterstore') {
    const name = data.setting('name')
    const value = typeof name === 'string' ? await hclStringValue(name, scope) : undefined
    return value ? { sourceAmiParameter: { dataSource: data.name, name: value, region: data.region } } : {}
  }
  if (data?.type !== 'amazon-ami') return {}
  const filter = await hclFilterOf(data.setting, scope, null)
  return filter === undefined ? {} : { sourceAmiFilter: { ...filter, dataSource: { name: data.name, region: data.region } } }
}

/**
 * An HCL2 build's `source_ami_filter` block with the run's values (sourceAmiFilterOf): `filters`
 * written as a map, or as a variable that is one; `owners` as a list, or a variable that is one;
 * `most_recent` and `include_deprecated` as written, or as a variable alone or text this run gives.
 */
async function hclSourceAmiFilter(setting: (key: string) => unknown, scope: HclScope): Promise<SourceAmiFilter | undefined> {
  const blocks = bodies(setting('source_ami_filter'))
  if (blocks.length !== 1) return undefined
  const [block] = blocks
  const written = setting('source_ami')
  return hclFilterOf((key) => block[key], scope, written === undefined ? null : typeof written === 'string' ? await hclStringValue(written, scope) : undefined)
}

/**
 * The filter of a `source_ami_filter` block, or of a `data "amazon-ami"` block (AmiFilterOptions
 * both), from its settings (`setting`) with the run's values, and the `source_ami` beside it.
 */
async function hclFilterOf(setting: (key: string) => unknown, scope: HclScope, sourceAmi: string | undefined | null): Promise<SourceAmiFilter | undefined> {
  return sourceAmiFilterOf({
    filters: await hclFilters(setting('filters'), scope),
    owners: setting('owners') === undefined ? [] : await listEntries(setting('owners'), scope),
    mostRecent: await switchValue(setting('most_recent'), scope),
    includeDeprecated: await switchValue(setting('include_deprecated'), scope),
    sourceAmi
  })
}

/** The attribute of each data source Packer's amazon plugin runs that gives a source AMI's ID. */
const sourceAmiAttributes: Record<string, string> = { 'amazon-ami': 'id', 'amazon-parameterstore': 'value' }

/**
 * The data source (its `type` and `name`, its settings as this run has them) whose source AMI
 * attribute a setting reads alone (`data.amazon-ami.base.id`, `data.amazon-parameterstore.base.value`),
 * itself or through a local that reads it alone, and the region Packer runs it in: its `region`, else the home region, which Packer is given as
 * AWS_REGION; it asks with the step's credentials, whatever the build's. Undefined where the
 * template defines no such block once, the block names credentials of its own, or its region is
 * one only Packer works out.
 */
async function hclDataSource(
  written: unknown,
  read: HclFileRead[],
  scope: HclScope,
  homeRegion: string | undefined,
  depth = 0
): Promise<{ type: string; name: string; setting: (key: string) => unknown; region: string } | undefined> {
  if (typeof written !== 'string' || !written.startsWith('${')) return undefined
  const { traversalNames } = await import('./hcl-parser.js')
  const [root, type, name, attribute, ...more] = (await traversalNames(written)) ?? []
  // A local that is such a read alone (`base_ami = data.amazon-ami.base.id`) reads it too.
  if (root === 'local' && name === undefined && depth < maxLocalDepth) return hclDataSource(scope.locals?.get(type), read, scope, homeRegion, depth + 1)
  if (root !== 'data' || sourceAmiAttributes[type] === undefined || attribute !== sourceAmiAttributes[type] || more.length > 0) return undefined
  const blocks = read.flatMap((file) => blocksAt(file.body.data, ['data'], 2).filter(({ labels }) => labels[0] === type && labels[1] === name))
  if (blocks.length !== 1) return undefined
  const [{ body }] = blocks
  const unset = await nullSettings([body], scope)
  const setting = (key: string): unknown => (unset.has(key) ? undefined : body[key])
  if (namesCredentials(setting)) return undefined
  const writtenRegion = setting('region')
  const region = writtenRegion === undefined ? homeRegion : typeof writtenRegion === 'string' ? await hclStringValue(writtenRegion, scope) : undefined
  return region ? { type, name, setting, region } : undefined
}

/** A switch of a filter (`most_recent`) as written, or as a variable alone or text this run gives; for literalBoolean to decode. */
async function switchValue(written: unknown, scope: HclScope): Promise<unknown> {
  return typeof written === 'string' && written.includes('${') ? ((await variableAlone(written, scope)) ?? (await hclStringValue(written, scope))) : written
}

/** A `source_ami_filter`'s `filters` as name and value with the run's values; undefined where it is no map the action knows. */
async function hclFilters(written: unknown, scope: HclScope): Promise<Array<[string | undefined, string | undefined]> | undefined> {
  if (written === undefined) return []
  if (isRecord(written)) {
    const entries = Object.entries(written)
    return Promise.all(
      entries.map(async ([name, value]): Promise<[string | undefined, string | undefined]> => [
        await hclStringValue(name, scope),
        typeof value === 'string' ? await hclStringValue(value, scope) : undefined
      ])
    )
  }
  const name = typeof written === 'string' ? onlyHclVariable(written) : undefined
  const value = name === undefined ? undefined : scope.variables.get(name)
  // A variable's value is a value: a string in it is text, never an expression.
  return isRecord(value) ? Object.entries(value).map(([key, each]) => [key, typeof each === 'string' ? each : undefined]) : undefined
}

/** An HCL2 build's own credentials (ownCredentialsOf), its settings' values as this run gives them (`scope`). */
async function hclOwnCredentials(setting: (key: string) => unknown, scope: HclScope): Promise<OwnCredentials> {
  const blocks = bodies(setting('assume_role'))
  const role = blocks.length > 1 ? undefined : (blocks[0] ?? {})
  const names = ['access_key', 'secret_key', 'token', 'profile', 'shared_credentials_file', ...['role_arn', 'session_name', 'external_id', 'duration_seconds', 'policy'].map((name) => `assume_role.${name}`)]
  const values = new Map<string, string | undefined | null>()
  for (const name of names) {
    const [first, second] = name.split('.')
    const written = second === undefined ? setting(first) : role?.[second]
    values.set(
      name,
      second !== undefined && role === undefined
        ? undefined
        : written === undefined || (await hclIsNull(written, scope))
          ? null
          : typeof written === 'string'
            ? await hclStringValue(written, scope)
            : typeof written === 'number'
              ? String(written)
              : undefined
    )
  }
  const written = (name: string): boolean => (name === 'assume_role.other' ? otherAssumeRoleSettings(role ?? {}).length > 0 : setting(name) !== undefined)
  return ownCredentialsOf((name) => values.get(name), written)
}

/**
 * The regions a build makes its AMIs in (regionsMade), and the one it launches in (buildRegionOf),
 * of its `setting`s: a `region` whose value this run gives (`scope`), or none (the home region),
 * and an `ami_regions` list of such values, or a variable holding one.
 */
async function hclRegionsMade(
  setting: (key: string) => unknown,
  scope: HclScope,
  build: { type: string; homeRegion?: string }
): Promise<{ regions?: string[]; buildRegion?: string; inHomeRegion?: boolean }> {
  const written = setting('region')
  const region = written === undefined ? '' : typeof written === 'string' ? await hclStringValue(written, scope) : undefined
  const regions = setting('ami_regions')
  const listed = regions === undefined ? [] : await listEntries(regions, scope)
  const amiRegions = listed?.every((entry) => entry !== undefined) ? (listed as string[]) : undefined
  const given = { type: build.type, skipCreateAmi: setting('skip_create_ami'), skipSaveBuildRegion: setting('skip_save_build_region') }
  const buildRegion = buildRegionOf(region, build.type, build.homeRegion)
  return { regions: regionsMade(region, amiRegions, given, build.homeRegion), buildRegion, inHomeRegion: buildRegion !== undefined && region === '' }
}

/**
 * The regions a build copies its AMI to (AmiBuild.copies) whose values this run gives (`scope`):
 * each entry of `ami_regions`, on that entry where the list is written as one (else on the
 * setting), in the block that sets it (`listing`); then each key of `region_kms_key_ids`
 * (in `keying`) that ami_regions does not name, on the setting.
 */
async function hclCopies(listing: WrittenAt, keying: WrittenAt, scope: HclScope): Promise<CopyRegion[]> {
  const copies: CopyRegion[] = []
  const entries = listing.body.ami_regions === undefined ? [] : ((await listEntries(listing.body.ami_regions, scope)) ?? [])
  for (const [index, region] of entries.entries()) {
    if (region === undefined || region === '') continue
    const location = { file: workspaceRelative(listing.file.file, process.cwd()), ...(await listing.file.place([...listing.path, 'ami_regions', index])) }
    copies.push({ region, setting: 'ami_regions', location })
  }
  const keys = Object.keys(asObject(keying.body.region_kms_key_ids)).filter((key) => !key.includes('${') && !copies.some(({ region }) => region === key))
  for (const region of keys) {
    const location = { file: workspaceRelative(keying.file.file, process.cwd()), ...(await keying.file.place([...keying.path, 'region_kms_key_ids'])) }
    copies.push({ region, setting: 'region_kms_key_ids', location })
  }
  return copies
}

/**
 * Where a build block names the source of one of its builds: its `source` block (`override`),
 * else its entry of the `sources` list at `listedAt`, as the parser placed it, else that list.
 */
async function placeOfUse(block: WrittenAt, listedAt: number | undefined, override: WrittenAt | undefined): Promise<ProblemLocation> {
  const file = workspaceRelative(block.file.file, process.cwd())
  if (override !== undefined) return { file, ...(await override.file.place(override.path)) }
  const { line } = await block.file.place(block.path)
  const listed = block.file.sourceUses.filter((use) => use.listed && use.build === line)
  const entry = listedAt === undefined ? undefined : listed[listedAt]
  const count = Array.isArray(block.body.sources) ? block.body.sources.length : 0
  if (entry !== undefined && listed.length === count) return { file, line: entry.line, column: entry.column }
  return { file, ...(await block.file.place([...block.path, 'sources'])) }
}

/**
 * What makes a build of `source` make an AMI of the same name in the same region as every other
 * build with the same: the source, and what the build block's `source` block adds to it (but a
 * `name`, which names the build, not the AMI), so that each setting is the same. Undefined where
 * the AMI's name may differ from one build to the next or no AMI keeps it: an ami_name that Packer
 * fills in with `{{ … }}`, or that calls uuidv4(), timestamp() or bcrypt() itself (each build
 * calls it anew; a local calls it once) or reads `source.` or `build.`; none written; a
 * skip_create_ami, force_deregister (which deregisters the first AMI to make the second) or
 * skip_save_build_region written other than false.
 */
function sameAmiEachTime(source: string, definition: WrittenAt, override: WrittenAt | undefined): string | undefined {
  const written = (key: string): unknown[] => [definition.body[key], override?.body[key]].filter((value) => value !== undefined)
  const names = written('ami_name')
  if (names.length === 0 || names.some((name) => typeof name !== 'string' || /\{\{|\b(?:uuidv4|timestamp|bcrypt)\s*\(|\b(?:source|build)\./.test(name))) return undefined
  for (const key of ['skip_create_ami', 'force_deregister', 'skip_save_build_region']) {
    if (written(key).some((value) => literalBoolean(value) !== false)) return undefined
  }
  const added = Object.entries(override?.body ?? {}).filter(([key]) => key !== 'name')
  return JSON.stringify([source, added])
}

/**
 * Where the block of the build Packer names `name` is written (its file, absolute): the build
 * block's `source` block that makes it under a name of its own (`source "amazon-ebs.web" { name =
 * "prod" }`), else its source block; of builds Packer names alike (build blocks with no name over
 * one source), their source block. A build block's name is read with `names` (HclScope: the
 * variables' values in this run, the locals), as Packer from 1.7.9 reads it. A build whose name
 * only Packer knows may be any build of its type whose name has that shape (buildShape). Undefined
 * when that cannot be told for sure: no build could be named so, or builds that could be build
 * different sources.
 */
export async function hclBuildBlock(read: HclFileRead[], name: string, names?: HclScope): Promise<{ file: string; line?: number; column?: number } | undefined> {
  const built = await definedBuilds(read, names)
  if (built === undefined) return undefined
  const named = built.filter(({ each, shape }) => (each.name === undefined ? shape?.test(name) === true : each.name === name))
  const blocks = named.map(({ definition, override }) => (override?.body.name === undefined ? definition : override))
  const where = ({ file, path }: WrittenAt): string => JSON.stringify([file.file, path])
  const block =
    blocks.length > 0 && blocks.every((one) => where(one) === where(blocks[0]))
      ? blocks[0]
      : named.length > 0 && named.every(({ definition }) => definition === named[0].definition)
        ? named[0].definition
        : undefined
  return block && { file: block.file.file, ...(await block.file.place(block.path)) }
}

/**
 * The tag keys a build's source writes that the action knows for sure, and where: `bodies` are
 * the source block, then the build block's `source` block that adds to it (Packer refuses a map
 * in both, "Duplicate argument": the latter's is counted, never more than one of them). A map's
 * keys count where it is written (`tags = { Name = "x" }`), a local or a variable holding one
 * (its value in this run), or `merge` of those; so do `tag { key = "Name" … }` blocks and
 * `dynamic "tag"` blocks whose `for_each` is such a map and whose key is its keys. Anything else
 * (another function, a key only Packer works out, `{{ .SourceAMI }}`) may be any key, or one of
 * these: not counted, so that a template is never refused on a guess, and the tags are `partial`.
 */
async function hclWrittenTags(
  bodies: Array<{ file: HclFileRead; body: HclBody; path: JsonPath }>,
  scope: HclScope,
  map: 'tags' | 'snapshot_tags',
  block: 'tag' | 'snapshot_tag'
): Promise<WrittenTags | undefined> {
  const withMap = bodies.findLast(({ body }) => body[map] !== undefined)
  const known = withMap ? await knownMapKeys(withMap.body[map], scope) : { keys: [], partial: false }
  const keys = new Set(known.keys)
  let partial = known.partial
  let first: { file: HclFileRead; path: JsonPath } | undefined
  for (const { file, body, path } of bodies) {
    for (const { body: each, path: at } of blocksAt(body[block], [...path, block], 0)) {
      const key = typeof each.key === 'string' ? await hclStringValue(each.key, scope) : undefined
      if (key !== undefined) keys.add(key)
      else partial = true
      first ??= { file, path: at }
    }
    for (const { labels, body: each, path: at } of blocksAt(body.dynamic, [...path, 'dynamic'], 1)) {
      if (labels[0] !== block) continue
      const given = await dynamicBlockKeys(each, block, scope)
      for (const key of given.keys) keys.add(key)
      partial ||= given.partial
      first ??= { file, path: at }
    }
  }
  const at = withMap ? { file: withMap.file, path: [...withMap.path, map] } : first
  if (at === undefined) return undefined
  return {
    keys: [...keys],
    location: { file: workspaceRelative(at.file.file, process.cwd()), ...(await at.file.place(at.path)) },
    ...(partial ? { partial: true as const } : {})
  }
}

/** Keys the action knows a map has, and whether it may have others only Packer works out (`partial`). */
interface KnownKeys {
  keys: string[]
  partial: boolean
}

/**
 * The keys a `dynamic` block of `label` gives its blocks, where each block's `key` is the
 * iterator's key (`tag.key`, or that of its `iterator`) and `for_each` a map whose keys the
 * action knows (knownMapKeys); none otherwise, and any may be given.
 */
async function dynamicBlockKeys(dynamic: HclBody, label: string, scope: HclScope): Promise<KnownKeys> {
  const { traversalNames } = await import('./hcl-parser.js')
  const named = dynamic.iterator === undefined ? [label] : typeof dynamic.iterator === 'string' ? await traversalNames(dynamic.iterator) : undefined
  const contents = bodies(dynamic.content)
  const key = contents.length === 1 && typeof contents[0].key === 'string' ? await traversalNames(contents[0].key) : undefined
  if (named?.length !== 1 || key?.length !== 2 || key[0] !== named[0] || key[1] !== 'key') return unknownKeys
  return knownMapKeys(dynamic.for_each, scope)
}

/** How deep a map may be made of locals and merges: deeper, or in a cycle, it is left to Packer. */
const maxMapDepth = 8

/** A map only Packer knows the keys of. */
const unknownKeys: KnownKeys = { keys: [], partial: true }

/**
 * The keys of a map value, as the parser gives it, that the action knows it has in this run:
 * those of a map written as such, whose key is literal or made of what hclStringValue reads; of
 * a variable's value or a local's that is one; and of each map `merge` (or `tomap`) is given.
 * A key or a part of the map that only Packer knows may be any key, or one of these: left out,
 * and the map is `partial`.
 */
async function knownMapKeys(value: unknown, scope: HclScope, depth = 0): Promise<KnownKeys> {
  if (isRecord(value)) {
    const keys = await Promise.all(Object.keys(value).map((key) => hclStringValue(key, scope)))
    return { keys: keys.filter((key) => key !== undefined), partial: keys.includes(undefined) }
  }
  // merge() leaves out a null it is given.
  if (value === null || value === '${null}') return { keys: [], partial: false }
  if (typeof value !== 'string' || !value.startsWith('${') || depth >= maxMapDepth) return unknownKeys
  const { functionCall } = await import('./hcl-parser.js')
  const call = await functionCall(value)
  if (call !== undefined) {
    if (call.name !== 'merge' && !(call.name === 'tomap' && call.args.length === 1)) return unknownKeys
    const each = await Promise.all(call.args.map((arg) => knownMapKeys(arg, scope, depth + 1)))
    return { keys: [...new Set(each.flatMap((one) => one.keys))], partial: each.some((one) => one.partial) }
  }
  const reference = await loneReference(value)
  // A variable's value is a value: a string in it is text, never an expression.
  if (reference !== undefined && 'var' in reference) {
    const given = scope.variables.get(reference.var)
    // A variable left null (or given null) is no map: the setting is not set.
    if (given === null && scope.variables.has(reference.var)) return { keys: [], partial: false }
    return isRecord(given) ? knownMapKeys(given, { variables: new Map() }, depth + 1) : unknownKeys
  }
  return reference !== undefined && 'local' in reference ? knownMapKeys(scope.locals?.get(reference.local), scope, depth + 1) : unknownKeys
}

/** Where a setting of an HCL2 file (in its JSON syntax too) is written. */
async function settingPlace(file: string, text: string, at: JsonPath): Promise<{ line?: number; column?: number }> {
  if (file.endsWith('.pkr.json')) {
    const { hclJsonPlace } = await import('./hcl-json.js')
    return hclJsonPlace(text, at) ?? {}
  }
  const { settingPosition } = await import('./hcl-parser.js')
  return (await settingPosition(file, text, at)) ?? {}
}

/** What the job needs from an HCL2 template's files that only they tell. */
export interface HclTemplate {
  /**
   * Each file's `packer { required_version }` (none when no file has one): for latest or a
   * range, checked once the release is known (demandsNotMet); one release is checked already.
   */
  versionDemands?: VersionDemand[]
  /** Absolute path of the manifest file to read: input manifest's, else the template's, else the default. */
  manifest: string
  /** The manifest post-processor's `output` as written, when only Packer knows its value (see Inputs). */
  manifestUnknown?: string
  /** Names of the variables declared `sensitive = true`: their values stay out of the fingerprint. */
  sensitiveVariables: string[]
  /** Values of the sensitive variables and locals, each with its variable or local: to be masked in the log. */
  sensitiveValues: SensitiveValue[]
  /** The sensitive locals whose values only Packer knows: the job asks Packer for them. */
  sensitiveUnknown: string[]
  /** What the template reads from a secret store (hclSecretReads): the job asks Packer for those values too. */
  secretReads: string[]
  /** The environment its variables read in this run (`env()` in defaults, `PKR_VAR_<name>`), as the fingerprint takes it. */
  variablesEnvironment: EnvironmentRead[]
  /** The `required_plugins` declarations, for the plugin cache's key. */
  requiredPlugins: string[]
  /** How many builds the template makes; undefined when a file did not parse. */
  buildCount?: number
  /** Where the other manifest post-processors write, absolute, where that is known (see Inputs). */
  otherManifestOutputs: string[]
  /** The folders of the manifest outputs only Packer knows whole, absolute, where known (see Inputs). */
  manifestFolders: string[]
  /** The post-processors by name, or type when unnamed; undefined when only Packer knows a name. */
  postProcessorNames?: string[]
  /**
   * A build block names a build of its own (`source "TYPE.NAME" { name = … }`), or may: in a
   * file the parser could not read, which Packer may read and build.
   */
  renamesSources: boolean
  /**
   * The builds' names as Packer builds them (hclBuildNames), when every file was read; only
   * they name a renamed source's build where Packer before 1.7 lists it by its source block.
   */
  buildNames?: string[]
  /** Each build's builder type (hclBuildTypes), when every file was read and each source is named TYPE.NAME. */
  buildTypes?: string[]
  /** The provisioners' types (hclProvisionerTypes), when every file was read. */
  provisionerTypes?: string[]
  /** A build's name may hold a comma (hclNamesMayHoldComma): only packer inspect tells it. */
  namesMayHoldComma: boolean
  /** Files the parser could not read, and where: their sensitive variables are unknown. */
  unreadable: Unreadable[]
  /** The local files and directories the template names as inputs of the build (template-references.ts). */
  references: TemplateReference[]
  /** What is wrong with the manifest file already at the template's manifest path. */
  problems: InputProblem[]
  /** Provisioners' durations that Packer cannot read (hclDurationProblems). */
  durationProblems: InputProblem[]
  /** Amazon sources', provisioners' and post-processors' strings that read template data Packer does not give there (hclSourceDataProblems, hclTemplateDataProblems). */
  templateDataProblems: InputProblem[]
  /** Amazon sources' regions with white space in them (hclRegionProblems). */
  regionProblems: InputProblem[]
  /** Amazon sources' ami_users entries that are no account ID (hclAccountProblems). */
  accountProblems: InputProblem[]
  /** Amazon sources' iam_instance_profile that is no name IAM takes (hclInstanceProfileProblems). */
  instanceProfileProblems: InputProblem[]
  /** Amazon sources' volume_type that is no EBS volume type (hclVolumeTypeProblems). */
  volumeTypeProblems: InputProblem[]
  /** Paths the template names that are not where Packer runs, but beside the template (hclMisplacedReferences). */
  misplacedReferenceProblems: InputProblem[]
  /** Paths the template names that are not there at all (hclMissingReferences), with the builds that read each: Packer refuses them in validate. */
  missingReferenceProblems: MissingFileProblem[]
  /**
   * The input variables and locals whose value in this run is text, or a list of text, the action
   * knows (a default, a variables file, the input `variables`, PKR_VAR_; a local made of those and
   * literal text), by name: what Packer quotes a path built from them with, filled in, which
   * places its error on that path (valuePositions). Sensitive ones too: only matched, never
   * shown. Objects, as the template's read crosses processes as JSON.
   */
  pathValues: PathValues
  /** Amazon sources' source_ami_filter names a small edit from one EC2 knows (hclImageFilterProblems). */
  imageFilterProblems: InputProblem[]
  /** A build block that builds no source, in a template that builds none (hclBuildlessProblems); empty unless every file was read. */
  buildlessProblems: InputProblem[]
  /** Provisioners' and post-processors' `only` and `except` entries that name no source of their build (hclSelectionWarnings). */
  selectionWarnings: InputProblem[]
  /** Entries of the build blocks' `sources` that Packer refuses or that name no source (sourceReferenceProblems). */
  sourceReferenceProblems: InputProblem[]
  /** Entries of the build blocks' `sources` that Packer builds as another source than written (sourceReferenceProblems). */
  sourceReferenceWarnings: InputProblem[]
  /** Quoted strings of source and build blocks that are a reference to a declared variable or local, as text (quotedReferenceWarnings). */
  quotedReferenceWarnings: InputProblem[]
  /** The `build.*` attributes its post-processors read, and where (hclBuildVariableUses). */
  buildVariableUses: BuildVariableUse[]
  /** The provisioners that need a communicator, and where (hclProvisionerUses). */
  provisionerUses: ProvisionerUse[]
  /** Each build's builder, and where its source is (hclAmiBuilds), when every file was read and each source is known. */
  amiBuilds?: AmiBuild[]
  /**
   * What is wrong with input variables: a name the template does not declare, which Packer
   * refuses (`Undefined -var variable`). Only checked when every file of the template was read:
   * a file the parser could not read may declare it.
   */
  variablesProblems: string[]
}

/** A file the parser could not read: its path as given, and where, when the parser said. */
export interface Unreadable {
  file: string
  line?: number
  column?: number
  message: string
}

function unreadableFile(path: string, error: unknown): Unreadable {
  const file = workspaceRelative(path, process.cwd())
  // JSON.parse quotes the text around the problem, which may be a secret: not that message.
  const message =
    error instanceof SyntaxError ? `${file}: not valid JSON` : error instanceof Error ? error.message : String(error)
  const at = error as { line?: unknown; column?: unknown }
  return typeof at.line === 'number' && typeof at.column === 'number'
    ? { file, line: at.line, column: at.column, message }
    : { file, message }
}

/**
 * The inputs that say which files Packer reads, and with which variables; the template's files
 * as the input checks read them (`hclFiles`), else they are read here; `workspace`, which
 * messages name files relative to (the working directory of the process without it).
 */
export type HclTemplateRequest = Pick<
  Inputs,
  'workingDirectory' | 'template' | 'varFiles' | 'variables' | 'manifest' | 'manifestGiven' | 'sensitiveValues'
> &
  Partial<Pick<Inputs, 'hclFiles' | 'workspace' | 'awsRegion'>>

/** An HCL2 template's files as parsed, and the values their strings may refer to in this run. */
interface ParsedTemplate {
  /** Every file of the template, each with its parse or why it could not be read. */
  parsed: HclFileText[]
  files: HclBody[]
  /** The files that were read, each with its path, absolute. */
  read: HclFileRead[]
  /** Every file of the template: `files` lacks those the parser could not read. */
  names: string[]
  unreadable: Unreadable[]
  candidates: Map<string, unknown[]>
  scope: HclScope
  /** The environment the variables read in this run, as the fingerprint takes it (hclRunScope). */
  environment: EnvironmentRead[]
}

async function parseTemplate(request: HclTemplateRequest, env: Record<string, string | undefined>): Promise<ParsedTemplate> {
  const templatePath = resolve(request.workingDirectory, request.template)
  const read: ParsedTemplate['read'] = []
  const parsed: HclFileText[] = []
  const unreadable: Unreadable[] = []
  // Each file is read and parsed once: the input checks may have done either already.
  for (const entry of request.hclFiles ?? hclTemplateFiles(templatePath).map(hclFileText)) {
    try {
      if ('error' in entry) throw entry.error
      const file = entry.read ?? (await readHclFile(entry.file, entry.text))
      read.push(file)
      parsed.push({ ...entry, read: file })
    } catch (error) {
      // packer validate says what is wrong; if it finds nothing, the job warns (main.ts).
      unreadable.push(unreadableFile(entry.file, error))
      parsed.push({ file: entry.file, error })
    }
  }
  const names = parsed.map(({ file }) => file)
  const files = read.map(({ body }) => body)
  return { parsed, files, read, names, unreadable, ...(await hclRunScope(files, request, env, unreadable)) }
}

/**
 * The values a template's strings may refer to in this run (HclScope): each input variable's
 * as Packer ranks what it is given (hclVariableCandidates), the locals, `path.root` and
 * `path.cwd`; with every value each variable is given, `env` read as Packer has it (withHomeRegion),
 * and the environment those that win read, as the fingerprint takes it (environmentRead).
 */
export async function hclRunScope(
  files: HclBody[],
  request: Pick<HclTemplateRequest, 'workingDirectory' | 'template' | 'varFiles' | 'variables' | 'awsRegion'>,
  env: Record<string, string | undefined>,
  unreadable: Unreadable[] = []
): Promise<{ candidates: Map<string, unknown[]>; scope: HclScope; environment: EnvironmentRead[] }> {
  // As Packer has them: env("AWS_REGION") is the home region it is given.
  const packerEnv = startedIn(request.workingDirectory, withHomeRegion(env, request.awsRegion))
  const reads = new Map<string, string[]>()
  const candidates = await hclVariableCandidates(
    files,
    resolve(request.workingDirectory, request.template),
    request.varFiles.map((file) => resolve(request.workingDirectory, file)),
    request.variables,
    packerEnv,
    unreadable,
    reads
  )
  const scope: HclScope = {
    variables: new Map([...candidates].map(([name, given]) => [name, given.at(-1)])),
    locals: hclLocals(files),
    path: hclPaths(request.workingDirectory, request.template)
  }
  return { candidates, scope, environment: environmentRead(reads, [...hclSensitiveVariables(files).keys()], packerEnv) }
}

/** Input variables' and locals' values that are text or a list of text, by name (HclTemplate.pathValues). */
export interface PathValues {
  variables: Record<string, string | string[]>
  locals: Record<string, string | string[]>
}

/**
 * The input variables and locals of `scope` whose value is text or a list of text, as a setting
 * that names a path reads them (hclPathValue): a local made of anything else is left out.
 */
async function pathValues(scope: HclScope): Promise<PathValues> {
  const values = async (namespace: 'var' | 'local', names: Iterable<string>): Promise<Record<string, string | string[]>> => {
    const found: Record<string, string | string[]> = {}
    for (const name of names) {
      const value = await hclPathValue(`\${${namespace}.${name}}`, scope)
      if (value !== undefined) found[name] = value
    }
    return found
  }
  return { variables: await values('var', scope.variables.keys()), locals: await values('local', scope.locals?.keys() ?? []) }
}

/**
 * Reads an HCL2 template's files (JSON templates are read in readInputs already): the manifest
 * path, the sensitive values and required_plugins. A file that does not parse is left to packer
 * validate, which says where.
 */
export async function readHclTemplate(
  request: HclTemplateRequest,
  env: Record<string, string | undefined> = process.env,
  platform: NodeJS.Platform = process.platform
): Promise<HclTemplate> {
  const { parsed, files, read, names, unreadable, candidates, scope, environment } = await parseTemplate(request, env)
  const sensitiveLocals = await hclSensitiveLocalValues(files, scope)
  // What the whole template tells is known only when every file of it was read.
  const allRead = files.length === names.length
  const sensitiveValues = distinctSensitive([...request.sensitiveValues, ...hclSensitiveValues(files, candidates), ...sensitiveLocals.values])
  const references = sourceReferenceProblems(read)
  const templateReferences = await hclTemplateReferences(read, scope, request.workingDirectory)
  const versionDemands = await hclVersionDemands(parsed, (path) => workspaceRelative(path, request.workspace ?? process.cwd()))
  return {
    ...(versionDemands.length > 0 && { versionDemands }),
    ...(await hclManifestFile(files, scope, request)),
    otherManifestOutputs: await otherManifestOutputs(files, scope, request.workingDirectory),
    manifestFolders: await manifestFolders(files, scope, request.workingDirectory, platform),
    sensitiveVariables: [...hclSensitiveVariables(files).keys()],
    sensitiveValues,
    sensitiveUnknown: sensitiveLocals.unknown,
    secretReads: await hclSecretReads(files),
    variablesEnvironment: environment,
    requiredPlugins: hclRequiredPlugins(files),
    buildCount: allRead ? hclBuildCount(files) : undefined,
    renamesSources: !allRead || hclRenamesSources(files),
    buildNames: allRead ? hclBuildNames(files) : undefined,
    buildTypes: allRead ? hclBuildTypes(files) : undefined,
    provisionerTypes: allRead ? hclProvisionerTypes(files) : undefined,
    namesMayHoldComma: hclNamesMayHoldComma(files),
    postProcessorNames: allRead ? hclPostProcessorNames(files) : undefined,
    references: templateReferences,
    misplacedReferenceProblems: withoutValues(
      await hclMisplacedReferences(read, templateReferences, { ...request, workspace: request.workspace ?? process.cwd() }),
      sensitiveValues
    ),
    missingReferenceProblems: withoutValues(
      await hclMissingReferences(read, templateReferences, { ...request, workspace: request.workspace ?? process.cwd() }),
      sensitiveValues
    ),
    pathValues: await pathValues(scope),
    buildVariableUses: await hclBuildVariableUses(read, scope),
    provisionerUses: await hclProvisionerUses(read),
    amiBuilds: allRead ? await hclAmiBuilds(read, scope, request.awsRegion) : undefined,
    durationProblems: await hclDurationProblems(read, scope),
    templateDataProblems: withoutValues([...(await hclSourceDataProblems(read, scope)), ...(await hclTemplateDataProblems(read))], sensitiveValues),
    regionProblems: withoutValues(await hclRegionProblems(read, scope), sensitiveValues),
    accountProblems: withoutValues(await hclAccountProblems(read, scope), sensitiveValues),
    instanceProfileProblems: withoutValues(await hclInstanceProfileProblems(read, scope), sensitiveValues),
    volumeTypeProblems: withoutValues(await hclVolumeTypeProblems(read, scope), sensitiveValues),
    imageFilterProblems: await hclImageFilterProblems(read),
    selectionWarnings: await hclSelectionWarnings(read),
    sourceReferenceProblems: references.errors,
    sourceReferenceWarnings: references.warnings,
    quotedReferenceWarnings: await quotedReferenceWarnings(read, { variables: hclDeclaredVariables(files), locals: new Set(hclLocals(files).keys()) }),
    buildlessProblems: allRead ? await hclBuildlessProblems(read) : [],
    unreadable,
    variablesProblems: allRead ? undeclaredVariables(files, request) : []
  }
}

/**
 * Input variables naming a variable that no `variable` block (or `variables` block) of the
 * template declares: Packer fails on them, naming the command line rather than the input.
 */
function undeclaredVariables(files: HclBody[], request: HclTemplateRequest): string[] {
  const declared = hclDeclaredVariables(files)
  const known = [...declared].sort()
  const shown = known.length > 12 ? `${known.slice(0, 12).join(', ')}, …` : known.join(', ')
  const expected = known.length === 0 ? 'it declares none' : `expected one it declares (${shown})`
  const undeclared = request.variables.filter(({ name }) => !declared.has(name))
  return undeclared
    .filter(({ name }, index) => undeclared.findIndex((one) => one.name === name) === index)
    .map((variable) => {
      const meant = meantName(variable.name, declared)
      const hint = meant === undefined ? '' : ` (did you mean "${meant}"?)`
      return `variables: ${variableNamed(variable)} is not a variable of ${request.template}${hint}: ${expected}`
    })
}

/** The variables that the `variable` blocks and `variables` blocks of an HCL2 template's files declare. */
export function hclDeclaredVariables(files: HclBody[]): Set<string> {
  return new Set(files.flatMap((file) => [...labelled(file.variable).map(([name]) => name), ...bodies(file.variables).flatMap(Object.keys)]))
}

/**
 * The variable an HCL2 template (`template`, absolute) declares that `name`, set in a variables
 * file but declared nowhere, was probably meant to be (meantName): Packer warns that it is not
 * declared, but not which one is near. Undefined when none is, or a file of the template cannot
 * be read: it may declare `name` itself, or one nearer.
 */
export async function meantHclVariable(name: string, template: string): Promise<string | undefined> {
  const files = await Promise.resolve()
    .then(() => Promise.all(hclTemplateFiles(template).map((file) => parseHclFile(file))))
    .catch(() => undefined)
  return files && meantName(name, hclDeclaredVariables(files))
}

/**
 * Whether an HCL2 template's variable `name`, declared in one of its `files`, has no `type` and
 * an empty list as its default: Packer then gives it its default's type, a tuple of no elements,
 * which no other list fits (Packer 1.6.6 refuses `["a"]` from -var or a variables file, "tuple
 * required"; an empty map default takes any map).
 */
export function emptyListUntyped(name: string, files: HclBody[]): boolean {
  const [definition] = files.flatMap((file) => labelled(file.variable).filter(([label]) => label === name).flatMap(([, found]) => found))
  return definition !== undefined && definition.type === undefined && Array.isArray(definition.default) && definition.default.length === 0
}

/**
 * The file an HCL2 template's manifest post-processor writes in this run, absolute (Packer's
 * default, packer-manifest.json, for an empty `output`); none when the template has no
 * manifest post-processor that the parser could read, or only Packer knows the path. With the
 * template's files as parsed for it, which the job does not parse again.
 */
export async function hclManifestPath(
  request: HclTemplateRequest,
  env: Record<string, string | undefined> = process.env
): Promise<{ path?: string; hclFiles: HclFileText[] }> {
  const { parsed, files, scope } = await parseTemplate(request, env)
  const written = await manifestWritten(files, scope, request.workingDirectory)
  return { ...(written && 'path' in written && { path: written.path }), hclFiles: parsed }
}

/**
 * Where the template's manifest post-processor writes in this run: `path`, absolute (Packer's
 * default, packer-manifest.json, for an empty `output`); or its `output` as written, when only
 * Packer knows its value; undefined when the template has none that the parser could read.
 */
async function manifestWritten(
  files: HclBody[],
  scope: HclScope,
  workingDirectory: string
): Promise<{ path: string } | { unknown: string } | undefined> {
  const { output: written, found } = hclManifestOutput(files)
  if (!found) return undefined
  const output = written === undefined ? '' : await hclStringValue(written, scope)
  if (output === undefined) return { unknown: written as string }
  return { path: resolve(workingDirectory, output || 'packer-manifest.json') }
}

/**
 * The manifest file to read: input manifest's, else the one the template's manifest
 * post-processor writes, else the default; with what is wrong with the file already there.
 * The file at input manifest's path, or at the default one, was checked with the other inputs
 * (template-files.ts).
 */
async function hclManifestFile(
  files: HclBody[],
  scope: HclScope,
  request: HclTemplateRequest
): Promise<Pick<HclTemplate, 'manifest' | 'manifestUnknown' | 'problems'>> {
  const problems: InputProblem[] = []
  const written = request.manifestGiven ? undefined : await manifestWritten(files, scope, request.workingDirectory)
  if (written === undefined) return { manifest: request.manifest, problems }
  if ('unknown' in written) return { manifest: request.manifest, manifestUnknown: written.unknown, problems }
  const manifest = written.path
  if (manifest !== request.manifest) {
    checkExistingManifest(manifest, workspaceRelative(manifest, process.cwd()), (message, location) =>
      problems.push({ message, location })
    )
  }
  return { manifest, problems }
}

/** The inputs, completed with what the template's files told. */
export function withHclTemplate(inputs: Inputs, template: HclTemplate): Inputs {
  return {
    ...inputs,
    manifest: template.manifest,
    manifestUnknown: template.manifestUnknown,
    otherManifestOutputs: template.otherManifestOutputs,
    manifestFolders: template.manifestFolders,
    ...(template.buildTypes === undefined ? {} : { hclBuildTypes: template.buildTypes }),
    ...(template.provisionerTypes === undefined ? {} : { hclProvisionerTypes: template.provisionerTypes }),
    ...(template.amiBuilds === undefined ? {} : { hclAmiBuilds: template.amiBuilds }),
    sensitiveVariables: template.sensitiveVariables,
    sensitiveValues: template.sensitiveValues,
    variablesEnvironment: template.variablesEnvironment,
    ...sortReferences(template.references, inputs.workspace)
  }
}
