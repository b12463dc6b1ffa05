// Runs the bundled action as the runner does: `node dist/index.js` with INPUT_* variables
// holding action.yml's defaults, and GITHUB_OUTPUT / GITHUB_STEP_SUMMARY files. Used by the
// tests, the demo and the benchmark.
import { execFileSync, spawn } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, relative, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import { readActionYml } from './action-yml.js'

export const projectRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..')

let node24: string | null | undefined

/**
 * Node 24, which the runner runs the action under (action.yml's `runs.using: node24`): the
 * machine's Node when it is 24, else the one scripts/node24.mjs keeps from the npm registry;
 * undefined when there is none to be had. Looked for once per test file.
 */
export function findNode24(): string | undefined {
  if (node24 === undefined) {
    if (process.version.startsWith('v24.')) node24 = process.execPath
    else {
      try {
        node24 = execFileSync(process.execPath, [join(projectRoot, 'scripts', 'node24.mjs')], { encoding: 'utf8' }).trim() || null
      } catch {
        node24 = null
      }
    }
  }
  return node24 ?? undefined
}

/**
 * The Node a test runs the bundle under: Node 24; the machine's when there is none to be had,
 * except under CI=true, where the suite must run as the runner does.
 */
export function runnerNode(): string {
  const node = findNode24()
  if (node !== undefined) return node
  if (process.env.CI === 'true') throw new Error('scripts/node24.mjs found no Node 24, and CI=true requires the bundle to run under it')
  return process.execPath
}

/** What the runner says about a workflow run on a push to main: the provenance tags' source. */
export const pushToMain = {
  GITHUB_REPOSITORY: 'acme/images',
  GITHUB_SHA: 'c0ffee0123456789abcdef0123456789abcdef01',
  GITHUB_REF: 'refs/heads/main',
  GITHUB_EVENT_NAME: 'push',
  GITHUB_ACTOR: 'octocat',
  GITHUB_SERVER_URL: 'https://github.com',
  GITHUB_RUN_ID: '4242',
  GITHUB_RUN_ATTEMPT: '1'
}

/**
 * The inputs of action.yml that have a default, with it, as the runner passes them. Defaults
 * that are expressions (`${{ github.token }}`) are left empty: the runner evaluates them, and
 * tests have no token.
 */
export function actionDefaults(): Record<string, string> {
  const defaults: Record<string, string> = {}
  for (const [name, input] of Object.entries(readActionYml().inputs)) {
    if (input.default === undefined) continue
    defaults[name] = input.default.includes('${{') ? '' : input.default
  }
  return defaults
}

export interface ActionRun {
  exitCode: number | null
  signal: NodeJS.Signals | null
  stdout: string
  /** Bytes the action wrote to stdout. */
  stdoutBytes: number
  stderr: string
  outputs: Record<string, string>
  /** What the step saved for its post step (GITHUB_STATE), as the runner reads it. */
  state: Record<string, string>
  summary: string
  /** `::error …::message` lines, with their properties. */
  errors: Array<{ message: string; properties: Record<string, string> }>
  warnings: string[]
}

/**
 * The log and the summary as the runner shows them: `::add-mask::` values, and the workflow's
 * secrets that the runner knows without being told (`runnerSecrets`), replaced by *** line by
 * line; the log's from the `::add-mask::` on, the summary's all at once at the step's end.
 */
export function asTheRunnerShowsIt(
  result: Pick<ActionRun, 'stdout' | 'summary'>,
  runnerSecrets: string[] = []
): { log: string; summary: string } {
  const masks = [...runnerSecrets]
  const shown: string[] = []
  const mask = (line: string): string =>
    [...masks].sort((a, b) => b.length - a.length).reduce((masked, secret) => masked.replaceAll(secret, '***'), line)
  for (const line of result.stdout.split('\n')) {
    const added = addedMask(line)
    if (added !== undefined) masks.push(added)
    else shown.push(mask(line))
  }
  return { log: shown.join('\n'), summary: result.summary.split('\n').map(mask).join('\n') }
}

/** The values the step registered as secrets (`::add-mask::`), in order. */
export function registeredMasks(result: Pick<ActionRun, 'stdout'>): string[] {
  return result.stdout.split('\n').flatMap((line) => addedMask(line) ?? [])
}

/** The secret an `::add-mask::` line registers, as the runner reads it; undefined for any other line. */
function addedMask(line: string): string | undefined {
  const added = /^::add-mask::(.*)$/.exec(line)
  return added?.[1].replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%25/g, '%')
}

/**
 * The step's outputs a later job gets (`jobs.<id>.outputs`): the runner skips one that holds a
 * secret it knows ("Skip output ... since it may contain secret"), registered by the step or
 * given to it (`runnerSecrets`).
 */
export function jobOutputs(result: Pick<ActionRun, 'stdout' | 'outputs'>, runnerSecrets: string[] = []): Record<string, string> {
  const secrets = [...registeredMasks(result), ...runnerSecrets]
  return Object.fromEntries(Object.entries(result.outputs).filter(([, value]) => !secrets.some((secret) => value.includes(secret))))
}

