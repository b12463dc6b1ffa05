// Inputs working-directory, template, var-file and manifest: the files Packer is given, read
// as far as the action needs to know them before Packer runs. JSON templates are read here
// with the variables Packer will have; HCL2 files with the HCL parser (hcl.ts).
import { existsSync, readFileSync } from 'node:fs'
import { basename, dirname, join, resolve } from 'node:path'
import type { SensitiveValue } from '../common/values.js'
import { startedIn } from '../common/paths.js'
import { withHomeRegion } from '../common/regions.js'
import { runsByOnlyExcept, variableNamed, type Variables } from './build-selection.js'
import { outsideWorkspaceProblem } from './checks.js'
import type { AmiBuild } from './ami-builds.js'
import type { ProvisionerUse } from './build-variables.js'
import type { HclFileRead, HclTemplateRequest } from './hcl.js'
import { checkExistingManifest } from './manifest.js'
import { isDirectory, type InputProblem, type InputReader } from './reader.js'
import type { VersionDemand } from './required-version.js'
import type { VersionRequest } from './version-request.js'
import { jsonTemplateReferences, misplacedReferences, missingReferences, noReferences, sortReferences, type MisplacedReference, type MissingFileProblem, type ReferencedPaths, type TemplateReference, withBuilds } from './template-references.js'
import { jsonUnbracedCalls, unbracedCallMistake } from './quoted-json-references.js'
import { jsonScopeMistakes, type JsonScopeMistake } from './json-template-scope.js'
import { jsonRegionProblems, withoutValues } from './template-regions.js'
import { jsonImageFilterProblems } from './image-filters.js'
import { jsonVolumeTypeProblems } from './volume-types.js'
import {
  autoVarFiles,
  autoVarFilesBeside,
  checkJsonVarFile,
  describeJsonTemplate,
  encodingMistake,
  environmentRead,
  type EnvironmentRead,
  hclTemplateFiles,
  jsonAmiBuilds,
  jsonByteOrderMark,
  jsonProvisionerUses,
  jsonVariableEnvironment,
  misspeltRootKey,
  misspeltVarFileKeys,
  templateKind,
  undeclaredJsonVariables,
  unusedJsonVariables,
  userVariables,
  withPackerRootKeys,
  type JsonTemplateInfo,
  type JsonTemplateSource,
  type JsonVarFileRead,
  type TemplateContext,
  type TemplateKind,
  type UndeclaredVariable,
  undeclaredSensitiveVariables,
  type UserVariables
} from './template.js'

