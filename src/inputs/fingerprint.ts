// The fingerprint of a build's inputs: a SHA-256 over the template and variables files, the
// files fingerprint-paths matches, the files and directories the template names as inputs of
// the build (template-references.ts), the variables, only and except inputs, the environment the
// template's variables read (template.ts environmentRead) and the Packer version.
// It is public (the log, the AMIs' BuildFingerprint tag): a secret hashed into it could be guessed
// and checked offline, so the value of each variable the template marks sensitive is left out,
// and only its name counts; where a template or variables file sets such a value (a variables
// file a step writes from a secret), the file is hashed with the value left out too, found by the
// file's syntax wherever it is set, however it is written (withoutSensitiveSettings).
// A module of its own, with the toolkit's glob library. Reading the inputs loads it only to parse
// fingerprint-paths; the job globs and hashes once the inputs are valid and the command is
// build, so refused inputs and validate-only runs never read the files.
import * as glob from '@actions/glob'
import { createHash } from 'node:crypto'
import { open, readFile, stat } from 'node:fs/promises'
import { relative, resolve, sep } from 'node:path'
import { errorMessage } from '../common/errors.js'
import { globLiteral } from '../common/paths.js'
import type { BuildSelection } from './build-selection.js'
import { isDirectory } from './reader.js'
import type { ReuseInputs } from './reuse.js'
import type { TemplateFiles } from './template-files.js'
import { hclTemplateFiles } from './template.js'

export type FingerprintInputs = Pick<
  TemplateFiles,
  | 'workingDirectory'
  | 'template'
  | 'templateKind'
  | 'varFiles'
  | 'manifest'
  | 'otherManifestOutputs'
  | 'sensitiveVariables'
  | 'sensitiveValues'
  | 'referencedPaths'
  | 'jsonTemplate'
  | 'hclFiles'
  | 'variablesEnvironment'
> &
  Pick<BuildSelection, 'variables' | 'only' | 'except'> &
  Pick<ReuseInputs, 'fingerprintPatterns'>

export interface Fingerprint {
  fingerprint: string
  /** How many files it covers. */
  files: number
  /**
   * The paths the template names that it covers and fingerprint-paths does not (absolute,
   * sorted): what the log names, since the user did not list them.
   */
  referenced: string[]
  /** The environment variables it covers, as the template's variables read them: what the log names. */
  environment: string[]
}

// Written by Packer or git, not by the user: they change from run to run without changing the image.
const neverFingerprinted = ['.git', 'packer_cache']
/** Files hashed at the same time: enough to keep the disk busy, few enough to leave Packer its CPU. */
const filesAtOnce = 4
/** Each file is read through one buffer of this size per file hashed at once: memory stays flat. */
const readSize = 256 * 1024

/** The message alone, of Node's errors (AssertionError, ELOOP …) whatever realm made them. */
function messageOf(error: unknown): string {
  const message = (error as { message?: unknown } | undefined)?.message
  return typeof message === 'string' ? message : errorMessage(error)
}

/** Why the glob library refuses one of the patterns, or undefined; reads no file. */
export async function patternProblem(patterns: string[]): Promise<string | undefined> {
  try {
    await glob.create(patterns.join('\n'))
    return undefined
  } catch (error) {
    return messageOf(error)
  }
}

/** The template's own files (absolute): a JSON template, an HCL2 template file, or an HCL2 template directory's. */
function ownTemplateFiles(inputs: FingerprintInputs): string[] {
  const template = resolve(inputs.workingDirectory, inputs.template)
  return inputs.templateKind === 'json' || !isDirectory(template) ? [template] : hclTemplateFiles(template)
}

function templateFilesOf(inputs: FingerprintInputs): string[] {
  return [...ownTemplateFiles(inputs), ...inputs.varFiles.map((varFile) => resolve(inputs.workingDirectory, varFile))]
}

/**
 * The files `patterns` match (a directory's, all of them), but not the manifests or what git and
 * Packer write: a manifest an earlier run left on the runner grows with every run.
 */
async function globbed(patterns: string[], inputs: FingerprintInputs, signal?: AbortSignal): Promise<string[]> {
  const globber = await glob.create(patterns.join('\n'), { matchDirectories: false, implicitDescendants: true })
  const manifests = new Set([inputs.manifest, ...inputs.otherManifestOutputs.map((output) => resolve(inputs.workingDirectory, output))])
  const found: string[] = []
  for await (const file of globber.globGenerator()) {
    signal?.throwIfAborted()
    found.push(file)
  }
  return found.filter((file) => {
    const parts = relative(inputs.workingDirectory, file).split(sep)
    return !manifests.has(file) && !parts.some((part) => neverFingerprinted.includes(part))
  })
}

