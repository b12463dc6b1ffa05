// The bundled action run as a process the way the runner runs it, with a Packer stand-in on
// PATH that answers like Packer 1.6.6 and writes a real manifest. Runs without tags make no
// AWS call; the tagging runs send real HTTP to a loopback EC2 endpoint seeded with the AMIs
// the stand-in "builds".
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals'
import { Buffer } from 'node:buffer'
import { execFileSync, type ChildProcess } from 'node:child_process'
import { createHash } from 'node:crypto'
import { closeSync, constants, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { readCalls, standInExecutable, standInOnPath } from '../test-support/packer-stand-in/index.js'
import { CopyImageCommand, CreateImageCommand, CreateSnapshotCommand, DeregisterImageCommand, DescribeImagesCommand, DescribeInstancesCommand, EC2Client, RegisterImageCommand, RunInstancesCommand, TerminateInstancesCommand } from '@aws-sdk/client-ec2'
import { SELF_ACCOUNT_ID, SOURCE_AMI_ID, startEc2Endpoint, type Ec2Endpoint } from '../test-support/ec2-endpoint/index.js'
import { asTheRunnerShowsIt, loopbackEnvironment, parseCommands, runAction, runPostStep, type ActionRun } from './support/action-process.js'
import { commandsTheRunnerRuns } from './support/workflow-commands.js'
import { linksOf, renderedText, tableRows } from './support/markdown.js'

const template = {
  builders: [
    { type: 'amazon-ebs', name: 'web' },
    { type: 'amazon-ebs', name: 'failing' }
  ],
  'post-processors': [{ type: 'manifest' }]
}
const threeRegions = [
  { build: 'web', regions: { 'us-east-1': 'ami-0aaa1', 'us-west-2': 'ami-0bbb2', 'eu-west-1': 'ami-0ccc3' } }
]

let workspace: string
let argsLog: string
beforeEach(() => {
  workspace = mkdtempSync(join(tmpdir(), 'workspace-'))
  argsLog = join(workspace, '.packer-args')
  writeFileSync(join(workspace, 'packer-template.json'), JSON.stringify(template, null, 2))
  writeFileSync(join(workspace, 'packer-vars.json'), '{"aws_region": "us-east-1"}')
})
afterEach(() => rmSync(workspace, { recursive: true, force: true }))

/** An instance started in the endpoint, as a build's: running once it has been described. */
async function startedInstance(ec2: EC2Client): Promise<string> {
  const id = (await ec2.send(new RunInstancesCommand({ ImageId: SOURCE_AMI_ID, InstanceType: 't3.micro', MinCount: 1, MaxCount: 1 }))).Instances?.[0]?.InstanceId as string
  for (let i = 0; i < 2; i++) await ec2.send(new DescribeInstancesCommand({ InstanceIds: [id] }))
  return id
}

function packerCalls(): string[][] {
  return readCalls(argsLog).map((call) => call.args)
}

function run(inputs: Record<string, string> = {}, env: Record<string, string> = {}): Promise<ActionRun> {
  return runAction({
    workspace,
    inputs: { 'packer-version': '1.6.6', 'provenance-tags': 'false', ...inputs },
    env: {
      ...standInOnPath(argsLog),
      AWS_REGION: 'us-east-1',
      ...env
    }
  })
}


/** Kills each stand-in Packer still running, its process group whole, once a test is done with it. */
function killStandIns(pids: number[]): void {
  for (const pid of pids) {
    try {
      process.kill(-pid, 'SIGKILL')
    } catch {
      // Ended already.
    }
  }
}

describe('a build', () => {
  it('whose credentials expired: names what each build left with the commands that remove it, in the region that build launched in', async () => {
    // Two builds in two regions; the session expired once web had launched its instance, and api
    // had made its key pair only (as Packer 1.6.6 leaves them against the loopback endpoint).
    const twoRegions = { builders: [{ type: 'amazon-ebs', name: 'web', region: 'us-east-1' }, { type: 'amazon-ebs', name: 'api', region: 'eu-west-1' }] }
    writeFileSync(join(workspace, 'packer-template.json'), JSON.stringify(twoRegions, null, 2))
    const lines = [
      ['say', '==> web: Creating temporary keypair: packer_6b164ef8-e5c4-4c3e-69ff-feeac7e0c4a1'],
      ['say', '==> api: Creating temporary keypair: packer_6b164ef8-e5c4-4c3e-69ff-feeac7e0c4a2'],
      ['say', '==> web: Creating temporary security group for this instance: packer_6b164ef8-a9b5-085f-4088-c1ddb4e9252b'],
      ['message', '    web: Instance ID: i-0aaaaaaaaaaaaaaa1'],
      ['error', '==> api: Error creating temporary security group for this instance: RequestExpired: Request has expired.'],
      ['error', '==> web: Error waiting for instance (i-0aaaaaaaaaaaaaaa1) to become ready: RequestExpired: Request has expired.']
    ]
    const result = await run({}, { STANDIN_FAIL: 'build', STANDIN_AMIS: '[]', STANDIN_LINES: JSON.stringify(lines) })
    expect(result.exitCode).toBe(1)
    const failure = result.errors.at(-1)?.message ?? ''
    expect(failure).toContain(
      'i-0aaaaaaaaaaaaaaa1, packer_6b164ef8-a9b5-085f-4088-c1ddb4e9252b, packer_6b164ef8-e5c4-4c3e-69ff-feeac7e0c4a1 (in us-east-1), ' +
        'packer_6b164ef8-e5c4-4c3e-69ff-feeac7e0c4a2 (in eu-west-1) may still exist.'
    )
    expect(failure).toContain('aws ec2 terminate-instances --region us-east-1 --instance-ids i-0aaaaaaaaaaaaaaa1')
    expect(failure).toContain('aws ec2 delete-key-pair --region us-east-1 --key-name packer_6b164ef8-e5c4-4c3e-69ff-feeac7e0c4a1')
    expect(failure).toContain('aws ec2 delete-key-pair --region eu-west-1 --key-name packer_6b164ef8-e5c4-4c3e-69ff-feeac7e0c4a2')
    expect(failure).not.toContain('REGION')
    // The post step is told the same.
    const saved = JSON.parse(result.state['packer-leftovers']) as Record<string, unknown>
    expect(saved).toMatchObject({ buildRegions: { byBuild: { web: 'us-east-1', api: 'eu-west-1' } }, announcedBy: { 'i-0aaaaaaaaaaaaaaa1': 'web', 'packer_6b164ef8-e5c4-4c3e-69ff-feeac7e0c4a2': 'api' } })
  })

  it('sets the outputs for the latest run only, every region', async () => {
    writeFileSync(
      join(workspace, 'packer-manifest.json'),
      JSON.stringify({
        builds: [
          { name: 'web', builder_type: 'amazon-ebs', artifact_id: 'us-east-1:ami-0old', packer_run_uuid: 'older-run' }
        ],
        last_run_uuid: 'older-run'
      })
    )
    const result = await run({}, { STANDIN_AMIS: JSON.stringify(threeRegions) })
    expect(result.errors).toEqual([])
    expect(result.exitCode).toBe(0)
    expect(result.outputs['ami-id']).toBe('ami-0aaa1')
    expect(JSON.parse(result.outputs['ami-ids'])).toEqual({
      'us-east-1': 'ami-0aaa1',
      'us-west-2': 'ami-0bbb2',
      'eu-west-1': 'ami-0ccc3'
    })
    expect(JSON.parse(result.outputs.artifacts)).toHaveLength(3)
    expect(result.outputs.artifacts).not.toContain('ami-0old')
    expect(result.outputs['packer-version']).toBe('1.6.6')
    expect(result.outputs['run-uuid']).toMatch(/^run-/)
    expect(result.outputs.manifest).toBe(join(workspace, 'packer-manifest.json'))
    expect(result.summary).toContain('[`ami-0bbb2`](https://us-west-2.console.aws.amazon.com/ec2/home?region=us-west-2#ImageDetails:imageId=ami-0bbb2)')
  })

  it('runs validate, then build, with argument arrays and the default var file', async () => {
    await run({ variables: 'ami_name=web {{timestamp}}', only: 'web' }, { STANDIN_AMIS: JSON.stringify(threeRegions) })
    expect(packerCalls()).toEqual([
      ['version', '-machine-readable'],
      ['validate', '-machine-readable', '-var-file=packer-vars.json', '-var', 'ami_name=web {{timestamp}}', '-only=web', 'packer-template.json'],
      [
        'build',
        '-machine-readable',
        '-on-error=cleanup',
        '-var-file=packer-vars.json',
        '-var',
        'ami_name=web {{timestamp}}',
        '-only=web',
        'packer-template.json'
      ]
    ])
  })

  it('falls back to the artifacts Packer announced when no manifest was written', async () => {
    const result = await run({}, { STANDIN_AMIS: JSON.stringify(threeRegions), STANDIN_NO_MANIFEST: '1' })
    expect(result.exitCode).toBe(0)
    expect(JSON.parse(result.outputs['ami-ids'])).toEqual({
      'eu-west-1': 'ami-0ccc3',
      'us-east-1': 'ami-0aaa1',
      'us-west-2': 'ami-0bbb2'
    })
    expect(result.stdout).toContain("reading the AMIs from Packer's output")
  })

  it('keeps the AMIs of a build that succeeded when another build failed', async () => {
    const result = await run({}, { STANDIN_AMIS: JSON.stringify(threeRegions), STANDIN_FAIL: 'build' })
    expect(result.exitCode).toBe(1)
    expect(result.outputs['ami-id']).toBe('ami-0aaa1')
    expect(result.errors.map((e) => e.message)).toEqual([
      // The failed build's own summary, not each of its ui error lines.
      'failing: UnauthorizedOperation: You are not authorized',
      'packer build failed (exit code 1), after building 3 AMIs that are in the outputs.'
    ])
    expect(result.summary).toContain('Failed')
    expect(result.summary).toContain('ami-0ccc3')
  })

  it('with nothing to tag, the summary says the snapshots were not looked up, not that they are not yet known', async () => {
    const result = await run({ tags: '' }, { STANDIN_AMIS: JSON.stringify(threeRegions) })
    expect(result.exitCode).toBe(0)
    expect(result.stdout).toContain('No tags to add (tags is empty and provenance-tags is false).')
    expect(result.summary).toContain('| us-west-2 | [`ami-0bbb2`](https://us-west-2.console.aws.amazon.com/ec2/home?region=us-west-2#ImageDetails:imageId=ami-0bbb2) | not looked up | not tagged |')
    expect(result.summary).not.toContain('not yet known')
  })

  describe('ami-id when the first build in the template\'s order made no AMI', () => {
    const firstMadeNone = (first: string) =>
      writeFileSync(
        join(workspace, 'packer-template.json'),
        JSON.stringify({ ...template, builders: [{ type: 'amazon-ebs', name: first }, { type: 'amazon-ebs', name: 'web' }] })
      )

    it('the first build failed: a warning says ami-id is the next build\'s, and why', async () => {
      firstMadeNone('failing')
      const result = await run({}, { STANDIN_AMIS: JSON.stringify(threeRegions), STANDIN_FAIL: 'build' })
      expect(result.exitCode).toBe(1)
      expect(result.outputs['ami-id']).toBe('ami-0aaa1')
      const note =
        "ami-id and ami-ids are build web's: build failing, before it in the template's order, made no AMI, and packer build failed. " +
        'Output builds has every build that made AMIs.'
      expect(result.warnings).toContain(note)
      expect(result.summary).toContain(note)
    })

    it('a successful build whose first build makes no AMI: a notice says so', async () => {
      firstMadeNone('volume')
      const result = await run({}, { STANDIN_AMIS: JSON.stringify(threeRegions) })
      expect(result.exitCode).toBe(0)
      expect(result.outputs['ami-id']).toBe('ami-0aaa1')
      expect(result.warnings).toEqual([])
      expect(parseCommands(result.stdout, 'notice').map(({ message }) => message)).toEqual([
        "ami-id and ami-ids are build web's: build volume, before it in the template's order, made no AMI. Output builds has every build that made AMIs."
      ])
    })

    it('a build that only leaves out is not named', async () => {
      firstMadeNone('volume')
      const result = await run({ only: 'web' }, { STANDIN_AMIS: JSON.stringify(threeRegions) })
      expect(result.exitCode).toBe(0)
      expect(result.stdout).not.toContain('ami-id and ami-ids are')
    })
  })

  it('fails with a reason when a successful build made no AMI', async () => {
    const result = await run({}, { STANDIN_AMIS: '[]' })
    expect(result.exitCode).toBe(1)
    expect(result.errors.at(-1)?.message).toMatch(/^Packer succeeded, but no AMI was found: .* Does the template have an AMI builder/)
  })
})

describe('validate', () => {
  it('command: validate runs no build', async () => {
    const result = await run({ command: 'validate' })
    expect(result.exitCode).toBe(0)
    expect(packerCalls().map((args) => args[0])).toEqual(['version', 'validate'])
    expect(result.outputs['ami-id']).toBeUndefined()
    expect(result.summary).toContain('Template is valid')
  })

  it('Packer 1.10 and later: the plugins a JSON template needs, its provisioners\' too, are installed before validate', async () => {
    writeFileSync(
      join(workspace, 'packer-template.json'),
      JSON.stringify({
        builders: [{ type: 'amazon-ebs', name: 'web' }],
        provisioners: [{ type: 'shell', inline: ['true'] }, { type: 'ansible', playbook_file: 'site.yml' }],
        'post-processors': [{ type: 'manifest' }]
      })
    )
    const result = await run({ command: 'validate', 'packer-version': '1.11.2' }, { STANDIN_VERSION: '1.11.2' })
    expect(result.errors).toEqual([])
    expect(result.exitCode).toBe(0)
    expect(packerCalls().filter((args) => args[0] !== 'version')).toEqual([
      ['plugins', 'install', 'github.com/hashicorp/amazon'],
      ['plugins', 'install', 'github.com/hashicorp/ansible'],
      expect.arrayContaining(['validate'])
    ])
  })

  it('a template error is an annotation on its file and line, and nothing is built', async () => {
    const result = await run({}, { STANDIN_FAIL: 'validate' })
    expect(result.exitCode).toBe(1)
    expect(result.errors[0].properties).toMatchObject({ file: 'ami.pkr.hcl', line: '3', title: 'Packer' })
    expect(result.errors[0].message).toContain('An argument named "bogus" is not expected here.')
    expect(result.errors.at(-1)?.message).toBe(
      'packer validate found problems in packer-template.json (see the errors above); nothing was built.'
    )
    expect(packerCalls().map((args) => args[0])).toEqual(['version', 'validate'])
  })
})

describe('build.name in a post-processor', () => {
  const release = `source "amazon-ebs" "web" {
  region = "us-east-1"
}
build {
  name    = "release"
  sources = ["source.amazon-ebs.web"]
  post-processor "manifest" {
    output = "manifests/\${build.name}.json"
  }
}
`
  const built = (version: string): Record<string, string> => ({
    STANDIN_VERSION: version,
    STANDIN_MANIFEST: 'manifests/release.json',
    STANDIN_AMIS: JSON.stringify([{ build: 'release.amazon-ebs.web', regions: { 'us-east-1': 'ami-0aaa1' } }])
  })

  it('builds with Packer 1.7.7 and later, which fill it in after the build', async () => {
    writeFileSync(join(workspace, 'ami.pkr.hcl'), release)
    for (const version of ['1.7.7', '1.8.0']) {
      const result = await run({ template: 'ami.pkr.hcl', 'packer-version': version }, built(version))
      expect(result.errors).toEqual([])
      expect(result.exitCode).toBe(0)
      expect(result.outputs['ami-id']).toBe('ami-0aaa1')
    }
    expect(packerCalls().filter((args) => args[0] === 'build')).toHaveLength(2)
  })

  it('stops Packer 1.7.6 after validate, on the line, and nothing is built', async () => {
    writeFileSync(join(workspace, 'ami.pkr.hcl'), release)
    const result = await run({ template: 'ami.pkr.hcl', 'packer-version': '1.7.6' }, built('1.7.6'))
    expect(result.exitCode).toBe(1)
    expect(result.errors[0].properties).toMatchObject({ file: 'ami.pkr.hcl', line: '8', title: 'Invalid input' })
    expect(result.errors[0].message).toContain('Packer 1.7.6 does not give a post-processor')
    expect(packerCalls().map((args) => args[0])).toEqual(['version', 'init', 'validate'])
  })
})

describe('bad inputs', () => {
  it('each gets its own error, exit code 1, no stack trace, and Packer never runs', async () => {
    writeFileSync(join(workspace, 'broken.json'), '{\n  "builders": [\n    {"type": "amazon-ebs",\n  ]\n}\n')
    const result = await run({
      template: 'broken.json',
      'packer-version': 'newest',
      tags: 'aws:owner=me',
      'on-error': 'ask'
    })
    expect(result.exitCode).toBe(1)
    expect(result.errors.map((e) => e.message)).toEqual([
      expect.stringMatching(/^template: broken\.json is not valid JSON at line 4, column 3: /),
      'on-error: expected one of cleanup, abort, run-cleanup-provisioner, found "ask"',
      'packer-version: expected latest, a version such as 1.11.2 or a range such as ~1.11, found "newest"',
      'tags: the "aws:" prefix is reserved for AWS, found key "aws:owner"'
    ])
    expect(result.errors[0].properties).toMatchObject({ file: 'broken.json', line: '4', col: '3' })
    expect(result.stdout + result.stderr).not.toMatch(/\n\s+at .*\(.*:\d+:\d+\)/)
    expect(packerCalls()).toEqual([])
  })

  it("each value of a JSON variables file that is not a string is on its own line, beside the others' problems", async () => {
    writeFileSync(join(workspace, 'typed.json'), '{\n  "region": "us-east-1",\n  "count": 2,\n  "unset": null,\n    "encrypted": true\n}\n')
    const result = await run({ template: 'packer-template.json', 'var-file': 'typed.json', 'on-error': 'ask' })
    expect(result.exitCode).toBe(1)
    expect(result.errors.map((e) => [e.message, e.properties])).toEqual([
      [
        'var-file: typed.json: expected variable "count" to be a string (or null), found 2',
        { title: 'Invalid input', file: 'typed.json', line: '3', col: '3' }
      ],
      [
        'var-file: typed.json: expected variable "encrypted" to be a string (or null), found true',
        { title: 'Invalid input', file: 'typed.json', line: '5', col: '5' }
      ],
      ['on-error: expected one of cleanup, abort, run-cleanup-provisioner, found "ask"', { title: 'Invalid input' }]
    ])
    expect(packerCalls()).toEqual([])
  })
})

describe('cancelling', () => {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    it(`${signal} to the action stops Packer with SIGTERM and waits for its clean-up`, async () => {
      const cleanupMark = join(workspace, '.cleaned-up')
      const result = await runAction({
        workspace,
        inputs: { 'packer-version': '1.6.6', 'provenance-tags': 'false' },
        env: {
          ...standInOnPath(),
          STANDIN_HANG: '1',
          STANDIN_CLEANUP_MARK: cleanupMark
        },
        onStart: (child, stdoutSoFar) => {
          const poll = setInterval(() => {
            if (stdoutSoFar().includes('to become ready')) {
              clearInterval(poll)
              child.kill(signal)
            }
          }, 20)
        }
      })
      expect(result.exitCode).toBe(1)
      expect(readFileSync(cleanupMark, 'utf8')).toBe('cleaned up')
      expect(result.stdout).toContain('Terminating the source AWS instance')
      expect(result.warnings).toEqual([
        `Received ${signal}: stopping Packer and waiting for it to clean up (instance, key pair, security group)…`
      ])
      expect(result.errors.at(-1)?.message).toMatch(/^The build was cancelled before Packer made an AMI \(exit code \d+\)\. The post step checks that nothing Packer started is left/)
      expect(result.summary).toContain('Cancelled')
    })
  }

  it('SIGINT while packer plugins install waits on its source, with the release in the plugin folder: cancelled, nothing validated', async () => {
    // The release there would let a failed install go on: a cancelled one must not.
    const folder = join(workspace, '.plugins')
    const amazon = join(folder, 'github.com', 'hashicorp', 'amazon')
    mkdirSync(amazon, { recursive: true })
    const binary = join(amazon, 'packer-plugin-amazon_v1.3.0_x5.0_linux_amd64')
    writeFileSync(binary, 'plugin\n')
    writeFileSync(`${binary}_SHA256SUM`, createHash('sha256').update('plugin\n').digest('hex'))
    const result = await runAction({
      workspace,
      inputs: { 'packer-version': '1.11.2', 'provenance-tags': 'false', cache: 'false' },
      env: { ...standInOnPath(argsLog), STANDIN_VERSION: '1.11.2', STANDIN_PLUGINS_HANG: '1', PACKER_PLUGIN_PATH: folder },
      onStart: (child, stdoutSoFar) => {
        void logShows(child, stdoutSoFar, 'Installing github.com/hashicorp/amazon...').then(() => child.kill('SIGINT'))
      }
    })
    rmSync(folder, { recursive: true, force: true })
    expect(result.exitCode).toBe(1)
    expect(result.errors.map(({ message }) => message)).toEqual(['The run was cancelled while Packer installed the plugins; nothing was built.'])
    expect(parseCommands(result.stdout, 'notice')).toEqual([])
    expect(packerCalls().map((args) => args[0])).toEqual(['version', 'plugins'])
  })
})