export interface TemplateFiles extends ReferencedPaths {
  /** Absolute directory Packer runs in. */
  workingDirectory: string
  /** Template path as given, relative to workingDirectory (what Packer is passed). */
  template: string
  templateKind: TemplateKind
  /** A JSON template as read here, for the stages after the build; undefined for an HCL2 one. */
  jsonTemplate?: JsonTemplateSource
  /** An HCL2 template's files as read here, each once, for the template's read (hcl.ts); none for a JSON one. */
  hclFiles?: HclFileText[]
  /**
   * The environment the template's variables read in this run, as the fingerprint takes it
   * (environmentRead): a JSON template's `{{env}}`, read here; an HCL2 template's `env()` in
   * defaults and `PKR_VAR_<name>`, once its files are read (withHclTemplate).
   */
  variablesEnvironment?: EnvironmentRead[]
  builderTypes: string[]
  postProcessorTypes: string[]
  /** A JSON template's post-processors by name, or by type when unnamed: what except may name besides builds. */
  postProcessorNames: string[]
  provisionerTypes: string[]
  /**
   * Builds in the template's order. JSON: known before Packer runs. HCL2: filled in from
   * `packer inspect` once Packer is installed.
   */
  buildNames: string[]
  /** False when a JSON builder's name is only known at build time. */
  buildNamesKnown: boolean
  /**
   * A JSON template's builds, by name, whose builder launches no EC2 instance of its own: an
   * `amazon-chroot` one, which runs on the runner's own instance, or one of another kind than
   * Amazon's (`null`, `docker`…). No line of such a build is Packer announcing a resource of the
   * build's, however much its scripts print one (an HCL2 build's name holds its type:
   * buildsWithoutInstance).
   */
  jsonBuildsWithoutInstance: string[]
  /**
   * An HCL2 template's builder type of each build, once the parser has read it (hcl.ts
   * hclBuildTypes): it tells what a build launches where Packer alone knows the build's name.
   */
  hclBuildTypes?: string[]
  /**
   * A JSON template's provisioners and error-cleanup-provisioner, where they are, with the builds
   * that run them (jsonProvisionerUses): some cannot work on a runner (provisionerProblems). An
   * HCL2 template's are read with its files (HclTemplate).
   */
  jsonProvisionerUses?: ProvisionerUse[]
  /** A JSON template's builds, with their builders, where each is written (jsonAmiBuilds); undefined when it could not be read. */
  jsonAmiBuilds?: AmiBuild[]
  /**
   * Paths a JSON template names that are not where Packer runs, but beside the template
   * (misplacedReferences), each on its value: the job refuses them before Packer is installed
   * unless only or except are given (an HCL2 template's are read with its files: HclTemplate).
   */
  jsonMisplacedReferenceProblems?: InputProblem[]
  /**
   * Paths a JSON template names that are not there at all (missingReferences), each on its value:
   * Packer refuses them in validate, and the job names them with any problem it refuses the
   * template for before Packer runs (an HCL2 template's are read with its files: HclTemplate).
   */
  jsonMissingReferenceProblems?: MissingFileProblem[]
  /**
   * A JSON template's strings that write a variable's call without its braces (`user `x``), which
   * Packer takes as text (jsonUnbracedCalls): a warning each, on the string, before Packer is
   * installed (an HCL2 template's references written as text: HclTemplate's quotedReferenceWarnings).
   */
  jsonUnbracedCallWarnings?: InputProblem[]
  /** An HCL2 template's builds, once the parser has read every file (hcl.ts hclAmiBuilds). */
  hclAmiBuilds?: AmiBuild[]
  /** An HCL2 template's provisioners' types, once the parser has read every file (hcl.ts hclProvisionerTypes). */
  hclProvisionerTypes?: string[]
  varFiles: string[]
  /** Set when var-file was empty and packer-vars.json was found beside a JSON template. */
  defaultVarFile?: string
  /**
   * About input variables that a JSON template neither declares nor uses, which Packer ignores
   * (an HCL2 template refuses them: hcl.ts checks them once it is read).
   */
  variablesWarnings: string[]
  /**
   * Variables that a JSON template uses outside its `variables` and nothing sets, each with where
   * it is first used: Packer makes them empty without a word.
   */
  undeclaredVariables: UndeclaredVariable[]
  /**
   * Entries of a JSON template's `sensitive-variables` that name no variable it declares
   * (undeclaredSensitiveVariables): Packer hides nothing by them, without a word.
   */
  undeclaredSensitive: UndeclaredVariable[]
  /**
   * Keys of a JSON template's variables files that it does not declare, each a small edit from a
   * declared variable left at its default (misspeltVarFileKeys): Packer ignores them without a word.
   */
  misspeltVarFileKeys: MisspeltVarFileKey[]
  /**
   * `*.auto.pkrvars.hcl` and `*.auto.pkrvars.json` files beside an HCL2 template file that
   * var-file does not list, relative to the working directory: Packer reads such files only
   * from a template directory, so their values are not used.
   */
  ignoredAutoVarFiles: string[]
  /** Absolute path of the manifest file to read. */
  manifest: string
  /**
   * Where the template's other manifest post-processors write, where that is known before the
   * build, relative to the working directory or absolute: their folders are made too.
   */
  otherManifestOutputs: string[]
  /**
   * The folders of the template's manifest post-processors whose `output` only Packer knows
   * whole, where the folder is known, relative to the working directory or absolute: made
   * before the build too.
   */
  manifestFolders: string[]
  /** True when input manifest named the file (else it came from the template or the default). */
  manifestGiven: boolean
  /**
   * The template's manifest `output` as written, when only Packer knows its value before the
   * build (`{{timestamp}}`, a function) and input manifest is empty: `manifest` is then the default.
   */
  manifestUnknown?: string
  /**
   * Names of the template's sensitive variables (`sensitive-variables`, `sensitive = true`): the
   * fingerprint keeps their values out. An HCL2 template's are known once its files are read
   * (withHclTemplate); none until then.
   */
  sensitiveVariables: string[]
  /** Values of the template's sensitive variables, each with its variable, to be masked in the log. */
  sensitiveValues: SensitiveValue[]
  /**
   * A JSON template's sensitive variables whose values only Packer can work out
   * (`{{vault …}}`): the job asks Packer for them before its output is logged.
   */
  sensitiveUnknown: string[]
}

interface TemplateDescription extends ReferencedPaths {
  builderTypes: string[]
  postProcessorTypes: string[]
  postProcessorNames: string[]
  provisionerTypes: string[]
  buildNames: string[]
  buildNamesKnown: boolean
  jsonBuildsWithoutInstance: string[]
  jsonProvisionerUses: ProvisionerUse[]
  jsonAmiBuilds?: AmiBuild[]
  jsonMisplacedReferenceProblems: InputProblem[]
  jsonMissingReferenceProblems: MissingFileProblem[]
  jsonUnbracedCallWarnings: InputProblem[]
  sensitiveVariables: string[]
  sensitiveValues: SensitiveValue[]
  sensitiveUnknown: string[]
  manifestOutput?: string
  manifestOutputUnknown?: string
  otherManifestOutputs: string[]
  manifestFolders: string[]
  variablesWarnings: string[]
  undeclaredVariables: UndeclaredVariable[]
  undeclaredSensitive: UndeclaredVariable[]
  misspeltVarFileKeys: MisspeltVarFileKey[]
}

/** A variables file's key that its JSON template does not declare, and the declared name it is near. */
export interface MisspeltVarFileKey {
  /** The variables file, absolute. */
  file: string
  name: string
  meant: string
}

/**
 * What is wrong with a file at packer-manifest.json, for an HCL2 template with input manifest
 * empty: a problem only if the template's manifest post-processor writes there
 * (checkHclDefaultManifest).
 */
export interface DefaultManifestProblems {
  defaultManifestProblems: InputProblem[]
}

/**
 * Whether every variables file var-file lists was read: one refused (not there, not JSON, not
 * strings) may set any of the template's values, so that what was worked out from the others and
 * the defaults (a path, a build's name) may not be what Packer will have.
 */
