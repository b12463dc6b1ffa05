// What the action needs to know about a template before Packer runs: its kind, the
// builders and post-processors it names, where its manifest post-processor writes and which
// values it declares sensitive.
import { readdirSync, statSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { isPathSeparator } from '../common/paths.js'
import { isRecord, literalBoolean, stringsOf, type SensitiveValue } from '../common/values.js'
import { buildRegionOf, copiesToNoRegion, otherAssumeRoleSettings, ownCredentialsOf, namesCredentials, pickedSourceAmi, regionsMade, setsOwnCredentials, sourceAmiFilterOf, regionsOf, type AmiBuild, type CopyRegion, type OwnCredentials, type SourceAmiFilter, type WrittenTags } from './ami-builds.js'
import type { BuildOfUse, ConnectionRead, ProvisionerUse } from './build-variables.js'
import { runsByOnlyExcept } from './build-selection.js'
import { connectionAttributes } from './connecting-provisioners.js'
import { meantName } from './near-names.js'
import { connectsThroughSessionManager } from './session-manager.js'
import { strings } from './quoted-json-references.js'
import { binaryShellScripts, shellLocalScripts } from './shell-local.js'

export type TemplateKind = 'json' | 'hcl'

/** Packer's own rule for the files of an HCL2 template. */
export function isHclTemplateFile(name: string): boolean {
  return name.endsWith('.pkr.hcl') || name.endsWith('.pkr.json')
}

/** Packer's own rule: HCL2 mode for .pkr.hcl / .pkr.json files and for directories. */
export function templateKind(path: string, isDirectory: boolean): TemplateKind {
  return isDirectory || isHclTemplateFile(path) ? 'hcl' : 'json'
}

/**
 * The files Packer reads for an HCL2 template directory, in its order: every `.pkr.hcl` file,
 * then every `.pkr.json` file, each by name as Go sorts them (byte by byte).
 */
export function hclTemplateFiles(directory: string): string[] {
  const names = readdirSync(directory, { withFileTypes: true })
    .filter((entry) => !entry.isDirectory())
    .map((entry) => entry.name)
    .sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)))
  return [...names.filter((name) => name.endsWith('.pkr.hcl')), ...names.filter((name) => name.endsWith('.pkr.json'))].map((name) =>
    join(directory, name)
  )
}

/**
 * Whether a name Packer writes in a diagnostic (`on my templates/web.pkr.hcl line 3:`, as it read
 * the file: relative to `workingDirectory`, or absolute) is a file it reads: the template's (a
 * file or a directory), its own variables files, or `varFiles` (relative to `workingDirectory`).
 * The files are listed once, when first asked; none when the template cannot be read.
 */
export function readByPacker(workingDirectory: string, template: string, varFiles: string[] = []): (name: string) => boolean {
  let files: Set<string> | undefined
  const list = (): Set<string> => {
    const path = resolve(workingDirectory, template)
    try {
      const own = statSync(path).isDirectory() ? [...hclTemplateFiles(path), ...autoVarFilesIn(path)] : [path]
      return new Set([...own, ...varFiles.map((file) => resolve(workingDirectory, file))])
    } catch {
      return new Set()
    }
  }
  return (name) => (files ??= list()).has(resolve(workingDirectory, name))
}

/**
 * The variables files Packer reads by itself for an HCL2 template (a file or a directory,
 * absolute): the `*.auto.pkrvars.hcl` and `*.auto.pkrvars.json` files of a template directory,
 * by name. For a template file, none: Packer reads them only from the directory it is given,
 * not from the one beside a file.
 */
export function autoVarFiles(templatePath: string): string[] {
  return statSync(templatePath).isDirectory() ? autoVarFilesIn(templatePath) : []
}

/** The `*.auto.pkrvars.hcl` and `*.auto.pkrvars.json` files of a directory (absolute), by name. */
function autoVarFilesIn(directory: string): string[] {
  return readdirSync(directory)
    .filter((name) => name.endsWith('.auto.pkrvars.hcl') || name.endsWith('.auto.pkrvars.json'))
    .sort()
    .map((name) => join(directory, name))
}

/**
 * The auto variables files beside an HCL2 template file that Packer does not read, as var-file
 * does not name them: paths relative to the working directory, as `template` and `varFiles`
 * are. None beside a template directory, whose own Packer reads.
 */
export function autoVarFilesBeside(workingDirectory: string, template: string, varFiles: string[]): string[] {
  const templatePath = resolve(workingDirectory, template)
  if (statSync(templatePath).isDirectory()) return []
  const listed = new Set(varFiles.map((file) => resolve(workingDirectory, file)))
  return autoVarFilesIn(dirname(templatePath))
    .filter((file) => !listed.has(file))
    .map((file) => relative(workingDirectory, file))
}

export interface JsonPosition {
  line: number
  column: number
}

export class JsonSyntaxError extends Error {
  constructor(
    message: string,
    readonly position?: JsonPosition
  ) {
    super(message)
  }
}

/** Line and column (1-based) of a character offset, for error messages that point at a file. */
export function positionOf(text: string, offset: number): JsonPosition {
  let line = 1
  let lineStart = 0
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text[i] === '\n') {
      line++
      lineStart = i + 1
    }
  }
  return { line, column: offset - lineStart + 1 }
}

/**
 * The root keys of a legacy JSON template, as Packer decodes its root (mapstructure, which
 * matches a key without regard to case when none is written exactly).
 */
const jsonRootKeys = [
  'min_packer_version',
  'description',
  'variables',
  'sensitive-variables',
  'builders',
  'provisioners',
  'post-processors',
  'error-cleanup-provisioner',
  'push',
  'comments'
]

/**
 * The root key Packer reads `key` as, among the root keys `written` in the template: the one it
 * documents (`builders` for `Builders`), unless that one is written too; else `key` itself.
 */
export function packerRootKey(key: string, written: readonly unknown[]): string {
  const known = jsonRootKeys.find((name) => name.toLowerCase() === key.toLowerCase())
  return known !== undefined && !written.includes(known) ? known : key
}

/** A parsed JSON template with each root key that Packer reads in another case (`Builders`) named as written here. */
export function withPackerRootKeys(template: unknown): unknown {
  if (typeof template !== 'object' || template === null || Array.isArray(template)) return template
  const entries = Object.entries(template)
  const written = entries.map(([key]) => key)
  return Object.fromEntries(entries.map(([key, value]) => [packerRootKey(key, written), value]))
}

/**
 * A legacy JSON template as the inputs read it, once: the stages after the build place Packer's
 * problems in its text, on the lines as written, finding each root key as Packer reads it
 * (packerRootKey, through common/json-place.ts rootEntry), whatever its case.
 */
export interface JsonTemplateSource {
  /** The file, absolute. */
  path: string
  text: string
  /** What `text` was read from: the fingerprint hashes these bytes, not the file again. */
  bytes?: Uint8Array
  /** Its user variables as Packer will have them (userVariables): what Packer fills into a value it quotes. */
  variables: UserVariables
  /** Its variables files as the input checks read them, in the order given: not read again. */
  varFiles?: JsonVarFileRead[]
}

/** An environment variable a template's variables read: its name, and the value Packer finds, unless it is left out. */
export type EnvironmentRead = [name: string] | [name: string, value: string]

/** A variable, and the environment variables its value in this run reads. */
export type VariableEnvironment = [variable: string, names: readonly string[]]

/**
 * The variables that hold the credentials Packer's AWS SDK is given: they choose the account that
 * builds, not what is built, and a session's change with every run. A template that passes them
 * on in its variables (`"aws_secret_key": "{{env `AWS_SECRET_ACCESS_KEY`}}"`,
 * `default = env("AWS_SECRET_ACCESS_KEY")`) reads them by name.
 */
