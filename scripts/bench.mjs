// `npm run bench`: four side-by-side comparisons, each run as A, B, A, B, … after a warm-up so
// that a noisy machine slows both sides alike. Prints medians, min/max and B/A; it asserts
// nothing, the numbers are for people. BENCH_ROUNDS=<n> sets the rounds per comparison.
import { EC2Client } from '@aws-sdk/client-ec2'
import { build } from 'esbuild'
import { spawn, execFileSync } from 'node:child_process'
import { Buffer } from 'node:buffer'
import {
  accessSync,
  constants,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync
} from 'node:fs'
import { cpus, tmpdir } from 'node:os'
import { delimiter, join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { pathToFileURL } from 'node:url'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { loadEc2Endpoint, projectRoot } from './loopback.mjs'

const DEFAULT_ROUNDS = 7
const REGIONS = ['us-east-1', 'eu-west-1', 'us-west-2']
const TAGGING_LATENCY_MS = 100
const LOG_LINES = 200_000
const CHUNK_BYTES = 64 * 1024
const ARTIFACT_EVERY = 10_000
const distIndex = join(projectRoot, 'dist', 'index.js')

const credentials = { accessKeyId: 'AKIDLOOPBACK', secretAccessKey: 'loopback-secret' }

class BenchError extends Error {}

// ---------------------------------------------------------------- setup and clean-up

let scratch
const children = new Set()

function cleanUp() {
  for (const child of children) child.kill('SIGTERM')
  children.clear()
  if (scratch) rmSync(scratch, { recursive: true, force: true })
  scratch = undefined
}

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    cleanUp()
    process.exit(signal === 'SIGINT' ? 130 : 143)
  })
}

function roundsFromEnv() {
  const text = process.env.BENCH_ROUNDS
  if (text === undefined || text === '') return DEFAULT_ROUNDS
  if (!/^[1-9]\d*$/.test(text)) {
    throw new BenchError(`BENCH_ROUNDS must be a whole number ≥ 1, not "${text}".`)
  }
  return Number(text)
}

function findOnPath(command) {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue
    try {
      accessSync(join(dir, command), constants.X_OK)
      return join(dir, command)
    } catch {
      // not in this directory
    }
  }
  return undefined
}

function findPacker() {
  const packer = findOnPath('packer')
  if (packer === undefined) {
    throw new BenchError(
      '`packer` is not on PATH. Install it (on Debian: `apt-get install packer`) or put a Packer ' +
        'binary on PATH, then run the bench again.'
    )
  }
  const out = execFileSync(packer, ['version', '-machine-readable'], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH, CHECKPOINT_DISABLE: '1' }
  })
  const version = /,version,(\S+)/.exec(out)?.[1]
  if (version === undefined) throw new BenchError(`${packer} did not say its version:\n${out}`)
  return { path: packer, version }
}

function newestMtime(dir) {
  let newest = 0
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs)
  }
  return newest
}

function checkBundle() {
  if (!existsSync(distIndex)) {
    throw new BenchError(
      'dist/index.js is missing. Build it with `npm run bundle`, then run the bench again.'
    )
  }
  if (newestMtime(join(projectRoot, 'src')) > statSync(distIndex).mtimeMs) {
    console.error(
      'Note: src/ has changed since dist/index.js was built; `npm run bundle` to bench the current code.'
    )
  }
}

// The TypeScript under test, bundled the way scripts/loopback.mjs bundles the endpoint. Packages
// stay external so that the bench and tagging.ts share one copy of the AWS SDK.
async function loadSources() {
  const outdir = join(projectRoot, '.cache', 'bench')
  await build({
    entryPoints: {
      tagging: join(projectRoot, 'src', 'tagging.ts'),
      'machine-readable': join(projectRoot, 'src', 'packer', 'machine-readable.ts'),
      'action-process': join(projectRoot, '__tests__', 'support', 'action-process.ts')
    },
    outdir,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    packages: 'external',
    platform: 'node',
    target: 'node20',
    format: 'esm',
    logLevel: 'warning'
  })
  const load = (name) => import(pathToFileURL(join(outdir, `${name}.mjs`)).href)
  const [tagging, machineReadable, actionProcess] = await Promise.all(
    ['tagging', 'machine-readable', 'action-process'].map(load)
  )
  return { ...tagging, ...machineReadable, ...actionProcess }
}