/**
 * Every file the fingerprint covers, absolute, sorted, and the paths the template names that
 * add files to those: the template's, the variables files, the regular files fingerprint-paths
 * matches and those under the paths the template names (where the `!` patterns of
 * fingerprint-paths still leave files out), but not the manifests or what git and Packer write.
 */
async function coveredFiles(inputs: FingerprintInputs, signal?: AbortSignal): Promise<{ files: string[]; referenced: string[] }> {
  const candidates = new Map<string, string | undefined>()
  const listed = [...templateFilesOf(inputs), ...(await globbed(inputs.fingerprintPatterns, inputs, signal))]
  for (const file of listed) candidates.set(file, undefined)
  const exclusions = inputs.fingerprintPatterns.filter((pattern) => pattern.startsWith('!'))
  // One at a time: a template names a few paths, and each glob walks the disk.
  for (const path of inputs.referencedPaths) {
    for (const file of await globbed([globLiteral(path), ...exclusions], inputs, signal)) {
      if (!candidates.has(file)) candidates.set(file, path)
    }
  }
  const files = [...candidates.keys()]
  // A FIFO, socket or device is no content of the image, and reading a FIFO would never end.
  const regular = await Promise.all(files.map((file) => stat(file).then((stats) => stats.isFile(), () => false)))
  const covered = files.filter((_, index) => regular[index]).sort()
  const referenced = new Set(covered.flatMap((file) => candidates.get(file) ?? []))
  return { files: covered, referenced: [...referenced].sort() }
}

/** Every file the fingerprint covers, absolute, sorted (coveredFiles). */
export async function fingerprintFiles(inputs: FingerprintInputs): Promise<string[]> {
  return (await coveredFiles(inputs)).files
}

async function fileDigest(file: string, buffer: Buffer, signal?: AbortSignal): Promise<string> {
  const hash = createHash('sha256')
  const handle = await open(file, 'r')
  try {
    for (let read = -1; read !== 0; ) {
      signal?.throwIfAborted()
      ;({ bytesRead: read } = await handle.read(buffer, 0, buffer.length, null))
      hash.update(buffer.subarray(0, read))
    }
  } finally {
    await handle.close()
  }
  return hash.digest('hex')
}

/**
 * The bytes of the template's files (and a JSON template's variables files) as the input checks
 * read them, by path (absolute): hashed as they are, the file is not read again.
 */
function bytesRead(inputs: FingerprintInputs): Map<string, Uint8Array> {
  const read = new Map<string, Uint8Array>()
  if (inputs.jsonTemplate?.bytes) read.set(inputs.jsonTemplate.path, inputs.jsonTemplate.bytes)
  for (const varFile of inputs.jsonTemplate?.varFiles ?? []) read.set(varFile.path, varFile.bytes)
  for (const entry of inputs.hclFiles ?? []) if ('bytes' in entry && entry.bytes) read.set(entry.file, entry.bytes)
  return read
}

/** What a sensitive value is hashed as, in a template or variables file: the same whatever the value. */
const sensitiveMarker = Buffer.from('\0sensitive value\0').toString('latin1')

/**
 * The bytes of a template or variables file with each of `values` in it, as written or as a quoted
 * string escapes it, replaced by one marker: a file that holds none hashes as it is. Only for a
 * file the action cannot read the values of (sensitiveSpans).
 */
export function withoutSensitiveValues(bytes: Uint8Array, values: string[]): Uint8Array {
  // Latin-1 maps each byte to one character and back: the replacing is byte for byte.
  const asBytes = (text: string): string => Buffer.from(text, 'utf8').toString('latin1')
  const forms = values.filter((value) => value.trim() !== '').flatMap((value) => [value, JSON.stringify(value).slice(1, -1)])
  let text = Buffer.from(bytes).toString('latin1')
  const before = text
  // The longest first, so that a value that holds another is replaced whole.
  for (const form of [...new Set(forms.map(asBytes))].sort((a, b) => b.length - a.length)) text = text.replaceAll(form, sensitiveMarker)
  return text === before ? bytes : Buffer.from(text, 'latin1')
}

