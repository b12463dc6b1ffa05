// What the runner sees of a build's log: the bundled action run as the runner runs it, with
// the real Packer running shell-local scripts that print what a template's scripts can print,
// against the loopback EC2 endpoint.
import { afterEach, beforeAll, beforeEach, expect, it } from '@jest/globals'
import { readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { startEc2Endpoint, type Ec2Endpoint } from '../test-support/ec2-endpoint/index.js'
import { loopbackEnvironment, pushToMain, runAction, runPostStep, type ActionRun } from './support/action-process.js'
import { readActionYml } from './support/action-yml.js'
import { demoWorkspace } from './support/demo.js'
import { describeWithPacker, packerVersion, until } from './support/runtimes.js'
import { commandsTheRunnerRuns } from './support/workflow-commands.js'

const regions = ['us-east-1', 'eu-west-1', 'us-west-2']
const declaredOutputs = Object.keys(readActionYml().outputs).sort()

// Each payload is printed as it stands: `\n` and `\r` are the two characters, which Packer's
// machine-readable output cannot tell from its own escapes.
const injections = [
  'a\\n::set-output name=injected::pwned',
  'b\\n::add-mask::loopback',
  'c\\n::error file=json/packer-template.json,line=1::pwned',
  'd\\n::save-state name=injected::pwned',
  'e\\n::stop-commands::pwned',
  'f\\r::warning::pwned',
  'g ##[set-output name=legacy;]pwned',
  '  ::notice::pwned after spaces'
]

describeWithPacker('the job log, as the runner reads it', () => {
  let version = ''
  let endpoint: Ec2Endpoint
  let workspace: string

  beforeAll(() => {
    version = packerVersion()
  })
  beforeEach(async () => {
    endpoint = await startEc2Endpoint({ regions })
    workspace = demoWorkspace('job-log-')
  })
  afterEach(async () => {
    await endpoint.close()
    rmSync(workspace, { recursive: true, force: true })
  })

  /** The demo JSON template with shell-local scripts added to it. */
  function withScripts(provisioner: string[], postProcessor: string[] = []): void {
    const path = join(workspace, 'json', 'packer-template.json')
    const template = JSON.parse(readFileSync(path, 'utf8'))
    template.provisioners = [{ type: 'shell-local', inline: provisioner }]
    if (postProcessor.length > 0) {
      template['post-processors'] = [{ type: 'shell-local', inline: postProcessor }, ...template['post-processors']]
    }
    writeFileSync(path, JSON.stringify(template, null, 2))
  }

  function run(extra: Partial<Parameters<typeof runAction>[0]> = {}): Promise<ActionRun> {
    return runAction({
      workspace,
      inputs: { 'packer-version': version, 'working-directory': 'json' },
      env: {
        ...pushToMain,
        ...loopbackEnvironment(endpoint.url, workspace)
      },
      ...extra
    })
  }

  const quoted = (text: string): string => `'${text.replaceAll("'", "'\\''")}'`

  it("a script's output reaches the log as text, never as a workflow command", async () => {
    withScripts(
      injections.map((payload) => `printf '%s\\n' ${quoted(payload)}`),
      injections.map((payload) => `printf '%s\\n' ${quoted(`post ${payload}`)}`)
    )
    const result = await run()
    expect(result.exitCode).toBe(0)

    // Every payload is in the log, as text.
    expect(result.stdout).toContain('::set-output name=injected::pwned')
    expect(result.stdout).toContain('##[set-output name=legacy;]pwned')
    expect(result.stdout).toContain('post g ##[set-output name=legacy;]pwned')

    const commands = commandsTheRunnerRuns(result.stdout)
    expect(commands.filter((command) => command.line.includes('pwned'))).toEqual([])
    expect(commands.map((command) => command.name)).not.toEqual(
      expect.arrayContaining(['set-output', 'add-mask', 'save-state'])
    )
    // The action's own commands still work after Packer has run: the build's group closes.
    const names = commands.map((command) => command.name)
    expect(names.filter((name) => name === 'stop-commands')).toHaveLength(2)
    expect(names.filter((name) => name === 'resume-commands')).toHaveLength(2)
    expect(names.at(-1)).toBe('endgroup')
    expect(names).not.toContain('error')

    // The outputs file holds the action's outputs and nothing else.
    expect(Object.keys(result.outputs).sort()).toEqual(declaredOutputs)
    expect(Object.keys(JSON.parse(result.outputs['ami-ids'])).sort()).toEqual([...regions].sort())
  })

  it("a script's stderr on a successful build is log text, not error annotations", async () => {
    const progress = (who: string): string => `for i in $(seq 1 15); do echo "${who} progress $i/15" >&2; done`
    withScripts([progress('provisioner')], [progress('post-processor')])
    const result = await run()
    expect(result.exitCode).toBe(0)
    expect(result.stdout).toContain('provisioner progress 15/15')
    expect(result.stdout).toContain('post-processor progress 15/15')
    expect(commandsTheRunnerRuns(result.stdout).filter((command) => command.name === 'error')).toEqual([])
    expect(result.errors).toEqual([])
    expect(Object.keys(result.outputs).sort()).toEqual(declaredOutputs)
  })

  it('a failed build is annotated with why it failed, not with every line of stderr', async () => {
    withScripts(['for i in 1 2 3; do echo "progress $i" >&2; done', 'exit 3'])
    const result = await run()
    expect(result.exitCode).toBe(1)
    const annotated = commandsTheRunnerRuns(result.stdout).filter((command) => command.name === 'error')
    expect(annotated.some((command) => command.line.includes('progress'))).toBe(false)
    expect(result.errors.map((error) => error.message)).toContain(
      'amazon-ebs: Script exited with non-zero exit status: 3.Allowed exit codes are: [0]'
    )
  })

  it("a failed build that made no AMI: the log goes from Packer's error to the step's, and the post step claims no key pair Packer deleted", async () => {
    withScripts(['exit 1'])
    const step = { workspace, inputs: { 'packer-version': version, 'working-directory': 'json' }, env: { ...pushToMain, ...loopbackEnvironment(endpoint.url, workspace) } }
    const result = await runAction(step)
    expect(result.exitCode).toBe(1)
    // Nothing between the Build group and the step's error says where AMIs are read from: none was built.
    const lines = result.stdout.split('\n').filter((line) => !line.startsWith('::debug::'))
    expect(lines.slice(lines.lastIndexOf('::endgroup::') + 1)).toEqual(['::error::packer build failed (exit code 1); no AMI was built.', ''])

    // Packer deleted its key pair as it cleaned up; the post step's closing line does not say it did.
    const keyPair = /Creating temporary keypair: (packer_\S+)/.exec(result.stdout)?.[1] as string
    expect(endpoint.callsOf('DeleteKeyPair').map((call) => call.params.KeyName)).toEqual([keyPair])
    const post = await runPostStep(result, step)
    expect(post.exitCode).toBe(0)
    expect(post.stdout).toContain(`Clean-up: deleted key pair ${keyPair} (if it was still there).`)
  })

  it("Packer's own word that it is cancelling is left to the log; the run fails as cancelled", async () => {
    // Packer lets a running shell-local script finish before it stops: a short one.
    withScripts(['echo waiting-for-cancel', 'sleep 3'])
    const result = await run({
      onStart: (child, stdoutSoFar) => {
        void until(() => stdoutSoFar().includes('waiting-for-cancel'), 'the script to start').then(() =>
          child.kill('SIGINT')
        )
      }
    })
    expect(result.exitCode).toBe(1)
    const commands = commandsTheRunnerRuns(result.stdout)
    // One warning that the step stops Packer, one error that the run was cancelled: Packer's
    // "Cancelling build after receiving terminated" (the step's SIGTERM) is a line of its log.
    expect(result.stdout).toContain('\nCancelling build after receiving terminated\n')
    expect(commands.filter((command) => command.name === 'notice')).toEqual([])
    expect(result.warnings).toEqual([expect.stringMatching(/^Received SIGINT: stopping Packer/)])
    const errors = commands.filter((command) => command.name === 'error').map((command) => command.line)
    expect(errors).toEqual([expect.stringContaining('The build was cancelled')])
  })
})