// A full GC between passes of the in-process comparison and for the heap figures; node has to
// be told it may expose one, and a fresh context hands it out.
function exposeGc() {
  setFlagsFromString('--expose-gc')
  return runInNewContext('gc')
}

// ---------------------------------------------------------------- measuring

/** Runs a command to completion, draining its output; resolves with the wall time in ms. */
function timeProcess(command, args, { cwd, env }) {
  return new Promise((resolve, reject) => {
    const started = performance.now()
    const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] })
    children.add(child)
    let output = ''
    const keep = (chunk) => (output = (output + chunk.toString()).slice(-8000))
    child.stdout.on('data', keep)
    child.stderr.on('data', keep)
    child.on('error', (error) => {
      children.delete(child)
      reject(error)
    })
    child.on('close', (exitCode, signal) => {
      children.delete(child)
      resolve({ ms: performance.now() - started, exitCode, signal, output })
    })
  })
}

function expectExit(run, expected, what) {
  if (run.exitCode === expected) return
  const how = run.signal ? `was killed by ${run.signal}` : `exited ${run.exitCode}`
  throw new BenchError(`${what} ${how} (expected ${expected}). Its last output:\n${run.output}`)
}

function median(values) {
  const sorted = [...values].sort((x, y) => x - y)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
}

/**
 * Times `a` and `b` in turn: `warmUp` unrecorded pairs, then `rounds` recorded ones. Each side
 * is an async function resolving with the milliseconds to count, so set-up stays outside.
 */
async function compare({ rounds, warmUp = 1, a, b, between }) {
  const times = { a: [], b: [] }
  for (let round = 0; round < warmUp + rounds; round++) {
    for (const [side, run] of [['a', a], ['b', b]]) {
      between?.()
      const ms = await run()
      if (round >= warmUp) times[side].push(ms)
    }
  }
  return times
}

// ---------------------------------------------------------------- 1. the action over bare Packer

async function withJobFixture(startEc2Endpoint, run) {
  const endpoint = await startEc2Endpoint({ regions: REGIONS })
  const workspace = mkdtempSync(join(scratch, 'job-'))
  try {
    cpSync(join(projectRoot, 'demo'), workspace, { recursive: true })
    const env = {
      PATH: process.env.PATH ?? '',
      HOME: join(workspace, '.home'),
      TMPDIR: join(workspace, '.tmp'),
      CHECKPOINT_DISABLE: '1',
      AWS_ACCESS_KEY_ID: credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
      AWS_REGION: 'us-east-1',
      AWS_POLL_DELAY_SECONDS: '0',
      AWS_ENDPOINT_URL_EC2: endpoint.url
    }
    mkdirSync(env.TMPDIR)
    return await run({ endpoint, workspace, env })
  } finally {
    await endpoint.close()
    rmSync(workspace, { recursive: true, force: true })
  }
}

/** The env the runner gives the action: action.yml's defaults as INPUT_*, and its files. */
function actionEnv(lib, workspace, inputs, env) {
  const files = join(workspace, '.runner')
  mkdirSync(files, { recursive: true })
  const output = join(files, 'output')
  const summary = join(files, 'summary')
  writeFileSync(output, '')
  writeFileSync(summary, '')
  const all = {
    ...env,
    ...lib.pushToMain,
    GITHUB_OUTPUT: output,
    GITHUB_STEP_SUMMARY: summary,
    GITHUB_WORKSPACE: workspace,
    RUNNER_TEMP: join(files, 'temp'),
    RUNNER_TOOL_CACHE: join(files, 'tool-cache')
  }
  for (const [name, value] of Object.entries({ ...lib.actionDefaults(), ...inputs })) {
    all[`INPUT_${name.toUpperCase()}`] = value
  }
  return { env: all, output, summary }
}

