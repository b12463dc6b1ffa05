// The fingerprint of a build's inputs: a SHA-256 over the template and variables files, the
// files fingerprint-paths matches, the files and directories the template names as inputs of
// the build (template-references.ts), the variables, only and except inputs and the Packer version.
// It is public (the log, the AMIs' BuildFingerprint tag): a secret hashed into it could be guessed
// and checked offline, so the value of each variable the template marks sensitive is left out,
// and only its name counts; where a template or variables file holds such a value (a variables
// file a step writes from a secret), the file is hashed with the value left out too.
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

function templateFilesOf(inputs: FingerprintInputs): string[] {
  const template = resolve(inputs.workingDirectory, inputs.template)
  const own = inputs.templateKind === 'json' || !isDirectory(template) ? [template] : hclTemplateFiles(template)
  return [...own, ...inputs.varFiles.map((varFile) => resolve(inputs.workingDirectory, varFile))]
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
 * string escapes it, replaced by one marker: a file that holds none hashes as it is.
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

/**
 * The SHA-256 of each file, a few at a time, each through a buffer of its own: neither a large
 * file nor many small ones make the action's memory grow. Those of `read` from its bytes; those
 * of `screened` (the template's and variables files) read whole, their sensitive values left out.
 * Once `signal` aborts, no further buffer is read.
 */
async function fileDigests(
  files: string[],
  read: Map<string, Uint8Array>,
  screened: Set<string>,
  sensitive: string[],
  signal?: AbortSignal
): Promise<string[]> {
  const digests: string[] = new Array(files.length)
  let next = 0
  const worker = async (): Promise<void> => {
    const buffer = Buffer.alloc(readSize)
    while (next < files.length) {
      signal?.throwIfAborted()
      const index = next++
      const file = files[index]
      const bytes = sensitive.length > 0 && screened.has(file) ? withoutSensitiveValues(read.get(file) ?? (await readFile(file)), sensitive) : read.get(file)
      digests[index] = bytes ? createHash('sha256').update(bytes).digest('hex') : await fileDigest(file, buffer, signal)
    }
  }
  await Promise.all(Array.from({ length: Math.min(filesAtOnce, files.length) }, worker))
  return digests
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
 * variables file, which earlier versions hashed. Once `signal` aborts it reads no more, and throws.
 */
export async function computeFingerprint(inputs: FingerprintInputs, packerVersion: string, signal?: AbortSignal): Promise<Fingerprint> {
  try {
    const { files, referenced } = await coveredFiles(inputs, signal)
    const sensitive = inputs.sensitiveValues.map(({ value }) => value)
    // Packer reads a directory's *.auto.pkrvars.hcl (and .json) as variables files of their own.
    const screened = new Set([...templateFilesOf(inputs), ...files.filter((file) => /\.pkrvars\.(hcl|json)$/.test(file))])
    const digests = await fileDigests(files, bytesRead(inputs), screened, sensitive, signal)
    const hash = createHash('sha256').update('packer-ami-action fingerprint 1\n')
    files.forEach((file, index) => hash.update(`file\t${relative(inputs.workingDirectory, file)}\t${digests[index]}\n`))
    hash.update(`variables\t${JSON.stringify(fingerprintedVariables(inputs))}\n`)
    hash.update(`only\t${JSON.stringify(inputs.only)}\nexcept\t${JSON.stringify(inputs.except)}\n`)
    return { fingerprint: hash.update(`packer\t${packerVersion}\n`).digest('hex'), files: files.length, referenced }
  } catch (error) {
    const what = "the build's inputs (template, variables files, fingerprint-paths)"
    throw new Error(`Cannot compute the fingerprint of ${what}: ${messageOf(error)}`, { cause: error })
  }
}