/** Node's option that makes the action throw an error nothing catches when it gets SIGUSR2: a crash of its own. */
const crashOnSigusr2 = ['--import', 'data:text/javascript,process.on("SIGUSR2",()=>{throw new Error("injected crash")})']

/** Resolves once the step's log so far holds `text`; rejects if the step ends first. */
function logShows(child: ChildProcess, stdoutSoFar: () => string, text: string): Promise<void> {
  return logHolds(child, stdoutSoFar, (stdout) => stdout.includes(text))
}

/** Resolves once `holds` of the step's log so far; rejects if the step ends first. */
function logHolds(child: ChildProcess, stdoutSoFar: () => string, holds: (stdout: string) => boolean): Promise<void> {
  return new Promise((resolve, reject) => {
    const poll = setInterval(() => {
      if (child.exitCode !== null || child.signalCode !== null) {
        clearInterval(poll)
        reject(new Error('the step ended'))
      }
      if (!holds(stdoutSoFar())) return
      clearInterval(poll)
      resolve()
    }, 20)
  })
}

/** What a pipe opened without blocking holds, read to its end; closed then. */
function readAllOf(fd: number): string {
  const chunks: Buffer[] = []
  const chunk = Buffer.alloc(65_536)
  try {
    for (let read = readSync(fd, chunk); read > 0; read = readSync(fd, chunk)) chunks.push(Buffer.from(chunk.subarray(0, read)))
  } catch (error) {
    // Nothing more in it: EAGAIN, as the pipe is open for writing too.
    if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') throw error
  } finally {
    closeSync(fd)
  }
  return Buffer.concat(chunks).toString('utf8')
}

/**
 * Cancels as the runner cancels a step whose Packer command ignores SIGTERM: SIGINT once the log
 * shows `printed`, SIGTERM once the step has said it stops Packer; once the step has said that
 * the run was cancelled, `afterError` runs with the stand-in's process ID and the step (its
 * process, a wait for a text in its log, and its log so far), and the step is killed (SIGKILL) 2.5 s
 * after the SIGTERM, as the runner kills it, unless `afterError` says it lets it end. The stand-in is killed at the end either way. `nodeArgs`: Node's options
 * for the step.
 */
async function cancelOutlasted(
  inputs: Record<string, string>,
  env: Record<string, string>,
  printed: string,
  afterError: (
    standInPid: number,
    step: { child: ChildProcess; said: (text: string) => Promise<void>; stdoutSoFar: () => string }
  ) => 'let it end' | 'kill the step' | Promise<'let it end' | 'kill the step'> = () => 'kill the step',
  nodeArgs: string[] = []
): Promise<{ result: ActionRun; killed: boolean }> {
  let killed = false
  let sigterm = 0
  const standIns = (): number[] => readCalls(argsLog).filter(({ args }) => args[0] !== 'version').map(({ pid }) => pid)
  try {
    const result = await runAction({
      workspace,
      inputs: { 'provenance-tags': 'false', ...inputs },
      env: { ...standInOnPath(argsLog), ...env },
      nodeArgs,
      onStart: (child, stdoutSoFar) => {
        const said = (text: string): Promise<void> => logShows(child, stdoutSoFar, text)
        void said(printed)
          .then(() => child.kill('SIGINT'))
          .then(() => said('Received SIGINT: stopping'))
          .then(() => {
            sigterm = Date.now()
            child.kill('SIGTERM')
          })
          .then(() => said('::error::The run was cancelled'))
          .then(async () => {
            if ((await afterError(standIns().at(-1) as number, { child, said, stdoutSoFar })) === 'let it end') return
            // As the runner: the kill comes 2.5 s after its SIGTERM (actions/runner, ProcessInvoker),
            // and what the step has written by then (its summary too) is what the user gets.
            await new Promise((resolve) => setTimeout(resolve, Math.max(0, sigterm + 2_500 - Date.now())))
            killed = true
            child.kill('SIGKILL')
          })
          .catch(() => undefined)
      }
    })
    return { result, killed }
  } finally {
    killStandIns(standIns())
  }
}