async function actionOverBarePacker({ lib, startEc2Endpoint, packer, rounds }) {
  const jobDir = (workspace) => join(workspace, 'json')
  const bare = () =>
    withJobFixture(startEc2Endpoint, async ({ workspace, env }) => {
      const options = { cwd: jobDir(workspace), env }
      const template = ['-var-file=packer-vars.json', 'packer-template.json']
      const validate = await timeProcess(
        packer.path,
        ['validate', '-machine-readable', ...template],
        options
      )
      expectExit(validate, 0, 'packer validate')
      const built = await timeProcess(
        packer.path,
        ['build', '-machine-readable', '-on-error=cleanup', ...template],
        options
      )
      expectExit(built, 0, 'packer build')
      return validate.ms + built.ms
    })
  const action = () =>
    withJobFixture(startEc2Endpoint, async ({ endpoint, workspace, env }) => {
      const inputs = {
        'packer-version': packer.version,
        'working-directory': 'json',
        tags: 'Team=platform\nCostCenter=42'
      }
      const runner = actionEnv(lib, workspace, inputs, env)
      const options = { cwd: workspace, env: runner.env }
      const run = await timeProcess(process.execPath, [distIndex], options)
      expectExit(run, 0, 'node dist/index.js')
      const outputs = lib.parseOutputFile(readFileSync(runner.output, 'utf8'))
      const amiIds = JSON.parse(outputs['ami-ids'] ?? '{}')
      const tagCalls = endpoint
        .callsOf('CreateTags')
        .filter((call) => Object.values(call.params).includes('SourceCommit'))
      if (Object.keys(amiIds).length !== REGIONS.length || tagCalls.length !== REGIONS.length) {
        throw new BenchError(
          `the action did not build and tag ${REGIONS.length} regions ` +
            `(ami-ids ${JSON.stringify(amiIds)}, ${tagCalls.length} CreateTags). ` +
            `Its last output:\n${run.output}`
        )
      }
      return run.ms
    })
  return compare({ rounds, a: bare, b: action })
}

// ---------------------------------------------------------------- 2. tagging: parallel vs serial

async function taggingParallelVsSerial({ lib, startEc2Endpoint, selfAccountId, rounds }) {
  // EC2's id shape: a prefix and 17 hex digits.
  const id = (prefix, i) => `${prefix}-${String(i + 1).padStart(17, '0')}`
  const amis = REGIONS.map((region, i) => ({ region, amiId: id('ami', i) }))
  const endpoint = await startEc2Endpoint({
    regions: REGIONS,
    seedImages: amis.map(({ region, amiId }, i) => ({
      imageId: amiId,
      name: 'bench-1',
      ownerId: selfAccountId,
      regions: [region],
      snapshotId: id('snap', i)
    }))
  })
  endpoint.faults.latency(TAGGING_LATENCY_MS)
  try {
    const tag = async (some) => {
      const clients = []
      const ec2For = (region) => {
        // maxAttempts: 1, as tagAmis asks of the clients it is given.
        const client = new EC2Client({
          region,
          endpoint: endpoint.url,
          credentials,
          maxAttempts: 1
        })
        clients.push(client)
        return client
      }
      try {
        const results = await lib.tagAmis({
          amis: some,
          tags: { Team: 'platform', SourceCommit: lib.pushToMain.GITHUB_SHA },
          tagSnapshots: true,
          ec2For,
          log: () => {}
        })
        const failed = results.find((result) => !result.tagged)
        if (failed) throw new BenchError(`tagAmis failed in ${failed.region}: ${failed.error}`)
      } finally {
        for (const client of clients) client.destroy()
      }
    }
    const timed = async (run) => {
      const started = performance.now()
      await run()
      return performance.now() - started
    }
    return await compare({
      rounds,
      a: () => timed(() => tag(amis)),
      b: () =>
        timed(async () => {
          for (const ami of amis) await tag([ami])
        })
    })
  } finally {
    await endpoint.close()
  }
}

