// The local files and directories a template names as inputs of its build: a provisioner's
// script, a file it uploads, an Ansible playbook, a builder's user data file. Reuse must see a
// change to any of them, wherever it lies in the workspace, or it ships an image built from
// the old one. Which settings name such a path, and how Packer reads each, is Packer 1.6.6's
// (and its plugins' since): every one is passed to os.Stat or read as it is, so a relative
// path is relative to the directory Packer runs in (working-directory), not to the template;
// `{{template_dir}}` (JSON) and `path.root` (HCL2) are how a template names its own directory.
// JSON templates are read here, with the variables Packer has; HCL2 templates in hcl.ts.
import { existsSync } from 'node:fs'
import { dirname, relative, resolve } from 'node:path'
import { liesInside, workspaceRelative } from '../common/paths.js'
import { isRecord } from '../common/values.js'
import { runsByOnlyExcept } from './build-selection.js'
import type { BuildOfUse } from './build-variables.js'
import type { InputProblem } from './reader.js'
import { postProcessorsRun, resolveUserVariables, type JsonPath, type TemplateContext, type UserVariables } from './template.js'

/** A setting that names a local path: `list` for a list of them (`scripts`). */
export interface PathSetting {
  name: string
  list?: boolean
}

const scripts: PathSetting[] = [{ name: 'script' }, { name: 'scripts', list: true }]

/**
 * The provisioners' settings that name a file or directory Packer (or the tool it runs) reads
 * on the runner. Not those it writes (ansible's roles_path, collections_path) nor keys that
 * let it in (ssh_host_key_file): they are not what the image is made of, and a private key has
 * no place in a public fingerprint. The file provisioner's `source` only when it uploads.
 */
export const provisionerPathSettings: Record<string, PathSetting[]> = {
  shell: scripts,
  powershell: scripts,
  'windows-shell': scripts,
  'shell-local': scripts,
  file: [{ name: 'source' }, { name: 'sources', list: true }],
  ansible: [{ name: 'playbook_file' }, { name: 'galaxy_file' }, { name: 'inventory_file' }],
  'ansible-local': [
    { name: 'playbook_file' },
    { name: 'playbook_files', list: true },
    { name: 'playbook_dir' },
    { name: 'playbook_paths', list: true },
    { name: 'role_paths', list: true },
    { name: 'group_vars' },
    { name: 'host_vars' },
    { name: 'inventory_file' },
    { name: 'galaxy_file' }
  ]
}

/** The post-processors' settings that name a local path. */
export const postProcessorPathSettings: Record<string, PathSetting[]> = { 'shell-local': scripts }

/** Every builder's: the amazon builders (and others) read `user_data_file` from the runner. */
export const builderPathSettings: PathSetting[] = [{ name: 'user_data_file' }]

/** A local file or directory the template names as an input of the build. */
export interface TemplateReference {
  /** The setting, as the user finds it: `provisioners[0].script`, `provisioner "shell" scripts[1]`. */
  setting: string
  /** Its value as written. */
  written: string
  /**
   * How the user wrote it, where that reads otherwise than `written` (as HCL's parser gives it):
   * an expression alone (`var.setup`, not `${var.setup}`), an entry of a list given whole
   * (`var.steps[1]`).
   */
  shown?: string
  /** What it names, absolute; undefined when only Packer knows it (`{{timestamp}}`, a function, `build.…`). */
  path?: string
  /** The template file it is written in, absolute, and where in it: a JSON path, or one into the HCL body. */
  file: string
  at: JsonPath
  /**
   * The provisioner or post-processor it is set in runs in no build: its own only/except leave
   * every build of the template out, so Packer never prepares it, nor reads the path.
   */
  inNoBuild?: true
  /**
   * The builds that read it, as -only and -except name them: those its block runs in (its own
   * only/except may leave some out), and for a post-processor what an except entry skips it by;
   * undefined where the action does not tell. One whose name only Packer knows has none.
   */
  builds?: ReadingBuild[]
}

/** A build that reads a reference (TemplateReference's builds), as provisionerProblems reads one. */
export type ReadingBuild = Pick<BuildOfUse, 'name' | 'skippedBy'>

/** A reference not there at all (missingReferences), on its value, with the builds that read it (build-variables.ts missingFilesRead). */
export type MissingFileProblem = InputProblem & { builds?: ReadingBuild[] }

