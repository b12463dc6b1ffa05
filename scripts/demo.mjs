// npm run demo: the action's whole job, as a user would see it, on this machine.
//
// By default it starts the loopback EC2 endpoint (test-support/ec2-endpoint), copies the demo
// template to a scratch workspace and runs the bundled action (dist/index.js) on it the way
// the GitHub runner does, with the real `packer` on PATH, then its post step (dist/post.js),
// as the runner does after every job. Then it prints the outputs, the job summary and the tags
// now on every AMI and snapshot, read back through the AWS SDK.
//
// `npm run demo -- --aws` builds the user-facing example (examples/json: a real instance,
// SSH, a shell provisioner) in the AWS account of the credentials in the environment instead.
// It needs nothing but those credentials, and it costs what the instance and AMIs cost.
import { DescribeImagesCommand, DescribeSnapshotsCommand, EC2Client } from '@aws-sdk/client-ec2'
import { execFileSync } from 'node:child_process'
import { cpSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadActionProcess, loadEc2Endpoint, projectRoot } from './loopback.mjs'

/**
 * Shows workflow commands the way a run's log page does: groups as headings, no debug lines.
 * Its `shown()` tells whether it has shown anything.
 */
function runnerView() {
  let partial = ''
  let shown = 0
  const print = (text) => {
    shown++
    console.log(text)
  }
  // Between ::stop-commands::<token> and ::<token>::, lines are text, commands included.
  let stoppedBy
  const show = (line) => {
    if (stoppedBy !== undefined) {
      if (line === `::${stoppedBy}::`) stoppedBy = undefined
      else print(line)
      return
    }
    const stop = /^::stop-commands::(.+)$/.exec(line)
    if (stop) {
      stoppedBy = stop[1]
      return
    }
    const command = /^::([a-z]+)(?: [^:]*)?::(.*)$/.exec(line)
    if (!command) return print(line)
    const [, name, text] = command
    const message = text.replace(/%0A/g, '\n').replace(/%0D/g, '\r').replace(/%25/g, '%')
    if (name === 'group') print(bold(`▸ ${message}`))
    else if (name === 'error') print(`Error: ${message}`)
    else if (name === 'warning') print(`Warning: ${message}`)
    else if (name === 'notice') print(`Notice: ${message}`)
  }
  const view = (text) => {
    const lines = (partial + text).split('\n')
    partial = lines.pop()
    lines.forEach(show)
  }
  view.shown = () => shown > 0
  return view
}

/** The runner runs the action under the Node of action.yml's runs.using: node24. */
function node24() {
  try {
    return execFileSync(process.execPath, [join(projectRoot, 'scripts', 'node24.mjs')], { encoding: 'utf8' }).trim() || undefined
  } catch {
    return undefined
  }
}

const inAws = process.argv.includes('--aws')
const bold = (text) => (process.stdout.isTTY ? `\u001b[1m${text}\u001b[0m` : text)
const heading = (text) => console.log(`\n${bold(`━━ ${text} ━━`)}`)

function fail(message) {
  console.error(`demo: ${message}`)
  process.exit(1)
}

function packerVersion() {
  try {
    const out = execFileSync('packer', ['version', '-machine-readable'], {
      encoding: 'utf8',
      env: { ...process.env, CHECKPOINT_DISABLE: '1' },
      stdio: ['ignore', 'pipe', 'ignore']
    })
    return /,version,(\S+)/.exec(out)?.[1]
  } catch {
    return undefined
  }
}