describe('a cancel that Packer outlasts before the build', () => {
  /** The workflow commands the runner carries out, of `name`, as their lines. */
  const ran = (result: ActionRun, name: string): string[] =>
    commandsTheRunnerRuns(result.stdout)
      .filter((command) => command.name === name)
      .map(({ line }) => line)

  it('packer validate ignoring the SIGTERM: the runner shows the error and the warnings as such, and the summary says the run was cancelled, before the kill', async () => {
    // As Packer 1.7 to 1.8.4 validate a template whose data source waits on a service that does not answer.
    const { result, killed } = await cancelOutlasted({ 'packer-version': '1.6.6' }, { STANDIN_VALIDATE_HANG: 'ignoring SIGTERM' }, 'Running the data sources...')
    expect(killed).toBe(true)
    // Said while Packer's lines have the runner's commands stopped: they are commands all the same.
    expect(ran(result, 'warning')).toEqual([
      '::warning::Received SIGINT: stopping packer validate…',
      '::warning::Received SIGTERM again: still waiting for packer validate to stop…'
    ])
    expect(ran(result, 'error')).toEqual(['::error::The run was cancelled (SIGTERM) while packer validate was still stopping; nothing was built.'])
    expect(result.stdout).toContain('Running the data sources...')
    expect(result.summary).toContain('Packer AMI build: :no_entry_sign: Cancelled')
    // Under the headline, said once: not again as "No AMI was built." or under Problems.
    expect(result.summary).toContain('**The run was cancelled \\(SIGTERM\\) while packer validate was still stopping\\; nothing was built\\.**')
    expect(result.summary).not.toContain('No AMI was built.')
    expect(result.summary).not.toContain('Problems')
    expect(packerCalls().map((args) => args[0])).toEqual(['version', 'validate'])
  }, 30_000)

  it('packer plugins install ignoring the SIGTERM, then ending before the kill: one error, that the run was cancelled', async () => {
    const { result, killed } = await cancelOutlasted(
      { 'packer-version': '1.11.2', cache: 'false' },
      { STANDIN_VERSION: '1.11.2', STANDIN_PLUGINS_HANG: 'ignoring SIGTERM' },
      'Installing github.com/hashicorp/amazon...',
      (pid) => {
        // Its download gives up at last: the step goes on to its end.
        process.kill(pid, 'SIGKILL')
        return 'let it end'
      }
    )
    expect(killed).toBe(false)
    expect(result.exitCode).toBe(1)
    expect(ran(result, 'error')).toEqual(['::error::The run was cancelled (SIGTERM) while packer plugins install was still stopping; nothing was built.'])
    expect(result.warnings).toEqual([
      'Received SIGINT: stopping packer plugins install…',
      'Received SIGTERM again: still waiting for packer plugins install to stop…'
    ])
    // What the end of the run tells is in the log, as text: not that the install failed.
    expect(result.stdout).toContain('\nThe run was cancelled while Packer installed the plugins; nothing was built.\n')
    expect(result.stdout).not.toContain('failed with exit code')
    expect(packerCalls().map((args) => args[0])).toEqual(['version', 'plugins'])
  }, 30_000)

  it("the action crashing while packer validate still stops after the cancel's error: the crash is a warning, and the run stays cancelled", async () => {
    const { result, killed } = await cancelOutlasted(
      { 'packer-version': '1.6.6' },
      { STANDIN_VALIDATE_HANG: 'ignoring SIGTERM' },
      'Running the data sources...',
      async (pid, { child, said }) => {
        child.kill('SIGUSR2')
        // What the step says of its crash, whatever its words.
        await said('injected crash')
        // Packer ends at last: the step goes on to its end.
        process.kill(pid, 'SIGKILL')
        return 'let it end' as const
      },
      crashOnSigusr2
    )
    expect(killed).toBe(false)
    expect(result.exitCode).toBe(1)
    expect(ran(result, 'error')).toEqual(['::error::The run was cancelled (SIGTERM) while packer validate was still stopping; nothing was built.'])
    expect(result.warnings).toEqual([
      'Received SIGINT: stopping packer validate…',
      'Received SIGTERM again: still waiting for packer validate to stop…',
      'The action crashed (Error: injected crash) while Packer ran: still waiting for packer validate to stop after the cancel…'
    ])
    expect(result.stderr).toContain('Error: injected crash')
    // The signal came first: the run was cancelled, and its end says so, as text.
    expect(result.stdout).toMatch(/\nThe run was cancelled during packer validate \(exit code \d+\); nothing was built\.\n/)
    expect(result.summary).toContain('Packer AMI build: :no_entry_sign: Cancelled')
    expect(result.summary).not.toContain('crashed')
  }, 30_000)

  it("the action crashing once packer validate has ended after the cancel's error, before the run stops: the crash is a warning, and the run stays cancelled", async () => {
    // The summary file is a named pipe, which nothing reads until the crash: the summary the
    // cancel writes waits, and with it the end of the run, which writes it again once it has.
    const summaryPipe = join(workspace, 'summary-pipe')
    execFileSync('mkfifo', [summaryPipe])
    let summaries: number | undefined
    const { result, killed } = await cancelOutlasted(
      { 'packer-version': '1.6.6' },
      { STANDIN_VALIDATE_HANG: 'ignoring SIGTERM', GITHUB_STEP_SUMMARY: summaryPipe },
      'Running the data sources...',
      async (pid, { child, said, stdoutSoFar }) => {
        // Packer's log ends, the runner's commands resumed, once the step has seen Packer end.
        const token = /::stop-commands::(\S+)/.exec(stdoutSoFar())?.[1] as string
        const resumed = (): number => stdoutSoFar().split(`\n::${token}::\n`).length
        const before = resumed()
        process.kill(pid, 'SIGKILL')
        await logHolds(child, stdoutSoFar, () => resumed() > before)
        child.kill('SIGUSR2')
        // What the step says of its crash, whatever its words.
        await said('injected crash')
        summaries = openSync(summaryPipe, constants.O_RDWR | constants.O_NONBLOCK)
        return 'let it end' as const
      },
      crashOnSigusr2
    )
    const written = summaries === undefined ? [] : readAllOf(summaries).split('## Packer AMI build:').slice(1)
    expect(killed).toBe(false)
    expect(result.exitCode).toBe(1)
    expect(ran(result, 'error')).toEqual(['::error::The run was cancelled (SIGTERM) while packer validate was still stopping; nothing was built.'])
    expect(result.warnings).toEqual([
      'Received SIGINT: stopping packer validate…',
      'Received SIGTERM again: still waiting for packer validate to stop…',
      'The action crashed (Error: injected crash); no Packer build was running.'
    ])
    expect(result.stderr).toContain('Error: injected crash')
    expect(written.length).toBeGreaterThan(0)
    for (const summary of written) {
      expect(summary).toMatch(/^ :no_entry_sign: Cancelled/)
      expect(summary).not.toMatch(/crashed/i)
    }
  }, 30_000)
})

describe('the action itself crashing while Packer runs before the build', () => {
  /**
   * Runs the step, and makes the action throw an error nothing catches once its log shows
   * `printed`, while the Packer command the stand-in plays waits (to be stopped).
   */
  async function crashingWhen(printed: string, inputs: Record<string, string>, env: Record<string, string>): Promise<ActionRun> {
    try {
      return await runAction({
        workspace,
        inputs: { 'provenance-tags': 'false', ...inputs },
        env: { ...standInOnPath(argsLog), AWS_REGION: 'us-east-1', ...env },
        nodeArgs: crashOnSigusr2,
        onStart: (child, stdoutSoFar) => {
          void logShows(child, stdoutSoFar, printed)
            .then(() => child.kill('SIGUSR2'))
            .catch(() => undefined)
        }
      })
    } finally {
      killStandIns(readCalls(argsLog).map(({ pid }) => pid))
    }
  }

  it('during packer plugins install: the errors say that the action crashed and stopped Packer, not that the run was cancelled', async () => {
    const result = await crashingWhen(
      'Installing github.com/hashicorp/amazon...',
      { 'packer-version': '1.11.2', cache: 'false' },
      { STANDIN_VERSION: '1.11.2', STANDIN_PLUGINS_HANG: '1' }
    )
    expect(result.exitCode).toBe(1)
    // Said at once as a cancel's stopping is, a warning: the one error is the run's end.
    expect(result.errors.map(({ message }) => message)).toEqual([
      'The action crashed (Error: injected crash) while Packer installed the plugins, and Packer was stopped; nothing was built.'
    ])
    expect(result.warnings).toEqual(['The action crashed (Error: injected crash) while Packer ran: stopping packer plugins install…'])
    expect(result.stderr).toContain('Error: injected crash')
    expect(result.stdout).not.toMatch(/cancel/i)
    expect(packerCalls().map((args) => args[0])).toEqual(['version', 'plugins'])
  }, 30_000)

  it('during packer validate: the errors and the summary say that the action crashed, and the summary that the run failed', async () => {
    const result = await crashingWhen('Running the data sources...', { 'packer-version': '1.6.6' }, { STANDIN_VALIDATE_HANG: '1' })
    expect(result.exitCode).toBe(1)
    const [failure] = result.errors.map(({ message }) => message)
    expect(failure).toMatch(/^The action crashed \(Error: injected crash\) during packer validate, and Packer was stopped \(exit code \d+\); nothing was built\.$/)
    expect(result.errors).toHaveLength(1)
    expect(result.warnings).toEqual(['The action crashed (Error: injected crash) while Packer ran: stopping packer validate…'])
    expect(result.stdout).not.toMatch(/cancel/i)
    expect(result.summary).toContain('Packer AMI build: :x: Failed')
    // Under the headline, whole, and once: not under Problems too.
    expect(renderedText(result.summary)).toContain(`\n${failure}\n`)
    expect(result.summary).not.toContain('Problems')
    expect(result.summary).not.toMatch(/cancel/i)
    expect(packerCalls().map((args) => args[0])).toEqual(['version', 'validate'])
  }, 30_000)
})

describe('a cancel after the action crashed while Packer runs', () => {
  /** Resolves once `holds` of the step's log so far, or once `ms` have passed (a bound, if the step never says it). */
  function logHoldsWithin(child: ChildProcess, stdoutSoFar: () => string, holds: (stdout: string) => boolean, ms: number): Promise<void> {
    return new Promise((resolve) => {
      const bound = setTimeout(finish, ms)
      const poll = setInterval(() => {
        if (child.exitCode !== null || holds(stdoutSoFar())) finish()
      }, 20)
      function finish(): void {
        clearTimeout(bound)
        clearInterval(poll)
        resolve()
      }
    })
  }

  /**
   * The action crashes once packer validate (which ignores SIGTERM) has begun, and the runner
   * then cancels the step as it does: SIGINT once the step has said that it crashed, SIGTERM once
   * it has said that it got the SIGINT. Once the step has given its error (or a bound on that
   * wait has passed), `afterError` runs with the stand-in's process ID, and the step is killed
   * (SIGKILL) unless `afterError` says it lets it end.
   */
  async function crashedThenCancelled(
    afterError: (standInPid: number) => 'let it end' | 'kill the step' = () => 'kill the step'
  ): Promise<{ result: ActionRun; killed: boolean }> {
    let killed = false
    const standIns = (): number[] => readCalls(argsLog).filter(({ args }) => args[0] !== 'version').map(({ pid }) => pid)
    try {
      const result = await runAction({
        workspace,
        inputs: { 'packer-version': '1.6.6', 'provenance-tags': 'false' },
        env: { ...standInOnPath(argsLog), STANDIN_VALIDATE_HANG: 'ignoring SIGTERM' },
        nodeArgs: crashOnSigusr2,
        onStart: (child, stdoutSoFar) => {
          const said = (text: string): Promise<void> => logShows(child, stdoutSoFar, text)
          void said('Running the data sources...')
            .then(() => child.kill('SIGUSR2'))
            .then(() => said('The action crashed (Error: injected crash) while Packer ran'))
            .then(() => child.kill('SIGINT'))
            .then(() => said('Received SIGINT'))
            .then(() => child.kill('SIGTERM'))
            .then(() => said('Received SIGTERM'))
            .then(() => logHoldsWithin(child, stdoutSoFar, (stdout) => stdout.split('\n::error::').length > 1, 10_000))
            .then(() => {
              if (child.exitCode !== null || afterError(standIns().at(-1) as number) === 'let it end') return
              killed = true
              child.kill('SIGKILL')
            })
            .catch(() => undefined)
        }
      })
      return { result, killed }
    } finally {
      killStandIns(standIns())
    }
  }

  const crashed = 'The action crashed (Error: injected crash) while Packer ran: stopping packer validate…'
  const cancelledAfterTheCrash = [
    'Received SIGINT after the action crashed: still waiting for packer validate to stop…',
    'Received SIGTERM again: still waiting for packer validate to stop…'
  ]
  const failure =
    'The action crashed (Error: injected crash), and the run was cancelled (SIGTERM) while packer validate was still stopping; nothing was built.'

  it("packer validate outlasting the runner's SIGTERM: the signals are told as a cancel of a run that crashed, and the crash's error and summary are written before the kill", async () => {
    const { result, killed } = await crashedThenCancelled()
    expect(killed).toBe(true)
    expect(result.signal).toBe('SIGKILL')
    expect(result.errors.map(({ message }) => message)).toEqual([failure])
    expect(result.warnings).toEqual([crashed, ...cancelledAfterTheCrash])
    expect(result.summary).toContain('Packer AMI build: :x: Failed')
    expect(result.summary).toContain('**The action crashed \\(Error\\: injected crash\\)\\, and the run was cancelled \\(SIGTERM\\) while packer validate was still stopping')
    expect(result.summary).not.toContain('Packer AMI build: :no_entry_sign: Cancelled')
    expect(packerCalls().map((args) => args[0])).toEqual(['version', 'validate'])
  }, 30_000)

  it("packer validate ending after the runner's SIGTERM, before the kill: the crash's one error, and the summary rewritten as the run ended", async () => {
    const { result, killed } = await crashedThenCancelled((pid) => {
      process.kill(pid, 'SIGKILL')
      return 'let it end'
    })
    expect(killed).toBe(false)
    expect(result.exitCode).toBe(1)
    expect(result.errors.map(({ message }) => message)).toEqual([failure])
    expect(result.warnings).toEqual([crashed, ...cancelledAfterTheCrash])
    // What the end of the run tells is in the log, as text.
    expect(result.stdout).toMatch(/\nThe action crashed \(Error: injected crash\) during packer validate, and Packer was stopped \(exit code \d+\); nothing was built\.\n/)
    expect(result.summary).toContain('Packer AMI build: :x: Failed')
    expect(renderedText(result.summary)).toMatch(/The action crashed \(Error: injected crash\) during packer validate, and Packer was stopped \(exit code \d+\); nothing was built\./)
    expect(result.summary).not.toContain('still stopping')
    expect(result.summary).not.toContain('Packer AMI build: :no_entry_sign: Cancelled')
  }, 30_000)
})