// ---------------------------------------------------------------- 3. start-up cost of the bundle

async function bundleStartUp({ lib, rounds }) {
  const workspace = mkdtempSync(join(scratch, 'startup-'))
  const base = { PATH: process.env.PATH ?? '', HOME: workspace }
  const { env } = actionEnv(lib, workspace, { command: 'nope' }, base)
  const options = { cwd: workspace, env }
  return compare({
    rounds,
    a: async () => {
      const run = await timeProcess(process.execPath, ['-e', '0'], options)
      expectExit(run, 0, 'node -e 0')
      return run.ms
    },
    b: async () => {
      const run = await timeProcess(process.execPath, [distIndex], options)
      expectExit(run, 1, 'node dist/index.js with command: nope')
      if (!run.output.includes('Invalid input')) {
        throw new BenchError(
          `node dist/index.js failed for another reason than the input:\n${run.output}`
        )
      }
      return run.ms
    }
  })
}

// ---------------------------------------------------------------- 4. log rendering throughput

/** A deterministic build log in Packer's machine-readable form, like an apt-heavy provisioner's. */
function buildLog(lines) {
  let seed = 42
  const next = (n) => {
    seed = (seed * 1103515245 + 12345) % 2147483648
    return seed % n
  }
  const comma = '%!(PACKER_COMMA)'
  const packages = ['libssl3', 'curl', 'ca-certificates', 'python3-yaml', 'nginx-core', 'tzdata']
  const out = []
  let artifacts = 0
  let timestamp = 1700000000
  const ui = (kind, text) => out.push(`${timestamp},,ui,${kind},${text}`)
  while (out.length < lines) {
    if (next(20) === 0) timestamp += 1
    const pkg = packages[next(packages.length)]
    const roll = next(100)
    if (out.length % ARTIFACT_EVERY === ARTIFACT_EVERY - 10) {
      // An artifact block, as Packer prints one per build of a template with many builds.
      const ids = REGIONS.map(
        (region, i) => `${region}:ami-${String(artifacts * 3 + i).padStart(17, '0')}`
      )
      const prefix = `${timestamp},amazon-ebs,artifact,${artifacts % 2}`
      const created = ids.map((id) => id.replace(':', ': ')).join('\\n')
      out.push(
        `${prefix},builder-id,mitchellh.amazonebs`,
        `${prefix},id,${ids.join(comma)}`,
        `${prefix},string,AMIs were created:\\n${created}\\n`,
        `${prefix},files-count,0`,
        `${prefix},end`
      )
      artifacts++
    } else if (roll < 60) {
      const version = `3.0.${next(20)}-0ubuntu1.${next(30)}`
      ui(
        'message',
        `    amazon-ebs: Get:${next(400)} http://archive.ubuntu.com/ubuntu jammy-updates/main amd64 ` +
          `${pkg} amd64 ${version} [${next(4000)} kB]`
      )
    } else if (roll < 75) {
      ui(
        'message',
        `    amazon-ebs: Setting up ${pkg} (${next(5)}.${next(10)}-${next(9)})${comma} ` +
          `${next(900)} files and directories currently installed.`
      )
    } else if (roll < 85) {
      const script = `/tmp/packer-shell${next(99999)}${comma} step ${next(40)}`
      ui('say', `==> amazon-ebs: Provisioning with shell script: ${script}`)
    } else if (roll < 93) {
      // Provisioner stderr: Packer shows it as ui error lines, which RunRecord collects.
      ui(
        'error',
        `    amazon-ebs: debconf: delaying package configuration${comma} since apt-utils is not installed`
      )
    } else {
      ui('say', `\\n==> amazon-ebs: Waiting for SSH to become available... (attempt ${next(30)})`)
    }
  }
  out.length = lines
  const text = Buffer.from(out.join('\n') + '\n')
  const chunks = []
  for (let offset = 0; offset < text.length; offset += CHUNK_BYTES) {
    chunks.push(text.subarray(offset, offset + CHUNK_BYTES))
  }
  return { chunks, bytes: text.length, artifacts }
}

