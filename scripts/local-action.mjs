// npm run local-action [-- ENV_FILE]: the action run by @github/local-action, the local runner
// of GitHub's TypeScript action template. It runs src/main.ts, then src/post.ts (each module's
// run()), with the inputs and variables of ENV_FILE (default: .env if there is one, else
// .env.example), and the toolkit replaced by local-action's own.
//
// .env.example builds the demo template against the loopback EC2 endpoint. When ENV_FILE's
// AWS_ENDPOINT_URL_EC2 is a 127.0.0.1 address where nothing answers, the endpoint is started
// there for the run (`npm run endpoint` starts one that outlives it). The demo is copied to a
// scratch workspace, so Packer's manifest never lands in the repository; GITHUB_WORKSPACE in
// ENV_FILE runs the action on that checkout instead (its inputs relative to it).
import { spawn, execFileSync } from 'node:child_process'
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { delimiter, dirname, join, resolve } from 'node:path'
import { parseEnv } from 'node:util'
import { loadEc2Endpoint, projectRoot } from './loopback.mjs'

function fail(message) {
  console.error(`local-action: ${message}`)
  process.exit(1)
}

const envFile = resolve(
  process.argv[2] ?? (existsSync(join(projectRoot, '.env')) ? join(projectRoot, '.env') : join(projectRoot, '.env.example'))
)
if (!existsSync(envFile)) fail(`${envFile} does not exist`)
const settings = parseEnv(readFileSync(envFile, 'utf8'))
// The action runs from the project, and reads a relative GITHUB_WORKSPACE from there.
const ownWorkspace = settings.GITHUB_WORKSPACE ? resolve(projectRoot, settings.GITHUB_WORKSPACE) : undefined
if (ownWorkspace && !existsSync(ownWorkspace)) fail(`GITHUB_WORKSPACE in ${envFile}: ${ownWorkspace} does not exist`)

/** Whether something accepts connections at host:port. */
function answers(host, port) {
  return new Promise((done) => {
    const socket = connect({ host, port })
    socket.once('connect', () => socket.end(() => done(true)))
    socket.once('error', () => done(false))
  })
}

/** @github/local-action is tested under Node 22 and 24; the runner runs the action under 24. */
function node24() {
  try {
    return execFileSync(process.execPath, [join(projectRoot, 'scripts', 'node24.mjs')], { encoding: 'utf8' }).trim() || undefined
  } catch {
    return undefined
  }
}

let endpoint
const workspace = mkdtempSync(join(tmpdir(), 'packer-ami-action-local-'))
try {
  if (settings.AWS_ENDPOINT_URL_EC2) {
    const url = new URL(settings.AWS_ENDPOINT_URL_EC2)
    if (url.hostname === '127.0.0.1' && !(await answers(url.hostname, Number(url.port)))) {
      const { startEc2Endpoint } = await loadEc2Endpoint()
      endpoint = await startEc2Endpoint({ port: Number(url.port) })
      console.log(`Started the loopback EC2 endpoint at ${endpoint.url} for this run.`)
    } else {
      console.log(`Using the EC2 endpoint at ${url.href}.`)
    }
  }
  // GITHUB_WORKSPACE in ENV_FILE runs the action on that checkout, as local-action sets the
  // file's variables over these; without it, on a copy of the demo.
  if (ownWorkspace) {
    console.log(`Workspace: ${ownWorkspace} (GITHUB_WORKSPACE in ${envFile}).`)
  } else {
    cpSync(join(projectRoot, 'demo'), join(workspace, 'demo'), { recursive: true })
  }
  const summaryFile = join(workspace, 'summary.md')
  writeFileSync(summaryFile, '')

  const node = node24() ?? process.execPath
  console.log(`@github/local-action runs under Node ${execFileSync(node, ['--version'], { encoding: 'utf8' }).trim()}.`)
  const child = spawn(
    node,
    [
      join(projectRoot, 'node_modules', '@github', 'local-action', 'bin', 'local-action.js'),
      'run',
      projectRoot,
      'src/main.ts',
      envFile,
      '--post',
      'src/post.ts'
    ],
    {
      cwd: projectRoot,
      stdio: ['ignore', 'pipe', 'inherit'],
      env: {
        ...process.env,
        // local-action starts tsx through npm exec, which runs the `node` first on PATH.
        PATH: `${dirname(node)}${delimiter}${process.env.PATH}`,
        GITHUB_WORKSPACE: workspace,
        GITHUB_STEP_SUMMARY: summaryFile,
        RUNNER_TEMP: join(workspace, '.runner-temp'),
        RUNNER_TOOL_CACHE: join(workspace, '.tool-cache'),
        HOME: process.env.HOME ?? workspace
      }
    }
  )
  // local-action exits 0 after core.setFailed; its log still carries the ::error lines.
  let failed = false
  let partial = ''
  child.stdout.on('data', (chunk) => {
    process.stdout.write(chunk)
    const lines = (partial + chunk.toString()).split('\n')
    partial = lines.pop()
    if (lines.some((line) => line.startsWith('::error'))) failed = true
  })
  const code = await new Promise((done) => child.on('close', (exitCode) => done(exitCode ?? 1)))
  const summary = readFileSync(summaryFile, 'utf8').trim()
  if (summary) console.log(`\nJob summary (${summaryFile.replace(workspace, '<workspace>')}):\n\n${summary}`)
  process.exitCode = code !== 0 ? code : failed ? 1 : 0
} finally {
  await endpoint?.close()
  rmSync(workspace, { recursive: true, force: true })
}