describe('a signal once the Packer that the action\'s crash stopped has ended, before the run ends', () => {
  /**
   * The action crashes once the log shows `printed`, while the stand-in Packer waits; once the
   * step has said so, the stand-in ends (killed, unless it `stopsItself` on the crash's SIGTERM),
   * and once the step has seen it end, the runner's `signals` come, each once the step has told
   * the one before. The summary file is a named pipe that nothing reads until then: the run's
   * end, which writes the summary, waits for it. `unread`: it is read only once the step has
   * given an error, and the run never gets past it.
   */
  async function crashedThenSignalled(
    env: Record<string, string>,
    printed: string,
    signals: NodeJS.Signals[],
    { unread = false, stopsItself = false }: { unread?: boolean; stopsItself?: boolean } = {}
  ): Promise<{ result: ActionRun; summaries: string[] }> {
    return withSummaryHeld(
      env,
      async (child, stdoutSoFar, standIns) => {
        await logShows(child, stdoutSoFar, printed)
        child.kill('SIGUSR2')
        const crashSaid = 'The action crashed (Error: injected crash) while Packer ran'
        await logShows(child, stdoutSoFar, crashSaid)
        if (!stopsItself) killStandIns(standIns())
        await packerEndedAfter(child, stdoutSoFar, crashSaid)
        for (const signal of signals) {
          const told = stdoutSoFar().split(signal).length
          child.kill(signal)
          await logHolds(child, stdoutSoFar, (stdout) => stdout.split(signal).length > told)
        }
      },
      unread
    )
  }

  const crashed = 'The action crashed (Error: injected crash) while Packer ran: stopping packer validate…'

  it("the runner's SIGINT: told as the cancel of a run that crashed, whose Packer has ended; the run ends with the crash's one error", async () => {
    const { result, summaries } = await crashedThenSignalled({ STANDIN_VALIDATE_HANG: 'ignoring SIGTERM' }, 'Running the data sources...', ['SIGINT'])
    expect(result.exitCode).toBe(1)
    expect(result.errors.map(({ message }) => message)).toEqual([
      expect.stringMatching(/^The action crashed \(Error: injected crash\) during packer validate, and Packer was stopped \(exit code \d+\); nothing was built\.$/)
    ])
    expect(result.warnings).toEqual([crashed, 'Received SIGINT after the action crashed: packer validate was stopped and has ended; the run is ending…'])
    expect(result.stdout).not.toContain('no Packer build was running')
    expect(summaries.length).toBeGreaterThan(0)
    for (const summary of summaries) {
      expect(summary).toMatch(/^ :x: Failed/)
      expect(renderedText(summary)).toContain(result.errors[0].message)
      expect(summary).not.toMatch(/cancel/i)
    }
  }, 30_000)

  it("the runner's SIGINT and SIGTERM: the SIGTERM, its last word, gives the crash's one error, and the run's end is logged", async () => {
    const { result, summaries } = await crashedThenSignalled({ STANDIN_VALIDATE_HANG: 'ignoring SIGTERM' }, 'Running the data sources...', ['SIGINT', 'SIGTERM'])
    expect(result.exitCode).toBe(1)
    expect(result.errors.map(({ message }) => message)).toEqual([
      'The action crashed (Error: injected crash), and the run was cancelled (SIGTERM) once packer validate was stopped and had ended, before the run ended; nothing was built.'
    ])
    expect(result.warnings).toEqual([
      crashed,
      'Received SIGINT after the action crashed: packer validate was stopped and has ended; the run is ending…',
      'Received SIGTERM again: packer validate was stopped and has ended; the run is ending…'
    ])
    // What the end of the run tells is in the log, as text.
    expect(result.stdout).toMatch(/\nThe action crashed \(Error: injected crash\) during packer validate, and Packer was stopped \(exit code \d+\); nothing was built\.\n/)
    expect(summaries.length).toBeGreaterThan(0)
    for (const summary of summaries) expect(summary).toMatch(/^ :x: Failed/)
    // Under the headline, the step's one error, or, once the run's end has rewritten the summary, what it logged.
    expect(renderedText(summaries.at(-1) ?? '')).toMatch(
      /\nThe action crashed \(Error: injected crash\)(, and the run was cancelled \(SIGTERM\) once packer validate was stopped and had ended, before the run ended| during packer validate, and Packer was stopped \(exit code \d+\)); nothing was built\.\n/
    )
  }, 30_000)

  it("the runner's SIGINT after a crash during the build: the post step's part is said once, in the crash's one error", async () => {
    const { result } = await crashedThenSignalled({ STANDIN_HANG: '1' }, 'to become ready', ['SIGINT'], { stopsItself: true })
    expect(result.exitCode).toBe(1)
    expect(result.errors.map(({ message }) => message)).toEqual([
      'The action crashed (Error: injected crash) during packer build, and Packer was stopped before it made an AMI (exit code 1). ' +
        'The post step checks that nothing Packer started is left, and removes what is.'
    ])
    expect(result.warnings).toEqual([
      'The action crashed (Error: injected crash) while Packer ran: stopping Packer and waiting for it to clean up (instance, key pair, security group)…',
      'Received SIGINT after the action crashed: packer build was stopped and has ended; the run is ending…'
    ])
    expect(result.stdout).not.toContain('before the action had read which AMIs it made')
  }, 30_000)

  it('no signal, and a run that does not end (its summary never written): the step ends itself with the crash\'s one error', async () => {
    const { result } = await crashedThenSignalled({ STANDIN_VALIDATE_HANG: 'ignoring SIGTERM' }, 'Running the data sources...', [], { unread: true })
    expect(result.exitCode).toBe(1)
    expect(result.errors.map(({ message }) => message)).toEqual([
      'The action crashed (Error: injected crash) while Packer ran, and Packer was stopped, but the run did not end once Packer had: ' +
        'the post step checks that nothing Packer started is left, and removes what is.'
    ])
    expect(result.warnings).toEqual([crashed])
  }, 30_000)
})

/**
 * The runner's SIGINT once the log shows `printed`; once the step has said it stops Packer, the
 * stand-in ends on its SIGTERM, and once the step has seen it end, what `then` holds happens in
 * turn: the action's crash (once the log shows it), the runner's SIGTERM (as it comes 7.5 s after
 * its SIGINT). The summary file is a named pipe that nothing reads until then (or, with
 * `readOnceFailed`, until the step has given an error): the run's end, which gives the cancel's
 * error once the summary is written, waits for it.
 */
async function cancelledThen(
  env: Record<string, string>,
  printed: string,
  then: Array<'crash' | 'SIGTERM'>,
  readOnceFailed = false
): Promise<{ result: ActionRun; summaries: string[] }> {
  return withSummaryHeld(
    env,
    async (child, stdoutSoFar) => {
      const said = (text: string): Promise<void> => logShows(child, stdoutSoFar, text)
      await said(printed)
      child.kill('SIGINT')
      const stopping = 'Received SIGINT: stopping'
      await said(stopping)
      await packerEndedAfter(child, stdoutSoFar, stopping)
      for (const step of then) {
        if (step === 'SIGTERM') {
          child.kill('SIGTERM')
          continue
        }
        child.kill('SIGUSR2')
        await said('injected crash')
      }
    },
    readOnceFailed
  )
}

/**
 * The action on the stand-in Packer, its summary file a named pipe that nothing reads until
 * `drive` (given the step's process, its log so far and the stand-ins' pids) has done its part:
 * the run's end, which writes the summary, waits for it. With `readOnceFailed`, it is read only
 * once the step has given an error. Read at last, the summary lets the step's process exit (its
 * write holds it until then), not the run go on. Returns the run and each summary written.
 */
async function withSummaryHeld(
  env: Record<string, string>,
  drive: (child: ChildProcess, stdoutSoFar: () => string, standIns: () => number[]) => Promise<void>,
  readOnceFailed: boolean
): Promise<{ result: ActionRun; summaries: string[] }> {
  const summaryPipe = join(workspace, 'summary-pipe')
  execFileSync('mkfifo', [summaryPipe])
  let summaries: number | undefined
  const standIns = (): number[] => readCalls(argsLog).filter(({ args }) => args[0] !== 'version').map(({ pid }) => pid)
  try {
    const result = await runAction({
      workspace,
      inputs: { 'packer-version': '1.6.6', 'provenance-tags': 'false' },
      env: { ...standInOnPath(argsLog), AWS_REGION: 'us-east-1', GITHUB_STEP_SUMMARY: summaryPipe, ...env },
      nodeArgs: crashOnSigusr2,
      onStart: (child, stdoutSoFar) => {
        void (async () => {
          await drive(child, stdoutSoFar, standIns)
          if (readOnceFailed) await logShows(child, stdoutSoFar, '::error::')
          summaries = openSync(summaryPipe, constants.O_RDWR | constants.O_NONBLOCK)
        })().catch(() => undefined)
      }
    })
    const written = summaries === undefined ? [] : readAllOf(summaries).split('## Packer AMI build:').slice(1)
    return { result, summaries: written }
  } finally {
    killStandIns(standIns())
  }
}

/**
 * Until the step has seen the Packer it stops end: Packer's log ends, the runner's commands
 * resumed after `said` (the step's line that it stops Packer).
 */
async function packerEndedAfter(child: ChildProcess, stdoutSoFar: () => string, said: string): Promise<void> {
  const at = stdoutSoFar().indexOf(said)
  const token = [...stdoutSoFar().slice(0, at).matchAll(/::stop-commands::(\S+)/g)].at(-1)?.[1] as string
  await logHolds(child, stdoutSoFar, (stdout) => stdout.slice(at).includes(`\n::${token}::\n`))
}

describe('the action crashing once the Packer that a cancel stopped has ended, before the run ends', () => {
  /** Cancelled, then the action crashes; `unread`: the summary is read only once the step has given an error, and the run never gets past it. */
  const cancelledThenCrashed = (env: Record<string, string>, printed: string, unread = false) => cancelledThen(env, printed, ['crash'], unread)

  it("during packer validate: the cancel's one error says what Packer left, and that the action crashed after it", async () => {
    const { result, summaries } = await cancelledThenCrashed({ STANDIN_VALIDATE_HANG: '1' }, 'Running the data sources...')
    expect(result.exitCode).toBe(1)
    expect(result.errors.map(({ message }) => message)).toEqual([
      expect.stringMatching(
        /^The run was cancelled during packer validate \(exit code \d+\); nothing was built\. The action crashed \(Error: injected crash\) once Packer had ended, before the run did\.$/
      )
    ])
    expect(result.warnings).toEqual(['Received SIGINT: stopping packer validate…'])
    expect(result.stderr).toContain('Error: injected crash')
    expect(result.stdout).not.toContain('no Packer build was running')
    expect(summaries.length).toBeGreaterThan(0)
    for (const summary of summaries) expect(summary).toMatch(/^ :no_entry_sign: Cancelled/)
  }, 30_000)

  it("during packer build: the cancel's one error says what became of what Packer made, and that the action crashed after it", async () => {
    const { result } = await cancelledThenCrashed({ STANDIN_HANG: '1' }, 'to become ready')
    expect(result.exitCode).toBe(1)
    expect(result.errors.map(({ message }) => message)).toEqual([
      expect.stringMatching(
        /^The build was cancelled before Packer made an AMI \(exit code \d+\)\. The post step checks that nothing Packer started is left, and removes what is\. The action crashed \(Error: injected crash\) once Packer had ended, before the run did\.$/
      )
    ])
    expect(result.warnings).toEqual(['Received SIGINT: stopping Packer and waiting for it to clean up (instance, key pair, security group)…'])
    expect(result.stdout).not.toContain('before the action had read which AMIs it made')
  }, 30_000)

  it("a run that does not end after the crash (its summary never written): the step ends itself with the cancel's one error, the crash in it", async () => {
    const { result } = await cancelledThenCrashed({ STANDIN_VALIDATE_HANG: '1' }, 'Running the data sources...', true)
    expect(result.exitCode).toBe(1)
    expect(result.errors.map(({ message }) => message)).toEqual([
      expect.stringMatching(
        /^The run was cancelled during packer validate \(exit code \d+\); nothing was built\. The action crashed \(Error: injected crash\) once Packer had ended, and the run did not end\.$/
      )
    ])
    expect(result.warnings).toEqual(['Received SIGINT: stopping packer validate…'])
  }, 30_000)
})

describe("the runner's SIGTERM once the Packer that its SIGINT stopped has ended, before the run ends", () => {
  /** Cancelled, then (with `crash`, once the action has crashed) the runner's SIGTERM; the summary is read once the step has given an error. */
  const cancelledThenTerminated = (env: Record<string, string>, printed: string, crash = false) =>
    cancelledThen(env, printed, crash ? ['crash', 'SIGTERM'] : ['SIGTERM'], true)

  const ended = 'Received SIGTERM again: packer validate was stopped and has ended; the run is ending…'

  it("during packer validate: the SIGTERM gives the cancel's one error and its summary, not that no Packer build was running", async () => {
    const { result, summaries } = await cancelledThenTerminated({ STANDIN_VALIDATE_HANG: '1' }, 'Running the data sources...')
    expect(result.exitCode).toBe(1)
    const cancelled = /^The run was cancelled during packer validate \(exit code \d+\); nothing was built\.$/
    expect(result.errors.map(({ message }) => message)).toEqual([expect.stringMatching(cancelled)])
    expect(result.warnings).toEqual(['Received SIGINT: stopping packer validate…', ended])
    expect(result.stdout).not.toContain('no Packer build was running')
    // The run's end, once the summary is read, tells it again as text, and writes the summary whole.
    expect(result.stdout.split('\n').filter((line) => cancelled.test(line))).toHaveLength(1)
    expect(summaries.length).toBeGreaterThan(0)
    for (const summary of summaries) expect(summary).toMatch(/^ :no_entry_sign: Cancelled/)
  }, 30_000)

  it("during packer build: the SIGTERM gives the cancel's one error, which says what becomes of what Packer made", async () => {
    const { result } = await cancelledThenTerminated({ STANDIN_HANG: '1' }, 'to become ready')
    expect(result.exitCode).toBe(1)
    expect(result.errors.map(({ message }) => message)).toEqual([
      expect.stringMatching(
        /^The build was cancelled before Packer made an AMI \(exit code \d+\)\. The post step checks that nothing Packer started is left, and removes what is\.$/
      )
    ])
    expect(result.warnings).toEqual([
      'Received SIGINT: stopping Packer and waiting for it to clean up (instance, key pair, security group)…',
      'Received SIGTERM again: packer build was stopped and has ended; the run is ending…'
    ])
    expect(result.stdout).not.toContain('before the action had read which AMIs it made')
  }, 30_000)

  it("after the action crashed once Packer had ended: the SIGTERM gives the cancel's one error, the crash in it", async () => {
    const { result } = await cancelledThenTerminated({ STANDIN_VALIDATE_HANG: '1' }, 'Running the data sources...', true)
    expect(result.exitCode).toBe(1)
    expect(result.errors.map(({ message }) => message)).toEqual([
      expect.stringMatching(
        /^The run was cancelled during packer validate \(exit code \d+\); nothing was built\. The action crashed \(Error: injected crash\) once Packer had ended, before the run did\.$/
      )
    ])
    expect(result.warnings).toEqual(['Received SIGINT: stopping packer validate…', ended])
    expect(result.stdout).not.toContain('no Packer build was running')
  }, 30_000)
})