function splitOnly(lib, chunks) {
  const splitter = new lib.LineSplitter()
  let lines = 0
  let chars = 0
  const onLine = (line) => {
    lines++
    chars += line.length
  }
  for (const chunk of chunks) splitter.push(chunk, onLine)
  splitter.end(onLine)
  return { lines, chars }
}

function renderAll(lib, chunks, onChunk) {
  const splitter = new lib.LineSplitter()
  const record = new lib.RunRecord()
  let lines = 0
  let rendered = 0
  const onLine = (line) => {
    lines++
    const event = lib.parseEventLine(line)
    if (event === undefined) return
    record.observe(event)
    rendered += lib.renderEvent(event)?.text.length ?? 0
  }
  for (const chunk of chunks) {
    splitter.push(chunk, onLine)
    onChunk?.(lines)
  }
  splitter.end(onLine)
  return { lines, rendered, record }
}

async function logRendering({ lib, rounds, gc }) {
  const log = buildLog(LOG_LINES)
  const timed = (run) => {
    const started = performance.now()
    const result = run()
    const ms = performance.now() - started
    if (result.lines !== LOG_LINES) {
      throw new BenchError(`saw ${result.lines} lines, not ${LOG_LINES}`)
    }
    return ms
  }
  const times = await compare({
    rounds,
    between: gc,
    a: async () => timed(() => splitOnly(lib, log.chunks)),
    b: async () => timed(() => renderAll(lib, log.chunks))
  })

  // One more pass, untimed, that samples the heap after every chunk and, after a full GC, at
  // every quarter of the log: if anything grew with the log, the quarters would climb.
  gc()
  const start = process.memoryUsage().heapUsed
  let peak = start
  const quarters = []
  const result = renderAll(lib, log.chunks, (lines) => {
    peak = Math.max(peak, process.memoryUsage().heapUsed)
    if (lines >= ((quarters.length + 1) * LOG_LINES) / 4 && quarters.length < 3) {
      gc()
      quarters.push(process.memoryUsage().heapUsed - start)
    }
  })
  gc()
  quarters.push(process.memoryUsage().heapUsed - start)
  if (result.record.artifacts.length !== log.artifacts) {
    const kept = result.record.artifacts.length
    throw new BenchError(`RunRecord kept ${kept} artifacts, not ${log.artifacts}`)
  }
  const heap = { peak: peak - start, quarters }
  return { times, bytes: log.bytes, artifacts: log.artifacts, heap }
}

// ---------------------------------------------------------------- report

const ms = (value) => `${value.toFixed(Math.abs(value) < 100 ? 1 : 0)} ms`
const mb = (bytes) => `${(bytes / 1024 / 1024).toFixed(1)} MB`
const signed = (value, format) => `${value < 0 ? '−' : '+'}${format(Math.abs(value))}`
const signedMb = (bytes) => signed(bytes, mb)
const rate = (value) => `${(value / 1e6).toFixed(2)} M lines/s`

const table = []

function section(title) {
  table.push({ title })
}

/** The A and B rows of a comparison; B/A and B−A are the medians of the per-round figures. */
function sides(times, labelA, labelB, notes = {}) {
  const ratios = times.b.map((b, i) => b / times.a[i])
  const differences = times.b.map((b, i) => b - times.a[i])
  const row = (side, label, values, extra) => ({
    side,
    label,
    median: ms(median(values)),
    min: ms(Math.min(...values)),
    max: ms(Math.max(...values)),
    ...extra
  })
  table.push(row('A', labelA, times.a, { note: notes.a ?? '' }))
  table.push(
    row('B', labelB, times.b, {
      ratio: `${median(ratios).toFixed(2)}x`,
      note: notes.b ?? signed(median(differences), ms)
    })
  )
}