/** A file that may hold the value of a sensitive variable, and how Packer reads it. */
export interface ScreenedFile {
  path: string
  syntax: 'hcl' | 'json'
  /** A template's own file, or a variables file. */
  role: 'template' | 'variables file'
  /** For a template's JSON file: a JSON template's, or an HCL2 template's `.pkr.json`. */
  templateKind?: 'json' | 'hcl'
}

/**
 * Where the file's text writes the values of the sensitive variables `names` and of sensitive
 * locals (hcl-parser.ts variableValueSpans, hcl-json.ts jsonVariableValueSpans); undefined
 * where it is not valid HCL or JSON.
 */
async function sensitiveSpans(file: ScreenedFile, text: string, names: ReadonlySet<string>): Promise<Array<[number, number]> | undefined> {
  if (file.syntax === 'json') {
    const { jsonVariableValueSpans } = await import('./hcl-json.js')
    const layout = file.role === 'variables file' ? 'variables file' : file.templateKind === 'json' ? 'json template' : 'hcl template'
    return jsonVariableValueSpans(text, names, layout)
  }
  const { variableValueSpans } = await import('./hcl-parser.js')
  return variableValueSpans(file.path, text, names, file.role === 'variables file').catch(() => undefined)
}

/**
 * The bytes of a template or variables file with the value of each sensitive variable (of
 * `names`; and of each sensitive local) replaced, where the file writes it, by one marker: the
 * whole value as written, found by the file's syntax, so that neither an escape, a heredoc or an
 * interpolated literal lets the secret through, nor does a short secret (one character) take
 * other text with it. A file that sets none hashes as it is. Where the file is not valid HCL or
 * JSON (a `*.auto.pkrvars.hcl` beside a template file, which Packer does not read), each of the
 * known sensitive `values` is left out wherever the text holds it (withoutSensitiveValues).
 */
export async function withoutSensitiveSettings(
  bytes: Uint8Array,
  file: ScreenedFile,
  names: ReadonlySet<string>,
  values: string[]
): Promise<Uint8Array> {
  const text = Buffer.from(bytes).toString('utf8')
  const spans = await sensitiveSpans(file, text, names)
  if (spans === undefined) return withoutSensitiveValues(bytes, values)
  if (spans.length === 0) return bytes
  let screened = ''
  let at = 0
  for (const [start, end] of spans) {
    if (start < at) continue
    screened += text.slice(at, start) + sensitiveMarker
    at = end
  }
  return Buffer.from(screened + text.slice(at), 'utf8')
}

/** What the fingerprint screens for sensitive values (withoutSensitiveSettings): the files, by path, and what each is. */
interface Screening {
  files: Map<string, ScreenedFile>
  names: ReadonlySet<string>
  values: string[]
}

/**
 * The SHA-256 of each file, a few at a time, each through a buffer of its own: neither a large
 * file nor many small ones make the action's memory grow. Those of `read` from its bytes; those
 * `screening` names (the template's and variables files) read whole, their sensitive values left
 * out. Once `signal` aborts, no further buffer is read.
 */
async function fileDigests(files: string[], read: Map<string, Uint8Array>, screening: Screening | undefined, signal?: AbortSignal): Promise<string[]> {
  const digests: string[] = new Array(files.length)
  let next = 0
  const worker = async (): Promise<void> => {
    const buffer = Buffer.alloc(readSize)
    while (next < files.length) {
      signal?.throwIfAborted()
      const index = next++
      const file = files[index]
      const screened = screening?.files.get(file)
      const bytes =
        screening && screened
          ? await withoutSensitiveSettings(read.get(file) ?? (await readFile(file)), screened, screening.names, screening.values)
          : read.get(file)
      digests[index] = bytes ? createHash('sha256').update(bytes).digest('hex') : await fileDigest(file, buffer, signal)
    }
  }
  await Promise.all(Array.from({ length: Math.min(filesAtOnce, files.length) }, worker))
  return digests
}

/**
 * The files that may hold a sensitive variable's value, and how Packer reads each: the template's
 * own, the variables files, and each `*.pkrvars.hcl` (or `.json`) the fingerprint covers (Packer
 * reads a directory's `*.auto.pkrvars.hcl` of itself; one beside a template file, which it does
 * not read, is hashed all the same). None when the template has no sensitive variable or local.
 */
