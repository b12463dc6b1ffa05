// `npm run bench`: the action's own cost, measured as a runner sees it. The bundle runs as a
// process under Node 24 (the runtime action.yml declares), its stdout a pipe into a reader in
// this process; peak RSS is the process's own (scripts/peak-rss.mjs), not the JS heap. Each
// figure sits beside its yardstick from the same run (`cat`, bare Packer, a minimal action
// bundled the same way), sides interleaved A, B, A, B, … so a noisy machine slows both alike.
// Prints medians, min–max, ratios and each target; it asserts nothing. Beside them, what one run
// of each kind loads of dist/ (scripts/dist-loaded.mjs): counts, not times, so one run each.
// BENCH_ROUNDS=<n> sets the rounds per comparison (default 3; the whole job gets at least 15 and
// the cold start at least 21, being short and noisy); BENCH_HUGE=0 skips the 1 GiB run; BENCH_DEBUG=1
// runs the huge logs as a re-run with debug logging does (RUNNER_DEBUG=1: Packer's debug log on too).
import { execFileSync, spawn } from 'node:child_process'
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { cpus, tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { setTimeout } from 'node:timers'
import { pathToFileURL } from 'node:url'
import { build } from 'esbuild'
import { bundle, sizeOf } from './bundle.mjs'
import { loadActionProcess, loadEc2Endpoint, loadPackerOnPath, projectRoot } from './loopback.mjs'

const MiB = 1024 * 1024
const REGIONS = ['us-east-1', 'eu-west-1', 'us-west-2']
const TAGGING_REGIONS = 16
const TAGGING_LATENCY_MS = 100
const LOG_BYTES = 256 * MiB
const HUGE_LOG_BYTES = 1024 * MiB
/** The slow reader takes a pipe-sized chunk, then looks away for this long. */
const SLOW_READER_PAUSE_MS = 2
const distIndex = join(projectRoot, 'dist', 'index.js')
const standinDir = join(projectRoot, 'test-support', 'packer-stand-in')
const peakRssProbe = pathToFileURL(join(projectRoot, 'scripts', 'peak-rss.mjs')).href
const distLoadedProbe = pathToFileURL(join(projectRoot, 'scripts', 'dist-loaded.mjs')).href
/** A run as timed: no probe but peak-rss.mjs's (see loadedOfDist). */
const noProbe = { nodeArgs: [], env: {} }

class BenchError extends Error {}

// ---------------------------------------------------------------- Node 24

function node24Path() {
  const path = execFileSync(process.execPath, [join(projectRoot, 'scripts', 'node24.mjs')], {
    encoding: 'utf8'
  }).trim()
  if (!path) throw new BenchError('scripts/node24.mjs found no Node 24 (it installs one from the npm registry).')
  return path
}

// ---------------------------------------------------------------- processes

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

/**
 * Runs a command to completion with its stdout read by this process, slowly when asked;
 * resolves with the wall time, the bytes read, the exit and, when `rss` is set, the peak RSS
 * and the CPU time that scripts/peak-rss.mjs recorded.
 */
function timeProcess(command, args, { cwd, env, slowReader = false, rss = false }) {
  const probeDir = rss ? mkdtempSync(join(scratch, 'rss-')) : undefined
  const rssFile = probeDir ? join(probeDir, 'peak') : undefined
  const cpuFile = probeDir ? join(probeDir, 'cpu') : undefined
  return new Promise((resolve, reject) => {
    const started = performance.now()
    const child = spawn(command, args, {
      cwd,
      env: probeDir ? { ...env, PEAK_RSS_FILE: rssFile, CPU_TIME_FILE: cpuFile } : env,
      stdio: ['ignore', 'pipe', 'pipe']
    })
    children.add(child)
    let bytes = 0
    let tail = ''
    child.stdout.on('data', (chunk) => {
      bytes += chunk.length
      tail = (tail + chunk.toString('latin1')).slice(-4000)
      if (slowReader) {
        child.stdout.pause()
        setTimeout(() => child.stdout.resume(), SLOW_READER_PAUSE_MS)
      }
    })
    child.stderr.on('data', (chunk) => (tail = (tail + chunk.toString()).slice(-4000)))
    child.on('error', (error) => {
      children.delete(child)
      reject(error)
    })
    child.on('close', (exitCode, signal) => {
      children.delete(child)
      const ms = performance.now() - started
      const peakRss = rssFile ? Number(readFileSync(rssFile, 'utf8')) : undefined
      const cpuMs = cpuFile ? Number(readFileSync(cpuFile, 'utf8')) / 1000 : undefined
      resolve({ ms, bytes, exitCode, signal, peakRss, cpuMs, output: tail })
    })
  })
}

function expectExit(run, expected, what) {
  if (run.exitCode === expected) return run
  const how = run.signal ? `was killed by ${run.signal}` : `exited ${run.exitCode}`
  throw new BenchError(`${what} ${how} (expected ${expected}). Its last output:\n${run.output}`)
}

/** `warmUp` unrecorded pairs, then `rounds` recorded ones; each side resolves with a figure. */
async function compare({ rounds, warmUp = 1, a, b }) {
  const results = { a: [], b: [] }
  for (let round = 0; round < warmUp + rounds; round++) {
    for (const [side, run] of [['a', a], ['b', b]]) {
      const result = await run()
      if (round >= warmUp) results[side].push(result)
    }
  }
  return results
}

// ---------------------------------------------------------------- the runner's environment

let lib
/** The environment the action asks `packer version` in (src/install/on-path.ts). */
let askedAsTheActionAsks

/** The env the runner gives the action, the tests' own (with the push-to-main variables). */
function actionEnv(workspace, inputs, env) {
  const { env: all, files } = lib.runnerEnvironment(workspace, inputs, { ...env, ...lib.pushToMain })
  return { env: all, output: files.output }
}

// ---------------------------------------------------------------- 1. a huge log

function logWorkspace() {
  const workspace = mkdtempSync(join(scratch, 'log-'))
  writeFileSync(join(workspace, 'packer-template.json'), JSON.stringify({ builders: [{ type: 'amazon-ebs' }] }))
  return workspace
}

function standinEnv(bytes) {
  return {
    PATH: `${standinDir}:${process.env.PATH}`,
    HOME: scratch,
    STANDIN_LOG_BYTES: String(bytes),
    STANDIN_AMIS: JSON.stringify([{ build: 'amazon-ebs', regions: { 'us-east-1': 'ami-0aaa1' } }]),
    STANDIN_MANIFEST: join(scratch, 'standin-manifest.json'),
    AWS_REGION: 'us-east-1',
    // A build step has AWS credentials: without them, the build is refused before the install.
    AWS_ACCESS_KEY_ID: 'AKIDSTANDIN',
    AWS_SECRET_ACCESS_KEY: 'standin-secret',
    // A re-run with debug logging: Packer's debug log copies each of its lines to stderr.
    ...(process.env.BENCH_DEBUG === '1' ? { RUNNER_DEBUG: '1' } : {})
  }
}

/** The action with a Packer that prints `bytes` of log, into the given reader. */
async function actionWithLog(node, bytes, slowReader) {
  const workspace = logWorkspace()
  const runner = actionEnv(workspace, { 'packer-version': '1.6.6', 'provenance-tags': 'false', summary: 'false' }, standinEnv(bytes))
  const run = await timeProcess(node, ['--import', peakRssProbe, distIndex], {
    cwd: workspace,
    env: runner.env,
    slowReader,
    rss: true
  })
  expectExit(run, 0, `the action with a ${bytes / MiB} MiB log`)
  const outputs = lib.parseOutputFile(readFileSync(runner.output, 'utf8'))
  if (outputs['ami-id'] !== 'ami-0aaa1') throw new BenchError(`the action set no ami-id; its last output:\n${run.output}`)
  rmSync(workspace, { recursive: true, force: true })
  return run
}

/** The same Packer's output through `cat`, into the same reader. */
async function catWithLog(bytes, slowReader) {
  const workspace = logWorkspace()
  const run = await timeProcess('sh', ['-c', 'packer build -machine-readable packer-template.json | cat'], {
    cwd: workspace,
    env: standinEnv(bytes),
    slowReader
  })
  expectExit(run, 0, 'packer build | cat')
  rmSync(workspace, { recursive: true, force: true })
  return run
}

// ---------------------------------------------------------------- 2. the whole job over bare Packer

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
      AWS_ACCESS_KEY_ID: 'AKIDLOOPBACK',
      AWS_SECRET_ACCESS_KEY: 'loopback-secret',
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

/** The demo's two templates: legacy JSON, and HCL2 (which the action reads with HCL's parser). */
const jobTemplates = {
  json: { directory: 'json', template: 'packer-template.json', varFile: 'packer-vars.json' },
  hcl2: { directory: 'hcl2', template: 'ami.pkr.hcl', varFile: 'loopback.pkrvars.hcl' }
}

function barePacker(startEc2Endpoint, packer, kind) {
  const { directory, template: file, varFile } = jobTemplates[kind]
  return withJobFixture(startEc2Endpoint, async ({ workspace, env }) => {
    const options = { cwd: join(workspace, directory), env }
    const template = [`-var-file=${varFile}`, file]
    const validate = expectExit(
      await timeProcess(packer, ['validate', '-machine-readable', ...template], options),
      0,
      'packer validate'
    )
    const built = expectExit(
      await timeProcess(packer, ['build', '-machine-readable', '-on-error=cleanup', ...template], options),
      0,
      'packer build'
    )
    // Not part of bare Packer's time: what the action's first step costs on a runner that has
    // not asked this binary before, asked the way the action asks (src/install/on-path.ts).
    const version = expectExit(
      await timeProcess(packer, ['version', '-machine-readable'], { ...options, env: { ...env, ...askedAsTheActionAsks } }),
      0,
      'packer version'
    )
    return { ms: validate.ms + built.ms, versionMs: version.ms }
  })
}

/** `probe`: more of Node's options before the entry point, and more environment. */
function wholeAction(startEc2Endpoint, node, version, kind, probe = noProbe) {
  const { directory, template, varFile } = jobTemplates[kind]
  return withJobFixture(startEc2Endpoint, async ({ endpoint, workspace, env }) => {
    const inputs = { 'packer-version': version, 'working-directory': directory, template, 'var-file': varFile, tags: 'Team=platform' }
    const runner = actionEnv(workspace, inputs, env)
    const run = expectExit(
      await timeProcess(node, ['--import', peakRssProbe, ...probe.nodeArgs, distIndex], {
        cwd: workspace,
        env: { ...runner.env, ...probe.env },
        rss: true
      }),
      0,
      'the whole job'
    )
    const amiIds = JSON.parse(lib.parseOutputFile(readFileSync(runner.output, 'utf8'))['ami-ids'] ?? '{}')
    const tagged = endpoint.callsOf('CreateTags').filter((call) => Object.values(call.params).includes('SourceCommit'))
    if (Object.keys(amiIds).length !== REGIONS.length || tagged.length !== REGIONS.length) {
      throw new BenchError(`the action did not build and tag ${REGIONS.length} regions; its last output:\n${run.output}`)
    }
    return run
  })
}

// ---------------------------------------------------------------- 3. cold start to an input error

// The yardstick: an action that reads an input and fails, importing only @actions/core.
async function bundleMinimalAction() {
  // In the project, so that @actions/core resolves from its node_modules.
  mkdirSync(join(projectRoot, '.cache', 'bench'), { recursive: true })
  const source = join(projectRoot, '.cache', 'bench', 'minimal-action.ts')
  writeFileSync(
    source,
    "import * as core from '@actions/core'\n" +
      "core.setFailed(`command: expected build or validate, found \"${core.getInput('command')}\"`)\n"
  )
  const outdir = join(projectRoot, '.cache', 'bench', 'minimal-action')
  await bundle({ index: source }, outdir)
  return join(outdir, 'index.js')
}

async function coldStart(node, entry, workspace, inputs = {}, probe = noProbe) {
  const { env } = actionEnv(workspace, { ...inputs, command: 'nope' }, { PATH: process.env.PATH ?? '', HOME: workspace, ...probe.env })
  const run = expectExit(await timeProcess(node, [...probe.nodeArgs, entry], { cwd: workspace, env }), 1, `${entry} with command: nope`)
  if (!run.output.includes('command: ')) throw new BenchError(`${entry} failed for another reason:\n${run.output}`)
  return run
}

/**
 * The post step, which the runner runs after every job, after a build that left it nothing to
 * do: Packer exited by itself and no plugin cache was used.
 */
async function postStep(node, workspace) {
  // As a successful build saves it: what it announced, and the AMIs it put in the outputs.
  const ami = 'ami-0123456789abcdef0'
  const leftovers = {
    regions: ['us-east-1'],
    resources: { instanceIds: [], keyPairs: [], securityGroups: [], images: [], imageInstances: [] },
    packer: 'exited',
    keep: false,
    manifests: [{ path: join(workspace, 'packer-manifest.json') }],
    finished: [{ build: 'amazon-ebs', ami }],
    amis: [ami]
  }
  const { env } = actionEnv(workspace, {}, { PATH: process.env.PATH ?? '', HOME: workspace, 'STATE_packer-leftovers': JSON.stringify(leftovers) })
  const entry = join(projectRoot, 'dist', 'post.js')
  const run = expectExit(await timeProcess(node, [entry], { cwd: workspace, env }), 0, 'dist/post.js')
  if (/::(warning|error)/.test(run.output)) throw new BenchError(`the post step warned:\n${run.output}`)
  return run
}

// ---------------------------------------------------------------- 4. what a run loads of dist/

/**
 * Runs `run(probe)` once with scripts/dist-loaded.mjs, which records what the process loads;
 * resolves with what it loaded of dist/ beside all of dist/ (distLoaded() of the tests' support).
 */
async function loadedOfDist(run) {
  const file = join(mkdtempSync(join(scratch, 'loaded-')), 'loaded.json')
  await run({ nodeArgs: ['--import', distLoadedProbe], env: { DIST_LOADED_FILE: file } })
  return lib.distLoaded(file, join(projectRoot, 'dist'))
}

// ---------------------------------------------------------------- 5. tagging many regions

async function loadTagging() {
  const outdir = join(projectRoot, '.cache', 'bench', 'tagging')
  await build({
    entryPoints: { tagging: join(projectRoot, 'src', 'aws', 'tagging.ts') },
    outdir,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    packages: 'external',
    platform: 'node',
    format: 'esm',
    logLevel: 'warning'
  })
  return import(pathToFileURL(join(outdir, 'tagging.mjs')).href)
}

async function taggingRoundTrips(startEc2Endpoint, selfAccountId) {
  const { tagAmis } = await loadTagging()
  const { EC2Client } = await import('@aws-sdk/client-ec2')
  const all = ['us-east-1', 'us-east-2', 'us-west-1', 'us-west-2', 'eu-west-1', 'eu-west-2', 'eu-west-3',
    'eu-central-1', 'eu-north-1', 'eu-south-1', 'ap-south-1', 'ap-northeast-1', 'ap-northeast-2',
    'ap-southeast-1', 'ap-southeast-2', 'ca-central-1']
  const regions = all.slice(0, TAGGING_REGIONS)
  const id = (prefix, i) => `${prefix}-${String(i + 1).padStart(17, '0')}`
  const amis = regions.map((region, i) => ({ region, amiId: id('ami', i) }))
  const endpoint = await startEc2Endpoint({
    regions,
    seedImages: amis.map(({ region, amiId }, i) => ({
      imageId: amiId,
      name: 'bench-1',
      ownerId: selfAccountId,
      regions: [region],
      snapshotId: id('snap', i)
    }))
  })
  endpoint.faults.latency(TAGGING_LATENCY_MS)
  const clients = []
  try {
    const started = performance.now()
    const results = await tagAmis({
      amis,
      tags: { Team: 'platform' },
      tagSnapshots: true,
      ec2For: (region) => {
        const client = new EC2Client({
          region,
          endpoint: endpoint.url,
          credentials: { accessKeyId: 'AKIDLOOPBACK', secretAccessKey: 'loopback-secret' },
          maxAttempts: 1
        })
        clients.push(client)
        return client
      },
      log: () => {}
    })
    const ms = performance.now() - started
    const failed = results.find((result) => !result.tagged)
    if (failed) throw new BenchError(`tagAmis failed in ${failed.region}: ${failed.error}`)
    return { ms, calls: endpoint.calls.length }
  } finally {
    for (const client of clients) client.destroy()
    await endpoint.close()
  }
}

// ---------------------------------------------------------------- report

const median = (values) => {
  const sorted = [...values].sort((x, y) => x - y)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
}
const ms = (value) => `${value.toFixed(Math.abs(value) < 100 ? 1 : 0)} ms`
const mib = (bytes) => `${(bytes / MiB).toFixed(1)} MiB`
const rate = (bytes, millis) => `${(bytes / MiB / (millis / 1000)).toFixed(1)} MiB/s`
const kib = (bytes) => `${(bytes / 1024).toFixed(0)} KiB`
const spread = (values, format) => `${format(Math.min(...values))} – ${format(Math.max(...values))}`

const rows = []
function row(figure, values, format, { ratio = '', target = '', met } = {}) {
  rows.push({
    figure,
    median: values.length ? format(median(values)) : '',
    spread: values.length > 1 ? spread(values, format) : '',
    ratio,
    target,
    met: met === undefined ? '' : met ? 'yes' : 'NO'
  })
}
/** A figure that is no median: a count, given as text. */
function fact(figure, text, options) {
  row(figure, [text], (value) => value, options)
}
function heading(title) {
  rows.push({ title })
}

function printTable() {
  const columns = ['figure', 'median', 'spread', 'ratio', 'target', 'met']
  const names = { figure: 'figure', median: 'median', spread: 'min – max', ratio: 'ratio', target: 'target', met: 'met' }
  const body = rows.filter((r) => !r.title)
  const width = Object.fromEntries(columns.map((c) => [c, Math.max(names[c].length, ...body.map((r) => r[c].length))]))
  const line = (r) => `| ${columns.map((c) => r[c].padEnd(width[c])).join(' | ')} |`
  console.log(line(names))
  console.log(`| ${columns.map((c) => '-'.repeat(width[c])).join(' | ')} |`)
  for (const r of rows) {
    if (r.title) console.log(line({ figure: `**${r.title}**`, median: '', spread: '', ratio: '', target: '', met: '' }))
    else console.log(line(r))
  }
}

// ---------------------------------------------------------------- main

async function main() {
  const started = performance.now()
  const roundsText = process.env.BENCH_ROUNDS ?? '3'
  if (!/^[1-9]\d*$/.test(roundsText)) throw new BenchError(`BENCH_ROUNDS must be a whole number ≥ 1, not "${roundsText}".`)
  const rounds = Number(roundsText)
  const node = process.execPath
  let packer
  try {
    packer = execFileSync('sh', ['-c', 'command -v packer'], { encoding: 'utf8' }).trim()
  } catch {
    throw new BenchError('`packer` is not on PATH (on Debian: `apt-get install packer`).')
  }
  const version = /,version,(\S+)/.exec(
    execFileSync(packer, ['version', '-machine-readable'], { encoding: 'utf8', env: { PATH: process.env.PATH, CHECKPOINT_DISABLE: '1' } })
  )?.[1]
  execFileSync(process.execPath, [join(projectRoot, 'scripts', 'bundle.mjs')], { stdio: 'inherit' })
  scratch = mkdtempSync(join(tmpdir(), 'packer-ami-action-bench-'))
  // The runner's files of every run of the action go in it too, so nothing is left behind.
  process.env.TMPDIR = scratch
  const [actionProcess, loopback] = await Promise.all([loadActionProcess(), loadEc2Endpoint()])
  lib = actionProcess
  askedAsTheActionAsks = (await loadPackerOnPath()).oneProcess
  const minimal = await bundleMinimalAction()

  const cpu = cpus()
  console.log(
    `packer-ami-action bench: Node ${process.version}, Packer ${version}, ${cpu.length} CPU(s) ` +
      `(${cpu[0]?.model.trim() ?? 'unknown'}), ${rounds} round(s) (whole job ≥ 15, cold start ≥ 21) after 1 warm-up, sides interleaved`
  )
  const progress = (text) => console.error(`… ${text}`)

  progress(`1/7 ${LOG_BYTES / MiB} MiB of Packer output into a slow reader: the action, then cat`)
  const slow = await compare({ rounds, a: () => catWithLog(LOG_BYTES, true), b: () => actionWithLog(node, LOG_BYTES, true) })
  progress(`2/7 ${LOG_BYTES / MiB} MiB of Packer output into a reader as fast as it can be: the action, then cat`)
  const fast = await compare({ rounds, a: () => catWithLog(LOG_BYTES, false), b: () => actionWithLog(node, LOG_BYTES, false) })
  let huge
  if (process.env.BENCH_HUGE !== '0') {
    progress(`3/7 ${HUGE_LOG_BYTES / MiB} MiB of Packer output into a slow reader, once`)
    huge = await actionWithLog(node, HUGE_LOG_BYTES, true)
  }
  progress('4/7 the whole job against bare packer validate + build (real Packer, loopback EC2), JSON then HCL2')
  // A job takes about a second and this machine is noisy: more rounds than the log's.
  const jobOf = (kind) =>
    compare({
      rounds: Math.max(rounds, 15),
      a: () => barePacker(loopback.startEc2Endpoint, packer, kind),
      b: () => wholeAction(loopback.startEc2Endpoint, node, version, kind)
    })
  const jobs = { json: await jobOf('json'), hcl2: await jobOf('hcl2') }
  progress('5/7 cold start to an input error, and the post step: a minimal action, then the action')
  const coldWorkspace = mkdtempSync(join(scratch, 'cold-'))
  const cold = await compare({ rounds: Math.max(rounds, 21), a: () => coldStart(node, minimal, coldWorkspace), b: () => coldStart(node, distIndex, coldWorkspace) })
  // A packer-version other than latest loads semver to read it.
  const pinned = { 'packer-version': '1.11.2' }
  const coldPinned = await compare({ rounds: Math.max(rounds, 21), a: () => coldStart(node, minimal, coldWorkspace), b: () => coldStart(node, distIndex, coldWorkspace, pinned) })
  const post = await compare({ rounds: Math.max(rounds, 21), a: () => coldStart(node, minimal, coldWorkspace), b: () => postStep(node, coldWorkspace) })
  progress('6/7 what a run loads of dist/: the JSON job, the HCL2 job and the cold start, once each')
  const loaded = {
    json: await loadedOfDist((probe) => wholeAction(loopback.startEc2Endpoint, node, version, 'json', probe)),
    hcl2: await loadedOfDist((probe) => wholeAction(loopback.startEc2Endpoint, node, version, 'hcl2', probe)),
    cold: await loadedOfDist((probe) => coldStart(node, distIndex, coldWorkspace, {}, probe))
  }
  progress(`7/7 tagging ${TAGGING_REGIONS} regions at ${TAGGING_LATENCY_MS} ms per EC2 call`)
  const tagging = []
  for (let round = 0; round < rounds; round++) tagging.push(await taggingRoundTrips(loopback.startEc2Endpoint, loopback.SELF_ACCOUNT_ID))

  const ratios = (results, figure) => results.b.map((b, i) => figure(b) / figure(results.a[i]))
  const throughput = (run) => run.bytes / run.ms

  heading(`${LOG_BYTES / MiB} MiB of Packer output, stdout a pipe into a reader that pauses ${SLOW_READER_PAUSE_MS} ms per chunk`)
  row('packer build piped to cat: time', slow.a.map((r) => r.ms), ms)
  row('the action: time', slow.b.map((r) => r.ms), ms, { ratio: `${median(ratios(slow, (r) => r.ms)).toFixed(2)}× cat` })
  const slowRss = slow.b.map((r) => r.peakRss)
  row('the action: peak RSS', slowRss, mib, { target: '< 100 MiB', met: Math.max(...slowRss) < 100 * MiB })
  heading(`${LOG_BYTES / MiB} MiB of Packer output, stdout a pipe into a reader as fast as it can be`)
  row('packer build piped to cat: throughput', fast.a.map(throughput), (v) => rate(v, 1))
  const fastRatio = median(ratios(fast, throughput))
  row('the action: throughput', fast.b.map(throughput), (v) => rate(v, 1), {
    ratio: `${fastRatio.toFixed(2)}× cat`,
    target: '≥ 0.1× cat',
    met: fastRatio >= 0.1
  })
  const fastRss = fast.b.map((r) => r.peakRss)
  row('the action: peak RSS', fastRss, mib, { target: '< 100 MiB', met: Math.max(...fastRss) < 100 * MiB })
  if (huge) {
    heading(`${HUGE_LOG_BYTES / MiB} MiB of Packer output into the slow reader, one run`)
    row('the action: time (finished, exit 0)', [huge.ms], ms, { target: 'finishes', met: huge.exitCode === 0 })
    row('the action: peak RSS', [huge.peakRss], mib)
  }
  for (const [kind, job] of Object.entries(jobs)) {
    heading(`The whole job over bare Packer (demo/${kind}, ${REGIONS.length} regions, tags, fresh loopback endpoint each run)`)
    row('packer validate + packer build', job.a.map((r) => r.ms), ms)
    const overhead = job.b.map((b, i) => b.ms - job.a[i].ms)
    row('the action (whole job)', job.b.map((r) => r.ms), ms, { ratio: `${median(ratios(job, (r) => r.ms)).toFixed(2)}×` })
    row('the action minus bare Packer', overhead, ms, { target: '< 150 ms', met: median(overhead) < 150 })
    row('packer version alone, which the action runs first', job.a.map((r) => r.versionMs), ms)
    row('the action minus bare Packer and packer version', job.b.map((b, i) => b.ms - job.a[i].ms - job.a[i].versionMs), ms)
    row('the action: CPU time of its own process', job.b.map((r) => r.cpuMs), ms)
    row('the action: peak RSS', job.b.map((r) => r.peakRss), mib)
  }
  heading('Cold start to an input error (command: nope), bundled the same way')
  row('minimal action (@actions/core only)', cold.a.map((r) => r.ms), ms)
  const coldRatio = median(ratios(cold, (r) => r.ms))
  row('the action', cold.b.map((r) => r.ms), ms, { ratio: `${coldRatio.toFixed(2)}×`, target: '≤ 1.0×', met: coldRatio <= 1.0 })
  const pinnedRatio = median(ratios(coldPinned, (r) => r.ms))
  row('minimal action, again', coldPinned.a.map((r) => r.ms), ms)
  row('the action, packer-version: 1.11.2', coldPinned.b.map((r) => r.ms), ms, { ratio: `${pinnedRatio.toFixed(2)}×`, target: '≤ 1.0×', met: pinnedRatio <= 1.0 })
  row('minimal action, beside the post step', post.a.map((r) => r.ms), ms)
  row('the post step, nothing to clean up or cache', post.b.map((r) => r.ms), ms, { ratio: `${median(ratios(post, (r) => r.ms)).toFixed(2)}×` })
  heading(`What a run loads of dist/ (Packer ${version} on PATH, packer-version pinned to it in the jobs, no plugins; one run each)`)
  const { dist } = loaded.json
  const files = ({ files: count, bytes }) => `${count} file${count === 1 ? '' : 's'}, ${kib(bytes)}`
  fact("dist/'s JavaScript", files(dist.javaScript))
  fact("dist/'s WebAssembly (Brotli)", files(dist.webAssembly))
  const runs = [
    ['json', 'the JSON job (demo/json)'],
    ['hcl2', 'the HCL2 job (demo/hcl2)'],
    ['cold', 'the cold start to an input error']
  ]
  for (const [kind, what] of runs) {
    const run = loaded[kind]
    const share = (part, whole) => `${(part.bytes / whole.bytes).toFixed(2)}× dist/'s`
    fact(`${what}: JavaScript`, files(run.javaScript), { ratio: share(run.javaScript, dist.javaScript) })
    fact(`${what}: WebAssembly`, files(run.webAssembly), { ratio: share(run.webAssembly, dist.webAssembly) })
    const bytes = run.javaScript.bytes + run.webAssembly.bytes
    // Beside the target of dist/ < 1 MB, what a run loads is a figure, not a target of its own.
    fact(`${what}: all it loads`, kib(bytes))
  }
  heading('Size and tagging')
  const distBytes = sizeOf(join(projectRoot, 'dist'))
  row('dist/, every file', [distBytes], (b) => `${(b / 1024 / 1024).toFixed(2)} MB`.replace('MB', 'MiB'), {
    target: '< 1 MB',
    met: distBytes < 1000 * 1000
  })
  const trips = tagging.map((t) => t.ms / TAGGING_LATENCY_MS)
  row(`tagging ${TAGGING_REGIONS} regions at ${TAGGING_LATENCY_MS} ms per call: time`, tagging.map((t) => t.ms), ms)
  row('  in sequential round trips', trips, (v) => v.toFixed(2), { target: '≤ 3', met: median(trips) <= 3 })

  console.log()
  printTable()
  console.log(`\nRatios are medians of the per-round ratios (B of a round over A of the same round). Took ${((performance.now() - started) / 1000).toFixed(0)} s.`)
}

// ---------------------------------------------------------------- run

// The whole bench runs under Node 24, the in-process tagging figure included.
if (!process.version.startsWith('v24.')) {
  const child = spawn(node24Path(), process.argv.slice(1), { stdio: 'inherit' })
  child.on('close', (code, signal) => process.exit(code ?? (signal ? 1 : 0)))
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal))
} else {
  try {
    await main()
  } catch (error) {
    console.error(`bench: ${error instanceof BenchError ? error.message : (error?.stack ?? error)}`)
    process.exitCode = 1
  } finally {
    cleanUp()
  }
}