const credentialVariables = new Set(['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_SECURITY_TOKEN', 'AWS_ACCESS_KEY', 'AWS_SECRET_KEY'])

/**
 * The environment variables that a template's variables read in this run (`reads`: a JSON
 * template's `{{env `X`}}`, jsonVariableEnvironment; an HCL2 template's `env("X")` and
 * `PKR_VAR_<name>`, hcl.ts hclVariableCandidates), as the fingerprint takes them: each with the
 * value Packer finds in `env` ('' when unset), sorted by name. A base image or a version taken
 * from the environment goes into the image as much as a variable given by input. Of one that a
 * sensitive variable reads, or that holds credentials, the name alone: its value is a secret,
 * and the fingerprint is public.
 */
export function environmentRead(reads: Iterable<VariableEnvironment>, sensitive: readonly string[], env: Record<string, string | undefined>): EnvironmentRead[] {
  const read = new Set<string>()
  const secret = new Set<string>()
  for (const [variable, names] of reads) {
    for (const name of names) {
      read.add(name)
      if (sensitive.includes(variable) || credentialVariables.has(name)) secret.add(name)
    }
  }
  return [...read].sort().map((name): EnvironmentRead => (secret.has(name) ? [name] : [name, env[name] ?? '']))
}

/**
 * The environment variables that the values of a JSON template's variables read (`{{env `X`}}`,
 * which Packer allows there alone), as Packer settles those values (userVariables).
 */
export function jsonVariableEnvironment(values: UserVariables): VariableEnvironment[] {
  return [...values].map(([variable, value]): VariableEnvironment => [variable, templateCalls(value ?? '', 'env').map(({ name }) => name)])
}

/** A JSON template's variables file as the input checks read it: `path` absolute, `text` decoded from `bytes`. */
export interface JsonVarFileRead {
  path: string
  text: string
  bytes: Uint8Array
}

/** A root key of `template` that Packer does not know (it refuses the template) and that is probably `wanted` misspelt. */
export function misspeltRootKey(template: unknown, wanted: string): string | undefined {
  if (!isRecord(template) || wanted in template) return undefined
  return Object.keys(template).find((key) => !key.startsWith('_') && !jsonRootKeys.includes(key) && meantName(key, [wanted]) === wanted)
}

/**
 * What is wrong with a file's text, read as UTF-8, when it was saved as UTF-16 (PowerShell 5's
 * `>` and `Out-File` save so, with a byte order mark): Packer reads UTF-8 only, and its message
 * (and JSON.parse's) quotes the bytes as garbage. Its first character, ASCII in any template or
 * variables file, is then a NUL byte and another, in either order, after the mark's two bytes
 * (no UTF-8: each decodes as U+FFFD).
 */
export function encodingMistake(text: string): string | undefined {
  if (!/^(\uFFFD\uFFFD)?([^\0]\0|\0[^\0])/.test(text)) return undefined
  return 'it is saved as UTF-16, which Packer does not read: save it as UTF-8 without a byte order mark'
}

/** A JSON file that begins with a byte order mark: Go's JSON decoder refuses it (HCL reads it). */
export const jsonByteOrderMark = 'it begins with a byte order mark (U+FEFF), which Packer does not read: save it as UTF-8 without one'

/** JSON.parse with the line and column of a syntax error, whatever the Node version says. */
export function parseJsonWithPosition(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch (error) {
    const encoding = encodingMistake(text)
    if (encoding !== undefined) throw new JsonSyntaxError(encoding, { line: 1, column: 1 })
    // Node quotes the mark itself, which no one can see; Packer refuses it too.
    if (text.startsWith('\uFEFF')) throw new JsonSyntaxError(jsonByteOrderMark, { line: 1, column: 1 })
    const message = (error as Error).message
    const offset = failedAt(text, message)
    // V8 names the `}` or `]` after a comma too many, and says it expected a name or a value.
    const comma = offset === undefined ? undefined : trailingComma(text, offset)
    if (comma !== undefined) throw new JsonSyntaxError('a comma after the last entry, which JSON does not allow: remove it', positionOf(text, comma))
    const token = unexpectedToken.exec(message)
    // V8 names what comes after a missing comma (or a `}` left out before it): the comma goes
    // right after the value before, often at the end of the line above.
    const missing = offset !== undefined && /^Expected ',' or '[}\]]' after (property value|array element)/.test(message)
    const position = offset === undefined ? undefined : positionOf(text, missing ? text.slice(0, offset).trimEnd().length : offset)
    const reason = token
      ? // A mark is shown; a letter or digit may begin a secret.
        `Unexpected token${/[\p{L}\p{N}]/u.test(token[1]) ? '' : ` '${token[1]}'`}`
      : message
          .replace(/\s*\(line \d+ column \d+\)/, '')
          .replace(/ in JSON at position \d+$/, '')
          .replace(/^JSON\.parse: /, '')
    throw new JsonSyntaxError(reason, position)
  }
}

// V8 says where only for some mistakes; for a token it does not expect (a value left unquoted,
// a comma too many) it quotes the text around it instead, which may be a secret.
const unexpectedToken = /^Unexpected token '([\s\S])', [\s\S]* is not valid JSON$/

/** The offset in `text` of the mistake JSON.parse refused it for, with `message`, where known. */
function failedAt(text: string, message: string): number | undefined {
  const lineColumn = /\(line (\d+) column (\d+)\)/.exec(message)
  const offset = /at position (\d+)/.exec(message)
  if (lineColumn) {
    const lineStart = text.split('\n').slice(0, Number(lineColumn[1]) - 1).reduce((start, line) => start + line.length + 1, 0)
    return lineStart + Number(lineColumn[2]) - 1
  }
  if (offset) return Number(offset[1])
  if (/end of (JSON|data) input/i.test(message)) return text.length
  if (unexpectedToken.test(message)) return unexpectedAt(text)
  return undefined
}

/**
 * The comma before the `}` or `]` at `offset`, where it is the mistake: without it, the text
 * parses, or fails only further on. A comma before a `]` that closes no list (a `{` left open)
 * is not.
 */
function trailingComma(text: string, offset: number): number | undefined {
  if (text[offset] !== '}' && text[offset] !== ']') return undefined
  const comma = text.slice(0, offset).trimEnd().length - 1
  if (text[comma] !== ',') return undefined
  const without = `${text.slice(0, comma)} ${text.slice(comma + 1)}`
  try {
    JSON.parse(without)
    return comma
  } catch (error) {
    const later = failedAt(without, (error as Error).message)
    return later === undefined || later > offset ? comma : undefined
  }
}

/**
 * Where JSON's grammar first fails in `text`, which JSON.parse refused: the offset of the first
 * character that cannot continue a JSON text, or the end. Only for the place: JSON.parse decides.
 */
function unexpectedAt(text: string): number {
  const scan = { text, at: 0 }
  try {
    jsonValue(scan)
    skipSpace(scan)
    return scan.at
  } catch (failedAt) {
    if (typeof failedAt !== 'number') throw failedAt
    return failedAt
  }
}

interface Scan {
  text: string
  at: number
}

function skipSpace(scan: Scan): void {
  while (scan.at < scan.text.length && ' \t\n\r'.includes(scan.text[scan.at])) scan.at++
}

/** Steps over `char`, after white space; throws where it is not. */
function step(scan: Scan, char: string): void {
  skipSpace(scan)
  if (scan.text[scan.at] !== char) throw scan.at
  scan.at++
}