/** Reads the runner's GITHUB_OUTPUT file format (`name<<DELIMITER` blocks). */
export function parseOutputFile(text: string): Record<string, string> {
  const outputs: Record<string, string> = {}
  const lines = text.split('\n')
  for (let i = 0; i < lines.length; i++) {
    const heredoc = /^([^<=]+)<<(.+)$/.exec(lines[i])
    if (!heredoc) continue
    const value: string[] = []
    for (i++; i < lines.length && lines[i] !== heredoc[2]; i++) value.push(lines[i])
    outputs[heredoc[1]] = value.join('\n')
  }
  return outputs
}

function unescapeCommand(text: string): string {
  return text.replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%3A/g, ':').replace(/%2C/g, ',').replace(/%25/g, '%')
}

export function parseCommands(stdout: string, command: string): Array<{ message: string; properties: Record<string, string> }> {
  const found: Array<{ message: string; properties: Record<string, string> }> = []
  for (const line of stdout.split('\n')) {
    const match = new RegExp(`^::${command}(?: ([^:]*))?::(.*)$`).exec(line)
    if (!match) continue
    const properties: Record<string, string> = {}
    for (const pair of (match[1] ?? '').split(',').filter(Boolean)) {
      const equals = pair.indexOf('=')
      properties[pair.slice(0, equals)] = unescapeCommand(pair.slice(equals + 1))
    }
    found.push({ message: unescapeCommand(match[2]), properties })
  }
  return found
}

/** Loaded with `node --import` before the action: it records the files the run loads and reads. */
export const distLoadedProbe = join(projectRoot, 'scripts', 'dist-loaded.mjs')

/** A number of dist/'s files and their bytes on disk. */
export interface DistFiles {
  files: number
  bytes: number
}

/** What a run loaded of dist/, each kind of file beside all of dist/'s of that kind. */
export interface DistLoaded {
  /** The files it loaded, relative to dist/ with `/`, sorted. */
  paths: string[]
  javaScript: DistFiles
  webAssembly: DistFiles
  dist: { javaScript: DistFiles; webAssembly: DistFiles }
}

/**
 * What a run of the bundle loaded of `distDir`, from the file that scripts/dist-loaded.mjs wrote
 * (DIST_LOADED_FILE): the modules it loaded and the files it read as data (the HCL parser's
 * WebAssembly, kept with Brotli), counted and measured on disk beside all of dist/'s.
 */
export function distLoaded(loadedFile: string, distDir: string): DistLoaded {
  const { modules, read } = JSON.parse(readFileSync(loadedFile, 'utf8')) as { modules: string[]; read: string[] }
  const inDist = (path: string): string | undefined => {
    const inside = relative(distDir, path)
    return inside.startsWith('..') || inside === '' ? undefined : inside.split(sep).join('/')
  }
  const paths = [...new Set([...modules, ...read].flatMap((path) => inDist(path) ?? []))].sort()
  const all = filesUnder(distDir).map((path) => relative(distDir, path).split(sep).join('/'))
  const measure = (of: string[], kind: (path: string) => boolean): DistFiles => {
    const chosen = of.filter(kind)
    return { files: chosen.length, bytes: chosen.reduce((sum, path) => sum + statSync(join(distDir, path)).size, 0) }
  }
  const isJavaScript = (path: string): boolean => /\.m?js$/.test(path)
  const isWebAssembly = (path: string): boolean => /\.wasm(\.br)?$/.test(path)
  return {
    paths,
    javaScript: measure(paths, isJavaScript),
    webAssembly: measure(paths, isWebAssembly),
    dist: { javaScript: measure(all, isJavaScript), webAssembly: measure(all, isWebAssembly) }
  }
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? filesUnder(join(dir, entry.name)) : [join(dir, entry.name)]
  )
}

export interface RunActionOptions {
  inputs?: Record<string, string>
  env?: Record<string, string | undefined>
  /** The workspace: the step's working directory and GITHUB_WORKSPACE. */
  workspace: string
  /** The Node that runs the bundle: runnerNode() unless a test names another. */
  node?: string
  entry?: string
  /** The action's stdout as it arrives (the demo shows the live log). */
  onStdout?: (text: string) => void
  /** Called with the child once it runs, e.g. to send it a signal. */
  onStart?: (child: ReturnType<typeof spawn>, stdoutSoFar: () => string) => void
  /** Node's own options, before the entry point. */
  nodeArgs?: string[]
  /** A slow reader: after each chunk of stdout, stop reading for this long. */
  readDelayMs?: number
  /** Keep only the last this many characters of stdout (a log too big to hold). */
  stdoutTailChars?: number
}

/**
 * The post step (dist/post.js) as the runner runs it after the main step: with the main step's
 * inputs, and its saved state as STATE_<name> variables.
 */
export function runPostStep(main: Pick<ActionRun, 'state'>, options: RunActionOptions): Promise<ActionRun> {
  const state: Record<string, string> = {}
  for (const [name, value] of Object.entries(main.state)) state[`STATE_${name}`] = value
  return runAction({ ...options, entry: join(projectRoot, 'dist', 'post.js'), env: { ...options.env, ...state } })
}