export interface VarFilesRead {
  varFilesRead: boolean
}

const nothingKnown: TemplateDescription = {
  builderTypes: [],
  postProcessorTypes: [],
  postProcessorNames: [],
  provisionerTypes: [],
  buildNames: [],
  buildNamesKnown: true,
  jsonBuildsWithoutInstance: [],
  jsonProvisionerUses: [],
  jsonMisplacedReferenceProblems: [],
  jsonMissingReferenceProblems: [],
  jsonUnbracedCallWarnings: [],
  sensitiveVariables: [],
  sensitiveValues: [],
  sensitiveUnknown: [],
  otherManifestOutputs: [],
  manifestFolders: [],
  variablesWarnings: [],
  undeclaredVariables: [],
  undeclaredSensitive: [],
  misspeltVarFileKeys: [],
  ...noReferences
}

/**
 * What the template asks of Packer's version: a JSON template's `min_packer_version`, read with
 * it; an HCL2 file's `required_version`, read here only when packer-version names one release
 * (checkVersionDemands), else with the rest of the template (HclTemplate's versionDemands), which
 * the install stage checks once latest or the range resolves to one (demandsNotMet). None for a
 * template that is not there or does not parse.
 */
export interface VersionDemands {
  versionDemands: VersionDemand[]
}

/**
 * A file of an HCL2 template as the input checks read it, once: its path, absolute, and its
 * text, a `.pkr.json` file's parsed as JSON too (`json`); `bytes`, what the text was read from,
 * for the fingerprint; `read`, the file parsed, when a check here needed it; `error`, why it
 * could not be read, for the template's read to report.
 */
export type HclFileText = { file: string; text: string; bytes?: Uint8Array; json?: unknown; read?: HclFileRead } | { file: string; error: unknown }

export function readTemplateFiles(
  reader: InputReader,
  variables: Variables,
  env: Record<string, string | undefined>,
  { variablesRead = true, homeRegion }: { variablesRead?: boolean; homeRegion?: string } = {}
): TemplateFiles & DefaultManifestProblems & VersionDemands & VarFilesRead {
  const workingDirectoryInput = reader.text('working-directory', '.')
  const workingDirectory = resolve(reader.workspace, workingDirectoryInput)
  const outside = outsideWorkspaceProblem('working-directory', workingDirectoryInput, workingDirectory, reader.workspace)
  if (outside) reader.problem(outside)
  const found = !outside && isDirectory(workingDirectory)
  if (!outside && !found) {
    reader.problem(`working-directory: expected a directory, found none at "${workingDirectoryInput}"`)
  }

  const template = reader.text('template', 'packer-template.json')
  const templatePath = resolve(workingDirectory, template)
  const kind = templateKind(template, isDirectory(templatePath))
  const templateFound = found && existsSync(templatePath)
  if (found && !templateFound) {
    reader.problem(
      `template: expected a Packer template at "${template}" in "${workingDirectoryInput}", found no such file`
    )
  }

  const { varFiles, defaultVarFile } = varFilesOf(reader, { kind, template, workingDirectory: found ? workingDirectory : undefined })
  const checked = found
    ? varFiles.map((varFile) => checkVarFile(reader, { kind, template }, resolve(workingDirectory, varFile), varFile, workingDirectoryInput))
    : []
  const jsonVarFiles = checked.flatMap((each) => each ?? [])
  const varFilesRead = checked.every((each) => each !== undefined)

  const valuesKnown = variablesRead && varFilesRead
  const read = { path: templatePath, template, varFiles: jsonVarFiles, variables, workingDirectory, valuesKnown, homeRegion }
  const { description, versionDemands, jsonTemplate, variablesEnvironment } =
    templateFound && kind === 'json' ? readJsonTemplate(reader, read, env) : { description: nothingKnown, versionDemands: [], jsonTemplate: undefined }
  const hclFiles = templateFound && kind === 'hcl' ? readHclFiles(reader, template, templatePath) : undefined
  const { manifestOutput, manifestOutputUnknown, ...builds } = description
  return {
    workingDirectory,
    template,
    templateKind: kind,
    ...(jsonTemplate && { jsonTemplate }),
    ...(variablesEnvironment && { variablesEnvironment }),
    ...(hclFiles && { hclFiles }),
    ...builds,
    varFiles,
    defaultVarFile,
    varFilesRead,
    versionDemands,
    ignoredAutoVarFiles: templateFound && kind === 'hcl' ? autoVarFilesBeside(workingDirectory, template, varFiles) : [],
    ...manifestFile(reader, workingDirectory, found, { manifestOutput, manifestOutputUnknown }, {
      hcl: templateFound && kind === 'hcl',
      // Without a manifest post-processor, Packer never writes the default file of a JSON template.
      writes: kind !== 'json' || builds.postProcessorTypes.includes('manifest')
    })
  }
}

/**
 * A JSON template, read once with its root keys as Packer reads them (`Builders` as `builders`),
 * and described with the variables Packer will have; nothing known when it is not JSON.
 */