function jsonString(scan: Scan): void {
  step(scan, '"')
  const { text } = scan
  while (scan.at < text.length && text[scan.at] !== '"') {
    if (text.charCodeAt(scan.at) < 0x20) throw scan.at
    if (text[scan.at] === '\\') {
      scan.at++
      if (!'"\\/bfnrtu'.includes(text[scan.at] || 'x')) throw scan.at
      if (text[scan.at] === 'u') for (const end = scan.at + 4; scan.at < end; ) if (!/[0-9a-fA-F]/.test(text[++scan.at] ?? '')) throw scan.at
    }
    scan.at++
  }
  step(scan, '"')
}

/** A number, read as V8 reads it: each part to the first character that cannot continue it. */
function jsonNumber(scan: Scan): void {
  const digits = (): void => {
    const start = scan.at
    while (/\d/.test(scan.text[scan.at] ?? '')) scan.at++
    if (scan.at === start) throw scan.at
  }
  if (scan.text[scan.at] === '-') scan.at++
  if (scan.text[scan.at] === '0') scan.at++
  else digits()
  if (scan.text[scan.at] === '.') {
    scan.at++
    digits()
  }
  if (/[eE]/.test(scan.text[scan.at] ?? '')) {
    scan.at++
    if (/[-+]/.test(scan.text[scan.at] ?? '')) scan.at++
    digits()
  }
}

function jsonValue(scan: Scan): void {
  skipSpace(scan)
  const open = scan.text[scan.at]
  if (open === '"') return jsonString(scan)
  if (open !== '{' && open !== '[') {
    // A word is read as V8 reads it, to the first character that does not continue it.
    const word = ['true', 'false', 'null'].find((name) => name[0] === open)
    for (const char of word ?? '') if (scan.text[scan.at++] !== char) throw scan.at - 1
    if (word) return
    jsonNumber(scan)
    return
  }
  const close = open === '{' ? '}' : ']'
  scan.at++
  skipSpace(scan)
  for (let first = true; scan.text[scan.at] !== close || !first; first = false) {
    if (!first) step(scan, ',')
    if (close === '}') {
      jsonString(scan)
      step(scan, ':')
    }
    jsonValue(scan)
    skipSpace(scan)
    if (scan.text[scan.at] === close) break
  }
  scan.at++
}

/** Values of a JSON template's user variables, as Packer settles them; `undefined` when unknown. */
export type UserVariables = Map<string, string | undefined>

/**
 * What a JSON template's `{{ … }}` may name besides user variables, as Packer knows it: the
 * environment, `{{template_dir}}` (the template file's directory, absolute) and `{{pwd}}` (the
 * directory Packer runs in).
 */
export interface TemplateContext {
  env?: Record<string, string | undefined>
  templateDir?: string
  pwd?: string
  /** The build a post-processor's setting is read for: `{{build_name}}` and `{{build_type}}`. */
  build?: { name: string; type: string }
  /** Where Packer runs, which decides what separates a path's folders (isPathSeparator); this machine when unset. */
  platform?: NodeJS.Platform
}

/**
 * One `{{ … }}` action of Packer's text/template syntax, when it only names a user variable
 * (`{{user `x`}}`, `{{ user "x" }}`), an environment variable, or a directory.
 */
function simpleAction(
  action: string
): { fn: 'user' | 'env'; name: string } | { fn: 'template_dir' | 'pwd' | 'build_name' | 'build_type' } | undefined {
  const words = action.trim()
  if (words === 'template_dir' || words === 'pwd' || words === 'build_name' || words === 'build_type') return { fn: words }
  for (const fn of ['user', 'env'] as const) {
    if (!words.startsWith(fn)) continue
    const argument = words.slice(fn.length).trim()
    if (argument === words.slice(fn.length)) continue // `username`, not `user name`
    const quote = argument[0]
    if ((quote === '`' || quote === '"') && argument.length >= 2 && argument.endsWith(quote)) {
      const name = argument.slice(1, -1)
      if (!name.includes(quote) && !name.includes('\\')) return { fn, name }
    }
  }
  return undefined
}

/** The user variable that `text` is alone, one `{{user `x`}}` action and nothing else, when it is one. */
export function onlyUserVariable(text: string): string | undefined {
  if (!text.startsWith('{{') || text.indexOf('}}') !== text.length - 2) return undefined
  const action = simpleAction(text.slice(2, -2).replace(/^-\s|\s-$/g, ''))
  return action?.fn === 'user' ? action.name : undefined
}

/**
 * Fills in `{{user `x`}}`, `{{template_dir}}` and `{{pwd}}` the way Packer does when it reads
 * the template, and `{{env `X`}}` in a variable's value (`inVariable`), the only place Packer
 * allows it. Anything else that Packer only knows at build time (`{{timestamp}}`, pipelines,
 * functions) makes the result unknown: `undefined`, and the caller lets Packer decide.
 */
export function resolveUserVariables(
  text: string,
  variables: UserVariables,
  context: TemplateContext = {},
  inVariable = false,
  depth = 0
): string | undefined {
  let out = ''
  let index = 0
  while (index < text.length) {
    const open = text.indexOf('{{', index)
    if (open < 0) {
      out += text.slice(index)
      break
    }
    const close = text.indexOf('}}', open + 2)
    if (close < 0) return undefined
    out += text.slice(index, open)
    const action = simpleAction(text.slice(open + 2, close).replace(/^-\s|\s-$/g, ''))
    if (!action) return undefined
    let value: string | undefined
    if (!('name' in action)) value = contextValue(action.fn, context)
    else if (action.fn === 'env') value = inVariable ? (context.env?.[action.name] ?? '') : undefined
    else {
      value = variables.get(action.name)
      // A variable's value may itself name other variables; Packer settles those first.
      if (value !== undefined && value.includes('{{')) {
        value = depth < 8 ? resolveUserVariables(value, variables, context, true, depth + 1) : undefined
      }
    }
    if (value === undefined) return undefined
    out += value
    index = close + 2
  }
  return out
}

function contextValue(fn: 'template_dir' | 'pwd' | 'build_name' | 'build_type', context: TemplateContext): string | undefined {
  if (fn === 'template_dir') return context.templateDir
  if (fn === 'pwd') return context.pwd
  return fn === 'build_name' ? context.build?.name : context.build?.type
}

/**
 * The names that the `{{ … }}` actions of `text` pass to `user`, read the way Go's text/template
 * reads an action: `{{user `x`}}`, `{{ user "x" | lower }}`, `{{ split (user `list`) "," 0 }}`.
 * A string, a comment or a field (`.user`) is not a call.
 */
export function userVariableNames(text: string): string[] {
  return templateCalls(text, 'user').map(({ name }) => name)
}

/** One call of a function with a string in a `{{ … }}` action: the name it is given, and the action as written. */
export interface TemplateCall {
  name: string
  action: string
}

/** The calls in the `{{ … }}` actions of `text` of `fn` with a string (`{{env `HOME`}}`, `{{ user "x" }}`), read as userVariableNames reads them. */
export function templateCalls(text: string, fn: string): TemplateCall[] {
  return templateActions(text).flatMap(({ action, tokens }) =>
    tokens.flatMap((token, index) => {
      const argument = tokens[index + 1]
      return token.kind === 'word' && token.text === fn && argument?.kind === 'string' && !argument.text.startsWith("'") ? [{ name: stringValue(argument.text), action }] : []
    })
  )
}

/**
 * A field of the template's data that a `{{ … }}` action of a text reads (`{{ .SourceAMI }}`): its
 * first name, the action as written, and the action's words (the functions it calls: `clean_resource_name`).
 */