describe("a build killed while Packer writes its scripts' lines as its builder's", () => {
  let endpoint: Ec2Endpoint
  afterEach(async () => endpoint.close())

  // Packer 1.13 and later write every line of a build alike. Before, a builder's message (`Instance
  // ID: …`) begins `    web: `, and so does the output of Packer's own provisioners; a plugin's,
  // built with packer-plugin-sdk 0.6.3 or later, says its script's lines as the builder's steps.
  const as113 = (instance: string, volume: string): Array<[string, string]> => [
    ['say', '==> web: Creating temporary keypair: packer_68a1'],
    ['say', `==> web: Instance ID: ${instance}`],
    ['say', '==> web: Provisioning with shell script: /tmp/packer-shell1234'],
    ['say', `==> web: Creating snapshot of EBS Volume ${volume}...`]
  ]
  const as111WithAnsible = (instance: string, volume: string): Array<[string, string]> => [
    ['say', '==> web: Creating temporary keypair: packer_68a1'],
    ['message', `    web: Instance ID: ${instance}`],
    ['say', '==> web: Provisioning with Ansible...'],
    ['say', `==> web: Creating snapshot of EBS Volume ${volume}...`]
  ]
  it.each([
    ['Packer 1.13.0', '1.13.0', [], as113],
    ["Packer 1.11.2 and a plugin's provisioner", '1.11.2', [{ type: 'ansible', playbook_file: 'site.yml' }], as111WithAnsible]
  ])("%s: the post step terminates the build's instance, and leaves another's backup whose volume a script named", async (_, version, provisioners, lines) => {
    endpoint = await startEc2Endpoint()
    const ec2 = new EC2Client({ region: 'us-east-1', endpoint: endpoint.url, credentials: { accessKeyId: 'AKIDLOOPBACK', secretAccessKey: 'x' } })
    const launch = async (): Promise<{ id: string; volume: string }> => {
      const id = (await ec2.send(new RunInstancesCommand({ ImageId: SOURCE_AMI_ID, InstanceType: 't3.micro', MinCount: 1, MaxCount: 1 }))).Instances?.[0]?.InstanceId as string
      // The endpoint starts an instance once it has been described.
      for (let i = 0; i < 2; i++) await ec2.send(new DescribeInstancesCommand({ InstanceIds: [id] }))
      return { id, volume: endpoint.instances('us-east-1').find((one) => one.instanceId === id)?.volumeIds[0] as string }
    }
    const build = await launch()
    // Another pipeline's nightly backup of its database server, which it has since replaced.
    const other = await launch()
    const snapshot = (await ec2.send(new CreateSnapshotCommand({ VolumeId: other.volume }))).SnapshotId as string
    await ec2.send(new TerminateInstancesCommand({ InstanceIds: [other.id] }))
    for (let i = 0; i < 3; i++) await ec2.send(new DescribeInstancesCommand({ InstanceIds: [other.id] }))
    ec2.destroy()
    expect(endpoint.volumes('us-east-1').map((one) => one.volumeId)).not.toContain(other.volume)
    writeFileSync(join(workspace, 'packer-template.json'), JSON.stringify({ ...template, provisioners }, null, 2))
    const inputs = { 'packer-version': version, 'provenance-tags': 'false' }
    const env = { ...standInOnPath(argsLog), ...loopbackEnvironment(endpoint.url, workspace), STANDIN_VERSION: version }
    const main = await runAction({
      workspace,
      inputs,
      env: {
        ...env,
        STANDIN_KILLED_AFTER: JSON.stringify(lines(build.id, other.volume))
      }
    })
    expect(main.exitCode).toBe(1)
    expect(main.stdout).toContain(`==> web: Creating snapshot of EBS Volume ${other.volume}...`)

    const post = await runPostStep(main, { workspace, inputs, env })
    expect(post.exitCode).toBe(0)
    expect(post.stdout).toContain(`us-east-1: terminating ${build.id} (running)`)
    expect(post.stdout).toContain(
      `${other.volume}, which Packer's log named, no longer exists, and this Packer writes a script's lines as the builder's: nothing ties its snapshots to the build, so they are left as they are.`
    )
    expect(endpoint.snapshots('us-east-1').map((one) => one.snapshotId)).toContain(snapshot)
    expect(endpoint.callsOf('DeleteSnapshot')).toEqual([])
    expect(endpoint.callsOf('DeregisterImage')).toEqual([])
  })
})