function readJsonTemplate(
  reader: InputReader,
  json: { path: string; template: string; varFiles: JsonVarFile[]; variables: Variables; workingDirectory: string; valuesKnown: boolean; homeRegion?: string },
  env: Record<string, string | undefined>
): { description: TemplateDescription; versionDemands: VersionDemand[]; jsonTemplate?: JsonTemplateSource; variablesEnvironment?: EnvironmentRead[] } {
  const { path, workingDirectory } = json
  const file = reader.jsonFile(path, 'template', hclNamedAsJson(json.template))
  if (file === undefined) return { description: nothingKnown, versionDemands: [] }
  const parsed = withPackerRootKeys(file.parsed)
  const values = userVariables(parsed, json.varFiles.map((varFile) => varFile.parsed), json.variables)
  const packerEnv = startedIn(workingDirectory, withHomeRegion(env, json.homeRegion))
  const description = describeJson(reader, { ...json, parsed, values }, { env: packerEnv, templateDir: dirname(path), pwd: workingDirectory })
  const demand = minPackerVersion(parsed, path, reader.shown(path))
  const varFiles = json.varFiles.map(({ path, text, bytes }) => ({ path, text, bytes }))
  const variablesEnvironment = environmentRead(jsonVariableEnvironment(values), description.sensitiveVariables, packerEnv)
  const jsonTemplate = { path, text: file.text, bytes: file.bytes, variables: values, varFiles }
  return { description, versionDemands: demand ? [demand] : [], jsonTemplate, variablesEnvironment }
}

/**
 * Input var-file's files; when it is empty, packer-vars.json beside a JSON template in the
 * working directory (undefined when there is none), if it is there.
 */
function varFilesOf(
  reader: InputReader,
  { kind, template, workingDirectory }: { kind: TemplateKind; template: string; workingDirectory?: string }
): { varFiles: string[]; defaultVarFile?: string } {
  const varFiles = reader.lines('var-file')
  if (varFiles.length > 0 || kind !== 'json' || workingDirectory === undefined) return { varFiles }
  const besideTemplate = join(dirname(template), 'packer-vars.json')
  if (!existsSync(resolve(workingDirectory, besideTemplate))) return { varFiles }
  return { varFiles: [besideTemplate], defaultVarFile: besideTemplate }
}

/**
 * The manifest file to read: input manifest's, else the JSON template's, else the default; and
 * the file already there checked, when input manifest names it or the template may write it
 * (`writes`: false for a JSON template with no manifest post-processor). An HCL2 template that
 * names another path is read later (hcl.ts), which checks the file there; with `hcl` (an HCL2
 * template that is there), what is wrong with the file at the default path is kept for
 * checkHclDefaultManifest. `found` is false when the working directory is not there.
 */
function manifestFile(
  reader: InputReader,
  workingDirectory: string,
  found: boolean,
  { manifestOutput, manifestOutputUnknown }: Pick<TemplateDescription, 'manifestOutput' | 'manifestOutputUnknown'>,
  { hcl, writes }: { hcl: boolean; writes: boolean }
): Pick<TemplateFiles, 'manifest' | 'manifestGiven' | 'manifestUnknown'> & DefaultManifestProblems {
  const manifestInput = reader.text('manifest')
  const manifest = resolve(workingDirectory, manifestInput || manifestOutput || 'packer-manifest.json')
  // Where only Packer knows the template's path, the file at the default one is not Packer's.
  const unknown = manifestInput === '' ? manifestOutputUnknown : undefined
  const defaultManifestProblems: InputProblem[] = []
  if (found && unknown === undefined && (writes || manifestInput !== '')) {
    const problem =
      hcl && manifestInput === ''
        ? (message: string, location?: InputProblem['location']) => defaultManifestProblems.push({ message, location })
        : (message: string, location?: InputProblem['location']) => reader.problem(message, location)
    checkExistingManifest(manifest, reader.shown(manifest), problem)
  }
  return unknown === undefined
    ? { manifest, manifestGiven: manifestInput !== '', defaultManifestProblems }
    : { manifest, manifestGiven: false, manifestUnknown: unknown, defaultManifestProblems }
}

/**
 * A file at packer-manifest.json that Packer's manifest post-processor would fail on, beside an
 * HCL2 template and with input manifest empty, is refused only when the template writes there:
 * its manifest post-processor's `output` is empty or names that file. The template is parsed for
 * that only here, when such a file is there; else the job parses it once Packer has started. The
 * template's files, with those parsed here.
 */
export async function checkHclDefaultManifest(
  reader: InputReader,
  request: HclTemplateRequest,
  { defaultManifestProblems }: DefaultManifestProblems,
  env: Record<string, string | undefined>
): Promise<HclFileText[] | undefined> {
  if (defaultManifestProblems.length === 0) return request.hclFiles
  const { hclManifestPath } = await import('./hcl.js')
  // A template the parser cannot read is left to packer validate, which says where.
  const written = await hclManifestPath(request, env).catch(() => undefined)
  if (written?.path === request.manifest) {
    for (const { message, location } of defaultManifestProblems) reader.problem(message, location)
  }
  return written?.hclFiles ?? request.hclFiles
}

/**
 * Names, manifest path, sensitive values and the paths the template names can come from user
 * variables: read with their values. Where those are not all known (`valuesKnown` false: a
 * variables file or an input variable could not be read, and the inputs are refused), the files
 * not there and the builds that run the provisioners, which the refusal names with its own
 * problems (readInputs), are only those that cannot be other: no path or build name made from a
 * variable.
 */