export interface TemplateField {
  field: string
  action: string
  words: string[]
}

/**
 * The fields of the template's data that the `{{ … }}` actions of `text` read: `Version` of
 * `{{ .Version }}`, `SourceAMITags` of `{{ .SourceAMITags.Name }}`. A field of something else
 * (`$x.Name`, `(user `x`).Name`) or in a string is not one; nor is one read where Go's
 * text/template has set the dot to another value: inside `{{ with … }}`, `{{ range … }}` (until
 * their `{{ else }}` or `{{ end }}`), `{{ define … }}` and `{{ block … }}`, where
 * `{{ with .SourceAMITags }}{{ .Name }}{{ end }}` reads the tag Name. Their own pipeline reads the data.
 */
export function templateFields(text: string): TemplateField[] {
  // For each block open around an action: whether the dot there is another value.
  const rebound: boolean[] = []
  return templateActions(text).flatMap(({ action, tokens }) => {
    const words = tokens.flatMap(({ kind, text: word }) => (kind === 'word' ? [word] : []))
    const first = tokens[0]?.kind === 'word' ? tokens[0].text : undefined
    const read = rebound.includes(true) ? [] : tokens.flatMap(({ kind, text: field }) => (kind === 'field' ? [{ field: field.slice(1), action, words }] : []))
    if (first === 'if') rebound.push(false)
    else if (first === 'with' || first === 'range' || first === 'define' || first === 'block') rebound.push(true)
    else if (first === 'end') rebound.pop()
    // `{{ else }}` runs with the dot the block began with; `{{ else with … }}` sets it again.
    else if (first === 'else' && rebound.length > 0) rebound[rebound.length - 1] = words[1] === 'with'
    return read
  })
}

interface ActionToken {
  /** A word (`user`), a field of the data (`.Foo`), a string or char literal as written. */
  kind: 'word' | 'field' | 'string'
  text: string
}

/**
 * The `{{ … }}` actions of `text`, each as written and the words, fields and strings in it,
 * read the way Go's text/template reads an action. An action with a string left open, which Packer
 * refuses saying where, ends the reading.
 */
