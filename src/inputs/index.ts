// Every input is read and checked here, before anything is downloaded, built or sent to AWS.
// Each problem becomes its own message naming the input or file.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path'
import semver from 'semver'
import { parsePluginRequirements, type PluginRequirement } from './plugins.js'
import {
  checkJsonVarFile,
  describeJsonTemplate,
  hclManifestOutput,
  JsonSyntaxError,
  parseJsonWithPosition,
  templateKind,
  type TemplateKind
} from './template.js'
import { combineTags, parseTagLines, provenanceTags } from './tags.js'
import { readTaggingTimeout } from './timeouts.js'
import { checkExistingManifest } from './manifest.js'
import { outsideWorkspaceProblem, packerVersionProblem, readGithubToken } from './checks.js'

export type Command = 'build' | 'validate'
export type OnError = 'cleanup' | 'abort' | 'run-cleanup-provisioner'

export interface Inputs {
  /** Absolute directory Packer runs in. */
  workingDirectory: string
  /** Template path as given, relative to workingDirectory (what Packer is passed). */
  template: string
  templateKind: TemplateKind
  builderTypes: string[]
  postProcessorTypes: string[]
  buildNames: string[]
  varFiles: string[]
  /** Set when var-file was empty and packer-vars.json was found beside a JSON template. */
  defaultVarFile?: string
  variables: Array<{ name: string; value: string }>
  only: string[]
  except: string[]
  command: Command
  packerVersion: string
  packerReleasesUrl: string
  packerSigningKey?: string
  plugins: PluginRequirement[]
  githubToken: string
  cache: boolean
  onError: OnError
  force: boolean
  /** Absolute path of the manifest file to read. */
  manifest: string
  tags: Record<string, string>
  tagSnapshots: boolean
  /** The longest the tagging stage may take. */
  taggingTimeoutSeconds: number
  awsRegion?: string
  summary: boolean
}

/** Where a problem points, so the annotation lands on the file and line. */
export interface ProblemLocation {
  file: string
  line?: number
  column?: number
}

export interface InputProblem {
  message: string
  location?: ProblemLocation
}

export class InputError extends Error {
  constructor(readonly problems: InputProblem[]) {
    super(problems.map((problem) => problem.message).join('\n'))
  }
}

export type InputGetter = (name: string) => string

const commands: Command[] = ['build', 'validate']
const onErrorModes: OnError[] = ['cleanup', 'abort', 'run-cleanup-provisioner']
const regionPattern = /^[a-z]{2}(-[a-z]+)+-\d+$/
const variableNamePattern = /^[A-Za-z_][A-Za-z0-9_-]*$/
const globCharacters = /[*?[]/

/** Lines of a multi-line input, trimmed, without blanks. */
export function inputLines(value: string): string[] {
  return value
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '')
}

/** Names separated by commas or newlines. */
export function inputList(value: string): string[] {
  return value
    .split(/[,\r\n]/)
    .map((item) => item.trim())
    .filter((item) => item !== '')
}

/**
 * Reads and checks all inputs. `env` gives AWS_REGION and the runner's variables;
 * `now` stamps the provenance tags.
 */