function printTable() {
  const width = Math.max(...table.filter((row) => row.label).map((row) => row.label.length))
  const column = (text, size) => String(text ?? '').padStart(size)
  console.log(
    ' '.repeat(6 + width) +
      column('median', 10) +
      column('min', 10) +
      column('max', 10) +
      column('B/A', 8) +
      '  B−A / note'
  )
  for (const row of table) {
    if (row.title) {
      console.log(row.title)
      continue
    }
    console.log(
      `   ${row.side}  ${row.label.padEnd(width)}${column(row.median, 10)}${column(row.min, 10)}` +
        `${column(row.max, 10)}${column(row.ratio, 8)}  ${row.note}`.trimEnd()
    )
  }
}

// ---------------------------------------------------------------- main

async function main() {
  const started = performance.now()
  const rounds = roundsFromEnv()
  const packer = findPacker()
  checkBundle()
  scratch = mkdtempSync(join(tmpdir(), 'packer-ami-action-bench-'))
  const gc = exposeGc()
  const [lib, loopback] = await Promise.all([loadSources(), loadEc2Endpoint()])
  const context = {
    lib,
    startEc2Endpoint: loopback.startEc2Endpoint,
    selfAccountId: loopback.SELF_ACCOUNT_ID,
    packer,
    rounds,
    gc
  }

  const cpu = cpus()
  console.log(
    `packer-ami-action bench: Node ${process.version}, Packer ${packer.version}, ${cpu.length} CPU(s) ` +
      `(${cpu[0]?.model.trim() ?? 'unknown'})`
  )
  const roundsText = `${rounds} round${rounds === 1 ? '' : 's'}`
  console.log(`1 warm-up + ${roundsText} per comparison, sides interleaved A, B, A, B, …`)

  // Progress goes to stderr, so that stdout holds the table alone.
  const progress = (text) => console.error(`… ${text}`)

  progress('1/4 the whole job against bare Packer')
  const job = await actionOverBarePacker(context)
  section(
    `1. The action's overhead over bare Packer ` +
      `(demo/json, ${REGIONS.length} regions, a fresh endpoint each run)`
  )
  sides(
    job,
    'packer validate + packer build -machine-readable',
    `node dist/index.js (whole job, tags ${REGIONS.length} regions)`
  )

  progress('2/4 tagging regions at once against one after another')
  const tagging = await taggingParallelVsSerial(context)
  section(`2. tagAmis over ${REGIONS.length} regions, ${TAGGING_LATENCY_MS} ms endpoint latency per call`)
  sides(tagging, 'all regions in one tagAmis call', 'one tagAmis call per region, in turn')

  progress('3/4 start-up of the bundle')
  const startUp = await bundleStartUp(context)
  section(`3. Start-up cost of dist/index.js (${mb(statSync(distIndex).size)})`)
  sides(startUp, 'node -e 0', 'node dist/index.js, command: nope (exits 1)')

  progress('4/4 log rendering')
  const log = await logRendering(context)
  const lines = LOG_LINES.toLocaleString('en')
  section(`4. Packer log, ${lines} lines (${mb(log.bytes)}) in ${CHUNK_BYTES / 1024} KiB chunks`)
  sides(log.times, 'LineSplitter only', 'split + parseEventLine + RunRecord + renderEvent', {
    a: rate(LOG_LINES / (median(log.times.a) / 1000)),
    b: rate(LOG_LINES / (median(log.times.b) / 1000))
  })
  table.push({
    title:
      `   heap in a render pass: peak ${signedMb(log.heap.peak)}; after GC at each quarter ` +
      `${log.heap.quarters.map(signedMb).join(', ')} (RunRecord keeps ${log.artifacts} artifacts)`
  })
  console.log()
  printTable()
  console.log('\nB/A and B−A are medians of the per-round ratios and differences.')
  console.log(`Took ${((performance.now() - started) / 1000).toFixed(1)} s.`)
}

try {
  await main()
} catch (error) {
  console.error(`bench: ${error instanceof BenchError ? error.message : (error?.stack ?? error)}`)
  process.exitCode = 1
} finally {
  cleanUp()
}