/**
 * What a step needs to reach the loopback EC2 (and SSM) endpoint at `url`: credentials of no
 * account, a home region, Packer's waiters polling at once, no update check, and a HOME of the
 * workspace's own (Packer writes its config there).
 */
export function loopbackEnvironment(url: string, workspace: string): Record<string, string> {
  return {
    HOME: join(workspace, '.home'),
    CHECKPOINT_DISABLE: '1',
    AWS_ACCESS_KEY_ID: 'AKIDLOOPBACK',
    AWS_SECRET_ACCESS_KEY: 'loopback-secret',
    AWS_REGION: 'us-east-1',
    AWS_POLL_DELAY_SECONDS: '0',
    AWS_ENDPOINT_URL_EC2: url,
    AWS_ENDPOINT_URL_SSM: url,
    AWS_ENDPOINT_URL_IAM: url
  }
}

export interface RunnerFiles {
  output: string
  summary: string
  state: string
}

/**
 * The environment the runner gives a step: action.yml's defaults and `inputs` as INPUT_*, the
 * step's output, summary and state files (made afresh), the workspace, RUNNER_TEMP and
 * RUNNER_TOOL_CACHE; then `env`, where undefined removes a variable. The bench uses it too.
 */
export function runnerEnvironment(
  workspace: string,
  inputs: Record<string, string> = {},
  env: Record<string, string | undefined> = {}
): { env: Record<string, string>; files: RunnerFiles } {
  const folder = mkdtempSync(join(tmpdir(), 'runner-files-'))
  const files = { output: join(folder, 'output'), summary: join(folder, 'summary'), state: join(folder, 'state') }
  for (const file of Object.values(files)) writeFileSync(file, '')
  const all: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? folder,
    GITHUB_OUTPUT: files.output,
    GITHUB_STEP_SUMMARY: files.summary,
    GITHUB_STATE: files.state,
    GITHUB_WORKSPACE: workspace,
    RUNNER_TEMP: join(folder, 'temp'),
    RUNNER_TOOL_CACHE: join(folder, 'tool-cache'),
    // Where Packer leaves its temporary files when it is killed: the run's own folder.
    ...(process.env.TMPDIR ? { TMPDIR: process.env.TMPDIR } : {}),
    // Which jest process's tests started the step: its processes end with that jest process
    // (test-environment.mjs).
    ...(process.env.PACKER_AMI_ACTION_TEST_OWNER ? { PACKER_AMI_ACTION_TEST_OWNER: process.env.PACKER_AMI_ACTION_TEST_OWNER } : {})
  }
  for (const [name, value] of Object.entries({ ...actionDefaults(), ...inputs })) all[`INPUT_${name.toUpperCase()}`] = value
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined) delete all[name]
    else all[name] = value
  }
  return { env: all, files }
}

/**
 * When this test file's last run that began `packer build` ended. A template's `{{timestamp}}` or
 * `timestamp()` names its AMIs to the second, and EC2 (the loopback endpoint too) refuses a name an
 * AMI has: so that two runs' AMIs never share a name, a run starts in a later second than that.
 */
let lastBuildEnded: number | undefined

export async function runAction(options: RunActionOptions): Promise<ActionRun> {
  const wait = lastBuildEnded === undefined ? 0 : (Math.floor(lastBuildEnded / 1000) + 1) * 1000 - Date.now()
  if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait))
  const { env, files } = runnerEnvironment(options.workspace, options.inputs, options.env)
  const entry = options.entry ?? join(projectRoot, 'dist', 'index.js')
  const child = spawn(options.node ?? runnerNode(), [...(options.nodeArgs ?? []), entry], {
    cwd: options.workspace,
    env,
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let stdout = ''
  let stdoutBytes = 0
  let stderr = ''
  const decoder = new TextDecoder()
  child.stdout.on('data', (chunk: Buffer) => {
    stdoutBytes += chunk.length
    const text = decoder.decode(chunk, { stream: true })
    stdout += text
    if (options.stdoutTailChars !== undefined) stdout = stdout.slice(-options.stdoutTailChars)
    options.onStdout?.(text)
    if (options.readDelayMs !== undefined) {
      child.stdout.pause()
      setTimeout(() => child.stdout.resume(), options.readDelayMs)
    }
  })
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  options.onStart?.(child, () => stdout)
  const [exitCode, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
    child.on('close', (code, sig) => resolve([code, sig]))
  )
  if (stdout.includes('::group::Build\n')) lastBuildEnded = Date.now()
  return {
    exitCode,
    signal,
    stdout,
    stdoutBytes,
    stderr,
    outputs: parseOutputFile(readFileSync(files.output, 'utf8')),
    state: parseOutputFile(readFileSync(files.state, 'utf8')),
    summary: readFileSync(files.summary, 'utf8'),
    errors: parseCommands(stdout, 'error'),
    warnings: parseCommands(stdout, 'warning').map((w) => w.message)
  }
}