export function readInputs(
  get: InputGetter,
  env: Record<string, string | undefined> = process.env,
  now: Date = new Date()
): Inputs {
  const problems: InputProblem[] = []
  const problem = (message: string, location?: ProblemLocation): void => {
    problems.push({ message, location })
  }
  // Annotations are matched to files relative to the workspace.
  const workspace = env.GITHUB_WORKSPACE || process.cwd()
  const shown = (path: string): string => {
    const fromWorkspace = relative(workspace, path)
    return fromWorkspace.startsWith('..') || isAbsolute(fromWorkspace) ? path : fromWorkspace
  }

  const boolean = (name: string): boolean => {
    const value = get(name).trim()
    if (['true', 'True', 'TRUE'].includes(value)) return true
    if (['false', 'False', 'FALSE'].includes(value)) return false
    problem(`${name}: expected true or false, found "${value}"`)
    return false
  }
  const oneOf = <T extends string>(name: string, allowed: T[]): T => {
    const value = get(name).trim()
    if ((allowed as string[]).includes(value)) return value as T
    problem(`${name}: expected one of ${allowed.join(', ')}, found "${value}"`)
    return allowed[0]
  }

  // working-directory, template
  const workingDirectoryInput = get('working-directory').trim() || '.'
  const workingDirectory = resolve(workspace, workingDirectoryInput)
  const outsideWorkspace = outsideWorkspaceProblem('working-directory', workingDirectoryInput, workingDirectory, workspace)
  if (outsideWorkspace) problem(outsideWorkspace)
  const workingDirectoryOk = !outsideWorkspace && isDirectory(workingDirectory)
  if (!outsideWorkspace && !workingDirectoryOk) {
    problem(`working-directory: expected a directory, found none at "${workingDirectoryInput}"`)
  }

  const template = get('template').trim() || 'packer-template.json'
  const templatePath = resolve(workingDirectory, template)
  const templateIsDirectory = isDirectory(templatePath)
  const kind = templateKind(template, templateIsDirectory)
  let builderTypes: string[] = []
  let postProcessorTypes: string[] = []
  let buildNames: string[] = []
  let templateManifestOutput: string | undefined
  if (workingDirectoryOk && !existsSync(templatePath)) {
    problem(
      `template: expected a Packer template at "${template}" in "${workingDirectoryInput}", found no such file`
    )
  } else if (workingDirectoryOk && kind === 'json') {
    const parsed = readJsonFile(templatePath, 'template', shown(templatePath), problem)
    if (parsed !== undefined) {
      try {
        const info = describeJsonTemplate(parsed)
        builderTypes = [...new Set(info.builders.map((builder) => builder.type))]
        buildNames = info.builders.map((builder) => builder.name)
        postProcessorTypes = info.postProcessorTypes
        templateManifestOutput = info.manifestOutput
      } catch (error) {
        problem(`template: ${shown(templatePath)} is not a Packer JSON template: ${(error as Error).message}`, {
          file: shown(templatePath)
        })
      }
    }
  } else if (workingDirectoryOk) {
    const files = templateIsDirectory
      ? readdirSync(templatePath)
          .filter((name) => name.endsWith('.pkr.hcl') || name.endsWith('.pkr.json'))
          .map((name) => join(templatePath, name))
      : [templatePath]
    if (files.length === 0) {
      problem(`template: expected .pkr.hcl or .pkr.json files in the directory "${template}", found none`)
    }
    for (const file of files) {
      if (file.endsWith('.pkr.json')) {
        readJsonFile(file, 'template', shown(file), problem)
      } else {
        templateManifestOutput ??= hclManifestOutput(readFileSync(file, 'utf8'))
      }
    }
  }

  // var-file, variables
  const varFiles = inputLines(get('var-file'))
  let defaultVarFile: string | undefined
  if (varFiles.length === 0 && kind === 'json' && workingDirectoryOk) {
    const besideTemplate = join(dirname(template), 'packer-vars.json')
    if (existsSync(resolve(workingDirectory, besideTemplate))) {
      defaultVarFile = besideTemplate
      varFiles.push(besideTemplate)
    }
  }
  for (const varFile of workingDirectoryOk ? varFiles : []) {
    const path = resolve(workingDirectory, varFile)
    if (!existsSync(path) || isDirectory(path)) {
      problem(`var-file: expected a variables file at "${varFile}" in "${workingDirectoryInput}", found no such file`)
      continue
    }
    if (kind === 'json' && /\.(pkrvars\.)?hcl$/.test(path)) {
      problem(
        `var-file: ${shown(path)} is HCL, but ${template} is a JSON template: its variables files must be ` +
          'JSON (a flat object of names to strings)',
        { file: shown(path) }
      )
      continue
    }
    // Packer reads a JSON template's variables files as JSON, whatever their extension.
    if (!path.endsWith('.json') && kind !== 'json') continue
    const parsed = readJsonFile(path, 'var-file', shown(path), problem)
    if (parsed !== undefined && kind === 'json') {
      const wrong = checkJsonVarFile(parsed)
      if (wrong) problem(`var-file: ${shown(path)}: ${wrong}`, { file: shown(path) })
    }
  }

  const variables: Array<{ name: string; value: string }> = []
  for (const line of inputLines(get('variables'))) {
    const equals = line.indexOf('=')
    const name = equals < 0 ? '' : line.slice(0, equals).trim()
    if (!variableNamePattern.test(name)) {
      problem(`variables: expected NAME=VALUE with a variable name, found "${line.slice(0, 40)}"`)
      continue
    }
    variables.push({ name, value: line.slice(equals + 1) })
  }

  // only, except
  const only = inputList(get('only'))
  const except = inputList(get('except'))
  if (buildNames.length > 0) {
    for (const [name, list] of [
      ['only', only],
      ['except', except]
    ] as const) {
      for (const build of list) {
        if (!globCharacters.test(build) && !buildNames.includes(build)) {
          problem(
            `${name}: the template has no build named "${build}" (its builds: ${buildNames.join(', ')})`
          )
        }
      }
    }
  }

  const command = oneOf('command', commands)
  const onError = oneOf('on-error', onErrorModes)

  // Packer version and where it comes from
  const packerVersion = get('packer-version').trim() || 'latest'
  if (packerVersion !== 'latest' && !semver.valid(packerVersion) && !semver.validRange(packerVersion)) {
    problem(
      `packer-version: expected latest, a version such as 1.11.2 or a range such as ~1.11, found "${packerVersion}"`
    )
  }
  const tooOld = packerVersionProblem(packerVersion)
  if (tooOld) problem(tooOld)
  const releasesInput = get('packer-releases-url').trim() || 'https://releases.hashicorp.com'
  let packerReleasesUrl = releasesInput
  try {
    const url = new URL(releasesInput)
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error('not http(s)')
    packerReleasesUrl = releasesInput.replace(/\/+$/, '')
  } catch {
    problem(`packer-releases-url: expected an http(s) URL, found "${releasesInput}"`)
  }
  const signingKeyInput = get('packer-signing-key').trim()
  if (signingKeyInput && !signingKeyInput.includes('-----BEGIN PGP PUBLIC KEY BLOCK-----')) {
    problem('packer-signing-key: expected an ASCII-armored PGP public key (-----BEGIN PGP PUBLIC KEY BLOCK-----)')
  }

  let plugins: PluginRequirement[] = []
  try {
    plugins = parsePluginRequirements(inputLines(get('plugins')))
  } catch (error) {
    problem((error as Error).message)
  }

  // Tags, against EC2's rules, counting the provenance tags
  const userTags = parseTagLines(inputLines(get('tags')))
  for (const message of userTags.problems) problem(message)
  const withProvenance = boolean('provenance-tags')
  const combined = combineTags(userTags.tags, withProvenance ? provenanceTags(env, now) : {})
  if (combined.problem) problem(combined.problem)

  const regionInput = get('aws-region').trim()
  const awsRegion = regionInput || env.AWS_REGION || env.AWS_DEFAULT_REGION || undefined
  if (awsRegion !== undefined && !regionPattern.test(awsRegion)) {
    const source = regionInput ? 'aws-region' : env.AWS_REGION ? 'AWS_REGION' : 'AWS_DEFAULT_REGION'
    problem(`${source}: expected an AWS region such as us-east-1, found "${awsRegion}"`)
  }

  const manifestInput = get('manifest').trim()
  const manifest = resolve(workingDirectory, manifestInput || templateManifestOutput || 'packer-manifest.json')
  if (workingDirectoryOk) checkExistingManifest(manifest, shown(manifest), problem)

  const inputs: Inputs = {
    workingDirectory,
    template,
    templateKind: kind,
    builderTypes,
    postProcessorTypes,
    buildNames,
    varFiles,
    defaultVarFile,
    variables,
    only,
    except,
    command,
    packerVersion,
    packerReleasesUrl,
    packerSigningKey: signingKeyInput || undefined,
    plugins,
    githubToken: readGithubToken(get('github-token'), problem),
    cache: boolean('cache'),
    onError,
    force: boolean('force'),
    manifest,
    tags: combined.tags,
    tagSnapshots: boolean('tag-snapshots'),
    taggingTimeoutSeconds: readTaggingTimeout(get('tagging-timeout'), problem),
    awsRegion,
    summary: boolean('summary')
  }
  if (problems.length > 0) throw new InputError(problems)
  return inputs
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory()
  } catch {
    return false
  }
}

function readJsonFile(
  path: string,
  input: string,
  shownPath: string,
  problem: (message: string, location?: ProblemLocation) => void
): unknown {
  try {
    return parseJsonWithPosition(readFileSync(path, 'utf8'))
  } catch (error) {
    if (error instanceof JsonSyntaxError) {
      const at = error.position ? ` at line ${error.position.line}, column ${error.position.column}` : ''
      problem(`${input}: ${shownPath} is not valid JSON${at}: ${error.message}`, {
        file: shownPath,
        line: error.position?.line,
        column: error.position?.column
      })
    } else {
      problem(`${input}: cannot read ${basename(path)}: ${(error as Error).message}`)
    }
    return undefined
  }
}