/**
 * How a template names a path from its own directory, which Packer reads wherever it runs:
 * `${path.root}` in HCL2, `{{template_dir}}` in JSON (Packer 1.6.6 fills it in in every setting
 * that names a path).
 */
const fromTemplateDirectory = { hcl: '${path.root}', json: '{{template_dir}}' } as const

/** A value written from the template's own directory (fromTemplateDirectory), as the parser gives it. */
const writtenFromTemplateDirectory = /\$\{\s*path\.root\b|\{\{\s*template_dir\s*\}\}/

/** A reference that is not where Packer runs, and what to do about it. */
export interface MisplacedReference {
  reference: TemplateReference
  message: string
}

/**
 * References to a path that is not there where Packer runs, but is relative to the directory of
 * the template file that names it, or to one of that directory's parents in the workspace: a
 * template written to be run from there (`cd packer && packer build .`), run from elsewhere.
 * Packer reads such a path relative to working-directory and refuses the template in validate
 * ("user_data_file not found", "Bad script"), which does not tell where the path would be
 * found. One message each, naming the directory nearest the template that finds it, or how the
 * template of its `kind` names the path from its own directory. A path of a block that runs in no
 * build (inNoBuild) is left out: Packer does not read it.
 */
export function misplacedReferences(
  references: TemplateReference[],
  { kind, workingDirectory, template, workspace }: { kind: 'hcl' | 'json'; workingDirectory: string; template: string; workspace: string }
): MisplacedReference[] {
  const misplaced: MisplacedReference[] = []
  for (const reference of references) {
    if (reference.path === undefined || reference.inNoBuild || existsSync(reference.path) || writtenFromTemplateDirectory.test(reference.written)) continue
    const named = relative(workingDirectory, reference.path)
    const templateDirectory = dirname(reference.file)
    const found = directoriesUp(templateDirectory, workspace).find(
      (directory) => directory !== workingDirectory && existsSync(resolve(directory, named))
    )
    if (found === undefined) continue
    const shown = workspaceRelative(reference.file, workspace)
    const directory = workspaceRelative(found, workspace) || '.'
    const which = found === templateDirectory ? `${directory}, the template's directory` : directory
    const templateThere = relative(found, resolve(workingDirectory, template)) || '.'
    const fromRoot = relative(templateDirectory, resolve(found, named)).split('\\').join('/')
    misplaced.push({
      reference,
      message:
        `template: ${shown}: ${reference.setting} names "${named}", which is not there: Packer reads it relative to ` +
        `working-directory (${workspaceRelative(workingDirectory, workspace) || '.'}), not to the template. It is there relative ` +
        `to ${which}: set working-directory: ${directory} and template: ${templateThere}, ` +
        `or name it from the template's directory ("${fromTemplateDirectory[kind]}/${fromRoot}").`
    })
  }
  return misplaced
}

/**
 * References to a path that is not there, nor where misplacedReferences finds it. Packer reads
 * each of these settings as it prepares the build (os.Stat), and packer validate refuses the
 * template for one that is not there ("Bad script", "Bad source", "user_data_file not found"):
 * one message each, for a job that refuses the template for something else before Packer runs,
 * so that it names every problem at once. Not one of a block that runs in no build (inNoBuild),
 * which Packer does not prepare.
 */
export function missingReferences(
  references: TemplateReference[],
  where: { kind: 'hcl' | 'json'; workingDirectory: string; template: string; workspace: string }
): MisplacedReference[] {
  const misplaced = new Set(misplacedReferences(references, where).map(({ reference }) => reference))
  const { workingDirectory, workspace } = where
  return references.flatMap((reference) => {
    if (reference.path === undefined || reference.inNoBuild || misplaced.has(reference) || existsSync(reference.path)) return []
    const named = relative(workingDirectory, reference.path).split('\\').join('/')
    const written = reference.written === named ? '' : ` (${writtenAsShown(reference)})`
    return [
      {
        reference,
        message:
          `template: ${workspaceRelative(reference.file, workspace)}: ${reference.setting} names ${JSON.stringify(named)}${written}, which is not there ` +
          `(Packer reads it relative to working-directory, ${workspaceRelative(workingDirectory, workspace) || '.'}): packer validate ` +
          'refuses the template for it. Add it, or name a path that is there.'
      }
    ]
  })
}

/**
 * A reference's value as the user wrote it: an expression as such (shown), else the string in
 * quotes, a line break in it as `\n`, so that the message stays on its line.
 */
export function writtenAsShown(reference: Pick<TemplateReference, 'written' | 'shown'>): string {
  return reference.shown ?? JSON.stringify(reference.written)
}

/** `problem`, of `reference`, with the builds that read it, where they are known. */
export function withBuilds(problem: InputProblem, reference: TemplateReference): MissingFileProblem {
  return reference.builds === undefined ? problem : { ...problem, builds: reference.builds }
}

/** `directory` and its parents up to `workspace`, nearest first; none when it is not inside the workspace. */
function directoriesUp(directory: string, workspace: string): string[] {
  if (!liesInside(directory, workspace)) return []
  const found = [directory]
  while (found[found.length - 1] !== workspace && dirname(found[found.length - 1]) !== found[found.length - 1]) {
    found.push(dirname(found[found.length - 1]))
  }
  return found
}

/** A reference the fingerprint cannot cover, and why. */
export interface UnseenReference extends TemplateReference {
  why: 'outside-workspace' | 'unknown'
}

/**
 * What the fingerprint makes of the template's references (sortReferences). A JSON template's
 * are known with the other inputs; an HCL2 template's once its files are read (withHclTemplate),
 * none until then.
 */
export interface ReferencedPaths {
  /** The paths inside the workspace, absolute, each once: fingerprinted too, files and directories alike. */
  referencedPaths: string[]
  /** Those reuse cannot see: outside the workspace, or known only to Packer. */
  unseenReferences: UnseenReference[]
}

export const noReferences: ReferencedPaths = { referencedPaths: [], unseenReferences: [] }

/** A URL is not a file of the runner's (none of these settings takes one; Packer would refuse it). */
function isRemote(value: string): boolean {
  return /^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(value)
}

/** A path the glob library can take literally, once escaped: not one with a line break (it reads one pattern a line). */
function globbable(path: string): boolean {
  return !path.includes('\n')
}

/**
 * The references inside the workspace, to be fingerprinted, and those reuse cannot see. A
 * path the fingerprint cannot name is one it cannot see, like one only Packer knows.
 */
export function sortReferences(references: TemplateReference[], workspace: string): ReferencedPaths {
  const referencedPaths = new Set<string>()
  const unseenReferences: UnseenReference[] = []
  for (const reference of references) {
    if (reference.path === undefined || !globbable(reference.path)) {
      unseenReferences.push({ ...reference, why: 'unknown' })
      continue
    }
    if (!liesInside(reference.path, workspace)) {
      unseenReferences.push({ ...reference, why: 'outside-workspace' })
    } else {
      referencedPaths.add(reference.path)
    }
  }
  return { referencedPaths: [...referencedPaths].sort(), unseenReferences }
}

/** Where a plugin's settings are (a provisioner's, or an override of them), and how to show and place them. */
export interface SettingSite {
  /** The settings, by their keys as written. */
  body: Record<string, unknown>
  /** The setting shown to the user, for a key. */
  shown: (key: string) => string
  /** Where the key is, for placing an annotation. */
  at: (key: string) => JsonPath
}

/** One value a setting gives, as written, before it is evaluated. */
export interface WrittenPath {
  setting: string
  written: string
  at: JsonPath
  /** A list written as one string: Packer splits its value at each comma (JSON templates). */
  commaSeparated: boolean
  /** How the user wrote it, where that reads otherwise (TemplateReference's shown). */
  shown?: string
}

/**
 * The values of the `settings` a plugin's body holds, as written. `key` finds a setting's key
 * among the body's (JSON: as mapstructure does, ignoring case); `splitsStrings` when a list may
 * be written as one string of comma-separated values, as Packer reads a JSON template.
 */
export function writtenPaths(
  site: SettingSite,
  settings: PathSetting[],
  { key = (name) => (name in site.body ? name : undefined), splitsStrings = false }: {
    key?: (name: string, body: Record<string, unknown>) => string | undefined
    splitsStrings?: boolean
  } = {}
): WrittenPath[] {
  const found: WrittenPath[] = []
  for (const setting of settings) {
    const name = key(setting.name, site.body)
    if (name === undefined) continue
    const value = site.body[name]
    if (Array.isArray(value) && setting.list) {
      for (const [index, item] of value.entries()) {
        if (typeof item === 'string') {
          found.push({ setting: `${site.shown(name)}[${index}]`, written: item, at: [...site.at(name), index], commaSeparated: false })
        }
      }
    } else if (typeof value === 'string') {
      found.push({ setting: site.shown(name), written: value, at: site.at(name), commaSeparated: Boolean(setting.list && splitsStrings) })
    }
  }
  return found
}

/**
 * The references a value makes once evaluated (`evaluated` undefined: only Packer knows it; a
 * list for a whole list variable), resolved against the directory Packer runs in. An empty
 * value names nothing.
 */
export function referencesOf(
  value: WrittenPath,
  evaluated: string | string[] | undefined,
  { file, workingDirectory }: { file: string; workingDirectory: string }
): TemplateReference[] {
  const reference = { setting: value.setting, written: value.written, ...(value.shown !== undefined && { shown: value.shown }), file, at: value.at }
  if (evaluated === undefined) return [reference]
  // A list given whole names each path by its entry (`var.steps[1]`).
  const paths = Array.isArray(evaluated)
    ? evaluated.map((path, index) => ({ path, ...(value.shown !== undefined && { shown: `${value.shown}[${index}]` }) }))
    : (value.commaSeparated ? evaluated.split(',') : [evaluated]).map((path) => ({ path }))
  return paths
    .filter(({ path }) => path !== '' && !isRemote(path))
    .map(({ path, ...shown }) => ({ ...reference, ...shown, path: resolve(workingDirectory, path) }))
}

/**
 * Whether the file provisioner reads its sources on the runner before the build: when it
 * uploads (`direction` empty or upload), and its sources are not `generated` during the build.
 * Each as evaluated: undefined when only Packer knows it; `generated` as written when a string,
 * which Packer reads as Go's strconv.ParseBool does (an empty one is false).
 */
export function fileProvisionerReads(direction: string | undefined, generated: boolean | string | undefined): boolean | undefined {
  if (direction === 'download') return false
  if (direction === undefined || generated === undefined) return undefined
  if (typeof generated === 'boolean') return !generated
  return !['1', 't', 'T', 'TRUE', 'true', 'True'].includes(generated)
}

/** A JSON object's key that mapstructure takes for `name`: the same, else the same ignoring case. */
function jsonKey(name: string, body: Record<string, unknown>): string | undefined {
  if (name in body) return name
  return Object.keys(body).find((key) => key.toLowerCase() === name)
}

function asObject(value: unknown): Record<string, unknown> | undefined {
  return isRecord(value) ? value : undefined
}

/** `provisioners[0].scripts[1]`, as a path into a JSON document reads. */
export function shownJsonPath(path: JsonPath): string {
  return path.map((step) => (typeof step === 'number' ? `[${step}]` : `.${step}`)).join('').slice(1)
}

/**
 * The references of a parsed JSON template (`file`, absolute), with its user variables and
 * `{{template_dir}}` and `{{pwd}}` as Packer fills them in, relative to `workingDirectory`.
 */
export function jsonTemplateReferences(
  template: unknown,
  variables: UserVariables,
  context: TemplateContext,
  where: { file: string; workingDirectory: string }
): TemplateReference[] {
  const evaluate = (written: string): string | undefined => resolveUserVariables(written, variables, context)
  const site = (body: Record<string, unknown>, path: JsonPath): SettingSite => ({
    body,
    shown: (key) => shownJsonPath([...path, key]),
    at: (key) => [...path, key]
  })
  const referencesAt = (each: SettingSite, settings: PathSetting[], known = true): TemplateReference[] =>
    writtenPaths(each, settings, { key: jsonKey, splitsStrings: true }).flatMap((value) =>
      referencesOf(value, known ? evaluate(value.written) : undefined, where)
    )
  const root = asObject(template) ?? {}
  const builders = Array.isArray(root.builders) ? root.builders : []
  const names = builders.map(jsonBuildName)
  const builds = names.every((name) => name !== undefined) ? (names as string[]) : undefined
  const references: TemplateReference[] = []
  for (const [index, builder] of builders.entries()) {
    const body = asObject(builder)
    const name = names[index]
    const reading: ReadingBuild[] = [{ ...(name === undefined ? {} : { name }), skippedBy: [] }]
    if (body) references.push(...referencesAt(site(body, ['builders', index]), builderPathSettings).map((reference) => ({ ...reference, builds: reading })))
  }
  /** A provisioner's or post-processor's references; `chain`, a post-processor's sequence up to it, which except may skip it by. */
  const plugin = (body: Record<string, unknown>, path: JsonPath, table: Record<string, PathSetting[]>, chain?: unknown[]): void => {
    const type = body.type
    const settings = typeof type === 'string' && Object.hasOwn(table, type) ? table[type] : undefined
    if (!settings) return
    // An override replaces settings for one build: each build's may name a path of its own.
    const overrides = Object.entries(asObject(body.override) ?? {}).flatMap(([build, inner]) => {
      const settingsOf = asObject(inner)
      return settingsOf ? [{ ...site(settingsOf, [...path, 'override', build]), build }] : []
    })
    const inNoBuild = builds !== undefined && builds.length > 0 && builds.every((build) => runsByOnlyExcept(build, body.only, body.except) === false)
    const running = jsonRunningBuilds(names, body, chain)
    for (const each of [{ ...site(body, path), build: undefined as string | undefined }, ...overrides]) {
      const reads = type === 'file' ? jsonFileProvisionerReads({ ...body, ...each.body }, evaluate) : true
      if (reads === false) continue
      const reading = each.build === undefined ? running : running.filter(({ name }) => name === each.build)
      const found = referencesAt(each, settings, reads === true).map((reference): TemplateReference => ({ ...reference, builds: reading }))
      references.push(...(inNoBuild ? found.map((reference): TemplateReference => ({ ...reference, inNoBuild })) : found))
    }
  }
  for (const [index, provisioner] of (Array.isArray(root.provisioners) ? root.provisioners : []).entries()) {
    const body = asObject(provisioner)
    if (body) plugin(body, ['provisioners', index], provisionerPathSettings)
  }
  for (const [index, entry] of (Array.isArray(root['post-processors']) ? root['post-processors'] : []).entries()) {
    // Each entry is a type name, a definition, or a sequence of them.
    const sequence: Array<[unknown, JsonPath]> = Array.isArray(entry)
      ? entry.map((inner, position): [unknown, JsonPath] => [inner, ['post-processors', index, position]])
      : [[entry, ['post-processors', index]]]
    for (const [position, [definition, path]] of sequence.entries()) {
      const body = asObject(definition)
      if (body) plugin(body, path, postProcessorPathSettings, sequence.slice(0, position + 1).map(([each]) => each))
    }
  }
  return references
}

/**
 * The builds of a JSON template (`names`, jsonBuildName's) that run a provisioner or post-processor
 * (`body`; `chain`, a post-processor's sequence up to it): a build whose name only Packer knows
 * may run it, and so may one where only Packer reads the block's only/except.
 */
function jsonRunningBuilds(names: Array<string | undefined>, body: Record<string, unknown>, chain?: unknown[]): ReadingBuild[] {
  return names.flatMap((name): ReadingBuild[] =>
    name === undefined
      ? [{ skippedBy: [] }]
      : runsByOnlyExcept(name, body.only, body.except) === false
        ? []
        : [{ name, skippedBy: chain ? postProcessorsRun(chain, name) : [] }]
  )
}

/**
 * A JSON template's build as a block's only/except name it (a builder's `name`, else its type);
 * undefined when only Packer knows it (`{{user `name`}}`).
 */
function jsonBuildName(builder: unknown): string | undefined {
  const body = asObject(builder)
  const name = body?.name ?? body?.type
  return typeof name === 'string' && !name.includes('{{') ? name : undefined
}

/** fileProvisionerReads, for a JSON template's settings. */
function jsonFileProvisionerReads(body: Record<string, unknown>, evaluate: (written: string) => string | undefined): boolean | undefined {
  const value = (name: string): unknown => {
    const key = jsonKey(name, body)
    return key === undefined ? undefined : body[key]
  }
  const direction = value('direction') ?? ''
  const generated = value('generated') ?? false
  return fileProvisionerReads(
    typeof direction === 'string' ? evaluate(direction) : undefined,
    typeof generated === 'boolean' ? generated : typeof generated === 'string' ? evaluate(generated) : undefined
  )
}