describe("an AMI only a script of a build that makes none named (Packer 1.13's log)", () => {
  let endpoint: Ec2Endpoint
  afterEach(async () => endpoint.close())

  // `web` makes an AMI; `vol` makes none (skip_create_ami), and its script prints, as Packer
  // 1.13 and later write it, the AMI another pipeline just made from its own instance.
  const twoBuilds = {
    builders: [
      { type: 'amazon-ebs', name: 'web' },
      { type: 'amazon-ebs', name: 'vol', skip_create_ami: true }
    ],
    'post-processors': [{ type: 'manifest' }]
  }
  const scriptPrinting = (instance: string, ami: string): Array<[string, string]> => [
    ['say', `==> vol: Instance ID: ${instance}`],
    ['say', '==> vol: Provisioning with shell script: /tmp/packer-shell1234'],
    ['say', '==> vol: Registering the AMI...'],
    ['say', `==> vol: AMI: ${ami}`],
    ['say', "Build 'vol' finished after 1 minute 2 seconds."]
  ]
  const web = (instance: string, ami: string): Array<[string, string]> => [
    ['say', `==> web: Instance ID: ${instance}`],
    ['say', '==> web: Provisioning with shell script: /tmp/packer-shell5678'],
    ['say', `==> web: Creating AMI web-1 from instance ${instance}`],
    ['say', `==> web: AMI: ${ami}`],
    ['say', "Build 'web' finished after 1 minute 3 seconds."]
  ]

  /** Three instances (web's, vol's and the other pipeline's), and an AMI each of web's and of the other's. */
  async function world(): Promise<{ web: string; vol: string; webAmi: string; otherAmi: string }> {
    endpoint = await startEc2Endpoint()
    const ec2 = new EC2Client({ region: 'us-east-1', endpoint: endpoint.url, credentials: { accessKeyId: 'AKIDLOOPBACK', secretAccessKey: 'x' } })
    const launch = (): Promise<string> => startedInstance(ec2)
    const [webInstance, vol, other] = [await launch(), await launch(), await launch()]
    const image = async (instance: string, name: string): Promise<string> =>
      (await ec2.send(new CreateImageCommand({ InstanceId: instance, Name: name }))).ImageId as string
    const webAmi = await image(webInstance, 'web-1')
    const otherAmi = await image(other, 'other-pipeline-1')
    ec2.destroy()
    writeFileSync(join(workspace, 'packer-template.json'), JSON.stringify(twoBuilds, null, 2))
    return { web: webInstance, vol, webAmi, otherAmi }
  }
  const inputs = { 'packer-version': '1.13.0', 'provenance-tags': 'true', tags: 'Team=platform', cache: 'false' }
  const env = (): Record<string, string> => ({
    ...standInOnPath(argsLog),
    ...loopbackEnvironment(endpoint.url, workspace),
    STANDIN_VERSION: '1.13.0',
    GITHUB_REPOSITORY: 'acme/images',
    GITHUB_SHA: 'c0ffee0123456789abcdef0123456789abcdef01'
  })
  const tagged = (): string[] => endpoint.callsOf('CreateTags').flatMap((call) => Object.values(call.params))
  /** The one warning, main step's or post step's, that names the AMIs the log named but EC2 does not tie to the builds (`described`). */
  const notTheBuildsWarning = (described: string): string =>
    `Packer's log named these as the AMIs of builds that finished, but EC2 does not tie them to the builds: ${described}. ` +
    "They are in no output and not tagged. This Packer writes a script's lines as its own, so a script may have printed another's AMI; " +
    "but an AMI registered from snapshots (amazon-ebssurrogate) or copied from an AMI that is gone may be the build's all the same. " +
    "Check each in the EC2 console: if it is the build's, tag it or deregister it by hand; if not, leave it."
  /** The summary's section of AMIs not taken as the builds', as rows: build, region, AMI, why not. */
  const notTakenRows = (summary: string): string[][] => tableRows(summary, ['Build', 'Region', 'AMI', 'Why not'])
  /** The summary without that section: where the builds' own AMIs are. */
  const withoutNotTaken = (summary: string): string => summary.replace(/#### AMIs not taken as the builds'[\s\S]*?(?=\n#|$)/, '')

  it("tags the AMI the manifest lists, neither tags nor outputs the other's, and names it apart", async () => {
    const { web: webInstance, vol, webAmi, otherAmi } = await world()
    const result = await runAction({
      workspace,
      inputs,
      env: { ...env(), STANDIN_AMIS: JSON.stringify([{ build: 'web', regions: { 'us-east-1': webAmi } }]), STANDIN_LINES: JSON.stringify(scriptPrinting(vol, otherAmi)) }
    })
    expect(result.errors).toEqual([])
    expect(result.exitCode).toBe(0)
    expect(JSON.parse(result.outputs['ami-ids'])).toEqual({ 'us-east-1': webAmi })
    expect(result.outputs.artifacts).not.toContain(otherAmi)
    expect(endpoint.tagsOf('us-east-1', webAmi)).toMatchObject({ Team: 'platform', SourceRepository: 'acme/images' })
    expect(endpoint.tagsOf('us-east-1', otherAmi)).toEqual({})
    expect(tagged()).not.toContain(otherAmi)
    const other = endpoint.instances('us-east-1').find((one) => one.instanceId !== webInstance && one.instanceId !== vol)?.instanceId as string
    const why = `made from ${other}, not from the build's instance`
    expect(result.warnings).toEqual([notTheBuildsWarning(`build vol: ${otherAmi} (us-east-1), ${why}`)])
    expect(withoutNotTaken(result.summary)).not.toContain(otherAmi)
    expect(notTakenRows(result.summary)).toEqual([['vol', 'us-east-1', otherAmi, why]])
  })

  it("after Packer is killed, outputs the AMI made from the build's instance, not the one a script printed", async () => {
    const { web: webInstance, vol, webAmi, otherAmi } = await world()
    const main = await runAction({
      workspace,
      inputs,
      env: { ...env(), STANDIN_KILLED_AFTER: JSON.stringify([...web(webInstance, webAmi), ...scriptPrinting(vol, otherAmi)]) }
    })
    expect(main.exitCode).toBe(1)
    expect(JSON.parse(main.outputs['ami-ids'])).toEqual({ 'us-east-1': webAmi })
    expect(main.stdout).toContain(`Found in EC2 the AMIs of builds that finished before Packer was killed: web: ${webAmi} (us-east-1).`)
    expect(main.warnings).toContainEqual(expect.stringContaining(`build vol: ${otherAmi} (us-east-1), made from i-`))
    expect(tagged()).not.toContain(otherAmi)
    expect(withoutNotTaken(main.summary)).not.toContain(otherAmi)
    expect(notTakenRows(main.summary).map(([build, region, ami]) => [build, region, ami])).toEqual([['vol', 'us-east-1', otherAmi]])

    // Had the main step been killed before its outputs, as it saved its state then.
    const leftovers = JSON.parse(main.state['packer-leftovers']) as Record<string, unknown>
    delete leftovers.amis
    const post = await runPostStep({ state: { ...main.state, 'packer-leftovers': JSON.stringify(leftovers) } }, { workspace, inputs, env: env() })
    expect(post.exitCode).toBe(0)
    expect(post.warnings).toContain(
      `The main step ended before it set its outputs, but builds had finished: build web: ${webAmi} (us-east-1). ` +
        'These AMIs exist and are not tagged; they are in no output and the post step leaves them.'
    )
    expect(withoutNotTaken(post.summary)).not.toContain(otherAmi)
    expect(notTakenRows(post.summary).map(([build, region, ami]) => [build, region, ami])).toEqual([['vol', 'us-east-1', otherAmi]])
  })

  /** A copy of `ami` in us-west-2, after which `ami` is deregistered in us-east-1. */
  async function copiedThenGone(ami: string): Promise<string> {
    const east = new EC2Client({ region: 'us-east-1', endpoint: endpoint.url, credentials: { accessKeyId: 'AKIDLOOPBACK', secretAccessKey: 'x' } })
    // The endpoint makes an AMI available once it has been described.
    for (let i = 0; i < 3; i++) await east.send(new DescribeImagesCommand({ ImageIds: [ami] }))
    const west = new EC2Client({ region: 'us-west-2', endpoint: endpoint.url, credentials: { accessKeyId: 'AKIDLOOPBACK', secretAccessKey: 'x' } })
    const copy = (await west.send(new CopyImageCommand({ SourceImageId: ami, SourceRegion: 'us-east-1', Name: 'other-pipeline-1' }))).ImageId as string
    west.destroy()
    await east.send(new DeregisterImageCommand({ ImageId: ami }))
    east.destroy()
    return copy
  }
  /** `vol`'s script printing `ami`, and that it was copied to us-west-2, as Packer would. */
  const copyingLines = (vol: string, ami: string): Array<[string, string]> => [
    ...scriptPrinting(vol, ami).slice(0, -1),
    ['say', `==> vol: Copying/Encrypting AMI (${ami}) to other regions...`],
    ['say', '==> vol: Copying to: us-west-2'],
    ...scriptPrinting(vol, ami).slice(-1)
  ]

  it("takes no copy, made before Packer started, of another's AMI that is gone, though a script said it was copied", async () => {
    const { vol, otherAmi } = await world()
    const copy = await copiedThenGone(otherAmi)
    // The other pipeline copied its AMI yesterday, and has since deregistered it where it made it.
    endpoint.backdate('us-west-2', copy, 24 * 3600_000)
    const lines = copyingLines(vol, otherAmi)
    const main = await runAction({ workspace, inputs, env: { ...env(), STANDIN_KILLED_AFTER: JSON.stringify(lines) } })
    expect(main.exitCode).toBe(1)
    expect(main.outputs['ami-ids'] ?? '').not.toContain(copy)
    expect(main.stdout).not.toContain('Found in EC2')
    expect(main.summary).not.toContain(copy)
  })

  it('when EC2 cannot be asked, warns of the AMI the log named, and tags nothing', async () => {
    const { vol, otherAmi } = await world()
    endpoint.faults.fail('DescribeImages', { code: 'UnauthorizedOperation' })
    const main = await runAction({
      workspace,
      inputs,
      env: { ...env(), STANDIN_KILLED_AFTER: JSON.stringify(scriptPrinting(vol, otherAmi)) }
    })
    expect(main.exitCode).toBe(1)
    const warning = main.warnings.find((one) => one.includes(otherAmi)) ?? ''
    expect(warning).toContain(`Packer's log named AMIs of builds that finished before Packer was killed, but EC2 did not show them: build vol: ${otherAmi}; not found in us-east-1 (`)
    expect(warning).not.toContain('exist')
    expect(endpoint.callsOf('CreateTags')).toEqual([])
  })

  /** An AMI registered, from no instance, from a snapshot of `instance`'s root volume, as amazon-ebssurrogate does. */
  async function registeredFrom(instance: string, name: string): Promise<string> {
    const ec2 = new EC2Client({ region: 'us-east-1', endpoint: endpoint.url, credentials: { accessKeyId: 'AKIDLOOPBACK', secretAccessKey: 'x' } })
    const volume = endpoint.instances('us-east-1').find((one) => one.instanceId === instance)?.volumeIds[0] as string
    const snapshot = (await ec2.send(new CreateSnapshotCommand({ VolumeId: volume }))).SnapshotId as string
    const image = await ec2.send(
      new RegisterImageCommand({ Name: name, RootDeviceName: '/dev/xvda', BlockDeviceMappings: [{ DeviceName: '/dev/xvda', Ebs: { SnapshotId: snapshot } }] })
    )
    ec2.destroy()
    return image.ImageId as string
  }

  it("takes no AMI another pipeline registered from its own snapshot while Packer ran, and names it in the post step", async () => {
    const { web: webInstance, vol, webAmi } = await world()
    const other = endpoint.instances('us-east-1').map((one) => one.instanceId).find((id) => id !== webInstance && id !== vol) as string
    const registered = await registeredFrom(other, 'other-pipeline-2')
    const main = await runAction({
      workspace,
      inputs,
      env: { ...env(), STANDIN_KILLED_AFTER: JSON.stringify([...web(webInstance, webAmi), ...scriptPrinting(vol, registered)]) }
    })
    expect(main.exitCode).toBe(1)
    expect(JSON.parse(main.outputs['ami-ids'])).toEqual({ 'us-east-1': webAmi })
    expect(tagged()).not.toContain(registered)
    expect(endpoint.tagsOf('us-east-1', registered)).toEqual({})
    const otherVolume = endpoint.instances('us-east-1').find((one) => one.instanceId === other)?.volumeIds[0] as string
    const why = `registered from snapshots of ${otherVolume}, which EC2 does not show attached to the build's instance`
    expect(main.warnings.filter((one) => one.includes(registered))).toEqual([notTheBuildsWarning(`build vol: ${registered} (us-east-1), ${why}`)])
    expect(withoutNotTaken(main.summary)).not.toContain(registered)
    expect(notTakenRows(main.summary)).toEqual([['vol', 'us-east-1', registered, why]])
    // One look at the snapshots and one at the instance's volumes, side by side, in the one region.
    expect(endpoint.callsOf('DescribeSnapshots')).toHaveLength(1)
    expect(endpoint.callsOf('DescribeVolumes')).toHaveLength(1)

    const leftovers = JSON.parse(main.state['packer-leftovers']) as Record<string, unknown>
    delete leftovers.amis
    const post = await runPostStep({ state: { ...main.state, 'packer-leftovers': JSON.stringify(leftovers) } }, { workspace, inputs, env: env() })
    expect(post.exitCode).toBe(0)
    expect(post.warnings).toContainEqual(expect.stringContaining(`build web: ${webAmi} (us-east-1)`))
    expect(post.warnings).toContain(notTheBuildsWarning(`build vol: ${registered} (us-east-1), ${why}`))
    expect(endpoint.callsOf('DeregisterImage')).toEqual([])
    expect(withoutNotTaken(post.summary)).not.toContain(registered)
    expect(notTakenRows(post.summary)).toEqual([['vol', 'us-east-1', registered, why]])
  })

  it("takes the AMI a killed build registered from a snapshot of its own instance's volume", async () => {
    const { vol } = await world()
    const registered = await registeredFrom(vol, 'vol-1')
    const main = await runAction({ workspace, inputs, env: { ...env(), STANDIN_KILLED_AFTER: JSON.stringify(scriptPrinting(vol, registered)) } })
    expect(main.exitCode).toBe(1)
    expect(JSON.parse(main.outputs['ami-ids'])).toEqual({ 'us-east-1': registered })
    expect(endpoint.tagsOf('us-east-1', registered)).toMatchObject({ Team: 'platform' })
  })

  it("names each AMI it does not take in one warning and a section of the summary: a surrogate AMI whose instance is gone, and another's", async () => {
    const { vol, otherAmi } = await world()
    // `disk` registers its AMI from a snapshot of its instance's volume (amazon-ebssurrogate); it is
    // then terminated, its volume deleted with it, before Packer is killed.
    const template = { ...twoBuilds, builders: [...twoBuilds.builders, { type: 'amazon-ebssurrogate', name: 'disk' }] }
    writeFileSync(join(workspace, 'packer-template.json'), JSON.stringify(template, null, 2))
    const ec2 = new EC2Client({ region: 'us-east-1', endpoint: endpoint.url, credentials: { accessKeyId: 'AKIDLOOPBACK', secretAccessKey: 'x' } })
    const disk = (await ec2.send(new RunInstancesCommand({ ImageId: SOURCE_AMI_ID, InstanceType: 't3.micro', MinCount: 1, MaxCount: 1 }))).Instances?.[0]?.InstanceId as string
    for (let i = 0; i < 2; i++) await ec2.send(new DescribeInstancesCommand({ InstanceIds: [disk] }))
    const diskVolume = endpoint.instances('us-east-1').find((one) => one.instanceId === disk)?.volumeIds[0] as string
    const surrogate = await registeredFrom(disk, 'disk-1')
    await ec2.send(new TerminateInstancesCommand({ InstanceIds: [disk] }))
    for (let i = 0; i < 2; i++) await ec2.send(new DescribeInstancesCommand({ InstanceIds: [disk] }))
    expect(endpoint.instances('us-east-1').find((one) => one.instanceId === disk)?.state).toBe('terminated')
    ec2.destroy()
    const diskLines = scriptPrinting(disk, surrogate).map(([kind, line]): [string, string] => [kind, line.replace('vol:', 'disk:').replace("'vol'", "'disk'")])
    const main = await runAction({ workspace, inputs, env: { ...env(), STANDIN_KILLED_AFTER: JSON.stringify([...scriptPrinting(vol, otherAmi), ...diskLines]) } })
    expect(main.exitCode).toBe(1)
    expect(main.outputs['ami-ids'] ?? '').toBe('{}')
    expect(tagged()).toEqual([])
    const other = endpoint.images('us-east-1').find((one) => one.imageId === otherAmi)?.sourceInstanceId as string
    const otherWhy = `made from ${other}, not from the build's instance`
    const surrogateWhy = `registered from snapshots of ${diskVolume}, which EC2 does not show attached to the build's instance`
    expect(main.warnings.filter((one) => one.includes(otherAmi) || one.includes(surrogate))).toEqual([
      notTheBuildsWarning(`build vol: ${otherAmi} (us-east-1), ${otherWhy}; build disk: ${surrogate} (us-east-1), ${surrogateWhy}`)
    ])
    expect(withoutNotTaken(main.summary)).not.toMatch(new RegExp(`${otherAmi}|${surrogate}`))
    expect(notTakenRows(main.summary)).toEqual([
      ['vol', 'us-east-1', otherAmi, otherWhy],
      ['disk', 'us-east-1', surrogate, surrogateWhy]
    ])
    // Each links to the AMI in the EC2 console, to be checked there.
    expect(linksOf(main.summary, surrogate)).toEqual([`https://us-east-1.console.aws.amazon.com/ec2/home?region=us-east-1#ImageDetails:imageId=${surrogate}`])
  })

  it("takes no copy, made while Packer ran, of another's AMI that is gone, and names it", async () => {
    const { vol, otherAmi } = await world()
    // The other pipeline copied its AMI just now, and deregistered it where it made it.
    const copy = await copiedThenGone(otherAmi)
    const lines = copyingLines(vol, otherAmi)
    const main = await runAction({ workspace, inputs, env: { ...env(), STANDIN_KILLED_AFTER: JSON.stringify(lines) } })
    expect(main.exitCode).toBe(1)
    expect(main.outputs['ami-ids'] ?? '').not.toContain(copy)
    expect(tagged()).not.toContain(copy)
    const why = `a copy of ${otherAmi}, which no longer exists, so nothing EC2 shows ties it to the build's instance`
    // Named once, as a copy not taken: the AMI the log named is not said to be missing.
    expect(main.warnings.filter((one) => one.includes(otherAmi))).toEqual([notTheBuildsWarning(`build vol: ${copy} (us-west-2), ${why}`)])
    expect(withoutNotTaken(main.summary)).not.toContain(copy)
    expect(notTakenRows(main.summary)).toEqual([['vol', 'us-west-2', copy, why]])
  })
})

describe('sensitive locals (Packer 1.7 and later)', () => {
  // Packer 1.7.0 to 1.15.0 print sensitive values in clear in -machine-readable mode, locals as
  // well as variables: their MachineReadableUi drops what LogSecretFilter scrubbed. The stand-in
  // prints the value as a provisioner would; the masking is the action's.
  const webBuild = `source "amazon-ebs" "web" {
  region = "us-east-1"
}
build {
  sources = ["source.amazon-ebs.web"]
  post-processor "manifest" {}
}
`
  const built = { STANDIN_VERSION: '1.11.2', STANDIN_AMIS: JSON.stringify([{ build: 'amazon-ebs.web', regions: { 'us-east-1': 'ami-0aaa1' } }]) }

  it('prints the value of a sensitive local, made of variables and text, as ***', async () => {
    writeFileSync(
      join(workspace, 'ami.pkr.hcl'),
      `variable "db_user" {
  default = "app"
}
variable "db_password" {
  default = "not-this-one"
}
local "database_url" {
  expression = "postgres://\${var.db_user}:\${var.db_password}@db.internal/app"
  sensitive  = true
}
${webBuild}`
    )
    const url = 'postgres://app:Pa55FromVariables@db.internal/app'
    const result = await run(
      { template: 'ami.pkr.hcl', 'packer-version': '1.11.2', variables: 'db_password=Pa55FromVariables' },
      { ...built, STANDIN_SAY: `DATABASE_URL=${url}` }
    )
    expect(result.errors).toEqual([])
    expect(result.exitCode).toBe(0)
    expect(result.stdout).toContain(`DATABASE_URL=${url}`)
    const shown = asTheRunnerShowsIt(result)
    expect(shown.log).toContain('amazon-ebs: DATABASE_URL=***')
    expect(shown.log).not.toContain('Pa55FromVariables')
  })

  /** What packer console answers for an amazon-secretsmanager data source's attributes, its secret a JSON document. */
  const dataSourceSecret = (read: string, secret: Record<string, string>, key: string): Record<string, string> => ({
    [`${read}.value`]: secret[key],
    [`${read}.secret_string`]: JSON.stringify(secret),
    [`${read}.secret_binary`]: ''
  })

  it("masks what the template reads from a secret store though nothing declares it sensitive: a data source, its JSON's secret fields, aws_secretsmanager() and vault()", async () => {
    writeFileSync(
      join(workspace, 'ami.pkr.hcl'),
      `data "amazon-secretsmanager" "db" {
  name = "prod/db"
  key  = "password"
}
locals {
  api_token = aws_secretsmanager("ci/api", "token")
  db_user   = jsondecode(data.amazon-secretsmanager.db.secret_string).username
  db_token  = jsondecode(data.amazon-secretsmanager.db.secret_string).api_token
}
source "amazon-ebs" "web" {
  region = "us-east-1"
}
build {
  sources = ["source.amazon-ebs.web"]
  provisioner "shell" {
    inline           = ["echo configured"]
    environment_vars = ["DB_PASSWORD=\${data.amazon-secretsmanager.db.value}", "API_TOKEN=\${local.api_token}", "VAULT_TOKEN=\${vault("/kv/data/ci", "token")}"]
  }
  post-processor "manifest" {}
}
`
    )
    const lines = [
      ['message', '    amazon-ebs: DB_PASSWORD=Pa55FromDataSource'],
      ['message', '    amazon-ebs: DB_USER=app-user-7f3 DB_TOKEN=T0kenInJson'],
      ['message', '    amazon-ebs: API_TOKEN=TokenFromFunction'],
      ['message', '    amazon-ebs: VAULT_TOKEN=s.TokenFromVault']
    ]
    const result = await run(
      { template: 'ami.pkr.hcl', 'packer-version': '1.11.2' },
      {
        ...built,
        STANDIN_CONSOLE: JSON.stringify({
          ...dataSourceSecret('data.amazon-secretsmanager.db', { username: 'app-user-7f3', password: 'Pa55FromDataSource', api_token: 'T0kenInJson' }, 'password'),
          'aws_secretsmanager("ci/api", "token")': 'TokenFromFunction',
          'vault("/kv/data/ci", "token")': 's.TokenFromVault'
        }),
        STANDIN_LINES: JSON.stringify(lines)
      }
    )
    expect(result.errors).toEqual([])
    expect(result.warnings).toEqual([])
    expect(result.exitCode).toBe(0)
    const shown = asTheRunnerShowsIt(result)
    for (const secret of ['Pa55FromDataSource', 'T0kenInJson', 'TokenFromFunction', 's.TokenFromVault']) expect(shown.log).not.toContain(secret)
    expect(shown.log).toContain('amazon-ebs: DB_PASSWORD=***')
    // A field of the JSON secret that is no secret by its name stays readable.
    expect(shown.log).toContain('amazon-ebs: DB_USER=app-user-7f3 DB_TOKEN=***')
    expect(shown.log).toContain('amazon-ebs: VAULT_TOKEN=***')
  })

  it('warns, naming what reads the secret, when Packer cannot tell it, and builds all the same', async () => {
    writeFileSync(
      join(workspace, 'ami.pkr.hcl'),
      `source "amazon-ebs" "web" {
  region = "us-east-1"
}
build {
  sources = ["source.amazon-ebs.web"]
  provisioner "shell" {
    inline           = ["echo configured"]
    environment_vars = ["API_TOKEN=\${aws_secretsmanager("ci/api", "token")}", "NAME=\${upper(source.name)}"]
  }
  post-processor "manifest" {}
}
`
    )
    const result = await run({ template: 'ami.pkr.hcl', 'packer-version': '1.11.2' }, built)
    expect(result.exitCode).toBe(0)
    expect(result.outputs['ami-id']).toBe('ami-0aaa1')
    expect(result.warnings).toEqual([
      expect.stringMatching(
        /^The value of the secret the template reads \(aws_secretsmanager\("ci\/api", "token"\)\) is only known to Packer, and Packer could not tell it \(packer console failed: .*It is not masked: /s
      )
    ])
  })

  // A data source's value (or vault()'s) is asked of packer console, which the stand-in answers.
  const secretTemplate = `variable "stage" {
  default = "dev"
}
data "amazon-secretsmanager" "db" {
  name = "\${var.stage}/db"
  key  = "password"
}
local "db_password" {
  expression = data.amazon-secretsmanager.db.value
  sensitive  = true
}
${webBuild}`

  it('asks packer console for the value, and prints it as *** when the build prints it', async () => {
    writeFileSync(join(workspace, 'ami.pkr.hcl'), secretTemplate)
    const result = await run(
      { template: 'ami.pkr.hcl', 'packer-version': '1.11.2', variables: 'stage=prod' },
      {
        ...built,
        STANDIN_LOCALS: JSON.stringify({ db_password: 'Pa55FromSecretsManager' }),
        STANDIN_CONSOLE: JSON.stringify(dataSourceSecret('data.amazon-secretsmanager.db', { password: 'Pa55FromSecretsManager' }, 'password')),
        STANDIN_SAY: 'DB_PASSWORD=Pa55FromSecretsManager'
      }
    )
    expect(result.errors).toEqual([])
    expect(result.warnings).toEqual([])
    expect(result.exitCode).toBe(0)
    expect(packerCalls()).toContainEqual(['console', '-machine-readable', '-var', 'stage=prod', 'ami.pkr.hcl'])
    expect(result.stdout).toContain('DB_PASSWORD=Pa55FromSecretsManager')
    const shown = asTheRunnerShowsIt(result)
    expect(shown.log).toContain('amazon-ebs: DB_PASSWORD=***')
    expect(shown.log).not.toContain('Pa55FromSecretsManager')
  })

  it('warns, naming the local, when Packer cannot tell the value, and builds all the same', async () => {
    writeFileSync(join(workspace, 'ami.pkr.hcl'), secretTemplate)
    const result = await run({ template: 'ami.pkr.hcl', 'packer-version': '1.11.2' }, built)
    expect(result.exitCode).toBe(0)
    expect(result.outputs['ami-id']).toBe('ami-0aaa1')
    expect(result.warnings).toEqual([
      expect.stringMatching(
        /^The value of sensitive local db_password and of the secret the template reads \(data\.amazon-secretsmanager\.db\.value\) is only known to Packer, and Packer could not tell it \(packer console failed: .*Unsupported attribute.*They are not masked: /s
      )
    ])
  })

  it('warns, when packer console crashes, that Packer crashed and where its crash.log went, out of the checkout, and builds all the same', async () => {
    writeFileSync(join(workspace, 'ami.pkr.hcl'), secretTemplate)
    const result = await run({ template: 'ami.pkr.hcl', 'packer-version': '1.11.2' }, { ...built, STANDIN_CONSOLE_CRASH: '1' })
    expect(result.exitCode).toBe(0)
    expect(result.outputs['ami-id']).toBe('ami-0aaa1')
    const warning = new RegExp(
      '^The value of sensitive local db_password and of the secret the template reads \\(data\\.amazon-secretsmanager\\.db\\.value\\) is only known to Packer, and Packer could not tell it: Packer crashed during packer console ' +
        '\\(panic: runtime error: invalid memory address or nil pointer dereference\\): a bug in the plugin github\\.com/hashicorp/packer-plugin-amazon, ' +
        "not in the template\\. Packer's crash report is at (/\\S+/crash\\.log) \\(moved out of the checkout, where Packer wrote it as crash\\.log\\); " +
        'please report the crash at https://github\\.com/hashicorp/packer-plugin-amazon/issues\\. They are not masked: '
    )
    expect(result.warnings).toEqual([expect.stringMatching(warning)])
    const [, report] = warning.exec(result.warnings[0]) ?? []
    expect(readFileSync(report, 'utf8')).toContain('panic: runtime error: invalid memory address or nil pointer dereference')
    expect(existsSync(join(workspace, 'crash.log'))).toBe(false)
  })
})

describe('packer inspect of an HCL2 template', () => {
  const oneSource = 'source "amazon-ebs" "web" {\n  region = "us-east-1"\n}\n\nbuild {\n  sources = ["source.amazon-ebs.web"]\n  post-processor "manifest" {}\n}\n'
  const twoSources =
    'source "amazon-ebs" "web" {\n  region = "us-east-1"\n}\n\nsource "amazon-ebs" "arm" {\n  region = "us-east-1"\n}\n\n' +
    'build {\n  sources = ["source.amazon-ebs.web", "source.amazon-ebs.arm"]\n  post-processor "manifest" {}\n}\n'
  const built = { STANDIN_AMIS: JSON.stringify([{ build: 'amazon-ebs.web', regions: { 'us-east-1': 'ami-0aaa1' } }]) }
  // Like a data source whose service never answers.
  const hangingInspect = { STANDIN_INSPECT_HANG: '1', ...built }
  const commands = (): string[] => packerCalls().map((args) => args[0])
  /** Cancels the run with SIGINT once Packer has been called with each of `commands`. */
  const cancelOnceCalled =
    (...awaited: string[]) =>
    (child: ChildProcess): void => {
      const poll = setInterval(() => {
        if (awaited.every((command) => commands().includes(command))) {
          clearInterval(poll)
          child.kill('SIGINT')
        }
      }, 20)
    }

  it('is not run for a template whose build blocks make one build: there is no order to ask for', async () => {
    writeFileSync(join(workspace, 'ami.pkr.hcl'), oneSource)
    const result = await run({ template: 'ami.pkr.hcl' }, built)
    expect(result.exitCode).toBe(0)
    expect(commands()).toEqual(['version', 'validate', 'build'])
    expect(result.outputs['ami-id']).toBe('ami-0aaa1')
  })

  it('warns, at the file and line, when Packer validates a file the action could not read', async () => {
    // The stand-in validates anything: here it stands for a Packer that reads what the action's parser does not.
    writeFileSync(join(workspace, 'ami.pkr.hcl'), oneSource)
    writeFileSync(join(workspace, 'secrets.pkr.hcl'), 'variable "token" {\n  sensitive = true\n  default = "one" "two"\n}\n')
    const result = await run({ template: '.' }, built)
    expect(result.exitCode).toBe(0)
    expect(result.warnings).toEqual([
      'secrets.pkr.hcl:3:13: not valid HCL: unexpected text. Packer accepts this file, but the action could not read it: ' +
        'sensitive variables declared in it are not masked in the log.'
    ])
    expect(result.stdout).toMatch(/^::warning title=HCL file not read,file=secrets\.pkr\.hcl,line=3,col=13::/m)
    expect(result.outputs['ami-id']).toBe('ami-0aaa1')
  })

  it('runs beside validate; when it never ends, it costs a minute before the build, with a warning', async () => {
    writeFileSync(join(workspace, 'ami.pkr.hcl'), twoSources)
    const result = await run({ template: 'ami.pkr.hcl' }, hangingInspect)
    expect(result.exitCode).toBe(0)
    expect(result.warnings).toEqual([
      'packer inspect ami.pkr.hcl did not finish within 1 min and was stopped. ' +
        "For inspect, Packer runs the template's data sources: one of them may be waiting for a service that does not answer; " +
        'the builds will be ordered as they finish.'
    ])
    expect(commands().slice(0, 3).sort()).toEqual(['inspect', 'validate', 'version'])
    expect(commands()[3]).toBe('build')
    expect(result.outputs['ami-id']).toBe('ami-0aaa1')
  }, 120_000)

  it("logs a failed inspect's errors as text: the template's line they quote is no workflow command", async () => {
    writeFileSync(join(workspace, 'ami.pkr.hcl'), twoSources)
    const diagnostic =
      'Error: Missing newline after argument\n\n  on ami.pkr.hcl line 2, in source "amazon-ebs" "a":\n' +
      '   2:   ami_name = "a" "##[warning]pwned"\n\nAn argument definition must end with a newline.'
    const result = await run({ template: 'ami.pkr.hcl' }, { ...built, STANDIN_INSPECT_ERROR: diagnostic })
    expect(result.exitCode).toBe(0)
    expect(result.stdout).toContain('   2:   ami_name = "a" "##[warning]pwned"')
    expect(result.stdout).toContain('the builds will be ordered as they finish.')
    expect(commandsTheRunnerRuns(result.stdout).filter((command) => command.line.includes('pwned'))).toEqual([])
    expect(result.warnings).toEqual([])
    expect(result.outputs['ami-id']).toBe('ami-0aaa1')
  })

  it('is stopped when validate fails: the job does not wait for it', async () => {
    writeFileSync(join(workspace, 'ami.pkr.hcl'), twoSources)
    const result = await run({ template: 'ami.pkr.hcl' }, { ...hangingInspect, STANDIN_FAIL: 'validate' })
    expect(result.exitCode).toBe(1)
    expect(result.errors.at(-1)?.message).toBe('packer validate found problems in ami.pkr.hcl (see the errors above); nothing was built.')
    expect(result.warnings).toEqual([])
    expect(commands()).not.toContain('build')
  }, 30_000)

  it('a cancel while it runs stops it (and validate, if it still runs), and nothing is built', async () => {
    writeFileSync(join(workspace, 'ami.pkr.hcl'), twoSources)
    const result = await runAction({
      workspace,
      inputs: { 'packer-version': '1.6.6', 'provenance-tags': 'false', template: 'ami.pkr.hcl' },
      env: { ...standInOnPath(argsLog), ...hangingInspect },
      onStart: cancelOnceCalled('inspect')
    })
    expect(result.exitCode).toBe(1)
    expect(result.warnings).toEqual([expect.stringMatching(/^Received SIGINT: stopping (packer validate and )?packer inspect…$/)])
    expect(result.errors.at(-1)?.message).toMatch(
      /^(The run was cancelled while packer inspect read the template; nothing was built\.|The run was cancelled during packer validate \(exit code \d+\); nothing was built\.)/
    )
    expect(commands()).not.toContain('build')
    expect(result.summary).toContain('Cancelled')
  }, 30_000)

  it('comes first with only or except: a cancel while it runs stops it, and nothing is validated or built', async () => {
    writeFileSync(join(workspace, 'ami.pkr.hcl'), twoSources)
    const result = await runAction({
      workspace,
      inputs: { 'packer-version': '1.6.6', 'provenance-tags': 'false', template: 'ami.pkr.hcl', only: 'amazon-ebs.web' },
      env: { ...standInOnPath(argsLog), ...hangingInspect },
      onStart: cancelOnceCalled('inspect')
    })
    expect(result.exitCode).toBe(1)
    expect(result.warnings).toEqual(['Received SIGINT: stopping packer inspect…'])
    expect(result.errors.at(-1)?.message).toBe('The run was cancelled while packer inspect read the template; nothing was built.')
    expect(commands()).toEqual(['version', 'inspect'])
    expect(result.summary).toContain('Cancelled')
  })
})

describe('tagging through the AWS SDK', () => {
  const amiIds: Record<string, string> = {
    'us-east-1': 'ami-0a1b2c3d4e5f60001',
    'us-west-2': 'ami-0a1b2c3d4e5f60002',
    'eu-west-1': 'ami-0a1b2c3d4e5f60003'
  }
  const snapshotIds: Record<string, string> = {
    'us-east-1': 'snap-0a1b2c3d4e5f60001',
    'us-west-2': 'snap-0a1b2c3d4e5f60002',
    'eu-west-1': 'snap-0a1b2c3d4e5f60003'
  }
  const olderAmi = 'ami-0a1b2c3d4e5f6aaaa'
  let endpoint: Ec2Endpoint

  beforeEach(async () => {
    endpoint = await startEc2Endpoint({
      regions: Object.keys(amiIds),
      seedImages: [
        ...Object.entries(amiIds).map(([region, imageId]) => ({
          imageId,
          name: 'web-1',
          ownerId: SELF_ACCOUNT_ID,
          regions: [region],
          snapshotId: snapshotIds[region]
        })),
        { imageId: olderAmi, name: 'web-0', ownerId: SELF_ACCOUNT_ID, regions: ['us-east-1'] }
      ]
    })
    writeFileSync(
      join(workspace, 'packer-manifest.json'),
      JSON.stringify({
        builds: [{ name: 'web', builder_type: 'amazon-ebs', artifact_id: `us-east-1:${olderAmi}`, packer_run_uuid: 'older' }],
        last_run_uuid: 'older'
      })
    )
  })
  afterEach(() => endpoint.close())

  function runTagging(inputs: Record<string, string> = {}, env: Record<string, string> = {}): Promise<ActionRun> {
    return run(
      { 'provenance-tags': 'true', tags: 'Team=platform', ...inputs },
      {
        STANDIN_AMIS: JSON.stringify([{ build: 'web', regions: amiIds }]),
        AWS_ENDPOINT_URL_EC2: endpoint.url,
        AWS_ACCESS_KEY_ID: 'AKIDLOOPBACK',
        AWS_SECRET_ACCESS_KEY: 'loopback-secret',
        GITHUB_REPOSITORY: 'acme/images',
        GITHUB_SHA: 'c0ffee0123456789abcdef0123456789abcdef01',
        GITHUB_REF: 'refs/heads/main',
        GITHUB_RUN_ID: '7',
        ...env
      }
    )
  }

  it('tags every AMI and snapshot of the latest run: one DescribeImages and one CreateTags per region', async () => {
    const result = await runTagging()
    expect(result.errors).toEqual([])
    expect(result.exitCode).toBe(0)
    expect(JSON.parse(result.outputs['ami-ids'])).toEqual(amiIds)
    for (const [region, amiId] of Object.entries(amiIds)) {
      const expected = { Team: 'platform', SourceCommit: 'c0ffee0123456789abcdef0123456789abcdef01', SourceRepository: 'acme/images' }
      expect(endpoint.tagsOf(region, amiId)).toMatchObject(expected)
      expect(endpoint.tagsOf(region, snapshotIds[region])).toMatchObject(expected)
      expect(endpoint.callsOf('DescribeImages', region)).toHaveLength(1)
      expect(endpoint.callsOf('CreateTags', region)).toHaveLength(1)
    }
    expect(endpoint.tagsOf('us-east-1', olderAmi)).toEqual({})
    expect(endpoint.actions()).toEqual(['CreateTags', 'DescribeImages'])
    expect(result.summary).toContain('`snap-0a1b2c3d4e5f60002`')
    expect(result.summary).toContain('AMIs built and tagged')
  })

  it('a workflow_dispatch run: provenance from the run context, the summary names who started it', async () => {
    // What the runner gives a dispatched run: its variables and the event file.
    const event = join(workspace, '.event.json')
    writeFileSync(event, JSON.stringify({ inputs: { only: '' }, ref: 'refs/heads/release', sender: { login: 'release-manager', type: 'User' } }))
    const result = await runTagging({}, {
      GITHUB_EVENT_NAME: 'workflow_dispatch',
      GITHUB_EVENT_PATH: event,
      GITHUB_ACTOR: 'release-manager',
      GITHUB_REF: 'refs/heads/release',
      GITHUB_RUN_ATTEMPT: '3'
    })
    expect(result.errors).toEqual([])
    expect(result.exitCode).toBe(0)
    expect(endpoint.tagsOf('eu-west-1', amiIds['eu-west-1'])).toMatchObject({
      SourceRepository: 'acme/images',
      SourceCommit: 'c0ffee0123456789abcdef0123456789abcdef01',
      SourceRef: 'refs/heads/release',
      BuildEvent: 'workflow_dispatch',
      BuildActor: 'release-manager',
      BuildRunUrl: 'https://github.com/acme/images/actions/runs/7/attempts/3'
    })
    expect(result.summary).toContain('run by hand by [@release-manager](https://github.com/release-manager)')
  })

  it("after a reuse, the note that ami-id is a later build's is what it was after the build it reuses", async () => {
    // Build volume makes no AMI, by design: the same in every run. Build web makes its AMIs where
    // the stand-in puts them: the home region and its ami_regions.
    const web = { type: 'amazon-ebs', name: 'web', ami_regions: ['us-west-2', 'eu-west-1'] }
    writeFileSync(
      join(workspace, 'packer-template.json'),
      JSON.stringify({ ...template, builders: [{ type: 'amazon-ebs', name: 'volume', skip_create_ami: true }, web] })
    )
    // The fingerprint covers the template alone: not the manifest or the stand-in's log beside it.
    const reuse = { reuse: 'true', 'fingerprint-paths': 'packer-template.json' }
    const note =
      "ami-id and ami-ids are build web's: build volume, before it in the template's order, made no AMI. Output builds has every build that made AMIs."
    const notices = (result: ActionRun) => parseCommands(result.stdout, 'notice').map(({ message }) => message)

    const built = await runTagging(reuse)
    expect(built.exitCode).toBe(0)
    expect(notices(built)).toEqual([note])
    const reused = await runTagging(reuse)
    expect(reused.exitCode).toBe(0)
    expect(packerCalls().filter((args) => args[0] === 'build')).toHaveLength(1)
    expect(reused.stdout).toContain('reusing its 3 AMIs, nothing is built.')
    expect(reused.outputs['ami-id']).toBe(amiIds['us-east-1'])
    expect(reused.warnings).toEqual([])
    expect(notices(reused)).toEqual([note])
    expect(reused.summary).toContain(note)
  })

  it('tag-snapshots: false tags only the AMIs, and the summary says so', async () => {
    const result = await runTagging({ 'tag-snapshots': 'false' })
    expect(endpoint.tagsOf('us-west-2', amiIds['us-west-2'])).toMatchObject({ Team: 'platform' })
    expect(endpoint.tagsOf('us-west-2', snapshotIds['us-west-2'])).toEqual({})
    // The row names the snapshot: its Tags cell must not read as if the snapshot had them too.
    expect(result.summary).toMatch(new RegExp(`\\| us-west-2 \\| .* \\| \`${snapshotIds['us-west-2']}\` \\| \\d+ tags, on the AMI only \\|`))
  })

  it('a denied CreateTags fails the step naming the region and permission; the AMI IDs are still in the outputs', async () => {
    endpoint.faults.fail('CreateTags', { code: 'UnauthorizedOperation', region: 'eu-west-1' })
    const result = await runTagging()
    expect(result.exitCode).toBe(1)
    expect(JSON.parse(result.outputs['ami-ids'])).toEqual(amiIds)
    expect(result.outputs['ami-id']).toBe(amiIds['us-east-1'])
    const denied = result.errors.find((e) => e.properties.title === 'Tagging' && e.message.startsWith('Tagging in eu-west-1 '))
    expect(denied?.message).toContain(amiIds['eu-west-1'])
    expect(denied?.message).toContain(snapshotIds['eu-west-1'])
    expect(denied?.message).toContain('ec2:CreateTags')
    expect(result.errors.at(-1)?.message).toBe(
      `Tagging failed in eu-west-1; the AMIs exist and are in the outputs. ${amiIds['eu-west-1']} in eu-west-1 is left without the run's tags, ` +
        'which keep-images (ImageFamily) and reuse (BuildFingerprint, BuildSet, PackerBuild) find AMIs by: this run and later ones will never find it. ' +
        'It costs, with its snapshots, until it is tagged or deregistered; the log and the summary give the commands for it ' +
        '(aws ec2 create-tags with the tags the run meant to give it, or aws ec2 deregister-image --delete-associated-snapshots).'
    )
    expect(endpoint.tagsOf('us-east-1', amiIds['us-east-1'])).toMatchObject({ Team: 'platform' })
    expect(result.summary).toContain('failed: ')
    // What being left untagged means is said once in the log, by the error; the log names the AMI for its commands.
    expect(result.stdout.split('this run and later ones will never find it')).toHaveLength(2)
    expect(result.stdout).toContain(`Left without the run's tags (the step's error says what that means): ${amiIds['eu-west-1']} in eu-west-1. For each AMI,`)
  })

  it('retries throttling and an AMI not yet visible, then tags', async () => {
    endpoint.faults.throttle('CreateTags', { firstCalls: 1, region: 'us-west-2' })
    endpoint.faults.fail('DescribeImages', { code: 'InvalidAMIID.NotFound', firstCalls: 1, region: 'eu-west-1' })
    const result = await runTagging()
    expect(result.errors).toEqual([])
    expect(result.exitCode).toBe(0)
    expect(endpoint.callsOf('CreateTags', 'us-west-2')).toHaveLength(2)
    expect(endpoint.callsOf('DescribeImages', 'eu-west-1')).toHaveLength(2)
    for (const [region, amiId] of Object.entries(amiIds)) {
      expect(endpoint.tagsOf(region, amiId)).toMatchObject({ Team: 'platform' })
    }
  })
})

describe('Packer crashing (a panic)', () => {
  let endpoint: Ec2Endpoint
  afterEach(async () => endpoint.close())

  /** The step's error, with where it says Packer's crash report now is. */
  const crashed = (after: string): RegExp =>
    new RegExp(
      '^Packer crashed during packer build \\(panic: runtime error: invalid memory address or nil pointer dereference\\): ' +
        'a bug in the plugin github\\.com/hashicorp/packer-plugin-amazon, not in the template\\. ' +
        "Packer's crash report is at (/\\S+/crash\\.log) \\(moved out of the checkout, where Packer wrote it as crash\\.log\\); " +
        `please report the crash at https://github\\.com/hashicorp/packer-plugin-amazon/issues\\. ${after}$`
    )

  /** Instances started in us-east-1 as the builds' own, and one AMI made from the first. */
  async function world(): Promise<{ instances: string[]; ami: string }> {
    endpoint = await startEc2Endpoint()
    const ec2 = new EC2Client({ region: 'us-east-1', endpoint: endpoint.url, credentials: { accessKeyId: 'AKIDLOOPBACK', secretAccessKey: 'x' } })
    const launch = (): Promise<string> => startedInstance(ec2)
    const instances = [await launch(), await launch()]
    const ami = (await ec2.send(new CreateImageCommand({ InstanceId: instances[0], Name: 'web-1' }))).ImageId as string
    ec2.destroy()
    return { instances, ami }
  }
  const inputs = { 'packer-version': '1.6.6', 'provenance-tags': 'false' }
  const env = (): Record<string, string> => ({ ...standInOnPath(argsLog), ...loopbackEnvironment(endpoint.url, workspace) })

  it("says Packer crashed and where its crash.log went, out of the checkout; the post step terminates the build's instance", async () => {
    const { instances } = await world()
    const lines = [
      ['say', '==> failing: Launching a source AWS instance...'],
      ['message', `    failing: Instance ID: ${instances[1]}`],
      ['say', `==> failing: Waiting for instance (${instances[1]}) to become ready...`]
    ]
    const main = await runAction({ workspace, inputs, env: { ...env(), STANDIN_CRASH_AFTER: JSON.stringify(lines) } })
    expect(main.exitCode).toBe(1)
    expect(main.errors).toEqual([{ message: expect.stringMatching(crashed('No AMI was built\\.')), properties: {} }])
    const [, report] = crashed('No AMI was built\\.').exec(main.errors[0].message) ?? []
    expect(readFileSync(report, 'utf8')).toContain('packer-plugin-amazon@v0.0.1/builder/ebs/step_create_ami.go:104')
    expect(existsSync(join(workspace, 'crash.log'))).toBe(false)
    expect(main.summary).toContain(main.errors[0].message)
    // Packer's banner and trace are in the log, as text only.
    expect(main.stdout).toContain('PACKER CRASH')
    expect(main.stdout).toContain('goroutine 112 [running]:')

    const post = await runPostStep(main, { workspace, inputs, env: env() })
    expect(post.exitCode).toBe(0)
    expect(post.stdout).toContain(`us-east-1: terminating ${instances[1]} (running)`)
    expect(endpoint.callsOf('TerminateInstances').map((call) => call.params['InstanceId.1'])).toEqual([instances[1]])
    expect(endpoint.instances('us-east-1').find((one) => one.instanceId === instances[0])?.state).toBe('running')
  })

  it('while it installs a plugin: says so, moves crash.log out of the checkout, and builds nothing', async () => {
    endpoint = await startEc2Endpoint()
    const main = await runAction({
      workspace,
      inputs: { ...inputs, 'packer-version': '1.11.2', cache: 'false' },
      env: { ...env(), STANDIN_VERSION: '1.11.2', STANDIN_PLUGINS_CRASH: '1' }
    })
    expect(main.exitCode).toBe(1)
    expect(main.errors).toEqual([
      {
        message: expect.stringMatching(
          /^Packer crashed during packer plugins install \(panic: runtime error: invalid memory address or nil pointer dereference\): a bug in the plugin github\.com\/hashicorp\/packer-plugin-amazon, not in the template\. Packer's crash report is at \/\S+\/crash\.log \(moved out of the checkout, where Packer wrote it as crash\.log\); please report the crash at https:\/\/github\.com\/hashicorp\/packer-plugin-amazon\/issues\. Nothing was built\.$/
        ),
        properties: {}
      }
    ])
    expect(existsSync(join(workspace, 'crash.log'))).toBe(false)
    expect(packerCalls().map(([command]) => command)).not.toContain('build')
    expect(endpoint.calls).toEqual([])
  })

  it("a long panic: its first line is cut short, never inside a value given to the step, and stays text", async () => {
    endpoint = await startEc2Endpoint()
    const token = 'tok-4f9a2c7e1b3d5f60'
    const panic = `panic: ::warning::${'value '.repeat(45)}${token} and more`
    // A Packer of its own: what it is told to print is not a value given to the step.
    const folder = mkdtempSync(join(tmpdir(), 'crashing-packer-'))
    writeFileSync(
      join(folder, 'packer'),
      standInExecutable('1.6.6', { STANDIN_CRASH_AFTER: '[]', STANDIN_PANIC: `${panic}\n\ngoroutine 1 [running]:\nmain.main()` }),
      { mode: 0o755 }
    )
    const main = await runAction({ workspace, inputs, env: { ...env(), PATH: `${folder}:${process.env.PATH}`, DEPLOY_TOKEN: token } })
    rmSync(folder, { recursive: true, force: true })
    expect(main.exitCode).toBe(1)
    expect(main.warnings).toEqual([])
    expect(main.errors).toHaveLength(1)
    const [{ message }] = main.errors
    expect(message.startsWith(`Packer crashed during packer build (panic: ::warning::${'value '.repeat(44)}value …): a bug in Packer, not in the template. `)).toBe(true)
    expect(message).not.toContain('tok-')
  })

  it('an AMI a build made before the crash is in the outputs and the summary', async () => {
    const { instances, ami } = await world()
    const lines = [
      ['message', `    web: Instance ID: ${instances[0]}`],
      ['say', `==> web: Creating AMI web-1 from instance ${instances[0]}`],
      ['message', `    web: AMI: ${ami}`],
      ['say', "Build 'web' finished after 2 minutes 10 seconds."],
      ['message', `    failing: Instance ID: ${instances[1]}`]
    ]
    const main = await runAction({ workspace, inputs, env: { ...env(), STANDIN_CRASH_AFTER: JSON.stringify(lines) } })
    expect(main.exitCode).toBe(1)
    expect(main.outputs['ami-id']).toBe(ami)
    expect(main.stdout).toContain(`Found in EC2 the AMIs of builds that finished before Packer crashed: web: ${ami} (us-east-1).`)
    expect(main.errors).toEqual([{ message: expect.stringMatching(crashed('Before it crashed, it built 1 AMI that is in the outputs\\.')), properties: {} }])
    expect(main.summary).toContain(ami)
    expect(existsSync(join(workspace, 'crash.log'))).toBe(false)
  })
})