function screening(inputs: FingerprintInputs, files: string[]): Screening | undefined {
  const values = inputs.sensitiveValues.map(({ value }) => value)
  if (inputs.sensitiveVariables.length === 0 && values.length === 0) return undefined
  const own = ownTemplateFiles(inputs)
  const given = inputs.varFiles.map((varFile) => resolve(inputs.workingDirectory, varFile))
  const variablesFiles = [...given, ...files.filter((file) => /\.pkrvars\.(hcl|json)$/.test(file))]
  const screened = new Map<string, ScreenedFile>()
  for (const file of variablesFiles) {
    // A JSON template's variables files are JSON whatever their names; an HCL2 template's, by extension, as Packer reads them.
    const syntax = file.endsWith('.json') || (inputs.templateKind === 'json' && !file.endsWith('.hcl')) ? 'json' : 'hcl'
    screened.set(file, { path: file, syntax, role: 'variables file' })
  }
  for (const file of own) {
    const syntax = inputs.templateKind === 'json' || file.endsWith('.json') ? 'json' : 'hcl'
    screened.set(file, { path: file, syntax, role: 'template', templateKind: inputs.templateKind === 'json' ? 'json' : 'hcl' })
  }
  return { files: screened, names: new Set(inputs.sensitiveVariables), values }
}

/**
 * Input variables as the fingerprint takes them: NAME and value, or the NAME alone of a sensitive
 * variable, so that giving one more or one less still changes it, and its value never does.
 */
function fingerprintedVariables(inputs: FingerprintInputs): string[][] {
  const sensitive = new Set(inputs.sensitiveVariables)
  return inputs.variables.map(({ name, value }) => (sensitive.has(name) ? [name] : [name, value]))
}

/**
 * The fingerprint; throws, naming fingerprint-paths, when a file cannot be found or read.
 * The same inputs give the same fingerprint as earlier versions of the action computed, but
 * for a value given to a sensitive variable, by the variables input or in a template or
 * variables file, which earlier versions hashed, and for a template whose variables read the
 * environment, which earlier versions did not. Once `signal` aborts it reads no more, and throws.
 */
export async function computeFingerprint(inputs: FingerprintInputs, packerVersion: string, signal?: AbortSignal): Promise<Fingerprint> {
  try {
    const { files, referenced } = await coveredFiles(inputs, signal)
    const digests = await fileDigests(files, bytesRead(inputs), screening(inputs, files), signal)
    const hash = createHash('sha256').update('packer-ami-action fingerprint 1\n')
    files.forEach((file, index) => hash.update(`file\t${relative(inputs.workingDirectory, file)}\t${digests[index]}\n`))
    hash.update(`variables\t${JSON.stringify(fingerprintedVariables(inputs))}\n`)
    // Only where the variables read some: the fingerprint of a template whose variables read none stays as it was.
    const environment = inputs.variablesEnvironment ?? []
    if (environment.length > 0) hash.update(`environment\t${JSON.stringify(environment)}\n`)
    hash.update(`only\t${JSON.stringify(inputs.only)}\nexcept\t${JSON.stringify(inputs.except)}\n`)
    const digest = hash.update(`packer\t${packerVersion}\n`).digest('hex')
    return { fingerprint: digest, files: files.length, referenced, environment: environment.map(([name]) => name) }
  } catch (error) {
    const what = "the build's inputs (template, variables files, fingerprint-paths)"
    throw new Error(`Cannot compute the fingerprint of ${what}: ${messageOf(error)}`, { cause: error })
  }
}

/** The AMI a build's source_ami_filter picks now, in its build region. */
export interface PickedSourceAmi {
  build: string
  region: string
  amiId: string
}

/**
 * The fingerprint with the source AMIs that the builds' filters pick now: a newer base AMI then
 * makes a new fingerprint, and a build. Where none is picked (a template without a filter) it is
 * the fingerprint as it is, the one earlier versions of the action computed.
 */
export function withSourceAmis(fingerprint: string, picked: PickedSourceAmi[]): string {
  if (picked.length === 0) return fingerprint
  const lines = picked.map(({ build, region, amiId }) => `source ami\t${build}\t${region}\t${amiId}\n`).sort()
  return createHash('sha256').update(`packer-ami-action fingerprint 1\nfingerprint\t${fingerprint}\n${lines.join('')}`).digest('hex')
}