function describeJson(
  reader: InputReader,
  {
    path,
    template,
    parsed,
    varFiles,
    variables,
    values,
    workingDirectory,
    valuesKnown,
    homeRegion
  }: { path: string; template: string; parsed: unknown; varFiles: JsonVarFile[]; variables: Variables; values: UserVariables; workingDirectory: string; valuesKnown: boolean; homeRegion?: string },
  context: TemplateContext
): TemplateDescription {
  try {
    const given = variables.map(({ name }) => name)
    const files = varFiles.map((varFile) => varFile.parsed)
    const info = describeJsonTemplate(parsed, values, context)
    checkJsonRegions(reader, { path, parsed, varFiles, variables, builders: info.builders, sensitive: info.sensitiveValues }, values, context)
    const buildNames = info.builders.flatMap((builder) => (builder.name === undefined ? [] : [builder.name]))
    const references = jsonTemplateReferences(parsed, values, context, { file: path, workingDirectory })
    const selected = jsonSelection(reader, info.builders)
    return {
      builderTypes: [...new Set(info.builders.map((builder) => builder.type))],
      buildNames,
      buildNamesKnown: buildNames.length === info.builders.length,
      jsonBuildsWithoutInstance: info.builders.flatMap((builder) => (launchesInstance(builder.type) || builder.name === undefined ? [] : [builder.name])),
      jsonProvisionerUses: jsonProvisionerUses(parsed, valuesKnown ? info.builders : withNamesWritten(parsed, info.builders), { path, shown: reader.shown(path) }),
      jsonAmiBuilds: jsonAmiBuilds(parsed, info.builders, { path, shown: reader.shown(path) }, values, context.env, homeRegion),
      postProcessorTypes: info.postProcessorTypes,
      postProcessorNames: info.postProcessorNames,
      provisionerTypes: info.provisionerTypes,
      sensitiveVariables: info.sensitiveVariables,
      sensitiveValues: info.sensitiveValues,
      sensitiveUnknown: info.sensitiveUnknown,
      manifestOutput: info.manifestOutput,
      manifestOutputUnknown: info.manifestOutputUnknown,
      otherManifestOutputs: info.otherManifestOutputs,
      manifestFolders: info.manifestFolders,
      variablesWarnings: unusedVariableWarnings(parsed, files, variables, template),
      ...undeclaredJsonNames(parsed, values),
      misspeltVarFileKeys: misspeltVarFileKeys(parsed, files, given).map(({ varFile, name, meant }) => ({ file: varFiles[varFile].path, name, meant })),
      ...jsonReferenceProblems(reader, references, { path, template, workingDirectory }, info.sensitiveValues, valuesKnown),
      jsonUnbracedCallWarnings: withoutValues(unbracedCallWarnings(reader.shown(path), path, parsed, values, selected), info.sensitiveValues),
      ...sortReferences(references, reader.workspace)
    }
  } catch (error) {
    const shown = reader.shown(path)
    const misspelt = misspeltRootKey(parsed, 'builders')
    const problem = `template: ${shown} is not a Packer JSON template: ${(error as Error).message}`
    if (misspelt === undefined) reader.problem(problem, { file: shown })
    else reader.problem(`${problem}; Packer does not know its key "${misspelt}": did you mean "builders"?`, { file: shown, value: { path, at: [misspelt] } })
    return nothingKnown
  }
}

/** About each input variable that the JSON template neither declares nor uses (unusedJsonVariables). */
function unusedVariableWarnings(parsed: unknown, files: unknown[], variables: Variables, template: string): string[] {
  const given = variables.map(({ name }) => name)
  return unusedJsonVariables(parsed, files, given).map(({ name, meant }) => {
    const variable = variables.find((one) => one.name === name) ?? { name, value: '' }
    const hint = meant === undefined ? '' : ` (did you mean "${meant}"?)`
    return `variables: ${variableNamed(variable)} is neither declared nor used by ${template}${hint}: Packer ignores it, and the template's own value stays`
  })
}

/**
 * A warning on each string of the JSON template at `path` that writes a variable's call without
 * {{ }} (jsonUnbracedCalls), in a variable or in a block of the builds Packer will run (`selected`).
 */
function unbracedCallWarnings(shown: string, path: string, parsed: unknown, values: UserVariables, selected: JsonSelection): InputProblem[] {
  return jsonUnbracedCalls(parsed, values.keys()).filter(selected.reads).map(({ at, setting, of, text, call, does, inVariable }) => ({
    message: `template: ${shown}: ${setting} of ${of} ${unbracedCallMistake(text, call, does, inVariable)}`,
    location: { file: shown, value: { path, at, itself: true } }
  }))
}

/**
 * A JSON template's references that are not where Packer runs but beside the template
 * (misplacedReferences), and those not there at all (missingReferences): each on its value,
 * where no sensitive value shows.
 */