function templateActions(text: string): Array<{ action: string; tokens: ActionToken[] }> {
  const actions: Array<{ action: string; tokens: ActionToken[] }> = []
  for (let open = text.indexOf('{{'); open >= 0; open = text.indexOf('{{', open)) {
    let index = open + 2
    const tokens: ActionToken[] = []
    while (index < text.length && !text.startsWith('}}', index)) {
      const char = text[index]
      if (text.startsWith('/*', index)) {
        const end = text.indexOf('*/', index + 2)
        index = end < 0 ? text.length : end + 2
      } else if (char === '`' || char === '"' || char === "'") {
        const end = stringEnd(text, index)
        if (end < 0) return actions
        tokens.push({ kind: 'string', text: text.slice(index, end) })
        index = end
      } else if (/[A-Za-z_.$]/.test(char)) {
        let end = index + 1
        while (end < text.length && /[A-Za-z0-9_]/.test(text[end])) end++
        const word = text.slice(index, end)
        // `.Name` after a space, `(` or `|` reads the data; `$x.Name` and `(…).Name` read something else.
        const ofTheData = char === '.' && /^\.[A-Za-z_]/.test(word) && /[\s({|]/.test(text[index - 1])
        if (ofTheData) tokens.push({ kind: 'field', text: word })
        // `.user` is a field and `$user` a template variable: neither calls the function.
        else if (char !== '.' && char !== '$') tokens.push({ kind: 'word', text: word })
        index = end
      } else {
        index++
      }
    }
    actions.push({ action: text.slice(open, index + 2), tokens })
    open = index
  }
  return actions
}

/** Where the Go string literal that begins at `start` ends (just after its closing quote); -1 if it does not. */
function stringEnd(text: string, start: number): number {
  const quote = text[start]
  let index = start + 1
  while (index < text.length && text[index] !== quote) index += quote !== '`' && text[index] === '\\' ? 2 : 1
  return index < text.length ? index + 1 : -1
}

/** The value of a Go string literal: raw (`x`) as written, interpreted ("x") with its escapes. */
function stringValue(literal: string): string {
  if (literal.startsWith('`')) return literal.slice(1, -1)
  try {
    return JSON.parse(literal) as string
  } catch {
    return literal.slice(1, -1)
  }
}

/** One place in a JSON document: the keys and indexes that lead to it. */
export type JsonPath = Array<string | number>

/** A variable a JSON template uses and nothing sets, and where it is first used. */
export interface UndeclaredVariable {
  name: string
  path: JsonPath
  /** The variable it is a small edit from, which was probably meant (meantName). */
  meant?: string
}

/**
 * The variables that a JSON template passes to `user` outside its `variables` and that nothing
 * sets (`set`: userVariables), each with where it is first used. Packer puts an empty string in
 * their place without a word, so a misspelt name empties an AMI's name, a tag or a script's
 * argument. Keys that begin with `_` are comments.
 */
export function undeclaredJsonVariables(template: unknown, set: UserVariables): UndeclaredVariable[] {
  const found = new Map<string, JsonPath>()
  // Declared with a default that is not a string: Packer refuses the template, and says so.
  const declared = declaredVariables(template)
  const known = (name: string): boolean => set.has(name) || declared.has(name)
  const visit = (value: unknown, path: JsonPath): void => {
    if (typeof value === 'string') {
      for (const name of userVariableNames(value)) if (!known(name) && !found.has(name)) found.set(name, path)
    } else if (Array.isArray(value)) {
      value.forEach((item, index) => visit(item, [...path, index]))
    } else if (typeof value === 'object' && value !== null) {
      for (const [key, item] of Object.entries(value)) if (!key.startsWith('_')) visit(item, [...path, key])
    }
  }
  if (typeof template === 'object' && template !== null) {
    for (const [key, value] of Object.entries(template)) if (key !== 'variables' && !key.startsWith('_')) visit(value, [key])
  }
  return [...found].map(([name, path]) => {
    const meant = meantName(name, declared)
    return meant === undefined ? { name, path } : { name, path, meant }
  })
}

/**
 * The entries of a JSON template's `sensitive-variables` that name no variable it declares, each
 * with where it is written. Packer takes them without a word and hides nothing by them, so a
 * misspelt one leaves the value of the variable meant in the log.
 */
export function undeclaredSensitiveVariables(template: unknown): UndeclaredVariable[] {
  const listed = (template as { 'sensitive-variables'?: unknown } | null)?.['sensitive-variables']
  if (!Array.isArray(listed)) return []
  const declared = declaredVariables(template)
  return listed.flatMap((name: unknown, index): UndeclaredVariable[] => {
    if (typeof name !== 'string' || declared.has(name)) return []
    const meant = meantName(name, declared)
    const path = ['sensitive-variables', index]
    return [meant === undefined ? { name, path } : { name, path, meant }]
  })
}

/**
 * Where a JSON template's variable takes its value in this run: the input `variables` (Packer's
 * `-var`, which wins over `-var-file` whatever their order), else the last variables file that
 * sets it (by its index), else the template's `variables` default.
 */
export type JsonVariableOrigin = { from: 'variables' } | { from: 'var-file'; index: number } | { from: 'template' }

/**
 * Each variable of a JSON template, where it takes its value in this run and the value: a string;
 * `null` (a required default, or in a variables file, which Packer reads into a map of strings)
 * is ""; undefined for any other value, which Packer refuses. Of a key written twice in one
 * object, the last, as Go's JSON decoder reads it (JSON.parse too). The one place the job works
 * that out, before the build and after it.
 */
export function jsonVariableValues(
  template: unknown,
  varFiles: unknown[],
  given: Array<{ name: string; value: string }>
): Map<string, JsonVariableOrigin & { value?: string }> {
  const values = new Map<string, JsonVariableOrigin & { value?: string }>()
  const sources: Array<[unknown, JsonVariableOrigin]> = [
    [(template as { variables?: unknown } | null)?.variables, { from: 'template' }],
    ...varFiles.map((parsed, index): [unknown, JsonVariableOrigin] => [parsed, { from: 'var-file', index }])
  ]
  for (const [source, origin] of sources) {
    if (!isRecord(source)) continue
    for (const [name, value] of Object.entries(source)) {
      values.set(name, { ...origin, value: typeof value === 'string' ? value : value === null ? '' : undefined })
    }
  }
  for (const { name, value } of given) values.set(name, { from: 'variables', value })
  return values
}

/** The user variables of a JSON template, as Packer will have them (jsonVariableValues): those whose value it takes. */
export function userVariables(
  template: unknown,
  varFiles: unknown[],
  vars: Array<{ name: string; value: string }>
): UserVariables {
  const values: UserVariables = new Map()
  for (const [name, { value }] of jsonVariableValues(template, varFiles, vars)) if (value !== undefined) values.set(name, value)
  return values
}

/** A name given to a JSON template that it neither declares nor uses, and the declared one it is near. */
export interface UnusedVariable {
  name: string
  /** The declared variable it is a small edit from, which was probably meant (meantName). */
  meant?: string
}

/**
 * The names among `given` (input variables) that a JSON template neither declares nor uses:
 * Packer takes them and reads them nowhere, so a misspelt name silently leaves the default in
 * place. A name that a `{{ … }}` of the template or of its variables files passes to `user`
 * counts as used, whatever the action does with it (`{{user `x` | clean_resource_name}}`).
 */
export function unusedJsonVariables(template: unknown, varFiles: unknown[], given: string[]): UnusedVariable[] {
  if (given.length === 0) return []
  const declared = declaredVariables(template)
  const used = new Set(stringsOf([template, ...varFiles]).flatMap(userVariableNames))
  return [...new Set(given)]
    .filter((name) => !declared.has(name) && !used.has(name))
    .map((name) => {
      const meant = meantName(name, declared)
      return meant === undefined ? { name } : { name, meant }
    })
}

/**
 * The keys of each of `varFiles` (by its index) that a JSON template neither declares nor uses,
 * a small edit from a declared variable that no variables file and no input (`given`) sets
 * (meantName): Packer ignores the key and builds with that variable's default, which is almost
 * surely not what was meant. Any other such key is left alone: variables files are shared
 * between templates, and each sets keys that only some of them read.
 */
export function misspeltVarFileKeys(
  template: unknown,
  varFiles: unknown[],
  given: string[]
): Array<{ varFile: number; name: string; meant: string }> {
  const declared = declaredVariables(template)
  const keysOf = (varFile: unknown): string[] =>
    typeof varFile === 'object' && varFile !== null && !Array.isArray(varFile) ? Object.keys(varFile) : []
  const set = new Set([...varFiles.flatMap(keysOf), ...given])
  const used = new Set(stringsOf([template, ...varFiles]).flatMap(userVariableNames))
  const leftAtDefault = [...declared].filter((name) => !set.has(name))
  return varFiles.flatMap((varFile, index) =>
    keysOf(varFile).flatMap((name) => {
      const meant = declared.has(name) || used.has(name) ? undefined : meantName(name, leftAtDefault)
      return meant === undefined ? [] : [{ varFile: index, name, meant }]
    })
  )
}

/** The names a JSON template's `variables` declares, whatever their defaults. */
function declaredVariables(template: unknown): Set<string> {
  const declared = (template as { variables?: unknown } | null)?.variables
  return new Set(typeof declared === 'object' && declared !== null && !Array.isArray(declared) ? Object.keys(declared) : [])
}

export interface JsonTemplateInfo {
  /** In the template's order. `name` is undefined when only the build knows it. */
  builders: Array<{ name?: string; type: string }>
  postProcessorTypes: string[]
  /** Each post-processor's name, or its type when it has none: what `-except` may name besides builds. */
  postProcessorNames: string[]
  /** The provisioners' types, each once. */
  provisionerTypes: string[]
  /** The manifest post-processor's `output`, when it is known before the build. */
  manifestOutput?: string
  /** That `output` as written, when only the build knows its value. */
  manifestOutputUnknown?: string
  /** The `output` of each other manifest post-processor that is known before the build and not empty. */
  otherManifestOutputs: string[]
  /**
   * The folder of each manifest post-processor's `output` that only the build knows whole
   * (`manifests/{{build_name}}.json`), where the folder itself is known before it.
   */
  manifestFolders: string[]
  /** The names `sensitive-variables` lists: their values stay out of the fingerprint. */
  sensitiveVariables: string[]
  /** Values of the variables listed in `sensitive-variables`, as far as they are known, each with its variable. */
  sensitiveValues: SensitiveValue[]
  /**
   * Those of them whose value only Packer can work out (`{{vault …}}`, `{{aws_secretsmanager …}}`,
   * `{{consul_key …}}`): the job asks Packer for their values, to mask them too.
   */
  sensitiveUnknown: string[]
}

type PostProcessorDefinition = string | { type?: unknown; name?: unknown; output?: unknown }

/** Reads a parsed legacy JSON template; throws an Error describing what is wrong with it. */
export function describeJsonTemplate(
  template: unknown,
  variables: UserVariables = new Map(),
  context: TemplateContext = {}
): JsonTemplateInfo {
  if (typeof template !== 'object' || template === null || Array.isArray(template)) {
    throw new Error('expected a JSON object with "builders"')
  }
  const {
    builders,
    provisioners,
    'post-processors': postProcessors,
    'sensitive-variables': sensitive
  } = template as {
    builders?: unknown
    provisioners?: unknown
    'post-processors'?: unknown
    'sensitive-variables'?: unknown
  }
  const described = describeBuilders(builders, variables, context)

  // Each entry is a type name, a definition, or a sequence of them.
  const definitions: PostProcessorDefinition[] = []
  if (Array.isArray(postProcessors)) {
    for (const entry of postProcessors) {
      if (Array.isArray(entry)) definitions.push(...(entry as PostProcessorDefinition[]))
      else definitions.push(entry as PostProcessorDefinition)
    }
  }
  const postProcessorTypes: string[] = []
  const postProcessorNames: string[] = []
  const manifestOutputs: unknown[] = []
  for (const definition of definitions) {
    const type = typeof definition === 'string' ? definition : definition?.type
    if (typeof type !== 'string') continue
    postProcessorTypes.push(type)
    const name = typeof definition === 'object' ? definition.name : undefined
    postProcessorNames.push(typeof name === 'string' && name !== '' ? name : type)
    if (type === 'manifest') manifestOutputs.push(typeof definition === 'object' ? definition.output : undefined)
  }

  return {
    builders: described,
    postProcessorTypes: [...new Set(postProcessorTypes)],
    postProcessorNames: [...new Set(postProcessorNames)],
    provisionerTypes: typesOf(provisioners),
    ...manifestsOf(manifestOutputs, variables, { ...context, builds: described }),
    ...sensitiveValuesOf(sensitive, variables, context)
  }
}

/**
 * A JSON template's provisioners and its error-cleanup-provisioner, each on its `type` in `file`
 * (absolute; `shown` as the log names it), with the builds that run it: a builder's `name` or
 * type, and whether its communicator is written "none". A provisioner's own only/except may leave
 * builds out; Packer runs the error-cleanup-provisioner in every build, whatever its only/except
 * (Core.Build). A build whose name only Packer knows, or one whose only/except only Packer can
 * read, is left out; so is a provisioner whose only/except names no builder, which Packer refuses.
 * With each shell-local or manifest, what its settings read of the values only a communicator
 * gives a build (jsonConnectionReads).
 */
export function jsonProvisionerUses(template: unknown, builders: JsonTemplateInfo['builders'], file: { path: string; shown: string }): ProvisionerUse[] {
  const { builders: written, provisioners, 'error-cleanup-provisioner': cleanup, 'post-processors': postProcessors } = template as Record<string, unknown>
  const settings = (entry: unknown): Record<string, unknown> => (isRecord(entry) ? entry : {})
  const builds = builders.flatMap(({ name }, index): BuildOfUse[] => {
    if (name === undefined) return []
    const none = settings((written as unknown[])[index]).communicator === 'none'
    return [{ name, source: name, ...(none ? { withoutCommunicator: 'none' as const } : {}), skippedBy: [] }]
  })
  const use = (entry: unknown, at: JsonPath, block: ProvisionerUse['block'], chain: unknown[] = []): ProvisionerUse[] => {
    const { type, only, except, disable } = settings(entry)
    if (typeof type !== 'string') return []
    // packer validate refuses a provisioner whose only or except names no builder: it says so itself.
    const named = [only, except].flatMap((list) => (Array.isArray(list) ? list : []))
    if (block !== 'error-cleanup-provisioner' && builds.length === builders.length && named.some((name) => !builds.some((build) => build.name === name))) return []
    const running = (block === 'error-cleanup-provisioner' ? builds : builds.filter((build) => runsByOnlyExcept(build.source, only, except) === true)).map(
      (build): BuildOfUse => ({ ...build, skippedBy: block === 'post-processor' ? postProcessorsRun(chain, build.source) : [] })
    )
    const location = { file: file.shown, value: { path: file.path, at: [...at, 'type'] } }
    const literal = (path: string): boolean => !path.includes('{{')
    const written = !isRecord(entry) ? undefined : type === 'shell-local' ? shellLocalScripts(entry, literal) : type === 'shell' ? binaryShellScripts(entry, literal) : undefined
    const scripts =
      written && (type === 'shell-local' || written.length > 0)
        ? written.map(({ path, at: setting }) => ({
            path,
            location: { file: file.shown, value: { path: file.path, at: [...at, ...setting] } }
          }))
        : undefined
    // Those that run on the runner (a connecting one is refused on its type): measured with Packer 1.6.6.
    const connectionReads = block !== 'error-cleanup-provisioner' && (type === 'shell-local' || type === 'manifest') && isRecord(entry) ? jsonConnectionReads(entry, at, file) : []
    return [
      {
        type,
        block,
        kind: 'json',
        location,
        builds: running,
        disabled: literalBoolean(disable),
        ...(scripts ? { scripts } : {}),
        ...(connectionReads.length > 0 ? { connectionReads } : {})
      }
    ]
  }
  // Each entry of post-processors is a chain: a definition, or a list of them. Only a shell-local one is checked,
  // and a manifest for its custom_data.
  const chains = (Array.isArray(postProcessors) ? postProcessors : []).map((entry, index) =>
    (Array.isArray(entry) ? entry : [entry]).map((definition, position) => ({
      definition,
      at: Array.isArray(entry) ? ['post-processors', index, position] : ['post-processors', index]
    }))
  )
  return [
    ...(Array.isArray(provisioners) ? provisioners : []).flatMap((entry, index) => use(entry, ['provisioners', index], 'provisioner')),
    ...(cleanup === undefined ? [] : use(cleanup, ['error-cleanup-provisioner'], 'error-cleanup-provisioner')),
    ...chains.flatMap((chain) =>
      chain.flatMap(({ definition, at }, position) =>
        settings(definition).type === 'shell-local' || settings(definition).type === 'manifest'
          ? use(definition, at, 'post-processor', chain.slice(0, position + 1).map((each) => each.definition)).filter(
              // A manifest is checked only for what it reads of the connection.
              (found) => found.type === 'shell-local' || found.connectionReads !== undefined
            )
          : []
      )
    )
  ]
}

/**
 * What the settings of a JSON template's provisioner or post-processor `entry` (at `at`) read of
 * the values only a communicator gives a build (goConnectionReads), each on its string; a
 * provisioner's override's as read in its build alone, and a setting it overrides as not read there.
 */
function jsonConnectionReads(entry: Record<string, unknown>, at: JsonPath, file: { path: string; shown: string }): ConnectionRead[] {
  const overrides = Object.entries(isRecord(entry.override) ? entry.override : {}).filter(([build, settings]) => !build.startsWith('_') && isRecord(settings)) as Array<
    [string, Record<string, unknown>]
  >
  const readsOf = (settings: Record<string, unknown>, path: JsonPath, onlyIn?: string): ConnectionRead[] =>
    Object.entries(settings)
      .filter(([name]) => !['type', 'name', 'only', 'except', 'override'].includes(name))
      .flatMap(([name, value]) =>
        strings(value, [...path, name], name).flatMap(({ text, at: where, last }) =>
          goConnectionReads(text, name === 'execute_command', 'json').map(
            (read): ConnectionRead => {
              const notIn = onlyIn === undefined ? overrides.filter(([, settings]) => Object.hasOwn(settings, name)).map(([build]) => build) : []
              return {
                setting: last === name ? name : `${last} in ${name}`,
                ...read,
                location: { file: file.shown, value: { path: file.path, at: where, itself: true } },
                ...(onlyIn === undefined ? {} : { onlyIn }),
                ...(notIn.length > 0 ? { notIn } : {})
              }
            }
          )
        )
      )
  return [...readsOf(entry, at), ...overrides.flatMap(([build, settings]) => readsOf(settings, [...at, 'override', build], build))]
}

/**
 * What a text of a provisioner's or post-processor's setting reads, through Go's template, of the
 * values only a communicator gives a build (connectionAttributes), and what Packer 1.6.6 puts there
 * in a build that connects none: `{{ build `Host` }}` gets "<no value>", and fails the build in a
 * `command` (execute_command, which Packer renders with its own data as it runs it); `{{ .Host }}`
 * in a command gets "<no value>" (elsewhere it is a mistake of its own: json-template-scope.ts).
 * In an HCL2 template `{{ build }}` is read only in a command: elsewhere packer validate refuses it.
 */
export function goConnectionReads(text: string, command: boolean, kind: TemplateKind): Array<Pick<ConnectionRead, 'read' | 'attribute' | 'gets' | 'command'>> {
  const calls =
    command || kind === 'json'
      ? templateCalls(text, 'build')
          .filter(({ name }) => connectionAttributes.includes(name))
          .map(({ name, action }) => ({ read: action, attribute: name, gets: command ? ('failure' as const) : ('<no value>' as const), command }))
      : []
  const fields = command
    ? templateFields(text)
        .filter(({ field }) => connectionAttributes.includes(field))
        .map(({ field, action }) => ({ read: action, attribute: field, gets: '<no value>' as const, command }))
    : []
  return [...calls, ...fields]
}

/** A JSON builder's own credentials (ownCredentialsOf), its settings' values resolved with the run's user variables. */
function jsonOwnCredentials(builder: Record<string, unknown>, resolve: (text: string) => string | undefined): OwnCredentials {
  const role = isRecord(builder.assume_role) ? builder.assume_role : builder.assume_role === undefined ? {} : undefined
  const value = (setting: string): string | undefined | null => {
    const [first, second] = setting.split('.')
    const written = second === undefined ? builder[first] : role?.[second]
    if (second !== undefined && role === undefined) return undefined
    if (written === undefined) return null
    return typeof written === 'string' ? resolve(written) : typeof written === 'number' ? String(written) : undefined
  }
  const written = (setting: string): boolean => (setting === 'assume_role.other' ? otherAssumeRoleSettings(role ?? {}).length > 0 : builder[setting] !== undefined)
  return ownCredentialsOf(value, written)
}

/** A JSON builder's `source_ami_filter` with the run's user variables (sourceAmiFilterOf). */
function jsonSourceAmiFilter(builder: Record<string, unknown>, resolve: (text: string) => string | undefined): SourceAmiFilter | undefined {
  const filter = builder.source_ami_filter
  if (!isRecord(filter)) return undefined
  const text = (value: unknown): string | undefined => (typeof value === 'string' ? resolve(value) : undefined)
  const { filters, owners } = filter
  return sourceAmiFilterOf({
    filters: filters === undefined ? [] : isRecord(filters) ? Object.entries(filters).map(([name, value]) => [resolve(name), text(value)]) : undefined,
    owners: owners === undefined ? [] : Array.isArray(owners) ? owners.map(text) : undefined,
    mostRecent: typeof filter.most_recent === 'string' ? resolve(filter.most_recent) : filter.most_recent,
    includeDeprecated: typeof filter.include_deprecated === 'string' ? resolve(filter.include_deprecated) : filter.include_deprecated,
    sourceAmi: builder.source_ami === undefined ? null : text(builder.source_ami)
  })
}

/**
 * Each builder's build, type, `skip_create_ami` and `skip_save_build_region`, on its `type` in
 * `file`, or on the setting that keeps it from leaving an AMI (noAmiProblems), and the tag keys
 * it writes and the regions it makes its AMIs in that are known with the user variables `values`
 * and the home region (jsonWrittenTags, regionsMade).
 */
export function jsonAmiBuilds(
  template: unknown,
  builders: JsonTemplateInfo['builders'],
  file: { path: string; shown: string },
  values: UserVariables = new Map(),
  env: TemplateContext['env'] = {},
  homeRegion?: string
): AmiBuild[] {
  const written = (template as { builders: unknown[] }).builders
  const known = { values, env }
  return builders.map(({ name, type }, index) => {
    const builder = written[index] as Record<string, unknown>
    const skipsAmi = literalBoolean(builder.skip_create_ami) === true
    const skipsBuildRegion = copiesToNoRegion(builder.skip_save_build_region, builder.ami_regions)
    // On what makes it none: its skip_create_ami or skip_save_build_region, else its type.
    const on = skipsAmi ? 'skip_create_ami' : skipsBuildRegion ? 'skip_save_build_region' : 'type'
    // Only `env` of the context, and only in a variable's value, as Packer reads the builder's settings.
    const resolve = (text: string): string | undefined => resolveUserVariables(text, values, { env })
    const region = builder.region === undefined ? '' : typeof builder.region === 'string' ? resolve(builder.region) : undefined
    const amiRegions = builder.ami_regions === undefined ? [] : regionsOf(builder.ami_regions, resolve)
    const regions = regionsMade(region, amiRegions, { type, skipCreateAmi: builder.skip_create_ami, skipSaveBuildRegion: builder.skip_save_build_region }, homeRegion)
    const buildRegion = buildRegionOf(region, type, homeRegion)
    const valueOf = (setting: string): string | undefined | null => {
      const value = builder[setting]
      return value === undefined ? null : typeof value === 'string' ? resolve(value) : undefined
    }
    const sessionManager = connectsThroughSessionManager(type, valueOf('ssh_interface') ?? undefined, valueOf('communicator'))
    const credentialSetting = (setting: string): unknown => valueOf(setting) ?? builder[setting]
    const copies = jsonCopies(builder, ['builders', index], file, resolve)
    const sourceAmiFilter = pickedSourceAmi(builder.source_ami_filter) ? jsonSourceAmiFilter(builder, resolve) : undefined
    return {
      ...(name === undefined ? {} : { name }),
      type,
      skipsAmi,
      ...(skipsBuildRegion ? { skipsBuildRegion } : {}),
      ...(regions === undefined ? {} : { regions }),
      ...(buildRegion === undefined ? {} : { buildRegion }),
      ...(buildRegion !== undefined && region === '' ? { buildsInHomeRegion: true as const } : {}),
      ...(copies.length === 0 ? {} : { copies }),
      ...(literalBoolean(builder.force_deregister) === false ? {} : { mayDeregister: true as const }),
      ...(sessionManager ? { sessionManager: { file: file.shown, value: { path: file.path, at: ['builders', index, 'ssh_interface'] } } } : {}),
      ...(pickedSourceAmi(builder.source_ami_filter) ? { picksSourceAmi: { file: file.shown, value: { path: file.path, at: ['builders', index, 'source_ami_filter'] } } } : {}),
      ...(sourceAmiFilter === undefined ? {} : { sourceAmiFilter }),
      ...(namesCredentials(credentialSetting)
        ? { ownCredentials: { ...jsonOwnCredentials(builder, resolve), ...(setsOwnCredentials(credentialSetting) ? { stepFree: true as const } : {}) } }
        : {}),
      location: { file: file.shown, value: { path: file.path, at: ['builders', index, on] } },
      tags: {
        ami: jsonWrittenTags(written[index], 'tags', index, file, known),
        snapshots: jsonWrittenTags(written[index], 'snapshot_tags', index, file, known)
      }
    }
  })
}

/**
 * The regions a builder copies its AMI to (AmiBuild.copies) that are known with the user variables
 * (`resolve`): each entry of an `ami_regions` list on that entry, a string's (Packer splits it at
 * each comma) on the string; then each key of `region_kms_key_ids` written as it is, on the key.
 */
function jsonCopies(builder: Record<string, unknown>, at: JsonPath, file: { path: string; shown: string }, resolve: (text: string) => string | undefined): CopyRegion[] {
  const on = (path: JsonPath, itself: boolean) => ({ file: file.shown, value: { path: file.path, at: [...at, ...path], ...(itself ? { itself } : {}) } })
  const written = builder.ami_regions
  const listed: CopyRegion[] = Array.isArray(written)
    ? written.flatMap((entry, index) => {
        const region = typeof entry === 'string' ? resolve(entry) : undefined
        return region ? [{ region, setting: 'ami_regions' as const, location: on(['ami_regions', index], true) }] : []
      })
    : typeof written === 'string'
      ? (regionsOf(written, resolve) ?? []).map((region) => ({ region, setting: 'ami_regions' as const, location: on(['ami_regions'], true) }))
      : []
  const keys = isRecord(builder.region_kms_key_ids) ? Object.keys(builder.region_kms_key_ids) : []
  const named = new Set(listed.map(({ region }) => region))
  const keyed = keys
    .filter((key) => !key.includes('{{') && !named.has(key))
    .map((key) => ({ region: key, setting: 'region_kms_key_ids' as const, location: on(['region_kms_key_ids', key], false) }))
  return [...listed, ...keyed]
}

/**
 * A builder's `tags` or `snapshot_tags` keys as Packer will have them: written as they are, or
 * with `{{user \`team\`}}` filled in as Packer fills it when it reads the template. A key with
 * anything Packer works out when it builds (`{{ .BuildRegion }}`, `{{timestamp}}`, a pipeline)
 * may be any, or one of these: not counted, and the tags are `partial`.
 */
function jsonWrittenTags(
  builder: unknown,
  setting: 'tags' | 'snapshot_tags',
  index: number,
  file: { path: string; shown: string },
  { values, env }: { values: UserVariables; env: TemplateContext['env'] }
): WrittenTags | undefined {
  const tags = isRecord(builder) ? builder[setting] : undefined
  if (!isRecord(tags)) return undefined
  // Only `env` of the context: Packer allows it in a variable's value, which a key may name.
  const keys = Object.keys(tags).map((key) => resolveUserVariables(key, values, { env }))
  const known = keys.filter((key): key is string => key !== undefined && key !== '')
  return {
    keys: [...new Set(known)],
    location: { file: file.shown, value: { path: file.path, at: ['builders', index, setting] } },
    ...(keys.includes(undefined) ? { partial: true as const } : {})
  }
}

/**
 * The names an except entry skips the last post-processor of `chain` by in `build`: those of the
 * chain's post-processors that run there, each its `name`, or its type when unnamed.
 */
export function postProcessorsRun(chain: unknown[], build: string): string[] {
  return chain.flatMap((definition) => {
    if (typeof definition === 'string') return [definition]
    const { type, name, only, except } = (isRecord(definition) ? definition : {}) as Record<string, unknown>
    if (typeof type !== 'string' || runsByOnlyExcept(build, only, except) === false) return []
    return [typeof name === 'string' && name !== '' ? name : type]
  })
}

/** Where the manifest post-processors write, from each one's `output` in the template's order. */
function manifestsOf(
  outputs: unknown[],
  variables: UserVariables,
  { builds, ...context }: TemplateContext & { builds: JsonTemplateInfo['builders'] }
): Pick<JsonTemplateInfo, 'manifestOutput' | 'manifestOutputUnknown' | 'otherManifestOutputs' | 'manifestFolders'> {
  const otherManifestOutputs: string[] = []
  const manifestFolders: string[] = []
  let manifestOutput: string | undefined
  let manifestOutputUnknown: string | undefined
  outputs.forEach((output, index) => {
    // An empty output is Packer's default, packer-manifest.json.
    const resolved = typeof output === 'string' && output !== '' ? resolveUserVariables(output, variables, context) : ''
    if (resolved === undefined) manifestFolders.push(...jsonManifestFolders(output as string, variables, context, builds))
    if (index > 0) {
      if (resolved) otherManifestOutputs.push(resolved)
    } else if (resolved === undefined) manifestOutputUnknown = output as string
    else manifestOutput = resolved || undefined
  })
  return { manifestOutput, manifestOutputUnknown, otherManifestOutputs, manifestFolders: [...new Set(manifestFolders)] }
}

/**
 * The folders of a manifest `output` whose file only the build knows (`{{timestamp}}`): its
 * text up to the last separator outside a `{{ … }}` (`\` too, on Windows), filled in for each build (`{{build_name}}`),
 * where that is known. Packer's manifest post-processor does not make them, and when it cannot
 * write, Packer deregisters the build's AMIs.
 */
function jsonManifestFolders(
  output: string,
  variables: UserVariables,
  context: TemplateContext,
  builds: JsonTemplateInfo['builders']
): string[] {
  const folder = folderOf(output, context.platform)
  if (!folder) return []
  const folders = builds.map(({ name, type }) =>
    resolveUserVariables(folder, variables, name === undefined ? context : { ...context, build: { name, type } })
  )
  return folders.filter((each): each is string => Boolean(each))
}

/** A path's text up to its last separator outside a `{{ … }}`; undefined when it has none. */
function folderOf(output: string, platform?: NodeJS.Platform): string | undefined {
  let folderEnd = -1
  for (let index = 0; index < output.length; index++) {
    if (output.startsWith('{{', index)) {
      const close = output.indexOf('}}', index + 2)
      if (close < 0) return undefined
      index = close + 1
    } else if (isPathSeparator(output[index], platform)) folderEnd = index
  }
  return folderEnd > 0 ? output.slice(0, folderEnd) : undefined
}

/** Each builder's type and build name; throws when there are none, or one has no type. */
function describeBuilders(builders: unknown, variables: UserVariables, context: TemplateContext): JsonTemplateInfo['builders'] {
  if (!Array.isArray(builders) || builders.length === 0) {
    throw new Error('expected "builders" to be a non-empty array')
  }
  return builders.map((builder: unknown, index) => {
    const { type, name } = (builder ?? {}) as { type?: unknown; name?: unknown }
    if (typeof type !== 'string' || type === '') {
      throw new Error(`builder ${index + 1} has no "type"`)
    }
    // Packer names a build by its builder's `name`, interpolated, or else by its type.
    if (typeof name !== 'string' || name === '') return { type, name: type }
    const resolved = resolveUserVariables(name, variables, context)
    return { type, name: resolved === '' ? type : resolved }
  })
}

/** The `type` of each entry of a list such as `provisioners`, each once. */
function typesOf(entries: unknown): string[] {
  const types = (Array.isArray(entries) ? entries : []).map((entry: unknown) => (entry as { type?: unknown } | null)?.type)
  return [...new Set(types.filter((type): type is string => typeof type === 'string' && type !== ''))]
}

/** The functions of Packer's JSON templates that read a secret store. */
const secretFunctions = ['vault', 'aws_secretsmanager']

/**
 * The names `sensitive-variables` lists, the values of those variables, as far as they are
 * known, and the names of those whose value only Packer knows (their text as written is masked
 * meanwhile). A variable whose value reads a secret store (`{{vault …}}`,
 * `{{aws_secretsmanager …}}`) is masked as one of them, listed or not: Packer hides only those
 * listed.
 */
function sensitiveValuesOf(
  sensitive: unknown,
  variables: UserVariables,
  context: TemplateContext
): Pick<JsonTemplateInfo, 'sensitiveVariables' | 'sensitiveValues' | 'sensitiveUnknown'> {
  const names = (Array.isArray(sensitive) ? sensitive : []).filter((name): name is string => typeof name === 'string')
  const secretReads = [...variables].flatMap(([name, raw]) => (raw !== undefined && secretFunctions.some((fn) => templateCalls(raw, fn).length > 0) ? [name] : []))
  const values: SensitiveValue[] = []
  const unknown: string[] = []
  for (const name of new Set([...names, ...secretReads])) {
    const raw = variables.get(name)
    if (raw === undefined) continue
    const value = raw.includes('{{') ? resolveUserVariables(raw, variables, context, true) : raw
    if (value === undefined) unknown.push(name)
    const shown = value ?? raw
    if (shown !== '') values.push({ value: shown, of: 'variable', name })
  }
  return { sensitiveVariables: [...new Set(names)], sensitiveValues: values, sensitiveUnknown: [...new Set(unknown)] }
}

/**
 * Variables files for legacy JSON templates are flat objects of strings; Packer treats `null`
 * as empty and refuses numbers, booleans, lists and objects: what is wrong, each variable's on
 * its own (Packer names only the first), and where in the file.
 */
export function checkJsonVarFile(parsed: unknown): Array<{ problem: string; at: JsonPath }> {
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return [{ problem: 'expected a JSON object of variable names to string values', at: [] }]
  }
  return Object.entries(parsed).flatMap(([name, value]) =>
    typeof value === 'string' || value === null
      ? []
      : [{ problem: `expected variable "${name}" to be a string (or null), found ${JSON.stringify(value)}`, at: [name] }]
  )
}