function git(...args) {
  try {
    return execFileSync('git', args, { cwd: projectRoot, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim()
  } catch {
    return ''
  }
}

const version = packerVersion()
if (!version) {
  fail(
    'no `packer` on PATH. Install one, then run the demo again:\n' +
      '  Debian:         sudo apt-get install packer\n' +
      '  Ubuntu:         HashiCorp\'s apt repository (https://developer.hashicorp.com/packer/install)\n' +
      '  macOS:          brew install hashicorp/tap/packer\n' +
      '  anything else:  unzip a release from https://releases.hashicorp.com/packer/ onto PATH'
  )
}
if (!existsSync(join(projectRoot, 'dist', 'index.js'))) fail('dist/index.js is missing: run `npm run bundle`.')

const { runAction, runPostStep, pushToMain } = await loadActionProcess()
const workspace = mkdtempSync(join(tmpdir(), 'packer-ami-action-demo-'))
// The runner's files (outputs, summary, RUNNER_TEMP) beside it, removed with it.
const runnerFiles = mkdtempSync(join(tmpdir(), 'packer-ami-action-demo-runner-'))
process.env.TMPDIR = runnerFiles
const regions = ['us-east-1', 'eu-west-1', 'us-west-2']
let endpoint
try {
  // A push of this checkout's commit to its branch: the event and actor too, as the
  // provenance tags BuildEvent and BuildActor take them.
  const env = {
    ...pushToMain,
    GITHUB_REPOSITORY: 'local/packer-ami-action',
    GITHUB_SHA: git('rev-parse', 'HEAD') || '0000000000000000000000000000000000000000',
    GITHUB_REF: `refs/heads/${git('rev-parse', '--abbrev-ref', 'HEAD') || 'main'}`,
    GITHUB_RUN_ID: '1',
    CHECKPOINT_DISABLE: '1'
  }
  let inputs
  if (inAws) {
    cpSync(join(projectRoot, 'examples', 'json'), workspace, { recursive: true })
    inputs = { 'packer-version': version }
    console.log(`Building examples/json in your AWS account with Packer ${version}.`)
  } else {
    const { startEc2Endpoint } = await loadEc2Endpoint()
    endpoint = await startEc2Endpoint({ regions })
    cpSync(join(projectRoot, 'demo', 'json'), workspace, { recursive: true })
    inputs = { 'packer-version': version }
    Object.assign(env, {
      HOME: join(workspace, '.home'),
      AWS_ACCESS_KEY_ID: 'AKIDLOOPBACK',
      AWS_SECRET_ACCESS_KEY: 'loopback-secret',
      AWS_REGION: 'us-east-1',
      AWS_ENDPOINT_URL_EC2: endpoint.url,
      AWS_POLL_DELAY_SECONDS: '0'
    })
    console.log(
      `Loopback EC2 endpoint at ${endpoint.url} (${regions.join(', ')}); ` +
        `Packer ${version}; workspace ${workspace}.`
    )
  }
  // In AWS mode everything else comes from the developer's own environment: credentials,
  // profile, region.
  const passThrough = inAws ? Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('AWS_'))) : {}

  const node = node24()
  heading(`The action's log (Node ${node ? '24' : `${process.version}: Node 24 could not be had`})`)
  const step = {
    workspace,
    node,
    onStdout: runnerView(),
    inputs: { ...inputs, tags: 'Team=platform\nEnvironment=demo' },
    env: { ...passThrough, ...env }
  }
  const result = await runAction(step)
  heading("The post step's log (the runner runs it after every job)")
  const postView = runnerView()
  const post = await runPostStep(result, { ...step, onStdout: postView })
  if (!postView.shown()) console.log('(nothing shown: Packer cleaned up after itself, and no plugin cache was used)')
  console.log(`Post step exit code ${post.exitCode}`)

  // The tests check the README's IAM policy against what the action and Packer called,
  // before the demo's own look at the tags below adds calls of its own.
  if (endpoint && process.env.DEMO_RECORD_FILE) {
    writeFileSync(
      process.env.DEMO_RECORD_FILE,
      JSON.stringify({ actions: endpoint.actions(), exitCode: result.exitCode, postExitCode: post.exitCode })
    )
  }

  heading(`Outputs (exit code ${result.exitCode})`)
  for (const [name, value] of Object.entries(result.outputs)) console.log(`${name} = ${value}`)

  heading('Job summary (Markdown)')
  console.log(result.summary.trim() || '(none)')

  const artifacts = result.outputs.artifacts ? JSON.parse(result.outputs.artifacts) : []
  if (artifacts.length > 0) {
    heading('Tags now on the AMIs and snapshots (read back with DescribeImages / DescribeSnapshots)')
    for (const { region, amiId } of artifacts) {
      const ec2 = new EC2Client({
        region,
        ...(endpoint ? { endpoint: endpoint.url, credentials: { accessKeyId: 'AKIDLOOPBACK', secretAccessKey: 'loopback-secret' } } : {})
      })
      const { Images = [] } = await ec2.send(new DescribeImagesCommand({ ImageIds: [amiId] }))
      const snapshotIds = Images.flatMap((image) => image.BlockDeviceMappings ?? []).map((d) => d.Ebs?.SnapshotId).filter(Boolean)
      const { Snapshots = [] } = snapshotIds.length
        ? await ec2.send(new DescribeSnapshotsCommand({ SnapshotIds: snapshotIds }))
        : { Snapshots: [] }
      for (const [id, tags] of [
        ...Images.map((image) => [image.ImageId, image.Tags]),
        ...Snapshots.map((snapshot) => [snapshot.SnapshotId, snapshot.Tags])
      ]) {
        console.log(`${region}  ${id}`)
        for (const tag of [...(tags ?? [])].sort((a, b) => a.Key.localeCompare(b.Key))) {
          console.log(`    ${tag.Key.padEnd(18)} ${tag.Value}`)
        }
      }
      ec2.destroy()
    }
  }
  if (endpoint) {
    const instances = regions.flatMap((region) => endpoint.instances(region))
    heading('Left running')
    const running = instances.filter((instance) => instance.state !== 'terminated')
    console.log(running.length === 0 ? 'No instance is left running: Packer terminated its build instance.' : running)
  }
  process.exitCode = result.exitCode === 0 && post.exitCode === 0 ? 0 : (result.exitCode || post.exitCode || 1)
} finally {
  await endpoint?.close()
  rmSync(workspace, { recursive: true, force: true })
  rmSync(runnerFiles, { recursive: true, force: true })
}