function jsonReferenceProblems(
  reader: InputReader,
  references: TemplateReference[],
  { path, template, workingDirectory }: { path: string; template: string; workingDirectory: string },
  sensitive: SensitiveValue[],
  valuesKnown: boolean
): Pick<TemplateDescription, 'jsonMisplacedReferenceProblems' | 'jsonMissingReferenceProblems'> {
  const where = { kind: 'json', workingDirectory, template, workspace: reader.workspace } as const
  const onValue = ({ reference, message }: MisplacedReference): InputProblem => ({ message, location: { file: reader.shown(path), value: { path, at: reference.at } } })
  return {
    jsonMisplacedReferenceProblems: withoutValues(misplacedReferences(references, where).map(onValue), sensitive),
    jsonMissingReferenceProblems: withoutValues(
      missingReferences(references, where)
        // A path made from a variable, worked out without a value a variables file may set, may be another.
        .filter(({ reference }) => valuesKnown || !callsUserVariable.test(reference.written))
        .map((missing) => withBuilds(onValue(missing), missing.reference)),
      sensitive
    )
  }
}

/** A JSON template's string that reads a user variable: ``{{user `dir`}}``, `{{ user "dir" }}`. */
const callsUserVariable = /\{\{[^}]*\buser\b/

/**
 * A JSON template's builders, those whose `name` is made from a variable as if only Packer knew
 * it: what a variables file that could not be read sets may name them otherwise.
 */
function withNamesWritten(parsed: unknown, builders: JsonTemplateInfo['builders']): JsonTemplateInfo['builders'] {
  const written = (parsed as { builders?: unknown }).builders
  return builders.map((builder, index) => {
    const name = Array.isArray(written) ? (written[index] as { name?: unknown } | null)?.name : undefined
    return typeof name === 'string' && name.includes('{{') ? { type: builder.type } : builder
  })
}

/** The variables a JSON template uses that nothing sets, and its `sensitive-variables` entries that it does not declare. */
function undeclaredJsonNames(parsed: unknown, values: UserVariables): Pick<TemplateDescription, 'undeclaredVariables' | 'undeclaredSensitive'> {
  return { undeclaredVariables: undeclaredJsonVariables(parsed, values), undeclaredSensitive: undeclaredSensitiveVariables(parsed) }
}

/**
 * A JSON template's regions with spaces in them (jsonRegionProblems), where no sensitive value
 * shows, its misspelt source_ami_filter names (jsonImageFilterProblems), the volume types EC2 does not
 * know (jsonVolumeTypeProblems), and the {{ }} that read what Packer does not give where they are
 * written (jsonScopeMistakes), in the builds Packer will run.
 */
function checkJsonRegions(
  reader: InputReader,
  {
    path,
    parsed,
    varFiles,
    variables,
    builders,
    sensitive
  }: { path: string; parsed: unknown; varFiles: JsonVarFile[]; variables: Variables; builders: Array<{ name?: string }>; sensitive: SensitiveValue[] },
  values: UserVariables,
  context: TemplateContext
): void {
  const { built, reads } = jsonSelection(reader, builders)
  const sources = {
    template: { path, shown: reader.shown(path) },
    varFiles: varFiles.map((varFile) => ({ ...varFile, shown: reader.shown(varFile.path) })),
    variables,
    built
  }
  for (const { message, location } of withoutValues(jsonRegionProblems(parsed, values, context, sources), sensitive)) reader.problem(message, location)
  for (const { message, location } of jsonImageFilterProblems(parsed, sources.template.shown, path, built)) reader.problem(message, location)
  for (const { message, location } of jsonVolumeTypeProblems(parsed, sources.template.shown, path, built)) reader.problem(message, location)
  const scope = jsonScopeMistakes(parsed)
    .filter(reads)
    .map(({ at, setting, of, mistake, key }) => ({
      message: `template: ${sources.template.shown}: ${setting} of ${of} ${mistake}`,
      location: { file: sources.template.shown, value: { path, at, itself: !key } }
    }))
  for (const { message, location } of withoutValues(scope, sensitive)) reader.problem(message, location)
}

/** Which builders of a JSON template the run builds, and which of the template's settings Packer reads in them (jsonSelection). */
interface JsonSelection {
  built: (index: number) => boolean
  reads: (setting: Pick<JsonScopeMistake, 'builder' | 'onlyExcept' | 'override' | 'skippedBy'>) => boolean
}

/**
 * The builders (`builders`, describeJsonTemplate's) the only and except inputs leave in, and the
 * settings Packer reads in those builds: a builder's when it is built; a provisioner's or
 * post-processor's when it runs in one of them (its own only/except), a provisioner's override's
 * when its build is one, a post-processor's unless except names it (or one before it in its
 * chain: Packer skips the rest); any other's (a variable's) always. An override for no build
 * Packer refuses itself.
 */
function jsonSelection(reader: InputReader, builders: Array<{ name?: string }>): JsonSelection {
  // Packer matches a JSON template's build names exactly; a build only Packer can name may be left out.
  const [only, except] = [reader.list('only'), reader.list('except')]
  const built = (index: number): boolean => {
    const name = builders[index]?.name
    if (name === undefined) return only.length === 0 && except.length === 0
    return (only.length === 0 || only.includes(name)) && !except.includes(name)
  }
  // Packer prepares a provisioner or post-processor only in the builds it runs in: in none, it renders none of its settings.
  const runsInABuild = ({ only, except }: { only: unknown; except: unknown }): boolean =>
    builders.length === 0 || builders.some(({ name }, index) => built(index) && (name === undefined || runsByOnlyExcept(name, only, except) !== false))
  const reads: JsonSelection['reads'] = ({ builder, onlyExcept, override, skippedBy }) => {
    if (builder !== undefined) return built(builder)
    if (skippedBy?.some((name) => except.includes(name))) return false
    if (override === undefined) return onlyExcept === undefined || runsInABuild(onlyExcept)
    const index = builders.findIndex(({ name }) => name === override)
    return index >= 0 && built(index) && (onlyExcept === undefined || runsByOnlyExcept(override, onlyExcept.only, onlyExcept.except) !== false)
  }
  return { built, reads }
}

/**
 * An HCL2 template's files, absolute, each read once: the rest of it is read with the HCL parser
 * once the inputs pass (hcl.ts), from this text. Those that are not JSON where they must be are
 * left out; one that cannot be read is left for that read to report.
 */
function readHclFiles(reader: InputReader, template: string, path: string): HclFileText[] {
  const files = isDirectory(path) ? hclTemplateFiles(path) : [path]
  if (files.length === 0) {
    reader.problem(`template: expected .pkr.hcl or .pkr.json files in the directory "${template}", found none`)
  }
  if (isDirectory(path)) for (const file of autoVarFiles(path)) checkEncoding(reader, 'template', file)
  return files.flatMap((file): HclFileText[] => {
    if (!file.endsWith('.pkr.json')) {
      const read = hclFileText(file)
      if ('text' in read) checkEncoding(reader, 'template', file, read.text)
      return [read]
    }
    const read = reader.jsonFile(file, 'template')
    return read === undefined ? [] : [{ file, text: read.text, bytes: read.bytes, json: read.parsed }]
  })
}

/**
 * A file Packer reads that it cannot, for how it was saved (encodingMistake; a JSON file's byte
 * order mark too, which HCL reads): one problem on its first line, naming `input` and the file.
 * The files read as JSON here say so as they are parsed (InputReader.jsonFile); one that cannot
 * be read is left to its other reads.
 */
function checkEncoding(reader: InputReader, input: string, file: string, text?: string): void {
  try {
    text ??= readFileSync(file, 'utf8')
  } catch {
    return
  }
  const mistake = encodingMistake(text) ?? (file.endsWith('.json') && text.startsWith('\uFEFF') ? jsonByteOrderMark : undefined)
  if (mistake === undefined) return
  const shown = reader.shown(file)
  reader.problem(`${input}: ${shown}: ${mistake}`, { file: shown, line: 1, column: 1 })
}

/** One file of an HCL2 template (`file`, absolute), read. */
export function hclFileText(file: string): HclFileText {
  try {
    const bytes = readFileSync(file)
    return { file, text: bytes.toString('utf8'), bytes }
  } catch (error) {
    return { file, error }
  }
}

/** A JSON template's `min_packer_version`, when it is a string. */
function minPackerVersion(parsed: unknown, path: string, shown: string): VersionDemand | undefined {
  const minimum = (parsed as { min_packer_version?: unknown } | null)?.min_packer_version
  if (typeof minimum !== 'string' || minimum === '') return undefined
  return { setting: 'min_packer_version', constraint: minimum, location: { file: shown, value: { path, at: ['min_packer_version'] } } }
}

/**
 * The template's demands on Packer's version (VersionDemands) against the one release that
 * packer-version names: Packer refuses a template that excludes it, but only once installed.
 * A range or latest names no release until the releases are looked up: the install stage asks
 * the same rule then (demandsNotMet), before it downloads. An HCL2 template's files, with those
 * parsed here for their `required_version`.
 */
export async function checkVersionDemands(
  reader: InputReader,
  request: VersionRequest,
  { versionDemands, hclFiles }: VersionDemands & Pick<TemplateFiles, 'hclFiles'>
): Promise<HclFileText[] | undefined> {
  if (request.kind !== 'exact') return hclFiles
  const named = hclFiles?.some((entry) => 'text' in entry && entry.text.includes('required_version'))
  if (versionDemands.length === 0 && !named) return hclFiles
  const { checkDemandsMet, hclVersionDemands, withRequiredVersionsParsed } = await import('./required-version.js')
  const files = hclFiles && (await withRequiredVersionsParsed(hclFiles))
  const demands = [...versionDemands, ...(files ? await hclVersionDemands(files, (path) => reader.shown(path)) : [])]
  if (demands.length > 0) await checkDemandsMet(reader, request.version, demands)
  return files
}

/** A JSON template's variables file, parsed, with the text and bytes it was read from: `path` is absolute. */
interface JsonVarFile extends JsonVarFileRead {
  parsed: unknown
}

/**
 * What to do about a file Packer reads as a JSON template although its name says HCL
 * (`golden.hcl`): Packer goes by the name alone, so the fix is the name.
 */
function hclNamedAsJson(template: string): string | undefined {
  const name = basename(template)
  if (name.endsWith('.pkrvars.hcl')) {
    return 'It is named as a variables file: give it as var-file, and the template (a .pkr.hcl file or a directory) as template'
  }
  if (!name.endsWith('.hcl')) return undefined
  return (
    'Packer reads a template as HCL2 only when its name ends in .pkr.hcl or .pkr.json, or when it is a directory, ' +
    `and as JSON otherwise: rename it to ${name.slice(0, -'.hcl'.length)}.pkr.hcl`
  )
}

/**
 * Checks a variables file; a JSON template's come back parsed, to fill in its variables. Undefined
 * when it is refused: what it would set is not known.
 */
function checkVarFile(
  reader: InputReader,
  { kind, template }: { kind: TemplateKind; template: string },
  path: string,
  varFile: string,
  workingDirectoryInput: string
): JsonVarFile[] | undefined {
  if (!existsSync(path) || isDirectory(path)) {
    reader.problem(
      `var-file: expected a variables file at "${varFile}" in "${workingDirectoryInput}", found no such file`
    )
    return undefined
  }
  const shownPath = reader.shown(path)
  const extension = goExtension(varFile)
  if (kind === 'hcl' && extension !== '.hcl' && extension !== '.json') {
    reader.problem(
      `var-file: expected a variables file whose name ends in .hcl or .json, found "${varFile}": Packer reads an ` +
        "HCL2 template's variables files by their extension and refuses any other (rename it, e.g. prod.pkrvars.hcl)",
      { file: shownPath }
    )
    return undefined
  }
  if (kind === 'json' && /\.(pkrvars\.)?hcl$/.test(path)) {
    reader.problem(
      `var-file: ${shownPath} is HCL, but ${template} is a JSON template: its variables files must be JSON ` +
        '(a flat object of names to strings)',
      { file: shownPath }
    )
    return undefined
  }
  // Packer reads a JSON template's variables files as JSON, whatever their extension.
  if (!path.endsWith('.json') && kind !== 'json') {
    checkEncoding(reader, 'var-file', path)
    return []
  }
  const file = reader.jsonFile(path, 'var-file')
  if (file === undefined) return undefined
  if (kind !== 'json') return []
  const wrong = checkJsonVarFile(file.parsed)
  const shown = reader.shown(path)
  for (const { problem, at } of wrong) reader.problem(`var-file: ${shown}: ${problem}`, { file: shown, value: { path, at } })
  return wrong.length > 0 ? undefined : [{ path, ...file }]
}

/** A path's extension as Go's filepath.Ext gives it, which Packer goes by: from the last dot of its last part. */
function goExtension(path: string): string {
  const name = path.slice(path.lastIndexOf('/') + 1)
  const dot = name.lastIndexOf('.')
  return dot < 0 ? '' : name.slice(dot)
}

/**
 * The builders that launch an EC2 instance of their own to build on, and announce it and the key
 * pair, security group and the rest they make for it (what the post step removes after a killed
 * Packer).
 */
const instanceBuilders = new Set(['amazon-ebs', 'amazon-ebssurrogate', 'amazon-ebsvolume', 'amazon-instance'])

function launchesInstance(builderType: string): boolean {
  return instanceBuilders.has(builderType)
}

/**
 * The template's builds whose builder launches no EC2 instance of its own (jsonBuildsWithoutInstance):
 * whatever their scripts print, no line of theirs announces a resource to remove. An HCL2 build is
 * named `[<build>.]<type>.<source>` (packer inspect): one is taken as launching none only when no
 * part of its name is the type of a builder that does.
 */
export function buildsWithoutInstance(template: Pick<TemplateFiles, 'templateKind' | 'buildNames' | 'jsonBuildsWithoutInstance'>): string[] {
  if (template.templateKind === 'json') return template.jsonBuildsWithoutInstance
  return template.buildNames.filter((name) => !name.split('.').some(launchesInstance))
}

/** The provisioners Packer 1.7 to 1.12 run from their own code (command/execute.go), not from a plugin's. */
const packersOwnProvisioners = new Set(['breakpoint', 'file', 'hcp-sbom', 'powershell', 'shell', 'shell-local', 'sleep', 'windows-restart', 'windows-shell'])

/**
 * Whether Packer `packerVersion` writes a line a script of the template prints as it writes its
 * builder's steps (`==> <build>: `), which tells neither from the other. Packer 1.13 and later
 * write every line of a build so (packer/ui.go, TargetedUI.Message), as the log shows
 * (RunRecord scriptLinesAlike). From Packer 1.7 on, a provisioner may be a plugin's, and a
 * plugin built with packer-plugin-sdk 0.6.3 or later says its script's output (RemoteCmd.RunWithUi),
 * rather than giving it as a message, `    <build>: `, as Packer's own provisioners do before 1.13.
 */
export function scriptLinesAlike(template: Pick<TemplateFiles, 'templateKind' | 'provisionerTypes' | 'hclProvisionerTypes'>, packerVersion: string): boolean {
  const [major, minor] = (/^v?(\d+)\.(\d+)/.exec(packerVersion) ?? []).slice(1).map(Number)
  if (major === undefined || minor === undefined || (major === 1 && minor < 7)) return false
  const types = template.templateKind === 'json' ? template.provisionerTypes : (template.hclProvisionerTypes ?? [])
  return types.some((type) => !packersOwnProvisioners.has(type))
}

/**
 * Whether no build of the template launches an EC2 instance of its own, whatever it is named:
 * an HCL2 template of one build is not listed (packer inspect), so its build's name is not
 * known, but its source's type is.
 */
export function noBuildLaunchesInstance(template: Pick<TemplateFiles, 'templateKind' | 'builderTypes' | 'hclBuildTypes'>): boolean {
  const types = template.templateKind === 'json' ? template.builderTypes : (template.hclBuildTypes ?? [])
  return types.length > 0 && !types.some(launchesInstance)
}
