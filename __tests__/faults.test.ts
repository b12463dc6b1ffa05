// Faults as a user meets them: the bundled action run as the runner runs it (main step, then
// post step), the real Packer, real HTTP to the loopback EC2 endpoint, and a fault injected
// into one of them. Each test checks what is left in the account, the outputs and the summary.
import { afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals'
import {
  CopyImageCommand,
  CreateImageCommand,
  CreateKeyPairCommand,
  CreateLaunchTemplateCommand,
  CreateSecurityGroupCommand,
  DescribeInstancesCommand,
  EC2Client, RunInstancesCommand, TerminateInstancesCommand } from '@aws-sdk/client-ec2'
import type { ChildProcess } from 'node:child_process'
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  SELF_ACCOUNT_ID,
  SOURCE_AMI_ID,
  SOURCE_AMI_NAME,
  SOURCE_SNAPSHOT_ID,
  startEc2Endpoint,
  type Ec2Endpoint,
  type Ec2Call
} from '../test-support/ec2-endpoint/index.js'
import { loopbackEnvironment, parseCommands, projectRoot, pushToMain, runAction, runPostStep, type ActionRun, type RunActionOptions } from './support/action-process.js'
import { asSpotBuild, asSurrogateBuild, asSurrogateBuildKeepingItsVolume, demoWorkspace, withTemporaryInstanceProfile, withTwoBuilds } from './support/demo.js'
import { describeWithPacker, packerVersion, until } from './support/runtimes.js'
import { renderedText } from './support/markdown.js'
import { commandsTheRunnerRuns, groupLines } from './support/workflow-commands.js'

const regions = ['us-east-1', 'eu-west-1', 'us-west-2']

/** The processes whose parent is `pid`, from /proc (Linux). */
function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .map(Number)
  } catch {
    return []
  }
}

/** The processes below `pid` whose command line holds `text`, from /proc (a Go program starts them from any of its threads). */
function descendantsRunning(pid: number, text: string): number[] {
  const parents = new Map<number, number>()
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
      parents.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]))
    } catch {
      continue
    }
  }
  const below = (ancestor: number): number[] =>
    [...parents].filter(([, parent]) => parent === ancestor).flatMap(([child]) => [child, ...below(child)])
  return below(pid).filter((child) => {
    try {
      return readFileSync(`/proc/${child}/cmdline`, 'utf8').split('\0').join(' ').includes(text)
    } catch {
      return false
    }
  })
}

/** Processes of the group that are still running (a killed process not yet reaped is not). */
function livingMembersOf(pgid: number): string[] {
  const living: string[] = []
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    let stat: string
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
    } catch {
      continue
    }
    // pid (comm) state ppid pgrp …; comm may hold spaces, so read after its closing parenthesis.
    const [state, , group] = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    if (Number(group) === pgid && state !== 'Z' && state !== 'X') living.push(`${entry} ${stat.slice(0, stat.lastIndexOf(')') + 1)}`)
  }
  return living
}

/** Exits within `ms`, or has already. */
function exitsWithin(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true)
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms)
    child.once('exit', () => {
      clearTimeout(timer)
      resolve(true)
    })
  })
}

/**
 * Cancels the step as the runner's ProcessInvoker does on Linux and macOS: SIGINT, up to 7.5 s
 * for the step to exit, SIGTERM, up to 2.5 s more, then SIGKILL to the step's process alone.
 * Resolves with the signal that ended it.
 */
async function cancelAsTheRunnerDoes(child: ChildProcess): Promise<NodeJS.Signals> {
  child.kill('SIGINT')
  if (await exitsWithin(child, 7_500)) return 'SIGINT'
  child.kill('SIGTERM')
  if (await exitsWithin(child, 2_500)) return 'SIGTERM'
  child.kill('SIGKILL')
  return 'SIGKILL'
}

/**
 * `builder` with the encryption settings of the json-encrypted-copies fixture: Packer registers
 * an unencrypted AMI (its log's `AMI: ami-…`), copies it encrypted to every region, its own
 * included, and deregisters it.
 */
function encryptedBuild(builder: Record<string, unknown>): Record<string, unknown> {
  const fixture = JSON.parse(readFileSync(join(projectRoot, '__tests__', 'fixtures', 'templates', 'json-encrypted-copies', 'image.json'), 'utf8'))
  const { encrypt_boot, kms_key_id, region_kms_key_ids } = fixture.builders[0]
  return { ...builder, encrypt_boot, kms_key_id, region_kms_key_ids }
}

describeWithPacker('faults, through the bundled action with the real Packer', () => {
  let version = ''
  let endpoint: Ec2Endpoint
  let workspace: string

  beforeAll(() => {
    version = packerVersion()
  })
  beforeEach(() => {
    workspace = demoWorkspace('faults-')
  })
  afterEach(async () => {
    await endpoint?.close()
    endpoint = undefined as unknown as Ec2Endpoint
    rmSync(workspace, { recursive: true, force: true })
  })

  function options(
    inputs: Record<string, string>,
    extra: Partial<RunActionOptions> = {},
    ec2Endpoint: Ec2Endpoint = endpoint
  ): RunActionOptions {
    return {
      workspace,
      inputs: { 'packer-version': version, 'working-directory': 'json', ...inputs },
      env: {
        ...pushToMain,
        ...loopbackEnvironment(ec2Endpoint.url, workspace)
      },
      ...extra
    }
  }

  /**
   * A build whose instance stays pending, on a fresh endpoint: Packer polls for it once a second,
   * and `atWait` runs once Packer has asked twice (in `region`).
   */
  async function waitingBuild(
    inputs: Record<string, string>,
    atWait: (child: ChildProcess) => void,
    region?: string
  ): Promise<RunActionOptions> {
    endpoint = await startEc2Endpoint({ regions, autoAdvance: { describes: 0 } })
    endpoint.faults.holdInstancesPending()
    const loopback = endpoint
    const run = options(inputs)
    run.env = { ...run.env, AWS_POLL_DELAY_SECONDS: '1', AWS_MAX_ATTEMPTS: '1000' }
    return {
      ...run,
      onStart: (child) => {
        void until(() => loopback.callsOf('DescribeInstances', region).length >= 2, 'Packer to wait for its instance').then(() => atWait(child))
      }
    }
  }

  /**
   * A build whose provisioner runs `commands`, then waits: Packer is killed once they have run.
   * `builderName` renames the template's builder.
   */
  /** The main step, SIGKILLed once the provisioner has run `commands` and the log shows `printed`, where given. */
  async function killedWhileProvisioning(commands: string[], builderName?: string, printed?: string): Promise<ActionRun> {
    const marker = join(workspace, 'provisioning')
    const path = join(workspace, 'json', 'packer-template.json')
    const template = JSON.parse(readFileSync(path, 'utf8'))
    if (builderName !== undefined) template.builders[0].name = builderName
    template.provisioners = [{ type: 'shell-local', inline: [...commands, `touch ${marker}`, 'sleep 60'] }]
    writeFileSync(path, JSON.stringify(template, null, 2))
    return runAction(
      options(
        {},
        {
          onStart: (child, stdoutSoFar) => {
            // Packer hands a script's lines on after the script has moved on: wait for them in the log where they matter.
            const ready = (): boolean => existsSync(marker) && (printed === undefined || stdoutSoFar().includes(printed))
            void until(ready, 'the provisioner to print').then(() => process.kill(childrenOf(child.pid as number)[0], 'SIGKILL'))
          }
        }
      )
    )
  }

  /**
   * The action with Packer's waiters polling once a second, up to 1000 times: Packer waits on
   * whatever the endpoint holds pending until `onStart` acts.
   */
  function patientRun(onStart: RunActionOptions['onStart']): Promise<ActionRun> {
    const run = options({})
    return runAction({ ...run, env: { ...run.env, AWS_POLL_DELAY_SECONDS: '1', AWS_MAX_ATTEMPTS: '1000' }, onStart })
  }

  /**
   * The main step, killed with SIGKILL (as the runner ends a cancel that takes too long) once
   * `ready` holds; `packerPid` is Packer's, which outlives it.
   */
  async function mainKilledWhen(
    ready: (stdoutSoFar: () => string) => boolean,
    what: string,
    run: (onStart: RunActionOptions['onStart']) => Promise<ActionRun> = patientRun
  ): Promise<{ main: ActionRun; packerPid: () => number }> {
    let packerPid = 0
    const main = await run((child, stdoutSoFar) => {
      void until(() => ready(stdoutSoFar), what).then(() => {
        packerPid = childrenOf(child.pid as number)[0]
        child.kill('SIGKILL')
      })
    })
    return { main, packerPid: () => packerPid }
  }

  /**
   * A fresh endpoint holding another's instance and launch template, as a script may name them;
   * `left()` checks that the post step has left both as they were.
   */
  async function anothersFleet(): Promise<{ other: string; fleet: string; left: (post: ActionRun) => void }> {
    endpoint = await startEc2Endpoint({ regions })
    const ec2 = new EC2Client({ region: 'us-east-1', endpoint: endpoint.url, credentials: { accessKeyId: 'AKIDLOOPBACK', secretAccessKey: 'x' } })
    const other = (await ec2.send(new RunInstancesCommand({ ImageId: SOURCE_AMI_ID, InstanceType: 't3.micro', MinCount: 1, MaxCount: 1 }))).Instances?.[0]?.InstanceId as string
    const fleet = (await ec2.send(new CreateLaunchTemplateCommand({ LaunchTemplateName: 'web-fleet', LaunchTemplateData: { ImageId: SOURCE_AMI_ID } }))).LaunchTemplate
      ?.LaunchTemplateId as string
    ec2.destroy()
    const left = (post: ActionRun): void => {
      expect(post.exitCode).toBe(0)
      expect(post.warnings).toEqual([])
      expect(post.stdout).not.toContain(other)
      expect(post.stdout).not.toContain(fleet)
      // The image build may have launched its own instance by then, which goes.
      expect(['pending', 'running']).toContain(endpoint.instances('us-east-1').find((instance) => instance.instanceId === other)?.state)
      expect(endpoint.callsOf('TerminateInstances').flatMap((call) => Object.values(call.params))).not.toContain(other)
      expect(endpoint.launchTemplates('us-east-1').map((launchTemplate) => launchTemplate.launchTemplateId)).toEqual([fleet])
      expect(endpoint.callsOf('DeleteLaunchTemplate')).toEqual([])
    }
    return { other, fleet, left }
  }

  /** Ends what is left of a Packer that outlived the main step. */
  function stopPacker(packerPid: number): void {
    if (packerPid > 0 && livingMembersOf(packerPid).length > 0) process.kill(-packerPid, 'SIGKILL')
  }

  describe('Packer killed with SIGKILL in the middle of a build', () => {
    it('the main step ends at once with the group gone; the post step removes exactly what Packer announced', async () => {
      endpoint = await startEc2Endpoint({ regions, autoAdvance: { describes: 0 } })
      endpoint.faults.holdInstancesPending()
      // What is not Packer's must survive the clean-up, even with names like Packer's own.
      const ec2 = new EC2Client({
        region: 'us-east-1',
        endpoint: endpoint.url,
        credentials: { accessKeyId: 'AKIDLOOPBACK', secretAccessKey: 'x' }
      })
      await ec2.send(new CreateKeyPairCommand({ KeyName: 'packer_00000000-0000-0000-0000-000000000000' }))
      await ec2.send(
        new CreateSecurityGroupCommand({ GroupName: 'packer_11111111-1111-1111-1111-111111111111', Description: 'not this run' })
      )
      const other = await ec2.send(
        new RunInstancesCommand({ ImageId: SOURCE_AMI_ID, InstanceType: 't3.micro', MinCount: 1, MaxCount: 1 })
      )
      const otherInstance = other.Instances?.[0]?.InstanceId as string
      ec2.destroy()
      const loopback = endpoint

      let packerPid = 0
      // Packer's waiter polls every second, up to 1000 times: its plugin process outlives a
      // killed Packer for as long, holding Packer's output pipe open.
      const slowWaiter = options({})
      slowWaiter.env = { ...slowWaiter.env, AWS_POLL_DELAY_SECONDS: '1', AWS_MAX_ATTEMPTS: '1000' }
      const main = await runAction(
        options(
          {},
          {
            env: slowWaiter.env,
            onStart: (child) => {
              void until(
                () => loopback.callsOf('DescribeInstances').filter((call) => !call.params['Filter.1.Name']).length >= 2,
                'Packer to wait for its instance'
              ).then(() => {
                packerPid = childrenOf(child.pid as number)[0]
                process.kill(packerPid, 'SIGKILL')
              })
            }
          }
        )
      )
      expect(packerPid).toBeGreaterThan(0)
      expect(main.exitCode).toBe(1)
      expect(livingMembersOf(packerPid)).toEqual([])
      expect(main.errors.at(-1)?.message).toMatch(/^packer build failed \(exit code 137\)/)
      expect(main.summary).toContain('Packer was killed (SIGKILL) before it could clean up')

      // Packer left its instance, security group and key pair behind.
      const ours = endpoint.instances('us-east-1').filter((instance) => instance.instanceId !== otherInstance)
      expect(ours.map((instance) => instance.state)).toEqual(['pending'])
      const packersGroup = endpoint.securityGroups('us-east-1').find((group) => group.groupId === ours[0].securityGroupIds[0])
      expect(packersGroup?.groupName).toMatch(/^packer_/)
      expect(ours[0].keyName).toMatch(/^packer_/)

      const callsBefore = endpoint.calls.length
      const post = await runPostStep(main, options({}))
      expect(post.exitCode).toBe(0)
      expect(post.stdout).toContain(`us-east-1: terminating ${ours[0].instanceId} (pending)`)
      expect(post.stdout).toContain(`us-east-1: deleted security group ${packersGroup?.groupName}`)
      expect(post.stdout).toContain(`us-east-1: deleted key pair ${ours[0].keyName}`)
      expect(post.warnings).toEqual([])

      expect(endpoint.instances('us-east-1').find((i) => i.instanceId === ours[0].instanceId)?.state).toBe('terminated')
      expect(endpoint.instances('us-east-1').find((i) => i.instanceId === otherInstance)?.state).toBe('pending')
      expect(endpoint.securityGroups('us-east-1').map((group) => group.groupName).sort()).toEqual([
        'default',
        'packer_11111111-1111-1111-1111-111111111111'
      ])
      expect(endpoint.keyPairs('us-east-1').map((key) => key.keyName)).toEqual(['packer_00000000-0000-0000-0000-000000000000'])
      // Only the post step's own calls, each naming Packer's resources.
      const postCalls = endpoint.calls.slice(callsBefore)
      expect([...new Set(postCalls.map((call) => call.action))].sort()).toEqual([
        'DeleteKeyPair',
        'DeleteSecurityGroup',
        // The AMIs of its instance, and the snapshots of its volume, that Packer may have made unheard.
        'DescribeImages',
        'DescribeInstances',
        'DescribeSecurityGroups',
        'DescribeSnapshots',
        'TerminateInstances'
      ])
      for (const call of postCalls.filter((c) => c.action === 'TerminateInstances')) {
        expect(Object.values(call.params)).toEqual([ours[0].instanceId])
      }
    })

    it("a fixed temporary_key_pair_name that another's key pair already has: the post step leaves that key pair and the instances that use it", async () => {
      endpoint = await startEc2Endpoint({ regions })
      const ec2 = new EC2Client({ region: 'us-east-1', endpoint: endpoint.url, credentials: { accessKeyId: 'AKIDLOOPBACK', secretAccessKey: 'x' } })
      // A key pair of the team's, made long ago, that a long-lived instance uses, and another
      // pipeline's instance launched with it just now.
      await ec2.send(new CreateKeyPairCommand({ KeyName: 'ci-builder' }))
      const launch = async (): Promise<string> =>
        (await ec2.send(new RunInstancesCommand({ ImageId: SOURCE_AMI_ID, InstanceType: 't3.micro', MinCount: 1, MaxCount: 1, KeyName: 'ci-builder' })))
          .Instances?.[0]?.InstanceId as string
      const longLived = await launch()
      endpoint.backdate('us-east-1', 'ci-builder', 24 * 3600_000)
      endpoint.backdate('us-east-1', longLived, 24 * 3600_000)
      const recent = await launch()
      ec2.destroy()
      const path = join(workspace, 'json', 'packer-template.json')
      const template = JSON.parse(readFileSync(path, 'utf8'))
      template.builders[0].temporary_key_pair_name = 'ci-builder'
      writeFileSync(path, JSON.stringify(template, null, 2))
      const loopback = endpoint
      // Packer announces the key pair, then retries CreateKeyPair for two minutes: the run is
      // cancelled meanwhile, and Packer killed.
      const main = await runAction(
        options(
          {},
          {
            onStart: (child) => {
              void until(() => loopback.callsOf('CreateKeyPair').length >= 2, 'Packer to ask for its key pair').then(() =>
                process.kill(childrenOf(child.pid as number)[0], 'SIGKILL')
              )
            }
          }
        )
      )
      expect(main.exitCode).toBe(1)
      expect(JSON.parse(main.state['packer-leftovers']).resources.keyPairs).toEqual(['ci-builder'])

      const callsBefore = endpoint.calls.length
      const post = await runPostStep(main, options({}))
      expect(post.exitCode).toBe(0)
      expect(post.warnings).toEqual([
        expect.stringMatching(/^The key pair ci-builder in us-east-1 was made before Packer started \(\S+\): it is not this build's, and is left as it is\.$/)
      ])
      expect(endpoint.keyPairs('us-east-1').map((key) => key.keyName)).toEqual(['ci-builder'])
      expect(endpoint.instances('us-east-1').map((i) => i.instanceId)).toEqual([longLived, recent])
      expect(endpoint.instances('us-east-1').map((i) => i.state)).toEqual(['pending', 'pending'])
      const postCalls = endpoint.calls.slice(callsBefore)
      expect([...new Set(postCalls.map((call) => call.action))].sort()).toEqual(['DescribeKeyPairs'])
    })

    it("an instance ID that a provisioner prints is not the build's: the post step leaves that instance running", async () => {
      endpoint = await startEc2Endpoint({ regions })
      const ec2 = new EC2Client({ region: 'us-east-1', endpoint: endpoint.url, credentials: { accessKeyId: 'AKIDLOOPBACK', secretAccessKey: 'x' } })
      const other = await ec2.send(new RunInstancesCommand({ ImageId: SOURCE_AMI_ID, InstanceType: 't3.micro', MinCount: 1, MaxCount: 1 }))
      ec2.destroy()
      const otherInstance = other.Instances?.[0]?.InstanceId as string
      // A script that reports on the fleet, as an inventory or smoke-test step might.
      const main = await killedWhileProvisioning(
        [`echo 'Instance ID: ${otherInstance}'`, `echo 'Creating temporary keypair: prod-deploy'`],
        undefined,
        'Creating temporary keypair: prod-deploy'
      )
      expect(main.exitCode).toBe(1)
      expect(main.stdout).toContain(`Instance ID: ${otherInstance}`)
      const ours = endpoint.instances('us-east-1').filter((instance) => instance.instanceId !== otherInstance)
      expect(ours.map((instance) => instance.state)).toEqual(['running'])

      const post = await runPostStep(main, options({}))
      expect(post.exitCode).toBe(0)
      expect(post.stdout).toContain(`us-east-1: terminating ${ours[0].instanceId} (running)`)
      expect(post.stdout).not.toContain(otherInstance)
      expect(endpoint.instances('us-east-1').find((i) => i.instanceId === ours[0].instanceId)?.state).toBe('terminated')
      expect(endpoint.instances('us-east-1').find((i) => i.instanceId === otherInstance)?.state).toBe('running')
      expect(endpoint.callsOf('TerminateInstances').map((call) => Object.values(call.params))).toEqual([[ours[0].instanceId]])
    })

    it("what a script of a build that launches no instance prints is not Packer's: the post step leaves the instance and launch template it names", async () => {
      const { other, fleet, left } = await anothersFleet()
      // A smoke test beside the image build, on a null builder, that reports on the fleet it checks.
      const marker = join(workspace, 'provisioning')
      const path = join(workspace, 'json', 'packer-template.json')
      const template = JSON.parse(readFileSync(path, 'utf8'))
      template.builders.push({ type: 'null', name: 'smoke', communicator: 'none' })
      template.provisioners = [
        {
          type: 'shell-local',
          only: ['smoke'],
          inline: [`echo 'Created Spot Fleet launch template: ${fleet}'`, `echo 'Instance ID: ${other}'`, `touch ${marker}`, 'sleep 60']
        }
      ]
      writeFileSync(path, JSON.stringify(template, null, 2))
      // Killed once the action has logged both lines (Packer passes a script's lines on after it runs them).
      const printed = (stdout: string) => existsSync(marker) && stdout.includes(`    smoke: Instance ID: ${other}`) && stdout.includes(fleet)
      const main = await runAction(
        options({}, {
          onStart: (child, stdoutSoFar) =>
            void until(() => printed(stdoutSoFar()), 'the script to print').then(() => process.kill(childrenOf(child.pid as number)[0], 'SIGKILL'))
        })
      )
      expect(main.exitCode).toBe(1)
      expect(main.stdout).toContain(`    smoke: Instance ID: ${other}`)
      expect(main.stdout).toContain(`    smoke: Created Spot Fleet launch template: ${fleet}`)
      left(await runPostStep(main, options({})))
    })

    it("what a script of an HCL2 template's build on a null source prints is not Packer's: the post step leaves the instance and launch template it names", async () => {
      const { other, fleet, left } = await anothersFleet()
      // A smoke test beside the image build, on a null source, that reports on the fleet it
      // checks (a null source alone is refused before the install: it makes no AMI).
      const marker = join(workspace, 'provisioning')
      const script = [`echo 'Created Spot Fleet launch template: ${fleet}'`, `echo 'Instance ID: ${other}'`, `touch ${marker}`, 'sleep 60']
      const path = join(workspace, 'hcl2', 'ami.pkr.hcl')
      const text = readFileSync(path, 'utf8')
      writeFileSync(
        path,
        text.replace('  sources = ["source.amazon-ebs.demo"]\n', '  sources = ["source.amazon-ebs.demo", "source.null.fleet"]\n').replace(
          '  post-processor "manifest" {}',
          ['  provisioner "shell-local" {', '    only   = ["null.fleet"]', `    inline = ${JSON.stringify(script)}`, '  }', '', '  post-processor "manifest" {}'].join('\n')
        ) + ['', 'source "null" "fleet" {', '  communicator = "none"', '}', ''].join('\n')
      )
      const hcl2 = { 'working-directory': 'hcl2', template: 'ami.pkr.hcl', 'var-file': 'loopback.pkrvars.hcl' }
      // Killed once the action has logged both lines (Packer passes a script's lines on after it runs them).
      const printed = (stdout: string) => existsSync(marker) && stdout.includes(`    null.fleet: Instance ID: ${other}`) && stdout.includes(fleet)
      const main = await runAction(
        options(hcl2, {
          onStart: (child, stdoutSoFar) =>
            void until(() => printed(stdoutSoFar()), 'the script to print').then(() => process.kill(childrenOf(child.pid as number)[0], 'SIGKILL'))
        })
      )
      expect(main.exitCode).toBe(1)
      expect(main.stdout).toContain(`    null.fleet: Instance ID: ${other}`)
      expect(main.stdout).toContain(`    null.fleet: Created Spot Fleet launch template: ${fleet}`)
      left(await runPostStep(main, options(hcl2)))
    })

    it("a script's stderr before Packer is killed is log text, not error annotations: the failure says Packer was killed", async () => {
      endpoint = await startEc2Endpoint({ regions })
      const main = await killedWhileProvisioning(
        [
          'for i in $(seq 1 12); do echo "progress $i/12" >&2; done',
          `echo 'Error: builders.0.instance_type is not valid' >&2`
        ],
        undefined,
        'Error: builders.0.instance_type is not valid'
      )
      expect(main.exitCode).toBe(1)
      expect(main.stdout).toContain('==> amazon-ebs: progress 12/12')
      expect(main.stdout).toContain('==> amazon-ebs: Error: builders.0.instance_type is not valid')
      const annotated = commandsTheRunnerRuns(main.stdout).filter((command) => command.name === 'error')
      expect(annotated.map((command) => command.line)).toEqual([expect.stringMatching(/^::error::packer build failed \(exit code 137\)/)])
      expect(main.summary).not.toContain('progress')
      expect(main.summary).not.toContain('instance_type')
    })

    it('a build whose name holds ": " has its instance, key pair and security group removed too', async () => {
      endpoint = await startEc2Endpoint({ regions })
      const main = await killedWhileProvisioning(['echo provisioning'], 'web: prod')
      expect(main.exitCode).toBe(1)
      expect(main.stdout).toContain('web: prod: Instance ID: ')
      const [instance] = endpoint.instances('us-east-1')
      expect(instance.state).toBe('running')

      const post = await runPostStep(main, options({}))
      expect(post.exitCode).toBe(0)
      expect(post.warnings).toEqual([])
      expect(post.stdout).toContain(`us-east-1: terminating ${instance.instanceId} (running)`)
      expect(endpoint.instances('us-east-1').map((i) => i.state)).toEqual(['terminated'])
      expect(endpoint.keyPairs('us-east-1')).toEqual([])
      expect(endpoint.securityGroups('us-east-1').map((group) => group.groupName)).toEqual(['default'])
    })

    it("an AMI ID that a provisioner prints is not the build's: the post step leaves that AMI", async () => {
      endpoint = await startEc2Endpoint({ regions })
      const ec2For = (region: string): EC2Client =>
        new EC2Client({ region, endpoint: endpoint.url, credentials: { accessKeyId: 'AKIDLOOPBACK', secretAccessKey: 'x' } })
      const home = ec2For('us-east-1')
      const other = await home.send(new RunInstancesCommand({ ImageId: SOURCE_AMI_ID, InstanceType: 't3.micro', MinCount: 1, MaxCount: 1 }))
      const otherInstance = other.Instances?.[0]?.InstanceId as string
      // The endpoint starts an instance once it has been described.
      for (let i = 0; i < 2; i++) await home.send(new DescribeInstancesCommand({ InstanceIds: [otherInstance] }))
      const released = await home.send(new CreateImageCommand({ InstanceId: otherInstance, Name: 'web-release-42' }))
      home.destroy()
      const releasedAmi = released.ImageId as string
      // A script that names the release it replaces, as a smoke test might.
      const main = await killedWhileProvisioning([`echo 'AMI: ${releasedAmi}'`], undefined, `AMI: ${releasedAmi}`)
      expect(main.exitCode).toBe(1)
      expect(main.stdout).toContain(`AMI: ${releasedAmi}`)
      const post = await runPostStep(main, options({}))
      expect(post.exitCode).toBe(0)
      expect(post.warnings).toEqual([])
      // A provisioner's line is not the builder's: the AMI is not even taken as announced.
      expect(post.stdout).not.toContain(releasedAmi)
      expect(endpoint.images('us-east-1').map((image) => image.imageId)).toContain(releasedAmi)
      expect(endpoint.callsOf('DeregisterImage')).toEqual([])
      expect(endpoint.callsOf('DeleteSnapshot')).toEqual([])
    })

    it("the source AMI's ID that a provisioner prints is not the build's: the post step leaves the copies another made of it", async () => {
      endpoint = await startEc2Endpoint({ regions })
      const main = await killedWhileProvisioning(['echo "AMI: {{ build `SourceAMI` }}"'], undefined, `AMI: ${SOURCE_AMI_ID}`)
      expect(main.exitCode).toBe(1)
      expect(main.stdout).toContain(`AMI: ${SOURCE_AMI_ID}`)
      // Another pipeline of the account copied the public base AMI while the build ran.
      const ec2 = new EC2Client({ region: 'eu-west-1', endpoint: endpoint.url, credentials: { accessKeyId: 'AKIDLOOPBACK', secretAccessKey: 'x' } })
      const copy = (await ec2.send(new CopyImageCommand({ Name: 'encrypted-base', SourceImageId: SOURCE_AMI_ID, SourceRegion: 'us-east-1', Encrypted: true })))
        .ImageId as string
      ec2.destroy()
      const post = await runPostStep(main, options({}))
      expect(post.exitCode).toBe(0)
      expect(post.warnings).toEqual([])
      expect(endpoint.images('eu-west-1').map((image) => image.imageId)).toContain(copy)
      expect(endpoint.callsOf('DeregisterImage')).toEqual([])
    })

    it("a plugin of Packer's that crashes leaves its instance running: the post step looks, and removes it", async () => {
      let plugin: number | undefined
      const main = await runAction(
        await waitingBuild({}, (child) => {
          // As a plugin that panics: Packer goes on, says the build errored, and exits by itself.
          plugin = descendantsRunning(child.pid as number, 'packer-builder-amazon-ebs')[0]
          if (plugin) process.kill(plugin, 'SIGKILL')
        })
      )
      expect(plugin).toBeGreaterThan(0)
      expect(main.exitCode).toBe(1)
      expect(JSON.parse(main.state['packer-leftovers'])).toMatchObject({ packer: 'failed' })
      const [instance] = endpoint.instances('us-east-1')
      expect(instance.state).toBe('pending')

      const post = await runPostStep(main, options({}))
      expect(post.exitCode).toBe(0)
      expect(post.warnings).toEqual([])
      expect(post.stdout).toContain(`us-east-1: terminating ${instance.instanceId} (pending)`)
      expect(endpoint.instances('us-east-1').map((i) => i.state)).toEqual(['terminated'])
      expect(endpoint.securityGroups('us-east-1').map((group) => group.groupName)).toEqual(['default'])
      expect(endpoint.keyPairs('us-east-1')).toEqual([])
    })

    /** Packer killed while its instance starts: the main step, and the instance, group and key pair it left. */
    async function killedWhileStarting(): Promise<{ main: ActionRun; instance: string; group: string; keyPair: string }> {
      const main = await runAction(
        await waitingBuild({}, (child) => process.kill(childrenOf(child.pid as number)[0], 'SIGKILL'))
      )
      expect(main.exitCode).toBe(1)
      const [instance] = endpoint.instances('us-east-1')
      const group = endpoint.securityGroups('us-east-1').find((one) => one.groupId === instance.securityGroupIds[0])
      return { main, instance: instance.instanceId, group: group?.groupName as string, keyPair: instance.keyName as string }
    }

    it('credentials that may not list instances: the post step names the instance, security group and key pair it left', async () => {
      const { main, instance, group, keyPair } = await killedWhileStarting()
      endpoint.faults.fail('DescribeInstances', { code: 'UnauthorizedOperation' })
      const post = await runPostStep(main, options({}))
      expect(post.exitCode).toBe(0)
      // Nothing could be told of the instance, so the group it may use and its key pair stay.
      expect(endpoint.instances('us-east-1').map((one) => one.state)).toEqual(['pending'])
      expect(endpoint.securityGroups('us-east-1').map((one) => one.groupName)).toContain(group)
      expect(endpoint.keyPairs('us-east-1').map((one) => one.keyName)).toEqual([keyPair])
      expect(post.warnings.filter((warning) => warning.startsWith('Could not look up the instances'))).toEqual([
        expect.stringMatching(new RegExp(`^Could not look up the instances with instance-id ${instance} in us-east-1: .*ec2:DescribeInstances`))
      ])
      expect(post.warnings.join('\n')).not.toContain('was not found')
      expect(post.stdout).toContain('Clean-up: nothing removed.')
      expect(post.warnings.at(-1)).toBe(`These may still exist in the account: ${instance}, ${group}, ${keyPair}.`)
    })

    it('credentials that may not terminate: the post step names the instance and its security group at once, without waiting', async () => {
      const { main, instance, group } = await killedWhileStarting()
      endpoint.faults.fail('TerminateInstances', { code: 'UnauthorizedOperation' })
      const post = await runPostStep(main, options({}))
      expect(post.exitCode).toBe(0)
      expect(endpoint.instances('us-east-1').map((one) => one.state)).toEqual(['pending'])
      expect(post.warnings).toContainEqual(expect.stringMatching(new RegExp(`^Could not terminate ${instance} in us-east-1: .*ec2:TerminateInstances`)))
      // The instance was never told to terminate: the group it uses cannot go, and no wait changes that.
      expect(post.warnings.join('\n')).not.toMatch(/had not finished terminating|still in use when the clean-up had to stop/)
      expect(endpoint.callsOf('DeleteSecurityGroup')).toEqual([])
      expect(post.warnings.at(-1)).toBe(`These may still exist in the account: ${instance}, ${group}.`)
    })

    it('after a build that failed and that Packer cleaned up after, the post step finds everything gone and warns of nothing', async () => {
      endpoint = await startEc2Endpoint({ regions })
      endpoint.faults.fail('CreateImage', { code: 'UnauthorizedOperation' })
      const main = await runAction(options({}))
      expect(main.exitCode).toBe(1)
      expect(JSON.parse(main.state['packer-leftovers'])).toMatchObject({ packer: 'failed' })
      const callsBefore = endpoint.calls.length
      const post = await runPostStep(main, options({}))
      expect(post.exitCode).toBe(0)
      expect(post.warnings).toEqual([])
      expect(post.stdout).toMatch(/us-east-1: i-\w+ is already (terminated|shutting-down)\./)
      const postCalls = endpoint.calls.slice(callsBefore)
      // Packer said it was creating an AMI: the post step looks for one made from the instance.
      expect([...new Set(postCalls.map((call) => call.action))].sort()).toEqual([
        'DeleteKeyPair',
        'DescribeImages',
        'DescribeInstances',
        'DescribeSecurityGroups'
      ])
      expect(postCalls.filter((call) => call.action === 'DescribeImages').map((call) => call.params['Filter.1.Name'])).toEqual(['source-instance-id'])
    })

    it('an instance Packer had not yet named, killed while RunInstances answered: found by its temporary key pair and security group', async () => {
      endpoint = await startEc2Endpoint({ regions })
      // EC2 has started the instance; its answer, and so Packer's "Instance ID", is still on the way.
      endpoint.faults.answerLate('RunInstances', 60_000)
      const loopback = endpoint
      const main = await runAction(
        options(
          {},
          {
            onStart: (child) => {
              void until(() => loopback.instances('us-east-1').length > 0, 'the instance to start').then(() =>
                process.kill(childrenOf(child.pid as number)[0], 'SIGKILL')
              )
            }
          }
        )
      )
      expect(main.exitCode).toBe(1)
      const saved = JSON.parse(main.state['packer-leftovers'])
      expect(saved.resources.instanceIds).toEqual([])
      const [instance] = endpoint.instances('us-east-1')
      expect(saved.resources.keyPairs).toEqual([instance.keyName])
      endpoint.faults.clear()

      const post = await runPostStep(main, options({}))
      expect(post.exitCode).toBe(0)
      expect(post.warnings).toEqual([])
      expect(post.stdout).toContain(`us-east-1: ${instance.instanceId} uses Packer's temporary key pair or security group.`)
      expect(endpoint.instances('us-east-1').map((i) => i.state)).toEqual(['terminated'])
      expect(endpoint.securityGroups('us-east-1').map((group) => group.groupName)).toEqual(['default'])
      expect(endpoint.keyPairs('us-east-1')).toEqual([])
    })

    // Packer 1.6.6's outer process (panicwrap) dies when it next writes to the killed step; the
    // build and its plugins, in its process group, go on.
    it.each([
      ['', false],
      [", whose outer process has died since", true]
    ])('the main step killed while Packer builds: the post step stops the Packer that outlived it%s, then cleans up', async (_, outerGone) => {
      let packerPid = 0
      // As the runner ends a cancel that takes too long: the step's process is killed.
      const main = await runAction(
        await waitingBuild({}, (child) => {
          packerPid = childrenOf(child.pid as number)[0]
          child.kill('SIGKILL')
        })
      )
      try {
        expect(main.exitCode).toBeNull()
        expect(JSON.parse(main.state['packer-leftovers'])).toMatchObject({ packer: 'running', packerPid })
        if (outerGone) {
          process.kill(packerPid, 'SIGKILL')
          await until(() => !livingMembersOf(packerPid).some((member) => member.startsWith(`${packerPid} `)), 'the outer process to end')
        }
        expect(livingMembersOf(packerPid)).not.toEqual([])

        const post = await runPostStep(main, options({}))
        expect(post.exitCode).toBe(0)
        expect(post.warnings).toEqual([
          `Packer (process group ${packerPid}) was still running after the main step was killed: stopped it, so that it makes nothing more.`
        ])
        await until(() => livingMembersOf(packerPid).length === 0, "Packer's processes to end")
        expect(endpoint.instances('us-east-1').map((i) => i.state)).toEqual(['terminated'])
        expect(endpoint.keyPairs('us-east-1')).toEqual([])
      } finally {
        stopPacker(packerPid)
      }
    })

    it("cancelled as the runner cancels, while Packer waits for its instance to terminate: the post step stops Packer and finishes its clean-up", async () => {
      // The runner's ProcessInvoker: SIGINT, 7.5 s for the step to exit, SIGTERM, 2.5 s more, then
      // SIGKILL to the step's own process only. An instance that takes 20 s to terminate outlasts them.
      endpoint = await startEc2Endpoint({ regions, autoAdvance: { describes: 1000, afterMs: 20_000 } })
      endpoint.faults.holdInstancesPending()
      const loopback = endpoint
      const run = options({})
      let packerPid = 0
      let cancelled = Promise.resolve('')
      const main = await runAction({
        ...run,
        env: { ...run.env, AWS_POLL_DELAY_SECONDS: '1', AWS_MAX_ATTEMPTS: '1000' },
        onStart: (child) => {
          void until(() => loopback.callsOf('DescribeInstances').length >= 2, 'Packer to wait for its instance').then(() => {
            packerPid = childrenOf(child.pid as number)[0]
            cancelled = cancelAsTheRunnerDoes(child)
          })
        }
      })
      try {
        expect(await cancelled).toBe('SIGKILL')
        expect(main.stdout).toContain('Received SIGTERM again: still waiting for Packer to finish cleaning up')
        const [instance] = endpoint.instances('us-east-1')
        expect(instance.state).toBe('shutting-down')
        expect(JSON.parse(main.state['packer-leftovers'])).toMatchObject({ packer: 'running', packerPid })

        const post = await runPostStep(main, options({}))
        expect(post.exitCode).toBe(0)
        expect(post.warnings).toEqual([
          `Packer (process group ${packerPid}) was still running after the main step was killed: stopped it, so that it makes nothing more.`
        ])
        expect(post.stdout).toContain(`us-east-1: ${instance.instanceId} is already shutting-down.`)
        expect(endpoint.instances('us-east-1').map((i) => i.state)).toEqual(['terminated'])
        expect(endpoint.securityGroups('us-east-1').map((group) => group.groupName)).toEqual(['default'])
        expect(endpoint.keyPairs('us-east-1')).toEqual([])
      } finally {
        stopPacker(packerPid)
      }
    })

    /**
     * Cancelled as the runner cancels once `ready` holds of the step's log, with Packer unable to
     * stop until EC2 answers a call that `atInterrupt` holds (or a stand-in that ignores SIGTERM):
     * Packer outlasts the SIGINT and the SIGTERM. Each signal goes on what the step prints, not on
     * the runner's clock: the SIGTERM once the step has said it stops Packer, the SIGKILL once it
     * has said it still waits and `saidAll` holds of its log and summary (or a bound on that wait
     * has passed), unless the step has ended by then. With `crashFirst`, the action crashes (run
     * it with crashOnSigusr2) before the cancel, which comes once the step has said so.
     */
    async function cancelOutlastedBy(
      ready: (stdoutSoFar: () => string) => boolean,
      what: string,
      saidAll: (stdout: string, summary: string) => boolean,
      {
        atInterrupt = () => undefined,
        run = patientRun,
        crashFirst = false
      }: { atInterrupt?: () => void; run?: (onStart: RunActionOptions['onStart']) => Promise<ActionRun>; crashFirst?: boolean } = {}
    ): Promise<{ main: ActionRun; packerPid: number; killed: boolean }> {
      let packerPid = 0
      let killed = false
      const main = await run((child, stdoutSoFar) => {
        const pid = child.pid as number
        const summaryFile = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').find((entry) => entry.startsWith('GITHUB_STEP_SUMMARY='))?.slice(20) as string
        const summarySoFar = (): string => (existsSync(summaryFile) ? readFileSync(summaryFile, 'utf8') : '')
        void until(() => ready(stdoutSoFar), what)
          .then(async () => {
            packerPid = childrenOf(pid)[0]
            atInterrupt()
            if (crashFirst) {
              child.kill('SIGUSR2')
              await until(() => stdoutSoFar().includes('The action crashed (Error: injected crash) while Packer ran'), 'the step to say that it crashed')
            }
            child.kill('SIGINT')
            return until(() => stdoutSoFar().includes(crashFirst ? 'Received SIGINT' : 'Received SIGINT: stopping'), 'the step to stop Packer')
          })
          .then(() => {
            child.kill('SIGTERM')
            return until(
              () => child.exitCode !== null || (stdoutSoFar().includes('Received SIGTERM again') && saidAll(stdoutSoFar(), summarySoFar())),
              'the step to say that the run was cancelled',
              10_000
            )
          })
          .catch(() => undefined)
          .finally(() => {
            if (child.exitCode !== null) return
            killed = true
            child.kill('SIGKILL')
          })
      })
      return { main, packerPid, killed }
    }

    /**
     * cancelOutlastedBy, once Packer has asked EC2 for its instance, which EC2 has not answered;
     * with `crashFirst`, the action crashes before the cancel.
     */
    async function cancelledBeforeRunInstancesAnswers(
      saidAll: (stdout: string, summary: string) => boolean,
      inputs: Record<string, string> = {},
      { crashFirst = false }: { crashFirst?: boolean } = {}
    ): Promise<{ main: ActionRun; packerPid: number; killed: boolean }> {
      endpoint = await startEc2Endpoint({ regions })
      endpoint.faults.holdAnswers('RunInstances')
      const loopback = endpoint
      const run = options(inputs)
      const nodeArgs = crashFirst ? ['--import', 'data:text/javascript,process.on("SIGUSR2",()=>{throw new Error("injected crash")})'] : []
      return cancelOutlastedBy(
        (stdoutSoFar) => stdoutSoFar().includes('Launching a source AWS instance') && loopback.callsOf('RunInstances').length > 0,
        'Packer to ask EC2 for its instance',
        saidAll,
        { crashFirst, run: (onStart) => runAction({ ...run, env: { ...run.env, AWS_POLL_DELAY_SECONDS: '1', AWS_MAX_ATTEMPTS: '1000' }, nodeArgs, onStart }) }
      )
    }

    /** Whether the step has said, in an error and in the summary, that the run was cancelled. */
    const saidCancelled = (stdout: string, summary: string): boolean => stdout.includes('::error::The run was cancelled') && summary.includes('Cancelled')

    it("cancelled before EC2 answers RunInstances, Packer outlasting SIGINT and SIGTERM: the error and the summary say the run was cancelled before the runner's kill", async () => {
      const { main, packerPid, killed } = await cancelledBeforeRunInstancesAnswers(saidCancelled)
      try {
        expect(killed).toBe(true)
        expect(main.signal).toBe('SIGKILL')
        expect(main.warnings).toEqual([
          'Received SIGINT: stopping Packer and waiting for it to clean up (instance, key pair, security group)…',
          'Received SIGTERM again: still waiting for Packer to finish cleaning up…'
        ])
        expect(errorsTheRunnerShows(main)).toEqual([
          'The run was cancelled (SIGTERM) while Packer was still cleaning up after the build, before it made an AMI: ' +
            'the post step checks that nothing Packer started is left, and removes what is.'
        ])
        const summary = renderedText(main.summary)
        expect(summary).toContain('Packer AMI build: :no_entry_sign: Cancelled')
        // Under the headline, what happened and what the post step does, said once: not under Problems too.
        expect(summary).toContain(`Packer AMI build: :no_entry_sign: Cancelled\nTemplate json/packer-template.json · Packer ${packerVersion()}`)
        expect(summary).toContain(`\n${main.errors.at(-1)?.message}\n`)
        expect(summary).not.toContain('No AMI was built.')
        expect(summary).not.toContain('Problems')

        const post = await runPostStep(main, options({}))
        expect(post.exitCode).toBe(0)
        expect(endpoint.instances('us-east-1').map((instance) => instance.state)).toEqual(['terminated'])
        expect(endpoint.securityGroups('us-east-1').map((group) => group.groupName)).toEqual(['default'])
        expect(endpoint.keyPairs('us-east-1')).toEqual([])
      } finally {
        stopPacker(packerPid)
      }
    })

    it('cancelled before EC2 answers RunInstances, Packer ending after the SIGTERM before the kill: one error, and the summary rewritten as the run ended', async () => {
      let released = false
      // Once the step has said that the run was cancelled, EC2 answers: Packer cleans up and ends.
      const { main, packerPid, killed } = await cancelledBeforeRunInstancesAnswers((stdout) => {
        if (!released && stdout.includes('::error::The run was cancelled')) {
          released = true
          endpoint.faults.releaseAnswers('RunInstances')
        }
        return false
      })
      try {
        expect(killed).toBe(false)
        expect(main.exitCode).toBe(1)
        expect(main.errors.map(({ message }) => message)).toEqual([
          'The run was cancelled (SIGTERM) while Packer was still cleaning up after the build, before it made an AMI: ' +
            'the post step checks that nothing Packer started is left, and removes what is.'
        ])
        // What the end of the run tells is in the log, as text.
        expect(main.stdout).toContain(
          '\nThe build was cancelled before Packer made an AMI (exit code 1). The post step checks that nothing Packer started is left, and removes what is.\n'
        )
        const summary = renderedText(main.summary)
        expect(summary).toContain('Packer AMI build: :no_entry_sign: Cancelled')
        // Rewritten as the run ended: under the headline, what became of the build, and that once.
        expect(summary).toContain(
          '\nThe build was cancelled before Packer made an AMI (exit code 1). The post step checks that nothing Packer started is left, and removes what is.\n'
        )
        expect(summary).not.toContain('No AMI was built.')
        expect(summary).not.toContain('still cleaning up')
        expect(endpoint.instances('us-east-1').map((instance) => instance.state)).toEqual(['terminated'])
        expect(endpoint.securityGroups('us-east-1').map((group) => group.groupName)).toEqual(['default'])
        expect(endpoint.keyPairs('us-east-1')).toEqual([])
      } finally {
        stopPacker(packerPid)
      }
    })

    it("the action crashing before EC2 answers RunInstances, then cancelled, Packer outlasting SIGINT and SIGTERM: the signals are told as the cancel of a run that crashed, and the crash's error and summary come before the runner's kill", async () => {
      const { main, packerPid, killed } = await cancelledBeforeRunInstancesAnswers(
        (stdout, summary) => stdout.includes('::error::The action crashed (Error: injected crash), and the run was cancelled') && summary.includes('Crashed'),
        {},
        { crashFirst: true }
      )
      try {
        expect(killed).toBe(true)
        expect(main.signal).toBe('SIGKILL')
        expect(main.warnings).toEqual([
          'The action crashed (Error: injected crash) while Packer ran: stopping Packer and waiting for it to clean up (instance, key pair, security group)…',
          'Received SIGINT after the action crashed: still waiting for Packer to finish cleaning up…',
          'Received SIGTERM again: still waiting for Packer to finish cleaning up…'
        ])
        const failure =
          'The action crashed (Error: injected crash), and the run was cancelled (SIGTERM) while Packer was still cleaning up after the build, ' +
          'before it made an AMI: the post step checks that nothing Packer started is left, and removes what is.'
        expect(main.errors.map(({ message }) => message)).toEqual([failure])
        const summary = renderedText(main.summary)
        expect(summary).toContain('Packer AMI build: :x: Failed')
        expect(summary).toContain(`\n${failure}\n`)
        expect(summary).not.toContain('Problems')
        expect(summary).not.toContain('Packer AMI build: :no_entry_sign: Cancelled')

        const post = await runPostStep(main, options({}))
        expect(post.exitCode).toBe(0)
        expect(endpoint.instances('us-east-1').map((instance) => instance.state)).toEqual(['terminated'])
        expect(endpoint.securityGroups('us-east-1').map((group) => group.groupName)).toEqual(['default'])
        expect(endpoint.keyPairs('us-east-1')).toEqual([])
      } finally {
        stopPacker(packerPid)
      }
    })

    /** The errors the runner shows as such: not those written while Packer's lines have its commands stopped. */
    const errorsTheRunnerShows = (main: ActionRun): string[] =>
      commandsTheRunnerRuns(main.stdout)
        .filter(({ name }) => name === 'error')
        .map(({ line }) => line.replace(/^::error::/, ''))

    it("cancelled while a build's AMI is copied after another build finished, Packer outlasting the SIGTERM: the error names both AMIs, and the post step removes the unfinished one with its copies and keeps the other", async () => {
      endpoint = await startEc2Endpoint({ regions })
      endpoint.faults.holdCopiesPending()
      fastAndSlow()
      const loopback = endpoint
      const { main, packerPid, killed } = await cancelOutlastedBy(
        (stdoutSoFar) => stdoutSoFar().includes("Build 'fast' finished") && loopback.callsOf('DescribeImages', 'us-west-2').length >= 2,
        "fast to finish and slow's copies to be waited for",
        saidCancelled,
        // Packer's clean-up of slow then waits for EC2 to answer that its instance terminates.
        { atInterrupt: () => loopback.faults.holdAnswers('TerminateInstances') }
      )
      try {
        expect(killed).toBe(true)
        const fast = announcedAmi(main.stdout, 'fast')
        const slow = announcedAmi(main.stdout, 'slow')
        // Made while Packer's lines have the runner's commands stopped: an error all the same.
        expect(errorsTheRunnerShows(main)).toEqual([
          `The run was cancelled (SIGTERM) while Packer was still cleaning up after the build, after build fast had made ${fast} ` +
            `(the post step names the AMIs of the builds that finished), and Packer had made ${slow}: ` +
            `the post step checks that nothing Packer started is left, ${slow} and its copies in other regions included, and removes what is.`
        ])
        // The action had read no AMI: none is in the outputs, and the summary says which were made.
        expect(JSON.parse(main.outputs['ami-ids'])).toEqual({})
        const summary = renderedText(main.summary)
        expect(summary).toContain('Packer AMI build: :no_entry_sign: Cancelled')
        expect(summary).toContain(`\n${main.errors.at(-1)?.message}\n`)
        expect(summary).toContain('the post step names the AMIs of the builds that finished')
        expect(summary).not.toContain('Which AMIs Packer made was not read')
        const copies = ['eu-west-1', 'us-west-2'].map((region) => endpoint.images(region).find((image) => image.sourceImageId === slow)?.imageId)
        expect(copies.every(Boolean)).toBe(true)

        const post = await runPostStep(main, options({}))
        expect(post.exitCode).toBe(0)
        expect(post.warnings).toContain(
          `The main step ended before it set its outputs, but builds had finished: build fast: ${fast} (us-east-1). ` +
            'These AMIs exist and are not tagged; they are in no output and the post step leaves them.'
        )
        expect(post.summary).toContain(`| us-east-1 | [\`${fast}\`](`)
        expect(post.stdout).toContain(`eu-west-1: deregistered ${copies[0]} (pending, a copy of ${slow})`)
        expect(post.stdout).toContain(`us-west-2: deregistered ${copies[1]} (pending, a copy of ${slow})`)
        for (const region of regions) expect(endpoint.images(region).filter((image) => image.sourceImageId === slow || image.imageId === slow)).toEqual([])
        expect(endpoint.images('us-east-1').find((image) => image.imageId === fast)?.state).toBe('available')
        expect(endpoint.securityGroups('us-east-1').map((group) => group.groupName)).toEqual(['default'])
        expect(endpoint.keyPairs('us-east-1')).toEqual([])
      } finally {
        stopPacker(packerPid)
      }
    })

    it('with on-error: abort, cancelled before EC2 answers RunInstances, Packer outlasting the SIGTERM: the error says that what Packer made is left, and the post step leaves it', async () => {
      const { main, packerPid, killed } = await cancelledBeforeRunInstancesAnswers(saidCancelled, { 'on-error': 'abort' })
      try {
        expect(killed).toBe(true)
        // Packer does no clean-up with on-error: abort: the step does not say it waits for one.
        expect(main.warnings).toEqual([
          'Received SIGINT: stopping Packer, which leaves what it made as it is (on-error: abort)…',
          'Received SIGTERM again: still waiting for packer build to stop…'
        ])
        expect(errorsTheRunnerShows(main)).toEqual([
          'The run was cancelled (SIGTERM) while Packer was still stopping after the build, before it made an AMI: with on-error: abort, what Packer made is left as it is.'
        ])
        const summary = renderedText(main.summary)
        expect(summary).toContain('Packer AMI build: :no_entry_sign: Cancelled')
        expect(summary).toContain(`\n${main.errors.at(-1)?.message}\n`)
        expect(summary).toContain('with on-error: abort, what Packer made is left as it is.')
        const [instance] = endpoint.instances('us-east-1')
        const group = endpoint.securityGroups('us-east-1').find(({ groupName }) => groupName.startsWith('packer_'))
        const [keyPair] = endpoint.keyPairs('us-east-1')
        expect([instance?.state, group, keyPair]).toEqual(['pending', expect.anything(), expect.anything()])

        const post = await runPostStep(main, options({ 'on-error': 'abort' }))
        expect(post.exitCode).toBe(0)
        expect(post.warnings).toContain(
          `Packer never finished, and on-error is abort, so what it made is left as it is: ${group?.groupName}, ${keyPair.keyName} (in us-east-1), ` +
            `and ${instance.instanceId} (pending, in us-east-1), an instance launched with them that Packer's log never named.`
        )
        // Nothing was removed, or even tried: the instance was only looked up (and so has started running).
        for (const action of ['TerminateInstances', 'DeleteSecurityGroup', 'DeleteKeyPair', 'DeregisterImage']) expect(endpoint.callsOf(action)).toEqual([])
        expect(endpoint.instances('us-east-1').map(({ state }) => state)).toEqual(['running'])
        expect(endpoint.securityGroups('us-east-1').map(({ groupName }) => groupName)).toEqual(['default', group?.groupName])
        expect(endpoint.keyPairs('us-east-1').map(({ keyName }) => keyName)).toEqual([keyPair.keyName])
      } finally {
        stopPacker(packerPid)
      }
    })

    it("with on-error: abort, cancelled before EC2 answers RunInstances, EC2 answering once the step is killed: the post step names the instance Packer's log never did, and leaves it", async () => {
      const { main, packerPid, killed } = await cancelledBeforeRunInstancesAnswers(saidCancelled, { 'on-error': 'abort' })
      try {
        expect(killed).toBe(true)
        // EC2 answers Packer, which outlived the step: it prints the instance's ID to no one, and
        // ends without a clean-up, as asked. The instance stays pending, whoever looks at it.
        endpoint.faults.holdInstancesPending()
        endpoint.faults.releaseAnswers('RunInstances')
        await until(() => livingMembersOf(packerPid).length === 0, "Packer's processes to end")
        const [instance] = endpoint.instances('us-east-1')
        const group = endpoint.securityGroups('us-east-1').find(({ groupName }) => groupName.startsWith('packer_'))
        const [keyPair] = endpoint.keyPairs('us-east-1')
        expect(JSON.parse(main.state['packer-leftovers'])).toMatchObject({ packer: 'running', keep: true, resources: { instanceIds: [] } })
        expect(main.stdout).not.toContain(instance.instanceId)

        const post = await runPostStep(main, options({ 'on-error': 'abort' }))
        expect(post.exitCode).toBe(0)
        expect(post.warnings).toEqual([
          `Packer never finished, and on-error is abort, so what it made is left as it is: ${group?.groupName}, ${keyPair.keyName} (in us-east-1), ` +
            `and ${instance.instanceId} (pending, in us-east-1), an instance launched with them that Packer's log never named.`
        ])
        // Looked up, and left as it is.
        for (const action of ['TerminateInstances', 'StopInstances', 'DeleteSecurityGroup', 'DeleteKeyPair', 'DeregisterImage']) expect(endpoint.callsOf(action)).toEqual([])
        expect(endpoint.instances('us-east-1').map(({ state }) => state)).toEqual(['pending'])
        expect(endpoint.securityGroups('us-east-1').map(({ groupName }) => groupName)).toEqual(['default', group?.groupName])
        expect(endpoint.keyPairs('us-east-1').map(({ keyName }) => keyName)).toEqual([keyPair.keyName])
      } finally {
        stopPacker(packerPid)
      }
    })

    // A later step (`if: always()`, or after `continue-on-error`) runs before the post step: a
    // Packer that outlived the action's crash would go on building through it.
    it("the action itself crashing while Packer builds: Packer is stopped and cleans up before the step ends, the step says the action crashed, not that the run was cancelled, and the post step finds nothing left", async () => {
      let packerPid = 0
      const crashOnSigusr2 = 'data:text/javascript,process.on("SIGUSR2",()=>{throw new Error("injected crash")})'
      const main = await runAction({
        ...(await waitingBuild({}, (child) => {
          packerPid = childrenOf(child.pid as number)[0]
          child.kill('SIGUSR2')
        })),
        nodeArgs: ['--import', crashOnSigusr2]
      })
      try {
        expect(main.exitCode).toBe(1)
        const failure =
          'The action crashed (Error: injected crash) during packer build, and Packer was stopped before it made an AMI (exit code 1). ' +
          'The post step checks that nothing Packer started is left, and removes what is.'
        expect(main.errors.map((error) => error.message)).toEqual([failure])
        expect(main.warnings).toEqual([
          'The action crashed (Error: injected crash) while Packer ran: stopping Packer and waiting for it to clean up (instance, key pair, security group)…'
        ])
        expect(main.stderr).toContain('Error: injected crash')
        const summary = renderedText(main.summary)
        expect(summary).toContain('Packer AMI build: :x: Failed')
        expect(summary).toContain(failure)
        expect(summary).not.toMatch(/cancel/i)
        expect(livingMembersOf(packerPid)).toEqual([])
        expect(endpoint.instances('us-east-1').map((i) => i.state)).toEqual(['terminated'])
        expect(endpoint.securityGroups('us-east-1').map((group) => group.groupName)).toEqual(['default'])
        expect(endpoint.keyPairs('us-east-1')).toEqual([])

        const post = await runPostStep(main, options({}))
        expect(post.exitCode).toBe(0)
        expect(post.warnings).toEqual([])
      } finally {
        stopPacker(packerPid)
      }
    })

    it('a build in another region than the home one is found there and cleaned up there', async () => {
      const main = await runAction(
        await waitingBuild(
          { variables: 'aws_region=eu-west-1\nami_regions=' },
          (child) => process.kill(childrenOf(child.pid as number)[0], 'SIGKILL'),
          'eu-west-1'
        )
      )
      expect(main.exitCode).toBe(1)
      const [instance] = endpoint.instances('eu-west-1')
      expect(instance.state).toBe('pending')
      expect(endpoint.instances('us-east-1')).toEqual([])

      const post = await runPostStep(main, options({}))
      expect(post.exitCode).toBe(0)
      expect(post.warnings).toEqual([])
      expect(post.stdout).toContain(`eu-west-1: terminated ${instance.instanceId}.`)
      expect(endpoint.instances('eu-west-1').map((i) => i.state)).toEqual(['terminated'])
      expect(endpoint.securityGroups('eu-west-1').map((group) => group.groupName)).toEqual(['default'])
      expect(endpoint.keyPairs('eu-west-1')).toEqual([])
      // Nothing was deleted, or even tried, in the home region.
      expect(endpoint.callsOf('DeleteKeyPair', 'us-east-1')).toEqual([])
      expect(endpoint.callsOf('DeleteSecurityGroup', 'us-east-1')).toEqual([])
    })

    /** Two builds: `fast` makes its AMI in us-east-1 alone; `slow` copies its AMI to eu-west-1 and us-west-2. */
    const fastAndSlow = (): void => withTwoBuilds(workspace, ['slow', 'fast'])

    /** fastAndSlow without a manifest: a stopped Packer then announces no artifact, and only its log names fast's AMI. */
    function fastAndSlowWithoutManifest(): void {
      fastAndSlow()
      const path = join(workspace, 'json', 'packer-template.json')
      const template = JSON.parse(readFileSync(path, 'utf8'))
      delete template['post-processors']
      writeFileSync(path, JSON.stringify(template, null, 2))
    }

    /** Once fast has finished and slow's copies are being waited for. */
    function fastFinished(loopback: Ec2Endpoint, stdoutSoFar: () => string): Promise<void> {
      return until(
        () => stdoutSoFar().includes("Build 'fast' finished") && loopback.callsOf('DescribeImages', 'us-west-2').length >= 2,
        "fast to finish and slow's copies to be waited for"
      )
    }

    /** The AMI a build announced, from the main step's log. */
    function announcedAmi(stdout: string, build: string): string {
      const ami = new RegExp(`${build}: AMI: (ami-\\w+)`).exec(stdout)?.[1]
      expect(ami).toBeDefined()
      return ami as string
    }

    it("killed while a build's AMI is copied: the post step deregisters it and its copies, and keeps the AMI of a build that finished", async () => {
      endpoint = await startEc2Endpoint({ regions })
      endpoint.faults.holdCopiesPending()
      // An AMI of the account's own, copied before this run: not the build's.
      const ec2 = new EC2Client({ region: 'eu-west-1', endpoint: endpoint.url, credentials: { accessKeyId: 'AKIDLOOPBACK', secretAccessKey: 'x' } })
      const earlier = await ec2.send(new CopyImageCommand({ Name: 'golden-base', SourceImageId: SOURCE_AMI_ID, SourceRegion: 'us-east-1' }))
      ec2.destroy()
      fastAndSlow()
      const loopback = endpoint
      // Packer's waiter polls every second, up to 1000 times, for the copies that stay pending.
      const main = await patientRun((child, stdoutSoFar) => {
        void until(
          () => stdoutSoFar().includes("Build 'fast' finished") && loopback.callsOf('DescribeImages', 'us-west-2').length >= 2,
          "fast to finish and slow's copies to be waited for"
        ).then(() => process.kill(childrenOf(child.pid as number)[0], 'SIGKILL'))
      })
      expect(main.exitCode).toBe(1)
      const fast = announcedAmi(main.stdout, 'fast')
      const slow = announcedAmi(main.stdout, 'slow')
      const copies = ['eu-west-1', 'us-west-2'].map((region) => endpoint.images(region).find((image) => image.sourceImageId === slow))
      expect(copies.map((copy) => copy?.state)).toEqual(['pending', 'pending'])
      expect(main.summary).toContain(`deregisters ${slow}, the unfinished build's AMI, with its copies and snapshots`)
      const saved = JSON.parse(main.state['packer-leftovers'])
      expect(saved.resources.images).toEqual([slow])
      const snapshotsOf = (region: string, id: string): string[] =>
        endpoint.images(region).find((image) => image.imageId === id)?.blockDeviceMappings.flatMap((device) => device.snapshotId ?? []) ?? []
      const fastSnapshots = snapshotsOf('us-east-1', fast)
      const slowSnapshots = [snapshotsOf('us-east-1', slow), ...copies.map((copy, i) => snapshotsOf(regions[i + 1], copy?.imageId ?? ''))].flat()
      expect(slowSnapshots).toHaveLength(3)

      const post = await runPostStep(main, options({}))
      expect(post.exitCode).toBe(0)
      expect(post.warnings).toEqual([])
      for (const [region, id] of [['us-east-1', slow], ['eu-west-1', copies[0]?.imageId], ['us-west-2', copies[1]?.imageId]]) {
        expect(post.stdout).toContain(`${region}: deregistered ${id} (`)
        expect(endpoint.images(region as string).map((image) => image.imageId)).not.toContain(id)
      }
      const snapshotsLeft = regions.flatMap((region) => endpoint.snapshots(region).map((snapshot) => snapshot.snapshotId))
      expect(slowSnapshots.filter((id) => snapshotsLeft.includes(id))).toEqual([])
      // The finished build's AMI, and the account's own copy, are as they were.
      expect(endpoint.images('us-east-1').find((image) => image.imageId === fast)?.state).toBe('available')
      expect(fastSnapshots.every((id) => snapshotsLeft.includes(id))).toBe(true)
      expect(endpoint.images('eu-west-1').map((image) => image.imageId)).toContain(earlier.ImageId)
      expect(endpoint.callsOf('DeregisterImage').map((call) => call.params.ImageId).sort()).toEqual([slow, ...copies.map((c) => c?.imageId)].sort())
    })

    it('the main step killed after a build finished: the post step names that AMI, which no output holds', async () => {
      endpoint = await startEc2Endpoint({ regions })
      endpoint.faults.holdCopiesPending()
      fastAndSlow()
      const loopback = endpoint
      const { main, packerPid } = await mainKilledWhen(
        (stdoutSoFar) => stdoutSoFar().includes("Build 'fast' finished") && loopback.callsOf('DescribeImages', 'us-west-2').length >= 2,
        "fast to finish and slow's copies to be waited for"
      )
      try {
        expect(main.exitCode).toBeNull()
        const fast = announcedAmi(main.stdout, 'fast')
        const slow = announcedAmi(main.stdout, 'slow')
        const post = await runPostStep(main, options({}))
        expect(post.exitCode).toBe(0)
        expect(post.warnings).toContain(
          `The main step ended before it set its outputs, but builds had finished: build fast: ${fast} (us-east-1). ` +
            'These AMIs exist and are not tagged; they are in no output and the post step leaves them.'
        )
        expect(post.summary).toContain(`| us-east-1 | [\`${fast}\`](`)
        expect(post.summary).not.toContain(slow)
        expect(endpoint.images('us-east-1').find((image) => image.imageId === fast)?.state).toBe('available')
        expect(endpoint.images('us-east-1').find((image) => image.imageId === slow)).toBeUndefined()
      } finally {
        stopPacker(packerPid())
      }
    })

    /**
     * Makes the template two builds: web, which copies its AMI to the other regions, and api,
     * whose provisioner waits a minute. `manifest: false` drops the manifest post-processor: then
     * only Packer's log tells of web; `encrypted` makes web's AMIs encrypted (encryptedBuild).
     * Returns whether the log so far shows web finished while api provisions.
     */
    function webFinishesWhileApiProvisions({ manifest, encrypted = false }: { manifest: boolean | 'after checksum'; encrypted?: boolean }): (stdoutSoFar: () => string) => boolean {
      withTwoBuilds(workspace)
      const marker = join(workspace, 'provisioning')
      const path = join(workspace, 'json', 'packer-template.json')
      const template = JSON.parse(readFileSync(path, 'utf8'))
      if (!manifest) delete template['post-processors']
      // One chain: the manifest gets the checksum's artifact, whose ID is empty, and lists no AMI.
      if (manifest === 'after checksum') template['post-processors'] = [[{ type: 'checksum' }, { type: 'manifest' }]]
      if (encrypted) template.builders[0] = encryptedBuild(template.builders[0])
      template.provisioners = [{ type: 'shell-local', only: ['api'], inline: [`touch ${marker}`, 'sleep 60'] }]
      writeFileSync(path, JSON.stringify(template, null, 2))
      return (stdoutSoFar) => stdoutSoFar().includes("Build 'web' finished") && existsSync(marker)
    }

    /**
     * Runs `check` on the main step with `inputs`, killed (SIGKILL) once build web, which copies
     * its AMI to the other regions, has finished while build api provisions; then stops the Packer
     * the kill left running. The template as webFinishesWhileApiProvisions makes it.
     */
    async function afterMainKilledWhileApiProvisions(
      inputs: Record<string, string>,
      { manifest, encrypted = false }: { manifest: boolean | 'after checksum'; encrypted?: boolean },
      check: (main: ActionRun) => Promise<void>
    ): Promise<void> {
      endpoint = await startEc2Endpoint({ regions })
      const webDone = webFinishesWhileApiProvisions({ manifest, encrypted })
      const { main, packerPid } = await mainKilledWhen(
        webDone,
        'web to finish while api provisions',
        (onStart) => runAction(options(inputs, { onStart }))
      )
      try {
        expect(main.exitCode).toBeNull()
        await check(main)
      } finally {
        stopPacker(packerPid())
      }
    }

    it('with summary: false, the post step names the AMIs of the builds that finished in a warning only, and writes no summary', async () => {
      await afterMainKilledWhileApiProvisions({ summary: 'false' }, { manifest: true }, async (main) => {
        const post = await runPostStep(main, options({ summary: 'false' }))
        expect(post.exitCode).toBe(0)
        expect(post.warnings.filter((text) => text.startsWith('The main step ended before it set its outputs'))).toHaveLength(1)
        expect(post.summary).toBe('')
      })
    })

    it("the main step killed after a build with copies finished: the post step names each of its AMIs, from the manifest", async () => {
      // web copies its AMI to the other regions and finishes; api provisions until the kill.
      await afterMainKilledWhileApiProvisions({}, { manifest: true }, async (main) => {
        const web = regions.map((region) => {
          const [image] = endpoint.images(region).filter((candidate) => candidate.name.startsWith('packer-ami-action-demo-'))
          return { region, amiId: image?.imageId }
        })
        expect(web.every(({ amiId }) => amiId?.startsWith('ami-'))).toBe(true)
        const post = await runPostStep(main, options({}))
        expect(post.exitCode).toBe(0)
        // In the manifest's order.
        const warning = post.warnings.find((text) => text.startsWith('The main step ended before it set its outputs'))
        expect(warning).toMatch(
          /^The main step ended before it set its outputs, but builds had finished: build web: (ami-\w+ \([\w-]+\), ){2}ami-\w+ \([\w-]+\)\. These AMIs exist and are not tagged; they are in no output and the post step leaves them\.$/
        )
        for (const { region, amiId } of web) expect(warning).toContain(`${amiId} (${region})`)
        expect(post.summary).toContain('AMIs not in the outputs')
        for (const { region, amiId } of web) {
          expect(post.summary).toContain(`| ${region} | [\`${amiId}\`](`)
          expect(endpoint.images(region).find((image) => image.imageId === amiId)?.state).toBe('available')
        }
        // api's instance, which Packer never got to clean up, is gone.
        expect(endpoint.instances('us-east-1').map((instance) => instance.state)).toEqual(['terminated', 'terminated'])
      })
    })

    /** The action's look-ups of copies: Packer never filters DescribeImages by source-image-id. */
    const copyLookUps = (): Ec2Call[] => endpoint.callsOf('DescribeImages').filter((call) => call.params['Filter.1.Name'] === 'source-image-id')

    /** Web's AMI in each region, the home one first, from the endpoint: the main step was killed before it said. */
    const webAmis = (): Array<{ region: string; amiId: string }> =>
      regions.map((region) => {
        const [image] = endpoint.images(region).filter((candidate) => candidate.name.startsWith('packer-ami-action-demo-'))
        return { region, amiId: image?.imageId as string }
      })

    /** Web's (`build`'s) encrypted AMI in each region, the home one first, and the unencrypted one Packer made first and deregistered. */
    const encryptedWebAmis = (main: ActionRun, build = 'web'): { encrypted: Array<{ region: string; amiId: string }>; unencrypted: string } => {
      const unencrypted = announcedAmi(main.stdout, build)
      const encrypted = regions.map((region) => {
        const [image] = endpoint.images(region).filter((candidate) => candidate.sourceImageId === unencrypted)
        return { region, amiId: image?.imageId as string }
      })
      return { encrypted, unencrypted }
    }

    it("the main step killed after a build with copies finished, with no manifest: the post step finds the copies and names each", async () => {
      await afterMainKilledWhileApiProvisions({}, { manifest: false }, async (main) => {
        const [home, east, west] = webAmis()
        expect(announcedAmi(main.stdout, 'web')).toBe(home.amiId)
        expect([east, west].every(({ amiId }) => amiId?.startsWith('ami-'))).toBe(true)
        // The main step was killed before it could look for the copies.
        expect(copyLookUps()).toEqual([])
        const post = await runPostStep(main, options({}))
        expect(post.exitCode).toBe(0)
        expect(post.warnings).toContain(
          `The main step ended before it set its outputs, but builds had finished: build web: ${home.amiId} (us-east-1), ${east.amiId} (eu-west-1), ${west.amiId} (us-west-2). ` +
            'These AMIs exist and are not tagged; they are in no output and the post step leaves them.'
        )
        for (const { region, amiId } of [home, east, west]) expect(post.summary).toContain(`| ${region} | [\`${amiId}\`](`)
        expect(post.summary).not.toContain("the build's own")
        // Web's AMI looked for in the home region, as the main step looks for it after a cancel.
        const regionLookUps = endpoint.callsOf('DescribeImages').filter((call) => call.params['Filter.1.Name'] === 'image-id')
        expect(regionLookUps.map((call) => [call.region, call.params['Filter.1.Value.1'], call.params['Filter.1.Value.2']])).toEqual([['us-east-1', home.amiId, undefined]])
        // One look-up in each region Packer's log says web copied to, for copies of web's AMI only; the copies are kept.
        const lookUps = copyLookUps()
        expect(lookUps.map((call) => call.region).sort()).toEqual(['eu-west-1', 'us-west-2'])
        for (const call of lookUps) expect(call.params).toMatchObject({ 'Owner.1': 'self', 'Filter.1.Value.1': home.amiId })
        expect(lookUps.every((call) => call.params['Filter.1.Value.2'] === undefined)).toBe(true)
        for (const { region, amiId } of [home, east, west]) expect(endpoint.images(region).find((image) => image.imageId === amiId)?.state).toBe('available')
        expect(endpoint.callsOf('DeregisterImage')).toEqual([])
      })
    })

    it("the main step killed after a build with copies finished, with no manifest, and a region that refuses DescribeImages: the post step names where a copy may be", async () => {
      await afterMainKilledWhileApiProvisions({}, { manifest: false }, async (main) => {
        const [home, east, west] = webAmis()
        endpoint.faults.fail('DescribeImages', { code: 'UnauthorizedOperation', region: 'eu-west-1', userAgent: 'aws-sdk-js' })
        const post = await runPostStep(main, options({}))
        expect(post.exitCode).toBe(0)
        const warning = post.warnings.find((text) => text.startsWith('The main step ended before it set its outputs'))
        expect(warning).toMatch(
          new RegExp(
            `^The main step ended before it set its outputs, but builds had finished: build web: ${home.amiId} \\(us-east-1\\), ${west.amiId} \\(us-west-2\\)\\. ` +
              'These AMIs exist and are not tagged; they are in no output and the post step leaves them\\. ' +
              `Build web copied its AMI ${home.amiId} to eu-west-1, where its copy could not be looked up \\(.*ec2:DescribeImages.*\\): a copy there is in no output and is not tagged\\.$`
          )
        )
        expect(post.summary).toContain(`| us-west-2 | [\`${west.amiId}\`](`)
        expect(post.summary).not.toContain(east.amiId)
        expect(renderedText(post.summary)).toContain(`Build web copied its AMI ${home.amiId} to eu-west-1, where its copy could not be looked up (`)
        expect(copyLookUps().map((call) => call.region).sort()).toEqual(['eu-west-1', 'us-west-2'])
      })
    })

    it("the main step killed after an encrypt_boot build finished, with no manifest: the post step names its encrypted AMIs, not the one Packer deregistered", async () => {
      await afterMainKilledWhileApiProvisions({}, { manifest: false, encrypted: true }, async (main) => {
        const { encrypted, unencrypted } = encryptedWebAmis(main)
        const [home, east, west] = encrypted
        expect(encrypted.every(({ amiId }) => amiId?.startsWith('ami-'))).toBe(true)
        // Packer registered an unencrypted AMI, copied it encrypted to every region (its own too), and deregistered it.
        expect(endpoint.callsOf('DeregisterImage').map((call) => call.params.ImageId)).toEqual([unencrypted])
        const post = await runPostStep(main, options({}))
        expect(post.exitCode).toBe(0)
        expect(post.warnings).toContain(
          `The main step ended before it set its outputs, but builds had finished: build web: ${home.amiId} (us-east-1), ${east.amiId} (eu-west-1), ${west.amiId} (us-west-2). ` +
            'These AMIs exist and are not tagged; they are in no output and the post step leaves them.'
        )
        expect(post.warnings.join('\n')).not.toContain(unencrypted)
        for (const { region, amiId } of encrypted) expect(post.summary).toContain(`| ${region} | [\`${amiId}\`](`)
        expect(post.summary).not.toContain(unencrypted)
        // The look-ups, one for the AMI in the home region and one for its copies where Packer copied it, and the copies kept.
        expect(copyLookUps().map((call) => call.region).sort()).toEqual(regions.slice().sort())
        expect(endpoint.callsOf('DescribeImages').filter((call) => call.params['Filter.1.Name'] === 'image-id').map((call) => call.region)).toEqual(['us-east-1'])
        for (const { region, amiId } of encrypted) expect(endpoint.images(region).find((image) => image.imageId === amiId)?.state).toBe('available')
        expect(endpoint.callsOf('DeregisterImage')).toHaveLength(1)
      })
    })

    it("the main step killed after an encrypt_boot build finished, with a manifest: the post step names the manifest's AMIs only, and asks EC2 nothing", async () => {
      await afterMainKilledWhileApiProvisions({}, { manifest: true, encrypted: true }, async (main) => {
        const { encrypted, unencrypted } = encryptedWebAmis(main)
        const post = await runPostStep(main, options({}))
        expect(post.exitCode).toBe(0)
        const warning = post.warnings.find((text) => text.startsWith('The main step ended before it set its outputs'))
        for (const { region, amiId } of encrypted) expect(warning).toContain(`${amiId} (${region})`)
        expect(warning).not.toContain(unencrypted)
        expect(post.summary).not.toContain(unencrypted)
        expect(copyLookUps()).toEqual([])
        expect(endpoint.callsOf('DescribeImages').filter((call) => call.params['Filter.1.Name'] === 'image-id')).toEqual([])
      })
    })

    /** The demo HCL2 template's source block, with encrypt_boot. */
    function encryptBoot(source: string): string {
      const encrypted = source.replace(
        '  communicator           = "none"\n',
        '  communicator           = "none"\n  encrypt_boot           = true\n  kms_key_id             = "alias/images"\n'
      )
      expect(encrypted).not.toBe(source)
      return encrypted
    }

    /**
     * The demo HCL2 template with encrypt_boot on its source, which copies its AMI to the other
     * regions, and a second source, api, that provisions until stopped; one build block, named
     * `name` when given, with the manifest post-processor. The manifest names the first build by
     * its source alone (`demo`), Packer's log as `amazon-ebs.demo` (`NAME.amazon-ebs.demo`).
     * Returns when that build has finished while api provisions, and the log's name of that build.
     */
    function hclEncryptedDemoWhileApiProvisions(name: string | undefined): { done: (stdoutSoFar: () => string) => boolean; build: string } {
      const path = join(workspace, 'hcl2', 'ami.pkr.hcl')
      const marker = join(workspace, 'provisioning')
      const demo = readFileSync(path, 'utf8')
      const buildAt = demo.indexOf('build {')
      const source = demo.slice(demo.indexOf('source "amazon-ebs" "demo" {'), buildAt)
      const encrypted = encryptBoot(source)
      const api = source.replace('"demo"', '"api"').replace(/ {2}ami_regions .*\n/, '').replace('${var.ami_name_prefix}', 'api')
      const build = [
        'build {',
        ...(name === undefined ? [] : [`  name = "${name}"`]),
        '  sources = ["source.amazon-ebs.demo", "source.amazon-ebs.api"]',
        '  provisioner "shell-local" {',
        '    only   = ["amazon-ebs.api"]',
        `    inline = ["touch ${marker}", "sleep 60"]`,
        '  }',
        '  post-processor "manifest" {}',
        '}',
        ''
      ].join('\n')
      writeFileSync(path, demo.slice(0, demo.indexOf('source "amazon-ebs" "demo" {')) + encrypted + api + build)
      const logName = name === undefined ? 'amazon-ebs.demo' : `${name}.amazon-ebs.demo`
      return { done: (stdoutSoFar) => stdoutSoFar().includes(`Build '${logName}' finished`) && existsSync(marker), build: logName }
    }

    it.each([
      ['with no name', undefined],
      ['named', 'images']
    ])(
      "the main step killed after an HCL2 encrypt_boot build finished, its build block %s, with a manifest: the post step names each encrypted AMI once, under the log's build name",
      async (_, name) => {
        endpoint = await startEc2Endpoint({ regions })
        const { done, build } = hclEncryptedDemoWhileApiProvisions(name)
        const inputs = { 'working-directory': 'hcl2', template: 'ami.pkr.hcl', 'var-file': 'loopback.pkrvars.hcl' }
        const { main, packerPid } = await mainKilledWhen(done, 'the encrypted build to finish while api provisions', (onStart) =>
          runAction(options(inputs, { onStart }))
        )
        try {
          expect(main.exitCode).toBeNull()
          const { encrypted, unencrypted } = encryptedWebAmis(main, build)
          expect(encrypted.every(({ amiId }) => amiId?.startsWith('ami-'))).toBe(true)
          const post = await runPostStep(main, options(inputs))
          expect(post.exitCode).toBe(0)
          const warning = post.warnings.filter((text) => text.startsWith('The main step ended before it set its outputs'))
          expect(warning).toHaveLength(1)
          expect(warning[0]).toMatch(new RegExp(`builds had finished: build ${build.replaceAll('.', '\\.')}: [^;]*\\. These AMIs exist`))
          for (const { region, amiId } of encrypted) {
            expect(warning[0].split(amiId)).toHaveLength(2)
            expect(warning[0]).toContain(`${amiId} (${region})`)
            expect(post.summary.split(`| ${region} | [\`${amiId}\`](`)).toHaveLength(2)
          }
          expect(warning[0]).not.toContain(unencrypted)
          expect(renderedText(post.summary)).toContain(build)
          expect(copyLookUps()).toEqual([])
        } finally {
          stopPacker(packerPid())
        }
      }
    )

    /**
     * The demo HCL2 template with encrypt_boot on its source, built by two build blocks: `a`, which
     * copies its AMI to the other regions, and `b`, which provisions until stopped. The manifest
     * names both builds by the source alone (`demo`). Each block gives the source an ami_name of its
     * own, as builds of one source must (EC2 refuses a second AMI of one name, and the action such a
     * template). Returns when a has finished while b provisions.
     */
    function twoBuildBlocksOfOneEncryptedSource(): (stdoutSoFar: () => string) => boolean {
      const path = join(workspace, 'hcl2', 'ami.pkr.hcl')
      const marker = join(workspace, 'provisioning')
      const demo = readFileSync(path, 'utf8')
      const source = demo.slice(demo.indexOf('source "amazon-ebs" "demo" {'), demo.indexOf('build {'))
      const encrypted = encryptBoot(source).replace(/\n {2}ami_name +=[^\n]*\n/, '\n')
      const ownName = (build: string): string[] => ['  source "amazon-ebs.demo" {', `    ami_name = "\${var.ami_name_prefix}-${build}-\${local.build_stamp}"`, '  }']
      const builds = [
        'build {',
        '  name    = "a"',
        ...ownName('a'),
        '  post-processor "manifest" {}',
        '}',
        'build {',
        '  name    = "b"',
        ...ownName('b'),
        '  provisioner "shell-local" {',
        `    inline = ["touch ${marker}", "sleep 60"]`,
        '  }',
        '  post-processor "manifest" {}',
        '}',
        ''
      ].join('\n')
      writeFileSync(path, demo.slice(0, demo.indexOf('source "amazon-ebs" "demo" {')) + encrypted + builds)
      return (stdoutSoFar) => stdoutSoFar().includes("Build 'a.amazon-ebs.demo' finished") && existsSync(marker)
    }

    it("the main step killed after one of two HCL2 build blocks of one encrypt_boot source finished, with a manifest: the post step names each encrypted AMI once, under that block's build", async () => {
      endpoint = await startEc2Endpoint({ regions })
      const done = twoBuildBlocksOfOneEncryptedSource()
      const inputs = { 'working-directory': 'hcl2', template: 'ami.pkr.hcl', 'var-file': 'loopback.pkrvars.hcl' }
      const { main, packerPid } = await mainKilledWhen(done, 'build a to finish while b provisions', (onStart) =>
        runAction(options(inputs, { onStart }))
      )
      try {
        expect(main.exitCode).toBeNull()
        const { encrypted, unencrypted } = encryptedWebAmis(main, 'a.amazon-ebs.demo')
        expect(encrypted.every(({ amiId }) => amiId?.startsWith('ami-'))).toBe(true)
        const post = await runPostStep(main, options(inputs))
        expect(post.exitCode).toBe(0)
        const warning = post.warnings.filter((text) => text.startsWith('The main step ended before it set its outputs'))
        expect(warning).toHaveLength(1)
        expect(warning[0]).toMatch(/builds had finished: build a\.amazon-ebs\.demo: [^;]*\. These AMIs exist/)
        for (const { region, amiId } of encrypted) {
          expect(warning[0].split(amiId)).toHaveLength(2)
          expect(post.summary.split(`| ${region} | [\`${amiId}\`](`)).toHaveLength(2)
        }
        expect(warning[0]).not.toContain(unencrypted)
        expect(copyLookUps()).toEqual([])
      } finally {
        stopPacker(packerPid())
      }
    })

    /**
     * The demo HCL2 template built by three build blocks of its one source, each naming its own
     * AMI: two with no name, which Packer names alike (`amazon-ebs.demo`), and `slow`, which
     * provisions until stopped (none with `slow: false`). Returns when both unnamed builds have
     * finished while slow provisions.
     */
    function twoUnnamedBuildBlocksOfOneSource({
      encrypted = false,
      manifest = true,
      between = false,
      slow = true
    }: { encrypted?: boolean; manifest?: boolean; between?: boolean; slow?: boolean } = {}): (stdoutSoFar: () => string) => boolean {
      const path = join(workspace, 'hcl2', 'ami.pkr.hcl')
      const marker = join(workspace, 'provisioning')
      const demo = readFileSync(path, 'utf8')
      const source = demo.slice(demo.indexOf('source "amazon-ebs" "demo" {'), demo.indexOf('build {'))
      // Packer 1.6.6 sets in a build block only what the source block leaves unset.
      const unnamed = source.replace(/ {2}ami_name {2,}= .*\n/, '')
      expect(unnamed).not.toBe(source)
      const postProcessor = manifest ? ['  post-processor "manifest" {}'] : []
      const block = (ami: string, name?: string, provisioner: string[] = []): string[] => [
        'build {',
        ...(name === undefined ? [] : [`  name = "${name}"`]),
        '  source "amazon-ebs.demo" {',
        `    ami_name = "${ami}-\${local.build_stamp}"`,
        '  }',
        ...provisioner,
        ...postProcessor,
        '}'
      ]
      const waits = ['  provisioner "shell-local" {', `    inline = ["touch ${marker}", "sleep 60"]`, '  }']
      const after = slow ? block('three', 'slow', waits) : []
      const builds = (between ? [...block('one'), ...block('two', undefined, waits)] : [...block('one'), ...block('two'), ...after]).concat('').join('\n')
      writeFileSync(path, demo.slice(0, demo.indexOf('source "amazon-ebs" "demo" {')) + (encrypted ? encryptBoot(unnamed) : unnamed) + builds)
      return (stdoutSoFar) => stdoutSoFar().split("Build 'amazon-ebs.demo' finished").length === (between ? 2 : 3) && existsSync(marker)
    }

    /** The AMIs of the builds named `prefix` (the ami_name given in its block) in each region, by region. */
    const amisNamed = (prefix: string): Array<{ region: string; amiId: string }> =>
      regions.flatMap((region) => endpoint.images(region).filter((image) => image.name.startsWith(`${prefix}-`)).map((image) => ({ region, amiId: image.imageId })))

    it.each([
      ['with a manifest', {}],
      ['with no manifest', { manifest: false }],
      ['encrypt_boot, with a manifest', { encrypted: true }],
      ['encrypt_boot, with no manifest', { encrypted: true, manifest: false }]
    ])(
      'the main step killed after two HCL2 build blocks of one source that Packer names alike finished, %s: the post step names each AMI once, each build apart, and removes none',
      async (_, how) => {
        endpoint = await startEc2Endpoint({ regions })
        const done = twoUnnamedBuildBlocksOfOneSource(how)
        const inputs = { 'working-directory': 'hcl2', template: 'ami.pkr.hcl', 'var-file': 'loopback.pkrvars.hcl' }
        const { main, packerPid } = await mainKilledWhen(done, 'both unnamed builds to finish while slow provisions', (onStart) =>
          runAction(options(inputs, { onStart }))
        )
        try {
          expect(main.exitCode).toBeNull()
          const [one, two] = [amisNamed('one'), amisNamed('two')]
          expect([one, two].map((amis) => amis.map(({ region }) => region))).toEqual([regions, regions])
          const deregisteredBefore = endpoint.callsOf('DeregisterImage').length
          const post = await runPostStep(main, options(inputs))
          expect(post.exitCode).toBe(0)
          const warning = post.warnings.filter((text) => text.startsWith('The main step ended before it set its outputs'))
          expect(warning).toHaveLength(1)
          const builds = /builds had finished: (.*?)\. These AMIs exist/.exec(warning[0])?.[1].split('; ') ?? []
          expect(builds).toHaveLength(2)
          for (const amis of [one, two]) {
            // Each build's AMIs together, once, under the one name Packer gives both.
            expect(builds.filter((build) => amis.every(({ region, amiId }) => build.includes(`${amiId} (${region})`)))).toHaveLength(1)
            for (const { region, amiId } of amis) {
              expect(warning[0].split(amiId)).toHaveLength(2)
              expect(post.summary.split(`| ${region} | [\`${amiId}\`](`)).toHaveLength(2)
            }
          }
          expect(builds.every((build) => build.startsWith('build amazon-ebs.demo: '))).toBe(true)
          expect(warning[0]).toContain(
            'Packer gives 2 of these builds one name, amazon-ebs.demo (build blocks with no name of their own that build one source, or a source one build block lists twice), ' +
              'and nothing it wrote tells which is which: each is listed apart, under that name.'
          )
          expect(renderedText(post.summary).split('amazon-ebs.demo').length).toBeGreaterThanOrEqual(3)
          // Nothing of theirs removed: the post step deregistered nothing, and every AMI is there.
          expect(endpoint.callsOf('DeregisterImage').length).toBe(deregisteredBefore)
          expect([amisNamed('one'), amisNamed('two')]).toEqual([one, two])
        } finally {
          stopPacker(packerPid())
        }
      }
    )

    /** The AMIs of the builds named `prefix`, region to AMI ID. */
    const amisByRegion = (prefix: string): Record<string, string> => Object.fromEntries(amisNamed(prefix).map(({ region, amiId }) => [region, amiId]))

    /** The resources (AMIs, snapshots) a CreateTags call gave the input's tag Team=images. */
    const taggedByTheAction = (): string[] =>
      endpoint.callsOf('CreateTags').flatMap(({ params }) => {
        const tagged = Object.keys(params).some((key) => /^Tag\.\d+\.Key$/.test(key) && params[key] === 'Team' && params[key.replace('Key', 'Value')] === 'images')
        return tagged ? Object.keys(params).filter((key) => key.startsWith('ResourceId.')).map((key) => params[key]) : []
      })

    /** The snapshots of the AMIs of `amis` (region to AMI ID). */
    const snapshotsOf = (amis: Record<string, string>): string[] =>
      Object.entries(amis).flatMap(([region, amiId]) =>
        (endpoint.images(region).find((image) => image.imageId === amiId)?.blockDeviceMappings ?? []).flatMap((device) => (device.snapshotId ? [device.snapshotId] : []))
      )

    /**
     * What the outputs, the summary and the annotations say of the two builds (`one`, `two`: each
     * one's AMIs by region): each apart, each AMI once; the warning on the second build block's line.
     */
    function expectKeptApart(run: ActionRun): void {
      // The second build block's line: the template as this test wrote it, each block a line `build {`.
      const lines = readFileSync(join(workspace, 'hcl2', 'ami.pkr.hcl'), 'utf8').split('\n')
      const line = lines.indexOf('build {', lines.indexOf('build {') + 1) + 1
      const [one, two] = [amisByRegion('one'), amisByRegion('two')]
      expect([one, two].map((amis) => Object.keys(amis).sort())).toEqual([[...regions].sort(), [...regions].sort()])
      const builds = JSON.parse(run.outputs.builds) as Record<string, Record<string, string>>
      // Nothing Packer writes tells which block made which: the first to finish keeps the name.
      expect(Object.keys(builds)).toEqual(['amazon-ebs.demo', 'amazon-ebs.demo#2'])
      expect([builds['amazon-ebs.demo'], builds['amazon-ebs.demo#2']]).toEqual(expect.arrayContaining([one, two]))
      expect(JSON.parse(run.outputs['ami-ids'])).toEqual(builds['amazon-ebs.demo'])
      expect(run.outputs['ami-id']).toBe(builds['amazon-ebs.demo']['us-east-1'])
      const artifacts = JSON.parse(run.outputs.artifacts) as Array<{ build: string; region: string; amiId: string }>
      expect(artifacts).toHaveLength(6)
      for (const [build, amis] of Object.entries(builds)) {
        for (const [region, amiId] of Object.entries(amis)) {
          expect(artifacts.filter((artifact) => artifact.amiId === amiId)).toEqual([expect.objectContaining({ build, region, amiId })])
          expect(run.summary.split(`| ${region} | [\`${amiId}\`](`)).toHaveLength(2)
        }
      }
      expect(renderedText(run.summary)).toContain('amazon-ebs.demo#2 (amazon-ebs)')
      const alike = parseCommands(run.stdout, 'warning').filter(({ message }) => message.startsWith('Packer gives 2 builds one name, amazon-ebs.demo'))
      expect(alike).toHaveLength(1)
      expect(alike[0].properties).toMatchObject({ file: 'hcl2/ami.pkr.hcl', line: String(line) })
      expect(alike[0].message).toContain('in the order they finished: amazon-ebs.demo, then amazon-ebs.demo#2.')
      expect(alike[0].message).toContain('Give each build block a name of its own (name = "…")')
      expect(renderedText(run.summary).split('Packer gives 2 builds one name, amazon-ebs.demo')).toHaveLength(2)
      // The summary's word on ami-id agrees with the warning: the first to finish, not the template's first.
      expect(renderedText(run.summary)).toContain(
        "ami-id and ami-ids are build amazon-ebs.demo's: builds Packer names amazon-ebs.demo come first, in the template's order, " +
          'of the builds that made AMIs (amazon-ebs.demo, amazon-ebs.demo#2), and of those it is the first to finish.'
      )
    }

    const alikeInputs = { 'working-directory': 'hcl2', template: 'ami.pkr.hcl', 'var-file': 'loopback.pkrvars.hcl', tags: 'Team=images' }

    it.each([
      ['with a manifest', {}],
      ["with no manifest: from Packer's output", { manifest: false }],
      ['encrypt_boot, with a manifest', { encrypted: true }],
      ["encrypt_boot, with no manifest: the encrypted copies EC2 holds of each build's AMI", { encrypted: true, manifest: false }]
    ])("two HCL2 build blocks that Packer names alike, a normal run %s: outputs builds and artifacts, the summary and the tags hold both builds' AMIs apart, with one warning on the second block", async (_, how) => {
      endpoint = await startEc2Endpoint({ regions })
      twoUnnamedBuildBlocksOfOneSource({ slow: false, ...how })
      const run = await runAction(options(alikeInputs))
      expect(run.exitCode).toBe(0)
      expectKeptApart(run)
      // Nothing stopped Packer: where its output lists one of the two, the log says only that.
      const found = run.stdout.split('\n').filter((line) => line.includes('Found in EC2'))
      expect(found).toEqual(!('manifest' in how) ? [] : [expect.stringMatching(/^Found in EC2 the AMIs of builds that finished though Packer's output did not list them: amazon-ebs\.demo: ami-/)])
      expect(run.stdout).not.toContain('stopped')
      const tagged = taggedByTheAction()
      for (const amis of [amisByRegion('one'), amisByRegion('two')]) {
        expect(snapshotsOf(amis)).toHaveLength(3)
        expect(tagged).toEqual(expect.arrayContaining([...Object.values(amis), ...snapshotsOf(amis)]))
      }
    })

    it('two HCL2 build blocks that Packer names alike, cancelled after both finished: the outputs and the summary hold all 6 AMIs the error counts, each build apart', async () => {
      endpoint = await startEc2Endpoint({ regions })
      const done = twoUnnamedBuildBlocksOfOneSource()
      const run = await runAction(
        options(alikeInputs, { onStart: (child, stdoutSoFar) => void until(() => done(stdoutSoFar), 'both unnamed builds to finish while slow provisions').then(() => child.kill('SIGINT')) })
      )
      expect(run.exitCode).toBe(1)
      expect(run.errors.map(({ message }) => message)).toContain('The build was cancelled after Packer made 6 AMIs that are in the summary and in the outputs.')
      expectKeptApart(run)
    })

    it('two HCL2 build blocks that Packer names alike, with no manifest, cancelled after both finished: the log says that Packer was stopped before it listed their AMIs', async () => {
      endpoint = await startEc2Endpoint({ regions })
      const done = twoUnnamedBuildBlocksOfOneSource({ manifest: false })
      const run = await runAction(
        options(alikeInputs, { onStart: (child, stdoutSoFar) => void until(() => done(stdoutSoFar), 'both unnamed builds to finish while slow provisions').then(() => child.kill('SIGINT')) })
      )
      expect(run.exitCode).toBe(1)
      expectKeptApart(run)
      const found = run.stdout.split('\n').filter((line) => line.includes('Found in EC2'))
      expect(found).toEqual([expect.stringMatching(/^Found in EC2 the AMIs of builds that finished before Packer was stopped: amazon-ebs\.demo: ami-/)])
    })

    it("the main step killed after one of two HCL2 build blocks that Packer names alike finished: the post step keeps that build's AMIs, and terminates the other's instance", async () => {
      endpoint = await startEc2Endpoint({ regions })
      const done = twoUnnamedBuildBlocksOfOneSource({ between: true, manifest: false })
      const inputs = { 'working-directory': 'hcl2', template: 'ami.pkr.hcl', 'var-file': 'loopback.pkrvars.hcl' }
      const { main, packerPid } = await mainKilledWhen(done, 'one unnamed build to finish while the other provisions', (onStart) =>
        runAction(options(inputs, { onStart }))
      )
      try {
        expect(main.exitCode).toBeNull()
        const one = amisNamed('one')
        expect(one.map(({ region }) => region)).toEqual(regions)
        const running = endpoint.instances('us-east-1').filter((instance) => instance.state === 'running')
        expect(running).toHaveLength(1)
        const post = await runPostStep(main, options(inputs))
        expect(post.exitCode).toBe(0)
        expect(endpoint.instances('us-east-1').find((instance) => instance.instanceId === running[0].instanceId)?.state).toBe('terminated')
        expect(post.stdout).toContain(`terminated ${running[0].instanceId}`)
        const warning = post.warnings.filter((text) => text.startsWith('The main step ended before it set its outputs'))
        expect(warning).toHaveLength(1)
        for (const { region, amiId } of one) expect(warning[0]).toContain(`${amiId} (${region})`)
        expect(amisNamed('one')).toEqual(one)
        // Packer deleted the finished build's security group, and no line tells which group was its: no warning of it.
        expect(post.warnings.filter((text) => text.startsWith('Security group'))).toEqual([])
        expect(post.stdout).toMatch(/Security group packer_\S+ is already gone from us-east-1: Packer deletes a build's group when the build finishes, and one of the builds it names alike/)
      } finally {
        stopPacker(packerPid())
      }
    })

    it("cancelled after one of two HCL2 build blocks of one encrypt_boot source finished, with a manifest: the outputs name that build's encrypted AMIs once", async () => {
      endpoint = await startEc2Endpoint({ regions })
      const done = twoBuildBlocksOfOneEncryptedSource()
      const inputs = { 'working-directory': 'hcl2', template: 'ami.pkr.hcl', 'var-file': 'loopback.pkrvars.hcl' }
      const main = await runAction(
        options(inputs, {
          onStart: (child, stdoutSoFar) => {
            void until(() => done(stdoutSoFar), 'build a to finish while b provisions').then(() => child.kill('SIGINT'))
          }
        })
      )
      expect(main.exitCode).toBe(1)
      const { encrypted, unencrypted } = encryptedWebAmis(main, 'a.amazon-ebs.demo')
      const byRegion = Object.fromEntries(encrypted.map(({ region, amiId }) => [region, amiId]))
      expect(JSON.parse(main.outputs['ami-ids'])).toEqual(byRegion)
      expect(JSON.parse(main.outputs.builds)).toEqual({ 'a.amazon-ebs.demo': byRegion })
      for (const { region, amiId } of encrypted) expect(main.summary.split(`| ${region} | [\`${amiId}\`](`)).toHaveLength(2)
      expect(main.summary).not.toContain(unencrypted)
      expect(main.errors.at(-1)?.message).toBe('The build was cancelled after Packer made 3 AMIs that are in the summary and in the outputs.')
    })

    it("cancelled while a build's AMI is copied: Packer deregisters the AMI, and the post step its copies", async () => {
      endpoint = await startEc2Endpoint({ regions })
      endpoint.faults.holdCopiesPending()
      const loopback = endpoint
      const main = await patientRun((child) => {
        void until(() => loopback.callsOf('DescribeImages', 'us-west-2').length >= 2, 'the copies to be waited for').then(() =>
          child.kill('SIGINT')
        )
      })
      expect(main.exitCode).toBe(1)
      const ami = announcedAmi(main.stdout, 'amazon-ebs')
      expect(main.errors.at(-1)?.message).toBe(
        `The build was cancelled before it finished (exit code 1): no AMI is in the outputs. Packer had made ${ami}. ` +
          'The post step checks that nothing Packer started is left, that AMI and its copies in other regions included, and removes what is.'
      )
      // Packer's own clean-up: the AMI is gone, its copies are not.
      expect(endpoint.images('us-east-1').map((image) => image.imageId)).not.toContain(ami)
      const copied = ['eu-west-1', 'us-west-2'].map((region) => endpoint.images(region).find((image) => image.sourceImageId === ami))
      const copies = copied.map((copy) => copy?.imageId)
      expect(copies.every(Boolean)).toBe(true)
      const copiesSnapshots = copied.map((copy) => copy?.blockDeviceMappings.flatMap((device) => device.snapshotId ?? []) ?? [])
      expect(copiesSnapshots.flat()).toHaveLength(2)

      const post = await runPostStep(main, options({}))
      expect(post.exitCode).toBe(0)
      expect(post.warnings).toEqual([])
      expect(post.stdout).toContain(`${ami}, the AMI Packer announced, is already deregistered.`)
      expect(post.stdout).toMatch(/Security group packer_\S+ is already gone from us-east-1\./)
      for (const [i, region] of ['eu-west-1', 'us-west-2'].entries()) {
        expect(endpoint.images(region).filter((image) => image.sourceImageId === ami)).toEqual([])
        expect(endpoint.snapshots(region).filter((snapshot) => copiesSnapshots[i].includes(snapshot.snapshotId))).toEqual([])
      }
      expect(post.stdout).toContain(`; deregistered ${copies[0]} (eu-west-1), ${copies[1]} (us-west-2); deleted snapshot ${copiesSnapshots.flat().join(', ')}.`)
    })

    it.each(['cancelled', 'Packer killed'])(
      "%s after a build finished, with no manifest: the AMI Packer keeps of that build is in the outputs and the summary",
      async (how) => {
        endpoint = await startEc2Endpoint({ regions })
        endpoint.faults.holdCopiesPending()
        fastAndSlowWithoutManifest()
        const loopback = endpoint
        const main = await patientRun((child, stdoutSoFar) => {
          void fastFinished(loopback, stdoutSoFar).then(() =>
            how === 'cancelled' ? child.kill('SIGINT') : process.kill(childrenOf(child.pid as number)[0], 'SIGKILL')
          )
        })
        expect(main.exitCode).toBe(1)
        const fast = announcedAmi(main.stdout, 'fast')
        expect(JSON.parse(main.outputs['ami-ids'])).toEqual({ 'us-east-1': fast })
        expect(JSON.parse(main.outputs.builds)).toEqual({ fast: { 'us-east-1': fast } })
        expect(main.summary).toContain(`| us-east-1 | [\`${fast}\`](`)
        expect(main.summary).not.toContain('No AMI was built')
        if (how === 'cancelled') {
          expect(main.errors.at(-1)?.message).toBe('The build was cancelled after Packer made 1 AMI that is in the summary and in the outputs.')
        }
        expect(JSON.parse(main.state['packer-leftovers'])).toMatchObject({ amis: [fast] })
        // fast copied nothing; the copies of slow, which did not finish, are the post step's.
        expect(copyLookUps()).toEqual([])

        const post = await runPostStep(main, options({}))
        expect(post.exitCode).toBe(0)
        expect(endpoint.images('us-east-1').find((image) => image.imageId === fast)?.state).toBe('available')
        expect(endpoint.callsOf('DeregisterImage').map((call) => call.params.ImageId)).not.toContain(fast)
      }
    )

    /**
     * Build web, which copies its AMI to eu-west-1 and us-west-2, finishes; the run is then
     * cancelled as the runner cancels while build api provisions. The template as
     * webFinishesWhileApiProvisions makes it.
     */
    async function cancelledAfterWebFinished({
      manifest,
      encrypted = false
    }: {
      manifest: boolean | 'after checksum'
      encrypted?: boolean
    }): Promise<{ main: ActionRun; web: Array<{ region: string; amiId: string }> }> {
      const webDone = webFinishesWhileApiProvisions({ manifest, encrypted })
      const onStart: RunActionOptions['onStart'] = (child, stdoutSoFar) => {
        void until(() => webDone(stdoutSoFar), 'web to finish while api provisions').then(() => cancelAsTheRunnerDoes(child))
      }
      const main = await runAction(options({}, { onStart }))
      const web = encrypted
        ? encryptedWebAmis(main).encrypted
        : regions.map((region) => {
            const [image] = endpoint.images(region).filter((candidate) => candidate.name.startsWith('packer-ami-action-demo-'))
            return { region, amiId: image?.imageId as string }
          })
      expect(web.every(({ amiId }) => amiId?.startsWith('ami-'))).toBe(true)
      return { main, web }
    }

    it("cancelled after an encrypt_boot build finished, with no manifest: its encrypted AMIs are the outputs, and no warning names the one Packer deregistered", async () => {
      endpoint = await startEc2Endpoint({ regions })
      const { main, web } = await cancelledAfterWebFinished({ manifest: false, encrypted: true })
      expect(main.exitCode).toBe(1)
      const unencrypted = announcedAmi(main.stdout, 'web')
      expect(endpoint.callsOf('DeregisterImage').map((call) => call.params.ImageId)).toEqual([unencrypted])
      const byRegion = Object.fromEntries(web.map(({ region, amiId }) => [region, amiId]))
      expect(JSON.parse(main.outputs['ami-ids'])).toEqual(byRegion)
      expect(main.outputs['ami-id']).toBe(web[0].amiId)
      expect(JSON.parse(main.outputs.builds)).toEqual({ web: byRegion })
      for (const { region, amiId } of web) expect(main.summary).toContain(`| ${region} | [\`${amiId}\`](`)
      expect(main.errors.at(-1)?.message).toBe('The build was cancelled after Packer made 3 AMIs that are in the summary and in the outputs.')
      expect(main.warnings.filter((text) => text.includes(unencrypted))).toEqual([])
      expect(main.summary).not.toContain(unencrypted)
      expect(copyLookUps().map((call) => call.region).sort()).toEqual(regions.slice().sort())
    })

    it("cancelled after a build with copies finished, with no manifest: its copies too are in the outputs and the summary", async () => {
      endpoint = await startEc2Endpoint({ regions })
      const { main, web } = await cancelledAfterWebFinished({ manifest: false })
      expect(main.exitCode).toBe(1)
      const [home, ...copies] = web
      expect(announcedAmi(main.stdout, 'web')).toBe(home.amiId)
      const byRegion = Object.fromEntries(web.map(({ region, amiId }) => [region, amiId]))
      expect(JSON.parse(main.outputs['ami-ids'])).toEqual(byRegion)
      expect(main.outputs['ami-id']).toBe(home.amiId)
      expect(JSON.parse(main.outputs.builds)).toEqual({ web: byRegion })
      expect(JSON.parse(main.outputs.artifacts).map((artifact: { region: string; amiId: string }) => `${artifact.region} ${artifact.amiId}`).sort()).toEqual(
        web.map(({ region, amiId }) => `${region} ${amiId}`).sort()
      )
      for (const { region, amiId } of web) expect(main.summary).toContain(`| ${region} | [\`${amiId}\`](`)
      expect(main.errors.at(-1)?.message).toBe('The build was cancelled after Packer made 3 AMIs that are in the summary and in the outputs.')
      expect(main.warnings.filter((text) => text.includes('copies'))).toEqual([])
      // One look-up in each region Packer's log says web copied to, for copies of web's AMI only.
      const lookUps = copyLookUps()
      expect(lookUps.map((call) => call.region).sort()).toEqual(copies.map(({ region }) => region).sort())
      for (const call of lookUps) expect(call.params).toMatchObject({ 'Owner.1': 'self', 'Filter.1.Value.1': home.amiId })
      expect(lookUps.every((call) => call.params['Filter.1.Value.2'] === undefined)).toBe(true)
      expect(JSON.parse(main.state['packer-leftovers']).amis.sort()).toEqual(web.map(({ amiId }) => amiId).sort())

      // The main step ended by itself, its outputs set: the post step looks for no copy, and names no AMI.
      const post = await runPostStep(main, options({}))
      expect(post.exitCode).toBe(0)
      expect(copyLookUps()).toHaveLength(lookUps.length)
      expect(post.warnings.filter((text) => text.includes('builds had finished'))).toEqual([])
      expect(post.summary).toBe('')
    })

    it('cancelled after a build finished, with no manifest, beside a null build: artifacts names the builder type of each of its AMIs', async () => {
      endpoint = await startEc2Endpoint({ regions })
      const webDone = webFinishesWhileApiProvisions({ manifest: false })
      // A build that makes no AMI, as a template's check or test build does.
      const path = join(workspace, 'json', 'packer-template.json')
      const template = JSON.parse(readFileSync(path, 'utf8'))
      template.builders.push({ type: 'null', name: 'check', communicator: 'none' })
      writeFileSync(path, JSON.stringify(template, null, 2))
      const main = await runAction(
        options({}, { onStart: (child, stdoutSoFar) => void until(() => webDone(stdoutSoFar), 'web to finish while api provisions').then(() => cancelAsTheRunnerDoes(child)) })
      )
      expect(main.exitCode).toBe(1)
      const artifacts = JSON.parse(main.outputs.artifacts) as Array<{ build: string; builderType: string; region: string }>
      expect(artifacts.map(({ build, builderType, region }) => `${build} ${builderType} ${region}`).sort()).toEqual(
        regions.map((region) => `web amazon-ebs ${region}`).sort()
      )
      expect(main.summary).toContain('### web (amazon\\-ebs)')
    })

    it('HCL2: cancelled after a build finished, with no manifest: artifacts names the builder type of each of its AMIs', async () => {
      endpoint = await startEc2Endpoint({ regions })
      const marker = join(workspace, 'provisioning')
      const path = join(workspace, 'hcl2', 'ami.pkr.hcl')
      const text = readFileSync(path, 'utf8')
      const source = /source "amazon-ebs" "demo" \{[^]*?\n\}\n/.exec(text)?.[0] as string
      const api = source.replace('"demo"', '"api"').replace('"${var.ami_name_prefix}-', '"api-').replace('var.ami_regions', '[]')
      const build =
        'build {\n  sources = ["source.amazon-ebs.demo", "source.amazon-ebs.api"]\n' +
        `  provisioner "shell-local" {\n    only   = ["amazon-ebs.api"]\n    inline = ["touch ${marker}", "sleep 60"]\n  }\n}\n`
      writeFileSync(path, `${text.slice(0, text.indexOf('build {'))}${api}\n${build}`)
      const webDone = (stdoutSoFar: () => string): boolean => stdoutSoFar().includes("Build 'amazon-ebs.demo' finished") && existsSync(marker)
      const main = await runAction(
        options(
          { 'working-directory': 'hcl2', template: 'ami.pkr.hcl', 'var-file': 'loopback.pkrvars.hcl' },
          { onStart: (child, stdoutSoFar) => void until(() => webDone(stdoutSoFar), 'demo to finish while api provisions').then(() => cancelAsTheRunnerDoes(child)) }
        )
      )
      expect(main.exitCode).toBe(1)
      const artifacts = JSON.parse(main.outputs.artifacts) as Array<{ build: string; builderType: string; region: string }>
      expect(artifacts.map(({ build, builderType, region }) => `${build} ${builderType} ${region}`).sort()).toEqual(
        regions.map((region) => `amazon-ebs.demo amazon-ebs ${region}`).sort()
      )
    })

    it("cancelled after a build with copies finished, with no manifest, and a region that refuses DescribeImages: a warning names where copies may be", async () => {
      endpoint = await startEc2Endpoint({ regions })
      endpoint.faults.fail('DescribeImages', { code: 'UnauthorizedOperation', region: 'eu-west-1', userAgent: 'aws-sdk-js' })
      const { main, web } = await cancelledAfterWebFinished({ manifest: false })
      expect(main.exitCode).toBe(1)
      const [home, , west] = web
      expect(JSON.parse(main.outputs['ami-ids'])).toEqual({ 'us-east-1': home.amiId, 'us-west-2': west.amiId })
      expect(main.summary).toContain(`| us-west-2 | [\`${west.amiId}\`](`)
      expect(main.summary).not.toContain(web[1].amiId)
      const warning = main.warnings.find((text) => text.includes('eu-west-1'))
      expect(warning).toMatch(
        new RegExp(`^Build web copied its AMI ${home.amiId} to eu-west-1, where its copy could not be looked up \\(.*ec2:DescribeImages.*\\): a copy there is in no output and is not tagged\\.$`)
      )
      expect(main.summary).toContain(warning)
      expect(copyLookUps().map((call) => call.region).sort()).toEqual(['eu-west-1', 'us-west-2'])
    })

    it("cancelled after a build with copies finished, with a manifest: the manifest names the copies, and the action asks EC2 for none", async () => {
      endpoint = await startEc2Endpoint({ regions })
      const { main, web } = await cancelledAfterWebFinished({ manifest: true })
      expect(main.exitCode).toBe(1)
      expect(JSON.parse(main.outputs['ami-ids'])).toEqual(Object.fromEntries(web.map(({ region, amiId }) => [region, amiId])))
      expect(copyLookUps()).toEqual([])
      // Nor for web's AMI, which the manifest places (Packer looks up AMIs by ID or name, never by an image-id filter).
      expect(endpoint.callsOf('DescribeImages').filter((call) => call.params['Filter.1.Name'] === 'image-id')).toEqual([])
      // Under the summary's headline, what the cancel left: the AMIs, in the outputs and the table below.
      expect(renderedText(main.summary)).toContain(
        `Packer AMI build: :no_entry_sign: Cancelled\nTemplate json/packer-template.json · Packer ${packerVersion()} · commit c0ffee0\n` +
          'The build was cancelled after Packer made 3 AMIs that are in the outputs and below.\n'
      )
    })

    it("cancelled after a build with copies finished, with a manifest after a checksum: the manifest lists no AMI, and the copies found in EC2 are in the outputs", async () => {
      endpoint = await startEc2Endpoint({ regions })
      const { main, web } = await cancelledAfterWebFinished({ manifest: 'after checksum' })
      expect(main.exitCode).toBe(1)
      const manifest = JSON.parse(readFileSync(join(workspace, 'json', 'packer-manifest.json'), 'utf8'))
      expect(manifest.builds.map((build: { name: string; artifact_id: string }) => [build.name, build.artifact_id])).toEqual([['web', '']])
      const byRegion = Object.fromEntries(web.map(({ region, amiId }) => [region, amiId]))
      expect(JSON.parse(main.outputs['ami-ids'])).toEqual(byRegion)
      expect(JSON.parse(main.outputs.builds)).toEqual({ web: byRegion })
      for (const { region, amiId } of web) expect(main.summary).toContain(`| ${region} | [\`${amiId}\`](`)
      expect(main.errors.at(-1)?.message).toBe('The build was cancelled after Packer made 3 AMIs that are in the summary and in the outputs.')
    })

    it("the main step killed after a build with copies finished, with a manifest after a checksum: the post step names each of its AMIs once", async () => {
      await afterMainKilledWhileApiProvisions({}, { manifest: 'after checksum' }, async (main) => {
        const post = await runPostStep(main, options({}))
        expect(post.exitCode).toBe(0)
        const [home, east, west] = webAmis()
        expect(post.warnings).toContain(
          `The main step ended before it set its outputs, but builds had finished: build web: ${home.amiId} (us-east-1), ${east.amiId} (eu-west-1), ${west.amiId} (us-west-2). ` +
            'These AMIs exist and are not tagged; they are in no output and the post step leaves them.'
        )
      })
    })

    it("cancelled again while the action looks up a finished build's AMI: the failure says so, and the post step names that AMI", async () => {
      endpoint = await startEc2Endpoint({ regions })
      endpoint.faults.holdCopiesPending()
      // The look-up of fast's region never gets an answer: the runner's SIGTERM comes first.
      endpoint.faults.hang('DescribeImages', { userAgent: 'aws-sdk-js' })
      fastAndSlowWithoutManifest()
      const loopback = endpoint
      const main = await patientRun((child, stdoutSoFar) => {
        void fastFinished(loopback, stdoutSoFar)
          .then(() => child.kill('SIGINT'))
          .then(() => until(() => loopback.calls.some((call) => call.error === 'NoAnswer'), 'the action to look up the AMI'))
          .then(() => child.kill('SIGTERM'))
      })
      expect(main.exitCode).toBe(1)
      const fast = announcedAmi(main.stdout, 'fast')
      expect(main.errors.at(-1)?.message).toBe(
        'The run was cancelled (SIGTERM) after Packer ended, before the action had read which AMIs it made: ' +
          'the post step names those of the builds that finished.'
      )
      // The summary is written, as a failure there writes it, and says when the cancel came.
      expect(main.summary).toContain(':no_entry_sign: Cancelled')
      expect(renderedText(main.summary)).toContain(
        'The run was cancelled (SIGTERM) after Packer ended, before the action had read which AMIs it made: the post step names those of the builds that finished.'
      )
      // Not that none was built: the post step names it; and that, once.
      expect(main.summary).not.toContain('No AMI was built.')
      expect(main.summary).not.toContain('Which AMIs Packer made was not read')
      endpoint.faults.clear()
      const post = await runPostStep(main, options({}))
      expect(post.exitCode).toBe(0)
      expect(post.warnings).toContainEqual(expect.stringContaining(`build fast: ${fast}`))
      expect(endpoint.images('us-east-1').find((image) => image.imageId === fast)?.state).toBe('available')
    })

    it('cancelled while the AMI becomes available: Packer leaves the AMI, and the post step deregisters it', async () => {
      endpoint = await startEc2Endpoint({ regions })
      endpoint.faults.holdCreatedImagesPending()
      const loopback = endpoint
      const main = await patientRun((child) => {
        void until(() => loopback.images('us-east-1').some((image) => image.sourceInstanceId) && loopback.callsOf('DescribeImages').length >= 3, 'Packer to wait for its AMI').then(() =>
          child.kill('SIGINT')
        )
      })
      expect(main.exitCode).toBe(1)
      const ami = announcedAmi(main.stdout, 'amazon-ebs')
      expect(main.errors.at(-1)?.message).toContain(`Packer had made ${ami}. The post step checks`)
      // Packer deregisters its AMI only once it is available: this one it left.
      expect(endpoint.images('us-east-1').find((image) => image.imageId === ami)?.state).toBe('pending')

      const post = await runPostStep(main, options({}))
      expect(post.exitCode).toBe(0)
      expect(post.warnings).toEqual([])
      expect(post.stdout).toContain(`us-east-1: deregistered ${ami} (pending, made from `)
      expect(endpoint.images('us-east-1').map((image) => image.imageId)).toEqual([SOURCE_AMI_ID])
      expect(endpoint.snapshots('us-east-1').map((snapshot) => snapshot.snapshotId)).toEqual(['snap-0abcdef1234567890'])
    })

    /** The action, on an endpoint that holds the AMIs it makes pending: `stop` runs once Packer waits for its AMI. */
    function stoppedWhileItsAmiIsPending(stop: (child: ChildProcess) => void): Promise<ActionRun> {
      const loopback = endpoint
      return patientRun((child, stdoutSoFar) => {
        void until(() => /: AMI: ami-/.test(stdoutSoFar()) && loopback.callsOf('DescribeImages').length >= 3, 'Packer to wait for its AMI').then(() =>
          stop(child)
        )
      })
    }

    /** An amazon-ebssurrogate build whose AMI stays pending: `stop` runs once Packer waits for it. */
    async function surrogateWaitingForItsAmi(stop: (child: ChildProcess) => void): Promise<ActionRun> {
      endpoint = await startEc2Endpoint({ regions })
      endpoint.faults.holdCreatedImagesPending()
      asSurrogateBuild(workspace)
      return stoppedWhileItsAmiIsPending(stop)
    }

    it('an amazon-ebssurrogate build killed while its AMI becomes available: the post step deregisters it and deletes its snapshot', async () => {
      const main = await surrogateWaitingForItsAmi((child) => process.kill(childrenOf(child.pid as number)[0], 'SIGKILL'))
      expect(main.exitCode).toBe(1)
      const ami = announcedAmi(main.stdout, 'amazon-ebssurrogate')
      const registered = endpoint.images('us-east-1').find((image) => image.imageId === ami)
      // EC2 ties it to no instance: it was registered from a snapshot of the instance's volume.
      expect(registered?.sourceInstanceId).toBeUndefined()
      const [instance] = endpoint.instances('us-east-1')
      const [snapshot] = registered?.blockDeviceMappings.flatMap((device) => device.snapshotId ?? []) ?? []
      const volume = endpoint.snapshots('us-east-1').find((one) => one.snapshotId === snapshot)?.volumeId
      expect(instance.volumeIds).toContain(volume)

      const post = await runPostStep(main, options({}))
      expect(post.exitCode).toBe(0)
      expect(post.warnings).toEqual([])
      expect(post.stdout).toContain(
        `us-east-1: deregistered ${ami} (pending, registered from snapshots of ${volume} of ${instance.instanceId}) and deleted its snapshot ${snapshot}.`
      )
      expect(endpoint.images('us-east-1').map((image) => image.imageId)).toEqual([SOURCE_AMI_ID])
      expect(endpoint.snapshots('us-east-1').map((one) => one.snapshotId)).toEqual(['snap-0abcdef1234567890'])
      expect(endpoint.instances('us-east-1').map((one) => one.state)).toEqual(['terminated'])
    })

    it('an amazon-ebssurrogate build cancelled while its AMI becomes available: Packer deletes its volume with its instance, and the post step the AMI it leaves', async () => {
      const main = await surrogateWaitingForItsAmi((child) => child.kill('SIGINT'))
      expect(main.exitCode).toBe(1)
      const ami = announcedAmi(main.stdout, 'amazon-ebssurrogate')
      // Packer terminated its instance, with the volume its AMI was registered from.
      expect(endpoint.instances('us-east-1').map((one) => one.state)).toEqual(['terminated'])
      const registered = endpoint.images('us-east-1').find((image) => image.imageId === ami)
      expect(registered?.state).toBe('pending')
      const [snapshot] = registered?.blockDeviceMappings.flatMap((device) => device.snapshotId ?? []) ?? []
      const volume = endpoint.snapshots('us-east-1').find((one) => one.snapshotId === snapshot)?.volumeId
      expect(endpoint.volumes('us-east-1').map((one) => one.volumeId)).not.toContain(volume)

      const post = await runPostStep(main, options({}))
      expect(post.exitCode).toBe(0)
      expect(post.warnings).toEqual([])
      expect(post.stdout).toContain(
        `us-east-1: deregistered ${ami} (pending, registered from snapshots of ${volume} that Packer deleted with the build's instance) and deleted its snapshot ${snapshot}.`
      )
      expect(endpoint.images('us-east-1').map((image) => image.imageId)).toEqual([SOURCE_AMI_ID])
      expect(endpoint.snapshots('us-east-1').map((one) => one.snapshotId)).toEqual(['snap-0abcdef1234567890'])
    })

    it('an amazon-ebssurrogate build killed while its AMI becomes available, its instance terminated, its volume kept: the post step names the AMI and the snapshot it leaves', async () => {
      endpoint = await startEc2Endpoint({ regions })
      endpoint.faults.holdCreatedImagesPending()
      asSurrogateBuildKeepingItsVolume(workspace)
      const main = await stoppedWhileItsAmiIsPending((child) => process.kill(childrenOf(child.pid as number)[0], 'SIGKILL'))
      expect(main.exitCode).toBe(1)
      const ami = announcedAmi(main.stdout, 'amazon-ebssurrogate')
      const [snapshot] = endpoint.images('us-east-1').find((image) => image.imageId === ami)?.blockDeviceMappings.flatMap((device) => device.snapshotId ?? []) ?? []
      const volume = endpoint.snapshots('us-east-1').find((one) => one.snapshotId === snapshot)?.volumeId
      const [instance] = endpoint.instances('us-east-1')
      await terminateNow(instance.instanceId)

      const post = await runPostStep(main, options({}))
      expect(post.exitCode).toBe(0)
      expect(post.warnings).toEqual([
        `Packer's log says the build snapshotted ${volume}, but EC2 ties it to none of the build's instances, so these snapshots are left as they are: ` +
          `${snapshot} (us-east-1, 8 GiB, of ${volume}). If they are the build's, delete them (and the volume, if it is no longer needed) by hand.`,
        `us-east-1: ${ami}, which Packer's log named, was registered after Packer started, but nothing EC2 shows ties it to the build's instance: left as it is. ` +
          "If it is the build's AMI, deregister it and delete what it was registered from.",
        `These may still exist in the account: ${snapshot} (us-east-1), ${ami} (us-east-1).`
      ])
      expect(endpoint.callsOf('DeleteSnapshot')).toEqual([])
    })

    /** Terminates the instance in us-east-1 and waits till EC2 says it is: as its owner, or a limit on its life, may before the post step. */
    async function terminateNow(instanceId: string): Promise<void> {
      const ec2 = new EC2Client({ region: 'us-east-1', endpoint: endpoint.url, credentials: { accessKeyId: 'AKIDLOOPBACK', secretAccessKey: 'x' } })
      await ec2.send(new TerminateInstancesCommand({ InstanceIds: [instanceId] }))
      const terminated = async (): Promise<boolean> =>
        (await ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }))).Reservations?.[0]?.Instances?.[0]?.State?.Name === 'terminated'
      while (!(await terminated()));
      ec2.destroy()
    }

    /** An amazon-ebssurrogate build (made by `asSurrogate`) whose Packer is killed once it has begun to snapshot its volume. */
    async function surrogateKilledWhileItSnapshots(asSurrogate: (workspace: string) => void): Promise<ActionRun> {
      endpoint = await startEc2Endpoint({ regions })
      endpoint.faults.answerLate('CreateSnapshot', 60_000)
      asSurrogate(workspace)
      const loopback = endpoint
      const main = await patientRun((child, stdoutSoFar) => {
        void until(
          () => stdoutSoFar().includes('Creating snapshot of EBS Volume') && loopback.snapshots('us-east-1').length > 1,
          'Packer to snapshot its volume'
        ).then(() => process.kill(childrenOf(child.pid as number)[0], 'SIGKILL'))
      })
      expect(main.exitCode).toBe(1)
      return main
    }

    it('an amazon-ebssurrogate build killed while it snapshots its volume: the post step deletes the snapshot no AMI was registered from', async () => {
      const main = await surrogateKilledWhileItSnapshots(asSurrogateBuild)
      const snapshot = endpoint.snapshots('us-east-1').find((one) => one.snapshotId !== 'snap-0abcdef1234567890')
      const [instance] = endpoint.instances('us-east-1')
      expect(instance.volumeIds).toContain(snapshot?.volumeId)
      expect(main.summary).toContain(`and deletes the snapshots it began of ${snapshot?.volumeId}.`)

      const post = await runPostStep(main, options({}))
      expect(post.exitCode).toBe(0)
      expect(post.warnings).toEqual([])
      expect(post.stdout).toContain(
        `us-east-1: deleted ${snapshot?.snapshotId}, a snapshot of ${snapshot?.volumeId} of ${instance.instanceId}, which no AMI was registered from.`
      )
      expect(endpoint.snapshots('us-east-1').map((one) => one.snapshotId)).toEqual(['snap-0abcdef1234567890'])
      expect(endpoint.instances('us-east-1').map((one) => one.state)).toEqual(['terminated'])
    })

    it("an amazon-ebssurrogate build killed after its snapshot, its instance terminated, its volume kept: the post step names the snapshot it leaves", async () => {
      const main = await surrogateKilledWhileItSnapshots(asSurrogateBuildKeepingItsVolume)
      const snapshot = endpoint.snapshots('us-east-1').find((one) => one.snapshotId !== 'snap-0abcdef1234567890')
      const [instance] = endpoint.instances('us-east-1')
      await terminateNow(instance.instanceId)
      expect(endpoint.volumes('us-east-1').find((one) => one.volumeId === snapshot?.volumeId)?.attachedTo).toBeUndefined()

      const post = await runPostStep(main, options({}))
      expect(post.exitCode).toBe(0)
      expect(post.warnings).toEqual([
        `Packer's log says the build snapshotted ${snapshot?.volumeId}, but EC2 ties it to none of the build's instances, so these snapshots are left as they are: ` +
          `${snapshot?.snapshotId} (us-east-1, 8 GiB, of ${snapshot?.volumeId}). If they are the build's, delete them (and the volume, if it is no longer needed) by hand.`,
        `These may still exist in the account: ${snapshot?.snapshotId} (us-east-1).`
      ])
      expect(endpoint.callsOf('DeleteSnapshot')).toEqual([])
      expect(endpoint.snapshots('us-east-1').map((one) => one.snapshotId)).toContain(snapshot?.snapshotId)
    })

    /**
     * The main step stopped (SIGSTOP) once `stopWhen` holds and its saved state names `named`,
     * then `onStopped` lets Packer go on: what Packer prints from then on stays unread in the pipe,
     * as when the main step crashes while it lags behind Packer. Once `killWhen` holds, the main
     * step is SIGKILLed; `packerPid` is Packer's, which outlives it.
     */
    async function killedWithLinesUnread(
      stopWhen: () => string | undefined,
      onStopped: () => void,
      killWhen: () => boolean,
      what: string
    ): Promise<{ main: ActionRun; packerPid: number }> {
      let packerPid = 0
      const main = await patientRun((child) => {
        const pid = child.pid as number
        const stateFile = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').find((entry) => entry.startsWith('GITHUB_STATE='))?.slice(13) as string
        const named = (): boolean => {
          const name = stopWhen()
          return name !== undefined && readFileSync(stateFile, 'utf8').includes(name)
        }
        void until(named, 'the main step to save what Packer announced')
          .then(() => {
            packerPid = childrenOf(pid)[0]
            process.kill(pid, 'SIGSTOP')
            onStopped()
            return until(killWhen, what)
          })
          .then(() => process.kill(pid, 'SIGKILL'))
      })
      expect(main.signal).toBe('SIGKILL')
      return { main, packerPid }
    }

    it("an amazon-ebssurrogate build whose snapshot and AMI the killed main step never read: the post step finds them through its instance's volumes", async () => {
      endpoint = await startEc2Endpoint({ regions })
      // The main step reads "Instance ID" and stops reading while Packer stops its instance.
      endpoint.faults.holdAnswers('StopInstances')
      endpoint.faults.holdCreatedImagesPending()
      asSurrogateBuild(workspace)
      const loopback = endpoint
      const { main, packerPid } = await killedWithLinesUnread(
        () => (loopback.callsOf('StopInstances').length > 0 ? loopback.instances('us-east-1')[0]?.instanceId : undefined),
        () => loopback.faults.releaseAnswers('StopInstances'),
        () => loopback.callsOf('RegisterImage').length > 0,
        'Packer to register its AMI'
      )
      try {
        const [instance] = endpoint.instances('us-east-1')
        const ami = endpoint.images('us-east-1').find((image) => image.imageId !== SOURCE_AMI_ID)
        const [snapshot] = ami?.blockDeviceMappings.flatMap((device) => device.snapshotId ?? []) ?? []
        const volume = endpoint.snapshots('us-east-1').find((one) => one.snapshotId === snapshot)?.volumeId
        const saved = JSON.parse(main.state['packer-leftovers'])
        expect(saved.resources).toMatchObject({ instanceIds: [instance.instanceId], images: [], snapshotVolumes: [] })
        expect(instance.volumeIds).toContain(volume)

        const post = await runPostStep(main, options({}))
        expect(post.exitCode).toBe(0)
        expect(post.warnings).toEqual([
          `Packer (process group ${packerPid}) was still running after the main step was killed: stopped it, so that it makes nothing more.`
        ])
        expect(post.stdout).toContain(
          `us-east-1: deregistered ${ami?.imageId} (pending, registered from snapshots of ${volume} of ${instance.instanceId}) and deleted its snapshot ${snapshot}.`
        )
        expect(endpoint.images('us-east-1').map((image) => image.imageId)).toEqual([SOURCE_AMI_ID])
        expect(endpoint.snapshots('us-east-1').map((one) => one.snapshotId)).toEqual([SOURCE_SNAPSHOT_ID])
        expect(endpoint.instances('us-east-1').map((one) => one.state)).toEqual(['terminated'])
      } finally {
        stopPacker(packerPid)
      }
    })

    it("an instance found by its temporary key pair, whose security group and instance profile the killed main step never read: the post step removes them with it", async () => {
      endpoint = await startEc2Endpoint({ regions })
      // What is not this build's keeps its name: a group and a profile named as Packer names its own.
      const ec2 = new EC2Client({ region: 'us-east-1', endpoint: endpoint.url, credentials: { accessKeyId: 'AKIDLOOPBACK', secretAccessKey: 'x' } })
      const othersGroup = 'packer_6b158cf6-0000-0000-0000-000000000000'
      await ec2.send(new CreateSecurityGroupCommand({ GroupName: othersGroup, Description: 'Temporary group for Packer' }))
      ec2.destroy()
      // The main step reads "Creating temporary keypair" and stops reading while EC2 makes it.
      endpoint.faults.holdAnswers('CreateKeyPair')
      endpoint.faults.holdInstancesPending()
      withTemporaryInstanceProfile(workspace)
      const loopback = endpoint
      const { main, packerPid } = await killedWithLinesUnread(
        () => loopback.callsOf('CreateKeyPair')[0]?.params.KeyName,
        () => loopback.faults.releaseAnswers('CreateKeyPair'),
        () => loopback.instances('us-east-1').length > 0,
        'Packer to launch its instance'
      )
      try {
        const [instance] = endpoint.instances('us-east-1')
        const group = endpoint.securityGroups('us-east-1').find((one) => one.groupId === instance.securityGroupIds[0])
        const [profile] = endpoint.iamInstanceProfiles()
        expect(group?.groupName).toMatch(/^packer_/)
        expect(profile.instanceProfileName).toMatch(/^packer-/)
        const saved = JSON.parse(main.state['packer-leftovers'])
        expect(saved.resources).toMatchObject({ instanceIds: [], keyPairs: [instance.keyName], securityGroups: [], instanceProfiles: [], roles: [] })

        const post = await runPostStep(main, options({}))
        expect(post.exitCode).toBe(0)
        expect(post.warnings).toEqual([
          `Packer (process group ${packerPid}) was still running after the main step was killed: stopped it, so that it makes nothing more.`
        ])
        expect(post.stdout).toContain(`us-east-1: ${instance.instanceId} uses Packer's temporary key pair or security group.`)
        expect(post.stdout).toContain(
          `us-east-1: ${group?.groupName} (${group?.groupId}), which Packer's log did not name, is the temporary security group of ${instance.instanceId}: it goes with it.`
        )
        expect(post.stdout).toContain(`us-east-1: deleted security group ${group?.groupName} (${group?.groupId}).`)
        expect(post.stdout).toContain(`IAM: deleted instance profile ${profile.instanceProfileName}, after removing ${profile.roles.join(', ')} from it.`)
        expect(endpoint.instances('us-east-1').map((one) => one.state)).toEqual(['terminated'])
        expect(endpoint.securityGroups('us-east-1').map((one) => one.groupName).sort()).toEqual(['default', othersGroup])
        expect(endpoint.keyPairs('us-east-1')).toEqual([])
        expect(endpoint.iamInstanceProfiles()).toEqual([])
        expect(endpoint.iamRoles()).toEqual([])
      } finally {
        stopPacker(packerPid)
      }
    })

    /**
     * The main step stopped once Packer has asked EC2 for its instance, whose answer, and so the
     * "Instance ID" line, is held until then; killed once Packer asks EC2 to make its AMI. The
     * saved state names the key pair `keyPair()` names, and no instance.
     */
    async function killedBeforeItsInstanceIsNamed(keyPair: () => string | undefined): Promise<{ main: ActionRun; packerPid: number }> {
      endpoint.faults.holdAnswers('RunInstances')
      endpoint.faults.holdCreatedImagesPending()
      const loopback = endpoint
      const killed = await killedWithLinesUnread(
        () => (loopback.callsOf('RunInstances').length > 0 ? keyPair() : undefined),
        () => loopback.faults.releaseAnswers('RunInstances'),
        () => loopback.callsOf('CreateImage').length > 0,
        'Packer to make its AMI'
      )
      expect(JSON.parse(killed.main.state['packer-leftovers']).resources).toMatchObject({ instanceIds: [], images: [], imageInstances: [] })
      return killed
    }

    it("an instance found by its temporary key pair, whose ID and AMI the killed main step never read: the post step deregisters the AMI and deletes its snapshot", async () => {
      endpoint = await startEc2Endpoint({ regions })
      const loopback = endpoint
      const { main, packerPid } = await killedBeforeItsInstanceIsNamed(() => loopback.callsOf('CreateKeyPair')[0]?.params.KeyName)
      try {
        const [instance] = endpoint.instances('us-east-1')
        const ami = endpoint.images('us-east-1').find((image) => image.imageId !== SOURCE_AMI_ID)
        const [snapshot] = ami?.blockDeviceMappings.flatMap((device) => device.snapshotId ?? []) ?? []
        expect(instance.keyName).toMatch(/^packer_/)
        expect(snapshot).toBeDefined()
        expect(JSON.parse(main.state['packer-leftovers']).resources.keyPairs).toEqual([instance.keyName])

        const post = await runPostStep(main, options({}))
        expect(post.exitCode).toBe(0)
        expect(post.warnings).toEqual([
          `Packer (process group ${packerPid}) was still running after the main step was killed: stopped it, so that it makes nothing more.`
        ])
        expect(post.stdout).toContain(`us-east-1: ${instance.instanceId} uses Packer's temporary key pair or security group.`)
        expect(post.stdout).toContain(`us-east-1: deregistered ${ami?.imageId} (pending, made from ${instance.instanceId}) and deleted its snapshot ${snapshot}.`)
        expect(endpoint.images('us-east-1').map((image) => image.imageId)).toEqual([SOURCE_AMI_ID])
        expect(endpoint.snapshots('us-east-1').map((one) => one.snapshotId)).toEqual([SOURCE_SNAPSHOT_ID])
        expect(endpoint.instances('us-east-1').map((one) => one.state)).toEqual(['terminated'])
        expect(endpoint.securityGroups('us-east-1').map((one) => one.groupName)).toEqual(['default'])
        expect(endpoint.keyPairs('us-east-1')).toEqual([])
      } finally {
        stopPacker(packerPid)
      }
    })

    it("an instance found only by a temporary_key_pair_name the template fixes, whose ID the killed main step never read: the post step leaves the AMIs made of it", async () => {
      endpoint = await startEc2Endpoint({ regions })
      // The team's security group, so that Packer makes none of its own: the key pair is all the
      // instance is found by.
      const ec2 = new EC2Client({ region: 'us-east-1', endpoint: endpoint.url, credentials: { accessKeyId: 'AKIDLOOPBACK', secretAccessKey: 'x' } })
      const group = (await ec2.send(new CreateSecurityGroupCommand({ GroupName: 'ci-builders', Description: 'CI builders' }))).GroupId as string
      ec2.destroy()
      const path = join(workspace, 'json', 'packer-template.json')
      const template = JSON.parse(readFileSync(path, 'utf8'))
      template.builders[0] = { ...template.builders[0], temporary_key_pair_name: 'ci-builder', security_group_ids: [group] }
      writeFileSync(path, JSON.stringify(template, null, 2))
      const { main, packerPid } = await killedBeforeItsInstanceIsNamed(() => 'ci-builder')
      try {
        const [instance] = endpoint.instances('us-east-1')
        const ami = endpoint.images('us-east-1').find((image) => image.imageId !== SOURCE_AMI_ID)
        const [snapshot] = ami?.blockDeviceMappings.flatMap((device) => device.snapshotId ?? []) ?? []
        expect(instance.keyName).toBe('ci-builder')
        expect(JSON.parse(main.state['packer-leftovers']).resources).toMatchObject({ keyPairs: ['ci-builder'], securityGroups: [] })

        const post = await runPostStep(main, options({}))
        expect(post.exitCode).toBe(0)
        expect(post.warnings).toEqual([
          `Packer (process group ${packerPid}) was still running after the main step was killed: stopped it, so that it makes nothing more.`
        ])
        expect(post.stdout).toContain(
          `us-east-1: ${instance.instanceId} was found only through key pair ci-builder, a name the template gives, which another run may use too: ` +
            'the AMIs made of it are not looked for.'
        )
        expect(endpoint.images('us-east-1').map((image) => image.imageId)).toEqual([SOURCE_AMI_ID, ami?.imageId])
        expect(endpoint.snapshots('us-east-1').map((one) => one.snapshotId)).toEqual([SOURCE_SNAPSHOT_ID, snapshot])
        expect(endpoint.callsOf('DeregisterImage')).toEqual([])
        expect(endpoint.callsOf('DeleteSnapshot')).toEqual([])
        // The key pair this run made goes, with the instance launched with it since Packer started.
        // (No group of the build's waits for it to finish terminating.)
        expect(['shutting-down', 'terminated']).toContain(endpoint.instances('us-east-1')[0].state)
        expect(endpoint.keyPairs('us-east-1')).toEqual([])
        expect(endpoint.securityGroups('us-east-1').map((one) => one.groupName).sort()).toEqual(['ci-builders', 'default'])
      } finally {
        stopPacker(packerPid)
      }
    })

    /**
     * A spot build whose AMI stays pending, beside a user's own launch templates (one named as
     * Packer names its own): `stop` runs once Packer waits for the AMI.
     */
    async function spotWaitingForItsAmi(stop: (child: ChildProcess) => void): Promise<ActionRun> {
      // The instance runs once Packer first describes it: Packer's spot step does not wait for it.
      endpoint = await startEc2Endpoint({ regions, autoAdvance: { describes: 0 } })
      endpoint.faults.holdCreatedImagesPending()
      asSpotBuild(workspace)
      const ec2 = new EC2Client({ region: 'us-east-1', endpoint: endpoint.url, credentials: { accessKeyId: 'AKIDLOOPBACK', secretAccessKey: 'x' } })
      for (const name of ['web-fleet', 'packer-fleet-launch-template-zZ9yY8x']) {
        await ec2.send(new CreateLaunchTemplateCommand({ LaunchTemplateName: name, LaunchTemplateData: { ImageId: SOURCE_AMI_ID } }))
      }
      ec2.destroy()
      const main = await stoppedWhileItsAmiIsPending(stop)
      expect(main.exitCode).toBe(1)
      expect(main.stdout).toContain('Launching a spot AWS instance...')
      return main
    }

    const usersLaunchTemplates = ['packer-fleet-launch-template-zZ9yY8x', 'web-fleet']

    it('a spot build killed while its AMI becomes available: the post step deletes the launch template Packer made for its instance', async () => {
      const main = await spotWaitingForItsAmi((child) => process.kill(childrenOf(child.pid as number)[0], 'SIGKILL'))
      const [instance] = endpoint.instances('us-east-1')
      const template = instance.tags['aws:ec2launchtemplate:id']
      expect(endpoint.launchTemplates('us-east-1').find((one) => one.launchTemplateId === template)?.launchTemplateName).toMatch(
        /^packer-fleet-launch-template-/
      )

      const post = await runPostStep(main, options({}))
      expect(post.exitCode).toBe(0)
      expect(post.warnings).toEqual([])
      expect(post.stdout).toContain(`us-east-1: deleted launch template ${template}, which Packer made to launch its spot instance ${instance.instanceId}.`)
      expect(endpoint.launchTemplates('us-east-1').map((one) => one.launchTemplateName).sort()).toEqual(usersLaunchTemplates)
      expect(endpoint.instances('us-east-1').map((one) => one.state)).toEqual(['terminated'])
      expect(endpoint.images('us-east-1').map((image) => image.imageId)).toEqual([SOURCE_AMI_ID])
      expect(endpoint.keyPairs('us-east-1')).toEqual([])
    })

    it('a spot build cancelled while its AMI becomes available: Packer deletes its launch template, and the post step finds it gone', async () => {
      const main = await spotWaitingForItsAmi((child) => child.kill('SIGINT'))
      const [instance] = endpoint.instances('us-east-1')
      const template = instance.tags['aws:ec2launchtemplate:id']
      expect(endpoint.launchTemplates('us-east-1').map((one) => one.launchTemplateName).sort()).toEqual(usersLaunchTemplates)

      const post = await runPostStep(main, options({}))
      expect(post.exitCode).toBe(0)
      expect(post.warnings).toEqual([])
      expect(post.stdout).toContain(`us-east-1: launch template ${template} is already gone.`)
      expect(endpoint.launchTemplates('us-east-1').map((one) => one.launchTemplateName).sort()).toEqual(usersLaunchTemplates)
      // Packer leaves an AMI that was still pending: the post step deregisters it.
      expect(endpoint.images('us-east-1').map((image) => image.imageId)).toEqual([SOURCE_AMI_ID])
    })

    /** A build with a temporary instance profile whose AMI stays pending: `stop` runs once Packer waits for the AMI. */
    async function profileBuildWaitingForItsAmi(stop: (child: ChildProcess) => void): Promise<ActionRun> {
      endpoint = await startEc2Endpoint({ regions })
      endpoint.faults.holdCreatedImagesPending()
      withTemporaryInstanceProfile(workspace)
      const main = await stoppedWhileItsAmiIsPending(stop)
      expect(main.exitCode).toBe(1)
      expect(main.stdout).toContain('Creating temporary instance profile for this instance: packer-')
      return main
    }

    it('a build with a temporary instance profile, killed while its AMI becomes available: the post step deletes the profile, its role and policy', async () => {
      const main = await profileBuildWaitingForItsAmi((child) => process.kill(childrenOf(child.pid as number)[0], 'SIGKILL'))
      expect(main.summary).toContain('deletes the temporary security group, key pair, instance profile and role that Packer announced')
      const [profile] = endpoint.iamInstanceProfiles()
      expect(profile.instanceProfileName).toMatch(/^packer-[0-9a-f-]{36}$/)
      const name = profile.instanceProfileName
      expect(endpoint.iamRoles()).toEqual([{ roleName: name, policies: [name] }])
      expect(profile.roles).toEqual([name])

      const post = await runPostStep(main, options({}))
      expect(post.exitCode).toBe(0)
      expect(post.warnings).toEqual([])
      expect(post.stdout).toContain(`IAM: deleted instance profile ${name}, after removing ${name} from it.`)
      expect(post.stdout).toContain(`IAM: deleted role ${name} and its policy.`)
      expect(endpoint.iamInstanceProfiles()).toEqual([])
      expect(endpoint.iamRoles()).toEqual([])
      expect(endpoint.instances('us-east-1').map((one) => one.state)).toEqual(['terminated'])
    })

    it('a build with a temporary instance profile, cancelled: Packer deletes the profile and role, and the post step finds them gone', async () => {
      const main = await profileBuildWaitingForItsAmi((child) => child.kill('SIGINT'))
      expect(endpoint.iamInstanceProfiles()).toEqual([])
      expect(endpoint.iamRoles()).toEqual([])
      const name = /Creating temporary role for this instance: (packer-[0-9a-f-]{36})/.exec(main.stdout)?.[1]

      const post = await runPostStep(main, options({}))
      expect(post.exitCode).toBe(0)
      expect(post.warnings).toEqual([])
      expect(post.stdout).toContain(`IAM: the instance profile ${name} is already gone.`)
      expect(post.stdout).toContain(`IAM: the role ${name} is already gone.`)
    })

    it("a build that fails while its AMI is copied: the post step deregisters the copies Packer leaves", async () => {
      endpoint = await startEc2Endpoint({ regions })
      // Packer gives up waiting for copies that never complete, and fails the build.
      endpoint.faults.holdCopiesPending()
      const main = await runAction(options({}))
      expect(main.exitCode).toBe(1)
      expect(main.stdout).toContain('ResourceNotReady: exceeded wait attempts')
      const ami = announcedAmi(main.stdout, 'amazon-ebs')
      expect(JSON.parse(main.state['packer-leftovers'])).toMatchObject({ packer: 'failed', resources: { images: [ami] } })
      const copies = ['eu-west-1', 'us-west-2'].map((region) => endpoint.images(region).find((image) => image.sourceImageId === ami)?.imageId)
      expect(copies.every(Boolean)).toBe(true)

      const post = await runPostStep(main, options({}))
      expect(post.exitCode).toBe(0)
      expect(post.warnings).toEqual([])
      expect(['eu-west-1', 'us-west-2'].flatMap((region) => endpoint.images(region).filter((image) => image.sourceImageId === ami))).toEqual([])
      expect(endpoint.callsOf('DeregisterImage').map((call) => call.params.ImageId)).toEqual(expect.arrayContaining(copies))
    })

    it("after another build failed, the AMI of a build that finished stays, though its name hides where its lines end", async () => {
      endpoint = await startEc2Endpoint({ regions })
      const path = join(workspace, 'json', 'packer-template.json')
      const template = JSON.parse(readFileSync(path, 'utf8'))
      const [builder] = template.builders
      // "web: Canary" prints as `==> web: Canary: …`, which reads as the build "web".
      template.builders = [
        { ...builder, name: 'web: Canary', ami_regions: '' },
        { ...builder, name: 'broken', ami_regions: '', ami_name: 'broken-{{timestamp}}' }
      ]
      template.provisioners = [{ type: 'shell-local', only: ['broken'], inline: ['exit 1'] }]
      writeFileSync(path, JSON.stringify(template, null, 2))
      const main = await runAction(options({}))
      expect(main.exitCode).toBe(1)
      const web = main.outputs['ami-id']
      expect(web).toMatch(/^ami-/)
      expect(JSON.parse(main.state['packer-leftovers'])).toMatchObject({ packer: 'failed', amis: [web] })

      const post = await runPostStep(main, options({}))
      expect(post.exitCode).toBe(0)
      expect(post.warnings).toEqual([])
      expect(endpoint.images('us-east-1').find((image) => image.imageId === web)?.state).toBe('available')
      expect(endpoint.callsOf('DeregisterImage')).toEqual([])
    })

    it('credentials that may not deregister: the post step names the AMIs left and the permission', async () => {
      endpoint = await startEc2Endpoint({ regions })
      endpoint.faults.holdCopiesPending()
      endpoint.faults.fail('DeregisterImage', { code: 'UnauthorizedOperation' })
      const main = await runAction(options({}))
      expect(main.exitCode).toBe(1)
      const ami = announcedAmi(main.stdout, 'amazon-ebs')
      const copies = ['eu-west-1', 'us-west-2'].map((region) => endpoint.images(region).find((image) => image.sourceImageId === ami)?.imageId)

      const post = await runPostStep(main, options({}))
      expect(post.exitCode).toBe(0)
      // Packer could not deregister its own AMI either.
      for (const [region, id] of [['eu-west-1', copies[0]], ['us-west-2', copies[1]], ['us-east-1', ami]]) {
        expect(post.warnings).toContainEqual(
          expect.stringMatching(new RegExp(`^Could not deregister ${id} in ${region}: UnauthorizedOperation — the credentials lack ec2:DeregisterImage\\. `))
        )
      }
      expect(post.warnings.at(-1)).toMatch(
        new RegExp(`^These may still exist in the account: ${copies[0]} \\(eu-west-1\\), snap-\\w+, ${copies[1]} \\(us-west-2\\), snap-\\w+, ${ami} \\(us-east-1\\), snap-\\w+\\.$`)
      )
    })

    /** A build that failed while its AMI was copied: the main step, the AMI, and its copies, which Packer leaves. */
    async function failedWhileCopying(): Promise<{ main: ActionRun; ami: string; copies: string[] }> {
      endpoint = await startEc2Endpoint({ regions })
      endpoint.faults.holdCopiesPending()
      const main = await runAction(options({}))
      expect(main.exitCode).toBe(1)
      const ami = announcedAmi(main.stdout, 'amazon-ebs')
      const copies = ['eu-west-1', 'us-west-2'].map((region) => endpoint.images(region).find((image) => image.sourceImageId === ami)?.imageId as string)
      expect(copies.every(Boolean)).toBe(true)
      return { main, ami, copies }
    }

    it("credentials that may not list the account's regions: the post step finds the copies where Packer's log says it copied", async () => {
      const { main, ami, copies } = await failedWhileCopying()
      expect(main.stdout).toMatch(/amazon-ebs: Copying to: (eu-west-1|us-west-2)\n.*amazon-ebs: Copying to: (eu-west-1|us-west-2)\n/)
      endpoint.faults.fail('DescribeRegions', { code: 'UnauthorizedOperation' })
      const post = await runPostStep(main, options({}))
      expect(post.exitCode).toBe(0)
      expect(post.warnings).toEqual([])
      // Packer ended by itself, its whole log read: it copied nowhere else, and the account's regions are not asked.
      expect(endpoint.callsOf('DescribeRegions')).toEqual([])
      expect(post.stdout).toContain("Packer's log says it copied its AMIs to eu-west-1, us-west-2 only: no other region is searched.")
      const searched = endpoint.callsOf('DescribeImages').filter((call) => call.params['Filter.1.Name'] === 'source-image-id')
      expect([...new Set(searched.map((call) => call.region))].sort()).toEqual(['eu-west-1', 'us-east-1', 'us-west-2'])
      // Packer deregistered its AMI as it failed; the post step, the copies.
      expect(post.stdout).toContain(`${ami}, the AMI Packer announced, is already deregistered.`)
      expect(endpoint.callsOf('DeregisterImage').map((call) => call.params.ImageId).sort()).toEqual([ami, ...copies].sort())
      for (const [region, id] of [['eu-west-1', copies[0]], ['us-west-2', copies[1]]]) {
        expect(post.stdout).toContain(`${region}: deregistered ${id} (`)
        expect(endpoint.images(region).map((image) => image.imageId)).not.toContain(id)
      }
      expect(JSON.parse(main.state['packer-leftovers']).resources.copyRegions.sort()).toEqual(['eu-west-1', 'us-west-2'])
    })

    it("the main step killed while copies are made, and credentials that may not list the account's regions: the copies Packer announced go, the rest are named", async () => {
      endpoint = await startEc2Endpoint({ regions })
      endpoint.faults.holdCopiesPending()
      const loopback = endpoint
      const { main, packerPid } = await mainKilledWhen(
        (stdoutSoFar) => stdoutSoFar().includes('Waiting for all copies to complete') && loopback.callsOf('DescribeImages', 'us-west-2').length >= 2,
        'the copies to be waited for'
      )
      try {
        expect(main.exitCode).toBeNull()
        const ami = announcedAmi(main.stdout, 'amazon-ebs')
        const copies = ['eu-west-1', 'us-west-2'].map((region) => endpoint.images(region).find((image) => image.sourceImageId === ami)?.imageId as string)
        expect(copies.every(Boolean)).toBe(true)
        expect(JSON.parse(main.state['packer-leftovers'])).toMatchObject({ packer: 'running' })
        endpoint.faults.fail('DescribeRegions', { code: 'UnauthorizedOperation' })
        const post = await runPostStep(main, options({}))
        expect(post.exitCode).toBe(0)
        expect(endpoint.callsOf('DescribeRegions')).toHaveLength(1)
        expect(endpoint.callsOf('DeregisterImage').map((call) => call.params.ImageId).sort()).toEqual([ami, ...copies].sort())
        for (const [region, id] of [['eu-west-1', copies[0]], ['us-west-2', copies[1]]]) {
          expect(post.stdout).toContain(`${region}: deregistered ${id} (`)
          expect(endpoint.images(region).map((image) => image.imageId)).not.toContain(id)
        }
        // Packer outlived the main step: what it did unheard may be anywhere.
        expect(post.warnings).toContainEqual(
          expect.stringMatching(/^Could not list the account's regions to look for copies of Packer's AMIs, so only us-east-1, eu-west-1, us-west-2 were searched: .*ec2:DescribeRegions/)
        )
        expect(post.warnings.at(-1)).toBe(`These may still exist in the account: copies of ${ami} in regions other than us-east-1, eu-west-1, us-west-2.`)
      } finally {
        stopPacker(packerPid())
      }
    })

    it('credentials that may not describe AMIs: the post step names the AMI and the copies it could not look for', async () => {
      const { main, ami } = await failedWhileCopying()
      endpoint.faults.fail('DescribeImages', { code: 'UnauthorizedOperation' })
      const post = await runPostStep(main, options({}))
      expect(post.exitCode).toBe(0)
      expect(post.warnings).toContainEqual(expect.stringMatching(/^Could not look in us-east-1 for the AMIs of Packer's unfinished builds: .*ec2:DescribeImages/))
      expect(post.warnings.at(-1)).toBe(`These may still exist in the account: ${ami} and any copies of it.`)
      // Each look-up refused alike is said once: the same warning again tells nothing more.
      expect(post.warnings).toEqual([...new Set(post.warnings)])
    })

    it('with no region known, the post step names what may be left and calls nothing', async () => {
      endpoint = await startEc2Endpoint({ regions })
      const state = {
        regions: [],
        resources: { instanceIds: ['i-0123456789abcdef0'], keyPairs: ['packer_k'], securityGroups: ['packer_g'] },
        packer: 'killed'
      }
      const run = options({})
      run.env = { ...run.env, AWS_REGION: undefined }
      const post = await runPostStep({ state: { 'packer-leftovers': JSON.stringify(state) } }, run)
      expect(post.exitCode).toBe(0)
      expect(post.warnings).toContainEqual(
        'Cannot clean up what Packer left: no region is known (set aws-region or AWS_REGION). Look for i-0123456789abcdef0, packer_g, packer_k.'
      )
      expect(endpoint.calls).toEqual([])
    })

    it('with on-error: abort, the post step leaves what Packer made, and says so', async () => {
      endpoint = await startEc2Endpoint({ regions })
      const state = {
        regions: ['us-east-1'],
        resources: { instanceIds: ['i-0123456789abcdef0'], keyPairs: ['packer_k'], securityGroups: ['packer_g'] },
        packer: 'killed',
        keep: true
      }
      const post = await runPostStep({ state: { 'packer-leftovers': JSON.stringify(state) } }, options({ 'on-error': 'abort' }))
      expect(post.exitCode).toBe(0)
      expect(post.warnings).toContainEqual(
        'Packer was killed, and on-error is abort, so what it made is left as it is: i-0123456789abcdef0, packer_g, packer_k (in us-east-1).'
      )
      // It only looks, for an instance launched with that group or key pair that the log never named.
      expect(endpoint.calls.map(({ action }) => action)).toEqual(['DescribeSecurityGroups', 'DescribeKeyPairs'])
    })

    it("with on-error: abort, the post step names only the instances launched since Packer started with the group or a key pair the build made, never another run's", async () => {
      endpoint = await startEc2Endpoint({ regions })
      endpoint.faults.holdInstancesPending()
      const ec2 = new EC2Client({ region: 'us-east-1', endpoint: endpoint.url, credentials: { accessKeyId: 'AKIDLOOPBACK', secretAccessKey: 'x' } })
      const ourKey = 'packer_6b15d000-0000-0000-0000-00000000000a'
      const othersKey = 'packer_6b15d000-0000-0000-0000-00000000000b'
      const ourGroup = 'packer_6b15d000-0000-0000-0000-00000000000c'
      const othersGroup = 'packer_6b15d000-0000-0000-0000-00000000000d'
      for (const name of [ourKey, othersKey, 'ci-builder']) await ec2.send(new CreateKeyPairCommand({ KeyName: name }))
      const groupIds: Record<string, string> = {}
      for (const name of [ourGroup, othersGroup]) {
        groupIds[name] = (await ec2.send(new CreateSecurityGroupCommand({ GroupName: name, Description: 'Temporary group for Packer' }))).GroupId as string
      }
      const launch = async (keyName: string, group: string): Promise<string> =>
        (
          await ec2.send(
            new RunInstancesCommand({ ImageId: SOURCE_AMI_ID, InstanceType: 't3.micro', MinCount: 1, MaxCount: 1, KeyName: keyName, SecurityGroupIds: [groupIds[group]] })
          )
        ).Instances?.[0]?.InstanceId as string
      const byKeyPair = await launch(ourKey, othersGroup)
      const byGroup = await launch(othersKey, ourGroup)
      const othersRun = await launch(othersKey, othersGroup)
      // The team's key pair, made long ago: the template's temporary_key_pair_name, which Packer failed to make.
      const byTeamsKeyPair = await launch('ci-builder', othersGroup)
      endpoint.backdate('us-east-1', 'ci-builder', 24 * 3600_000)
      const launchedBefore = await launch(ourKey, othersGroup)
      endpoint.backdate('us-east-1', launchedBefore, 24 * 3600_000)
      const terminated = await launch(ourKey, ourGroup)
      await ec2.send(new TerminateInstancesCommand({ InstanceIds: [terminated] }))
      ec2.destroy()
      const state = {
        regions: ['us-east-1'],
        resources: { instanceIds: [], keyPairs: [ourKey, 'ci-builder'], securityGroups: [ourGroup] },
        packer: 'killed',
        keep: true,
        packerStarted: new Date(Date.now() - 60_000).toISOString()
      }
      const callsBefore = endpoint.calls.length
      const post = await runPostStep({ state: { 'packer-leftovers': JSON.stringify(state) } }, options({ 'on-error': 'abort' }))
      expect(post.exitCode).toBe(0)
      expect(post.warnings).toEqual([
        `Packer was killed, and on-error is abort, so what it made is left as it is: ${ourGroup}, ${ourKey}, ci-builder (in us-east-1), ` +
          `and ${byKeyPair} (pending, in us-east-1), ${byGroup} (pending, in us-east-1), instances launched with them that Packer's log never named.`
      ])
      expect(post.warnings.join('\n')).not.toMatch(new RegExp([othersRun, byTeamsKeyPair, launchedBefore, terminated].join('|')))
      expect([...new Set(endpoint.calls.slice(callsBefore).map(({ action }) => action))].sort()).toEqual([
        'DescribeInstances',
        'DescribeKeyPairs',
        'DescribeSecurityGroups'
      ])
    })

    it('with on-error: abort, credentials that may not list instances: the post step still names what Packer made, and says it could not look for more', async () => {
      endpoint = await startEc2Endpoint({ regions })
      const ec2 = new EC2Client({ region: 'us-east-1', endpoint: endpoint.url, credentials: { accessKeyId: 'AKIDLOOPBACK', secretAccessKey: 'x' } })
      const group = 'packer_6b15d000-0000-0000-0000-00000000000c'
      await ec2.send(new CreateSecurityGroupCommand({ GroupName: group, Description: 'Temporary group for Packer' }))
      ec2.destroy()
      endpoint.faults.fail('DescribeInstances', { code: 'UnauthorizedOperation' })
      const state = { regions: ['us-east-1'], resources: { instanceIds: [], keyPairs: [], securityGroups: [group] }, packer: 'killed', keep: true }
      const post = await runPostStep({ state: { 'packer-leftovers': JSON.stringify(state) } }, options({ 'on-error': 'abort' }))
      expect(post.exitCode).toBe(0)
      expect(post.warnings).toEqual([
        `Packer was killed, and on-error is abort, so what it made is left as it is: ${group} (in us-east-1).`,
        expect.stringMatching(new RegExp(`^Could not look in us-east-1 for an instance launched with ${group} that Packer's log never named: UnauthorizedOperation`))
      ])
    })

    it('with on-error: abort, a build that failed leaves its instance, and the post step names it', async () => {
      endpoint = await startEc2Endpoint({ regions })
      endpoint.faults.fail('CreateImage', { code: 'UnauthorizedOperation' })
      const main = await runAction(options({ 'on-error': 'abort' }))
      expect(main.exitCode).toBe(1)
      const [instance] = endpoint.instances('us-east-1')
      expect(instance.state).toBe('stopped')
      const callsBefore = endpoint.calls.length
      const post = await runPostStep(main, options({ 'on-error': 'abort' }))
      expect(post.exitCode).toBe(0)
      expect(post.warnings).toEqual([
        expect.stringMatching(
          new RegExp(`^Packer's build failed, and on-error is abort, so what it made is left as it is: ${instance.instanceId}, packer_\\S+, packer_\\S+ \\(in us-east-1\\)\\.$`)
        )
      ])
      // It only looks, for an instance launched with them that the log never named.
      expect(endpoint.calls.slice(callsBefore).map(({ action }) => action)).toEqual(['DescribeSecurityGroups', 'DescribeInstances', 'DescribeInstances'])
    })

    it('after a build that Packer finished, the post step makes no EC2 call', async () => {
      endpoint = await startEc2Endpoint({ regions })
      const main = await runAction(options({}))
      expect(main.exitCode).toBe(0)
      expect(JSON.parse(main.state['packer-leftovers'])).toMatchObject({ packer: 'exited' })
      const callsBefore = endpoint.calls.length
      const post = await runPostStep(main, options({}))
      expect(post.exitCode).toBe(0)
      expect(endpoint.calls.length).toBe(callsBefore)
      expect(post.stdout).not.toContain('Clean up')
    })
  })

  describe("a failed build whose post-processor's script named another's resources", () => {
    it("what a post-processor's script prints is not Packer's: after the failed build, the post step leaves the instance and launch template it names", async () => {
      const { other, fleet, left } = await anothersFleet()
      // A deploy step that reports the fleet it rolled, then fails: the build fails after its AMIs were made.
      const path = join(workspace, 'json', 'packer-template.json')
      const template = JSON.parse(readFileSync(path, 'utf8'))
      template['post-processors'] = [
        { type: 'shell-local', inline: [`echo 'Created Spot Fleet launch template: ${fleet}'`, `echo 'Instance ID: ${other}'`, 'exit 1'] },
        ...template['post-processors']
      ]
      writeFileSync(path, JSON.stringify(template, null, 2))
      const main = await runAction(options({}))
      expect(main.exitCode).toBe(1)
      expect(main.stdout).toContain(`    amazon-ebs (shell-local): Instance ID: ${other}`)
      expect(JSON.parse(main.state['packer-leftovers'])).toMatchObject({ packer: 'failed' })
      left(await runPostStep(main, options({})))
    })
  })

  describe('an EC2 endpoint that accepts the action\'s calls and never answers', () => {
    it('tagging stops at tagging-timeout: exit 1, outputs set, the summary names what is not tagged', async () => {
      endpoint = await startEc2Endpoint({ regions })
      endpoint.faults.hang(undefined, { userAgent: 'aws-sdk-js' })
      const result = await runAction(options({ 'tagging-timeout': '3' }))
      expect(result.exitCode).toBe(1)
      const amiIds = JSON.parse(result.outputs['ami-ids']) as Record<string, string>
      expect(Object.keys(amiIds).sort()).toEqual([...regions].sort())
      expect(result.outputs['ami-id']).toBe(amiIds['us-east-1'])
      for (const [region, amiId] of Object.entries(amiIds)) {
        expect(result.errors.map((error) => error.message)).toContainEqual(
          `Tagging in ${region} did not finish within 3 s, the tagging deadline: EC2 did not answer in time. ` +
            `Not tagged: ${amiId}, nor the snapshots behind them (not found yet).`
        )
        expect(result.summary).toContain(`| ${region} | [\`${amiId}\`]`)
        expect(endpoint.tagsOf(region, amiId)).not.toHaveProperty('SourceCommit')
      }
      expect(result.summary).toContain(':x: Failed')
      expect(result.summary).not.toContain('pending')
      expect(result.errors.at(-1)?.message).toMatch(/^Tagging failed in (us-east-1|eu-west-1|us-west-2), (?!\1)\S+, \S+; the AMIs exist/)
      // Every call the action made went unanswered: the deadline, not an answer, ended them.
      const actionCalls = endpoint.calls.filter((call) => call.error === 'NoAnswer')
      expect(actionCalls.map((call) => call.action).sort()).toEqual(['DescribeImages', 'DescribeImages', 'DescribeImages'])
    })
  })

  describe('an EC2 endpoint that never answers CreateTags, for a template of two builds', () => {
    it("tagging-timeout bounds the stage: each build's tags, its own with the others, wait in one CreateTags per build and region", async () => {
      endpoint = await startEc2Endpoint({ regions })
      endpoint.faults.hang('CreateTags', { userAgent: 'aws-sdk-js' })
      withTwoBuilds(workspace)
      const result = await runAction(options({ 'tagging-timeout': '3' }))
      expect(result.exitCode).toBe(1)
      const builds = JSON.parse(result.outputs.builds) as Record<string, Record<string, string>>
      expect(Object.keys(builds)).toEqual(['web', 'api'])
      const cutShort = result.errors.map((error) => error.message).filter((message) => message.includes('did not finish within'))
      // One error a region, naming every AMI of the region and its snapshots.
      expect(cutShort.map((message) => message.split(' ')[2]).sort()).toEqual([...regions].sort())
      for (const message of cutShort) expect(message).toMatch(/^Tagging in \S+ did not finish within 3 s, the tagging deadline/)
      const home = cutShort.find((message) => message.startsWith('Tagging in us-east-1 ')) ?? ''
      for (const build of ['web', 'api']) expect(home).toContain(builds[build]['us-east-1'])
      // us-east-1 holds both builds' AMIs: a CreateTags for each, sent at once; one in each other region.
      const waiting = endpoint.callsOf('CreateTags').filter((call) => call.error === 'NoAnswer')
      expect(waiting.map((call) => call.region).sort()).toEqual([...regions, 'us-east-1'].sort())
    })
  })

  describe('an EC2 that throttles every CreateTags of the action in one region, past the tagging deadline', () => {
    it("the region's error says EC2 throttled the account there, not that it did not answer; the other regions are tagged", async () => {
      endpoint = await startEc2Endpoint({ regions })
      endpoint.faults.throttle('CreateTags', { region: 'eu-west-1', userAgent: 'aws-sdk-js' })
      const result = await runAction(options({ 'tagging-timeout': '3' }))
      expect(result.exitCode).toBe(1)
      const amiIds = JSON.parse(result.outputs['ami-ids']) as Record<string, string>
      expect(Object.keys(amiIds).sort()).toEqual([...regions].sort())
      const cutShort = result.errors.map((error) => error.message).filter((message) => message.includes('did not finish within'))
      expect(cutShort).toEqual([
        expect.stringMatching(
          /^Tagging in eu-west-1 did not finish within 3 s, the tagging deadline: EC2 refused CreateTags \d+ times?, last with RequestLimitExceeded: EC2 throttled the account's calls in the region \(it counts every caller using the account there, other jobs and tools too\)\. Not tagged: ami-/
        )
      ])
      expect(cutShort[0]).not.toContain('did not answer')
      expect(cutShort[0]).toContain(amiIds['eu-west-1'])
      expect(endpoint.tagsOf('eu-west-1', amiIds['eu-west-1'])).not.toHaveProperty('SourceCommit')
      for (const region of ['us-east-1', 'us-west-2']) expect(endpoint.tagsOf(region, amiIds[region])).toHaveProperty('SourceCommit', pushToMain.GITHUB_SHA)
      // The untagged AMI is named with the command that tags it.
      expect(result.summary).toContain(`aws ec2 create-tags --region eu-west-1 --resources ${amiIds['eu-west-1']}`)
    })
  })

  describe("a template of two builds whose tags wait for EC2 in the home region", () => {
    it("each region's result of a build's own tags is in the stage's group as it comes, once; the summary says where they are not on", async () => {
      endpoint = await startEc2Endpoint({ regions })
      // The action's CreateTags in us-east-1, one for each build's AMI with its own tags, are not answered.
      endpoint.faults.hang('CreateTags', { region: 'us-east-1', userAgent: 'aws-sdk-js' })
      withTwoBuilds(workspace)
      const loopback = endpoint
      const ownTags = (region: string) => new RegExp(`^${region}: tagged ami-[0-9a-f]+ with build web's own tags \\(ImageFamily, PackerBuild\\)\\.$`, 'm')
      const heldAtHome = () => loopback.callsOf('CreateTags', 'us-east-1').filter((call) => call.error === 'NoAnswer').length === 2
      let logAtHold = ''
      const result = await runAction(
        options(
          {},
          {
            onStart: (child, stdoutSoFar) => {
              // Should the lines not come, the run is cancelled all the same, and the test says what the log lacked.
              void until(() => heldAtHome() && ownTags('eu-west-1').test(stdoutSoFar()) && ownTags('us-west-2').test(stdoutSoFar()), "the builds' own tags to wait in us-east-1", 20_000)
                .catch(() => undefined)
                .then(() => {
                  logAtHold = stdoutSoFar()
                  child.kill('SIGINT')
                })
            }
          }
        )
      )
      // What the user saw while us-east-1 waited: web's own tags on in the other regions, in the stage's group.
      const group = groupLines(logAtHold, 'Tag AMIs and snapshots') ?? []
      for (const region of ['eu-west-1', 'us-west-2']) expect(group.join('\n')).toMatch(ownTags(region))
      expect(logAtHold).not.toMatch(/^us-east-1: tagged \S+ with build/m)
      expect(result.exitCode).toBe(1)
      const builds = JSON.parse(result.outputs.builds) as Record<string, Record<string, string>>
      for (const region of ['eu-west-1', 'us-west-2']) {
        expect(endpoint.tagsOf(region, builds.web[region]).PackerBuild).toBe('amazon-ebs web')
        // Said once, as it came.
        expect(result.stdout.split('\n').filter((line) => ownTags(region).test(line))).toHaveLength(1)
      }
      expect(result.errors.at(-1)?.message).toMatch(/^The run was cancelled \(SIGINT\) after the build, while tagging: the 4 AMIs are built and in the outputs; /)
      // Which AMIs lack the run's tags, and where each AMI's are shown: those of us-east-1, the others' are on.
      const failure = result.errors.at(-1)?.message ?? ''
      expect(failure).toMatch(/ have none of the run's tags \(the summary's Tags column shows each AMI's tags\)\.$/)
      for (const build of ['web', 'api']) expect(failure).toContain(`${builds[build]['us-east-1']} (us-east-1)`)
      for (const region of ['eu-west-1', 'us-west-2']) expect(failure).not.toContain(builds.web[region])
      // The summary says what the log said: web's tags, its own among them, are on in eu-west-1 and us-west-2, no tag in us-east-1.
      const tagsColumn = (amiId: string) => new RegExp(`${amiId}\\)[^|\\n]*\\|[^|\\n]*\\| ([^|\\n]*) \\|`).exec(result.summary)?.[1]
      for (const build of ['web', 'api']) {
        expect(tagsColumn(builds[build]['us-east-1'])).toBe('not tagged')
        expect(endpoint.tagsOf('us-east-1', builds[build]['us-east-1'])).not.toHaveProperty('SourceCommit')
      }
      // With the template's own, Name and SourceAMI.
      for (const region of ['eu-west-1', 'us-west-2']) expect(tagsColumn(builds.web[region])).toMatch(/^\d+ added, \d+ in all$/)
    })
  })

  describe('a cancel while the action waits for EC2', () => {
    it('says the AMIs exist, and the summary stops saying "tagging"', async () => {
      endpoint = await startEc2Endpoint({ regions })
      endpoint.faults.hang(undefined, { userAgent: 'aws-sdk-js' })
      const loopback = endpoint
      const result = await runAction(
        options(
          {},
          {
            onStart: (child) => {
              void until(() => loopback.calls.some((call) => call.error === 'NoAnswer'), 'the action to call EC2').then(() =>
                child.kill('SIGINT')
              )
            }
          }
        )
      )
      expect(result.exitCode).toBe(1)
      // What tags are missing, on which AMIs, and where to see each AMI's: under the summary's headline too, said once.
      expect(result.errors.map(({ message }) => message)).toEqual([
        "The run was cancelled (SIGINT) after the build, while tagging: the 3 AMIs are built and in the outputs, and none has the run's tags " +
          "(the summary's Tags column shows each AMI's tags)."
      ])
      expect(Object.keys(JSON.parse(result.outputs['ami-ids']))).toHaveLength(3)
      expect(renderedText(result.summary)).toContain(
        `Packer AMI build: :no_entry_sign: Cancelled\nTemplate json/packer-template.json · Packer ${packerVersion()} · commit c0ffee0\n` +
          "The run was cancelled (SIGINT) after the build, while tagging: the 3 AMIs are built and in the outputs, and none has the run's tags " +
          "(the Tags column below shows each AMI's tags).\n"
      )
      expect(result.summary).not.toContain('Problems')
      expect(result.summary).not.toContain('pending')
      expect(result.summary.match(/\| not tagged \|/g)).toHaveLength(3)
    })
  })

  describe('a cancel during tagging while the last warning the runner shows is held', () => {
    it('the held warning is in the log, as it is, before the failure and the exit', async () => {
      // A fourth region, so that three can finish while the fourth waits for EC2.
      const four = [...regions, 'ap-south-1']
      endpoint = await startEc2Endpoint({ regions: four })
      // Each region's look-up of the snapshots is refused (a warning, with tag-snapshots: false); ap-south-1's CreateTags never answered.
      endpoint.faults.fail('DescribeImages', { code: 'UnauthorizedOperation', userAgent: 'aws-sdk-js' })
      endpoint.faults.hang('CreateTags', { region: 'ap-south-1', userAgent: 'aws-sdk-js' })
      const loopback = endpoint
      // Seven variables the template ignores: seven warnings, all shown, three slots left for the later ones.
      const unused = Array.from({ length: 7 }, (_, i) => `unused_${i}=x`)
      const tagged = (stdout: string) => ['us-east-1', 'eu-west-1', 'us-west-2'].every((region) => stdout.includes(`\n${region}: tagged `))
      let logAtCancel = ''
      const result = await runAction(
        options(
          { 'tag-snapshots': 'false', variables: ['ami_regions=eu-west-1,us-west-2,ap-south-1', ...unused].join('\n') },
          {
            onStart: (child, stdoutSoFar) => {
              void until(
                () => loopback.callsOf('CreateTags', 'ap-south-1').some((call) => call.error === 'NoAnswer') && tagged(stdoutSoFar()),
                'three regions tagged while ap-south-1 waits',
                20_000
              )
                .catch(() => undefined)
                .then(() => {
                  logAtCancel = stdoutSoFar()
                  child.kill('SIGINT')
                })
            }
          }
        )
      )
      // The third region's warning took the last slot: it waited, unwritten, for one more to come.
      expect(parseCommands(logAtCancel, 'warning')).toHaveLength(9)
      expect(result.exitCode).toBe(1)
      const snapshotWarning = /^Finding the snapshots of ami-[0-9a-f]+ in (us-east-1|eu-west-1|us-west-2) failed: UnauthorizedOperation/
      // Seven of the variables, then the three regions': the tenth, held for the last slot until the end, says nothing of more.
      expect(result.warnings).toHaveLength(10)
      expect(result.warnings.slice(0, 7).every((message) => message.includes('unused_'))).toBe(true)
      for (const message of result.warnings.slice(7)) expect(message).toMatch(snapshotWarning)
      expect(result.warnings[9]).not.toContain('GitHub shows 10 warnings')
      // In the log before the failure, which is the step's last word.
      const lines = result.stdout.split('\n')
      const held = lines.findLastIndex((line) => line.startsWith('::warning::'))
      const failure = lines.findIndex((line) => line.startsWith('::error::The run was cancelled (SIGINT) after the build'))
      expect(failure).toBeGreaterThan(held)
      expect(result.errors.map((error) => error.message)).toEqual([expect.stringMatching(/^The run was cancelled \(SIGINT\) after the build, while tagging: the 4 AMIs are built/)])
    })
  })

  describe('a cancel or a crash after tagging, while a later stage waits for AWS', () => {
    /**
     * The stages after tagging: the input that turns each on, the call of its that the endpoint
     * holds, and inputs that turn on stages after it (`more`), which the failure names (`notRun`).
     */
    const stages: Array<{
      input: string
      value: string
      held: string
      doing: string
      /** What the failure says the stage had done. */
      soFar: string
      more?: Record<string, string>
      notRun?: string
    }> = [
      {
        input: 'launch-template',
        value: 'web',
        held: 'DescribeLaunchTemplateVersions',
        doing: 'rolling out the launch template',
        soFar: 'no answer yet in eu-west-1, us-east-1, us-west-2'
      },
      {
        input: 'ssm-parameter',
        value: '/images/web/latest',
        held: 'GetParameter',
        doing: 'publishing the AMI IDs to SSM',
        soFar: 'no answer yet in eu-west-1, us-east-1, us-west-2',
        more: { 'launch-template': 'web' },
        notRun: ', and launch-template did not run'
      },
      {
        input: 'keep-images',
        value: '1',
        held: 'DeregisterImage',
        doing: 'retiring old AMIs',
        soFar: 'nothing deregistered; no answer yet for ami-0000000000000a001 (us-east-1)'
      }
    ]

    /**
     * The action with `stage` on, on an endpoint that holds the stage's call: `atHold` acts once the
     * action has made it. For keep-images, an older AMI of the demo build's family is there to retire.
     */
    async function heldInStage(
      stage: (typeof stages)[number],
      atHold: (child: ChildProcess) => void,
      extra: Partial<RunActionOptions> = {}
    ): Promise<ActionRun> {
      const family = 'acme/images/json/packer-template.json/amazon-ebs'
      const older = {
        imageId: 'ami-0000000000000a001',
        snapshotId: 'snap-0000000000000a001',
        name: 'web-older',
        ownerId: SELF_ACCOUNT_ID,
        regions: ['us-east-1'],
        creationDate: '2025-01-01T00:00:00.000Z',
        tags: { ImageFamily: family }
      }
      endpoint = await startEc2Endpoint({
        regions,
        seedImages: [{ imageId: SOURCE_AMI_ID, name: SOURCE_AMI_NAME, snapshotId: SOURCE_SNAPSHOT_ID }, older]
      })
      endpoint.faults.hang(stage.held, { userAgent: 'aws-sdk-js' })
      const loopback = endpoint
      return runAction(
        options(
          { [stage.input]: stage.value, ...stage.more },
          {
            onStart: (child) => {
              void until(() => loopback.callsOf(stage.held).some((call) => call.error === 'NoAnswer'), `the action to call ${stage.held}`).then(() =>
                atHold(child)
              )
            },
            ...extra
          }
        )
      )
    }

    /** The AMIs are in the outputs, carry the run's tags in EC2, and the summary counts those tags, with the template's. */
    function expectTaggedAmis(result: ActionRun): void {
      const amiIds = JSON.parse(result.outputs['ami-ids']) as Record<string, string>
      expect(Object.keys(amiIds).sort()).toEqual([...regions].sort())
      for (const [region, amiId] of Object.entries(amiIds)) {
        expect(endpoint.tagsOf(region, amiId).SourceCommit).toBe(pushToMain.GITHUB_SHA)
        expect(result.summary).toMatch(new RegExp(`\\| ${region} \\| \\[\`${amiId}\`\\].* \\| \\d+ added, \\d+ in all \\|`))
      }
      expect(result.summary).not.toContain('not tagged')
      expect(result.summary).not.toContain('pending')
    }

    it.each(stages)('a cancel during $input names that stage, and does not say tags are missing', async (stage) => {
      const result = await heldInStage(stage, (child) => child.kill('SIGINT'))
      expect(result.exitCode).toBe(1)
      expect(result.errors.map((error) => error.message)).toEqual([
        `The run was cancelled (SIGINT) after the build, while ${stage.doing} (${stage.input}): ` +
          `the 3 AMIs are built, tagged and in the outputs; ${stage.input} did not finish (${stage.soFar})${stage.notRun ?? ''} (the summary shows what each step did).`
      ])
      expect(result.summary).toContain(':no_entry_sign: Cancelled')
      // Under the headline, whole, pointing below rather than to the summary itself; not under Problems too.
      expect(renderedText(result.summary)).toContain(
        `Packer AMI build: :no_entry_sign: Cancelled\nTemplate json/packer-template.json · Packer ${packerVersion()} · commit c0ffee0\n` +
          `${result.errors[0].message.replace('(the summary shows what each step did)', '(the sections below show what each step did)')}\n`
      )
      expect(result.summary).not.toContain('Problems')
      expect(result.summary).not.toContain('while tagging')
      expectTaggedAmis(result)
    })

    it('SIGINT and SIGTERM together: one cancel, one failure, and the summary names the same signal', async () => {
      const result = await heldInStage(stages[1], (child) => {
        child.kill('SIGINT')
        child.kill('SIGTERM')
      })
      expect(result.exitCode).toBe(1)
      const cancels = result.errors.filter((error) => error.message.startsWith('The run was cancelled'))
      expect(cancels).toHaveLength(1)
      // Both are pending at once: the action may see either first.
      const [, signal] = /^The run was cancelled \((SIGINT|SIGTERM)\)/.exec(cancels[0].message) ?? []
      expect(result.errors.map((error) => error.message)).toEqual([
        `The run was cancelled (${signal}) after the build, while publishing the AMI IDs to SSM (ssm-parameter): ` +
          'the 3 AMIs are built, tagged and in the outputs; ssm-parameter did not finish (no answer yet in eu-west-1, us-east-1, us-west-2), and launch-template did not run (the summary shows what each step did).'
      ])
      expect(renderedText(result.summary)).toContain(`The run was cancelled (${signal}) after the build, while publishing the AMI IDs to SSM (ssm-parameter): `)
      expect(result.summary).not.toContain(signal === 'SIGINT' ? 'SIGTERM' : 'SIGINT')
    })

    it("the action itself crashing after the build: the step fails with the error, and the summary shows the AMIs and their tags", async () => {
      const crashOnSigusr2 = 'data:text/javascript,process.on("SIGUSR2",()=>{throw new Error("injected crash")})'
      const result = await heldInStage(stages[1], (child) => child.kill('SIGUSR2'), { nodeArgs: ['--import', crashOnSigusr2] })
      expect(result.exitCode).toBe(1)
      expect(result.errors.map((error) => error.message)).toEqual([
        'The action crashed (Error: injected crash) after the build, while publishing the AMI IDs to SSM (ssm-parameter): ' +
          'the 3 AMIs are built, tagged and in the outputs; ssm-parameter did not finish (no answer yet in eu-west-1, us-east-1, us-west-2), and launch-template did not run (the summary shows what each step did).'
      ])
      expect(result.stderr).toContain('Error: injected crash')
      expect(result.summary).toContain(':x: Failed')
      expect(renderedText(result.summary)).toContain('\nThe action crashed (Error: injected crash) after the build, while publishing the AMI IDs to SSM (ssm-parameter): ')
      expect(result.summary).not.toContain('Problems')
      expectTaggedAmis(result)
    })
  })

  describe('a cancel or a crash after a stage had finished in some regions, while the last waits for AWS', () => {
    const family = 'acme/images/json/packer-template.json/amazon-ebs'
    /** An AMI of the demo build's family in `region`, older than the build's: keep-images: 1 retires it. */
    const olderAmi = (region: string, n: number) => ({
      imageId: `ami-0000000000000a00${n}`,
      snapshotId: `snap-0000000000000a00${n}`,
      name: `web-older-${n}`,
      ownerId: SELF_ACCOUNT_ID,
      regions: [region],
      creationDate: '2025-01-01T00:00:00.000Z',
      tags: { ImageFamily: family }
    })

    /**
     * The action with `inputs`, on an endpoint that holds `held` in us-west-2 alone: `atHold` acts
     * once the action has made that call and its log shows each of `quickLines`, the results of
     * the regions that were answered; `logAtHold` is the log as it stood then. Should the lines not
     * come, `atHold` acts all the same, so that the run ends and the test says what the log lacked.
     * `prepare` sets the account up first.
     */
    async function heldInUsWest2(
      inputs: Record<string, string>,
      held: string,
      quickLines: Array<string | RegExp>,
      atHold: (child: ChildProcess) => void,
      {
        prepare,
        extra,
        seedImages = []
      }: { prepare?: (loopback: Ec2Endpoint) => Promise<void>; extra?: Partial<RunActionOptions>; seedImages?: Array<ReturnType<typeof olderAmi>> } = {}
    ): Promise<ActionRun & { logAtHold: string }> {
      endpoint = await startEc2Endpoint({
        regions,
        seedImages: [
          { imageId: SOURCE_AMI_ID, name: SOURCE_AMI_NAME, snapshotId: SOURCE_SNAPSHOT_ID },
          olderAmi('eu-west-1', 1),
          olderAmi('us-west-2', 2),
          ...seedImages
        ]
      })
      await prepare?.(endpoint)
      endpoint.faults.hang(held, { region: 'us-west-2', userAgent: 'aws-sdk-js' })
      const loopback = endpoint
      const heldThere = () => loopback.callsOf(held, 'us-west-2').some((call) => call.error === 'NoAnswer')
      const shows = (log: string) => quickLines.every((line) => (typeof line === 'string' ? log.includes(line) : line.test(log)))
      let logAtHold = ''
      const result = await runAction(
        options(inputs, {
          onStart: (child, stdoutSoFar) => {
            void until(() => heldThere() && shows(stdoutSoFar()), `the action to call ${held} in us-west-2 and log the other regions' results`, 20_000)
              .catch(() => undefined)
              .then(() => {
                logAtHold = stdoutSoFar()
                atHold(child)
              })
          },
          ...extra
        })
      )
      return { ...result, logAtHold }
    }

    /** The summary's section that starts with `heading`, up to the next heading. */
    function section(summary: string, heading: string): string {
      const start = summary.indexOf(heading)
      expect(start).toBeGreaterThanOrEqual(0)
      const end = summary.indexOf('\n#', start + heading.length)
      return summary.slice(start, end < 0 ? undefined : end)
    }

    /** A whole line of the log: `pattern`, a regular expression's source, from the line's start to its end. */
    const logLine = (pattern: string) => new RegExp(`^${pattern}$`, 'm')
    /** `text` in a regular expression, as itself. */
    const literally = (text: string) => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')
    /** How many of the log's lines begin with `start` (or match it). */
    const linesStarting = (log: string, start: string | RegExp) =>
      log.split('\n').filter((line) => (typeof start === 'string' ? line.startsWith(start) : start.test(line))).length

    it('a cancel during tagging: each region\'s tags are in the log as soon as they are on, while another region waits for EC2', async () => {
      const tagged = (region: string) => logLine(`${region}: tagged ami-[0-9a-f]+ and 1 snapshot with \\d+ tags\\.`)
      const result = await heldInUsWest2({}, 'CreateTags', [tagged('us-east-1'), tagged('eu-west-1')], (child) => child.kill('SIGINT'))
      // What the user saw while us-west-2 waited: the two regions done, and nothing of the third.
      expect(result.logAtHold).toMatch(tagged('us-east-1'))
      expect(result.logAtHold).toMatch(tagged('eu-west-1'))
      expect(result.logAtHold).not.toContain('us-west-2: tagged')
      expect(result.exitCode).toBe(1)
      const amiIds = JSON.parse(result.outputs['ami-ids']) as Record<string, string>
      for (const region of ['us-east-1', 'eu-west-1']) {
        expect(endpoint.tagsOf(region, amiIds[region]).SourceCommit).toBe(pushToMain.GITHUB_SHA)
        expect(linesStarting(result.stdout, `${region}: tagged`)).toBe(1)
      }
      expect(endpoint.tagsOf('us-west-2', amiIds['us-west-2']).SourceCommit).toBeUndefined()
      expect(result.errors.at(-1)?.message).toMatch(/^The run was cancelled \(SIGINT\) after the build, while tagging: the 3 AMIs are built and in the outputs/)
      // The summary says what the log said: the two regions' AMIs have their tags, the third not.
      const row = (region: string) => result.summary.split('\n').find((line) => line.includes(`| ${region} |`)) ?? ''
      for (const region of ['us-east-1', 'eu-west-1']) expect(row(region)).toMatch(/\| \d+ added, \d+ in all \|$/)
      expect(row('us-west-2')).toMatch(/\| not tagged \|$/)
    })

    it('a cancel during ssm-parameter: the summary, the log and the failure name the regions whose parameter names the new AMI', async () => {
      const name = '/images/web/latest'
      const published = (region: string) => logLine(`${region}: SSM parameter ${literally(name)} is ami-[0-9a-f]+ \\(version 1\\)\\.`)
      const result = await heldInUsWest2({ 'ssm-parameter': name }, 'PutParameter', [published('us-east-1'), published('eu-west-1')], (child) =>
        child.kill('SIGINT'))
      // What the user saw while us-west-2 waited: the two regions done, and nothing of the third.
      expect(result.logAtHold).toMatch(published('us-east-1'))
      expect(result.logAtHold).toMatch(published('eu-west-1'))
      expect(result.logAtHold).not.toContain('us-west-2: SSM parameter')
      expect(result.exitCode).toBe(1)
      const amiIds = JSON.parse(result.outputs['ami-ids']) as Record<string, string>
      // What the endpoint holds: the parameter in two regions, none in the third, whose put was never answered.
      for (const region of ['us-east-1', 'eu-west-1']) expect(endpoint.parameters(region)[name]).toMatchObject({ value: amiIds[region], version: 1 })
      expect(endpoint.parameters('us-west-2')[name]).toBeUndefined()
      expect(endpoint.callsOf('PutParameter', 'us-west-2').map((call) => call.error)).toEqual(['NoAnswer'])
      expect(result.errors.map((error) => error.message)).toEqual([
        'The run was cancelled (SIGINT) after the build, while publishing the AMI IDs to SSM (ssm-parameter): the 3 AMIs are built, ' +
          'tagged and in the outputs; ssm-parameter did not finish (published in eu-west-1, us-east-1; no answer yet in us-west-2) ' +
          '(the summary shows what each step did).'
      ])
      for (const region of ['us-east-1', 'eu-west-1']) {
        expect(result.stdout).toContain(`${region}: SSM parameter ${name} is ${amiIds[region]} (version 1).`)
        // Said once, as it finished: the cancel adds only the region that had no answer.
        expect(linesStarting(result.stdout, `${region}: SSM parameter`)).toBe(1)
      }
      expect(result.stdout).toContain(`us-west-2: SSM parameter ${name}: cancelled before AWS answered: the parameter may or may not name ${amiIds['us-west-2']}.`)
      const ssm = section(result.summary, `### SSM parameter \`${name}\` (cut short: the run was cancelled)`)
      expect(ssm).toContain(`| us-east-1 | \`${amiIds['us-east-1']}\` | 1 |`)
      expect(ssm).toContain(`| eu-west-1 | \`${amiIds['eu-west-1']}\` | 1 |`)
      expect(ssm).toContain(`| us-west-2 | \`${amiIds['us-west-2']}\` | cancelled before AWS answered: the parameter may or may not name ${amiIds['us-west-2']} |`)
      expect(renderedText(result.summary)).toContain('\nThe run was cancelled (SIGINT) after the build, while publishing the AMI IDs to SSM (ssm-parameter): ')
    })

    it('a cancel during launch-template where every region that answered has no such template: the warning names them, and the one that had not answered', async () => {
      const missing = (region: string) => `${region}: there is no launch template web in this region; nothing to update.`
      const result = await heldInUsWest2({ 'launch-template': 'web' }, 'DescribeLaunchTemplateVersions', [missing('us-east-1'), missing('eu-west-1')], (child) =>
        child.kill('SIGINT'))
      expect(result.logAtHold).toContain(missing('us-east-1'))
      expect(result.logAtHold).toContain(missing('eu-west-1'))
      expect(result.exitCode).toBe(1)
      expect(result.warnings).toEqual([
        'launch-template: there is no launch template web in any region that answered before the run was cancelled (eu-west-1, us-east-1), ' +
          'so no version was made there; us-west-2 had not answered. Check the name or ID.'
      ])
      expect(result.errors.map((error) => error.message)).toEqual([
        'The run was cancelled (SIGINT) after the build, while rolling out the launch template (launch-template): the 3 AMIs are built, ' +
          'tagged and in the outputs; launch-template did not finish (no such template in eu-west-1, us-east-1; no answer yet in us-west-2) ' +
          '(the summary shows what each step did).'
      ])
      const templates = section(result.summary, '### Launch template `web` (cut short: the run was cancelled)')
      expect(templates).toContain('No region that answered has this launch template, so no version was made there. Check the name or ID.')
      expect(JSON.parse(result.outputs['launch-template-versions'])).toEqual({})
    })

    it('the action crashing during launch-template: the versions made are in the output, the summary and the log', async () => {
      const crashOnSigusr2 = 'data:text/javascript,process.on("SIGUSR2",()=>{throw new Error("injected crash")})'
      const newVersion = (region: string) => logLine(`${region}: launch template web \\(lt-[0-9a-f]+\\) version 2 launches ami-[0-9a-f]+, now its default\\.`)
      const result = await heldInUsWest2(
        { 'launch-template': 'web' },
        'CreateLaunchTemplateVersion',
        [newVersion('us-east-1'), newVersion('eu-west-1')],
        (child) => child.kill('SIGUSR2'),
        {
          extra: { nodeArgs: ['--import', crashOnSigusr2] },
          prepare: async (loopback) => {
            for (const region of regions) {
              const ec2 = new EC2Client({ region, endpoint: loopback.url, credentials: { accessKeyId: 'AKIDLOOPBACK', secretAccessKey: 'x' } })
              await ec2.send(new CreateLaunchTemplateCommand({ LaunchTemplateName: 'web', LaunchTemplateData: { ImageId: SOURCE_AMI_ID, InstanceType: 't3.micro' } }))
              ec2.destroy()
            }
          }
        }
      )
      // What the user saw while us-west-2 waited: the two regions done, and nothing of the third.
      expect(result.logAtHold).toMatch(newVersion('us-east-1'))
      expect(result.logAtHold).toMatch(newVersion('eu-west-1'))
      expect(result.logAtHold).not.toContain('us-west-2: launch template')
      expect(result.exitCode).toBe(1)
      const amiIds = JSON.parse(result.outputs['ami-ids']) as Record<string, string>
      expect(endpoint.callsOf('CreateLaunchTemplateVersion', 'us-west-2').map((call) => call.error)).toEqual(['NoAnswer'])
      expect(endpoint.launchTemplates('us-west-2')[0].defaultVersion).toBe(1)
      expect(JSON.parse(result.outputs['launch-template-versions'])).toEqual({ 'us-east-1': 2, 'eu-west-1': 2 })
      expect(result.errors.map((error) => error.message)).toEqual([
        'The action crashed (Error: injected crash) after the build, while rolling out the launch template (launch-template): the 3 AMIs are built, ' +
          'tagged and in the outputs; launch-template did not finish (new version in eu-west-1, us-east-1; no answer yet in us-west-2) ' +
          '(the summary shows what each step did).'
      ])
      const templates = section(result.summary, '### Launch template `web` (cut short: the action failed)')
      for (const region of ['us-east-1', 'eu-west-1']) {
        expect(templates).toContain(`| ${region} | \`${amiIds[region]}\` | 2 | yes |`)
        expect(result.stdout).toMatch(new RegExp(`${region}: launch template web \\(lt-[0-9a-f]+\\) version 2 launches ${amiIds[region]}, now its default\\.`))
        expect(linesStarting(result.stdout, `${region}: launch template`)).toBe(1)
      }
      expect(templates).toContain(
        `| us-west-2 | \`${amiIds['us-west-2']}\` | the action failed before AWS answered: a new version may or may not launch ${amiIds['us-west-2']} | — |`
      )
      expect(renderedText(result.summary)).toContain('\nThe action crashed (Error: injected crash) after the build, while rolling out the launch template (launch-template): ')
    })

    it('a cancel during keep-images: the AMIs deregistered and the snapshots deleted are in the output, the summary and the log', async () => {
      const retired = `eu-west-1: ami-0000000000000a001 (${family}, created 2025-01-01T00:00:00.000Z): deregistered; snapshots deleted: snap-0000000000000a001`
      // us-east-1 had no older AMI: its new one is kept, and that is its result.
      // Packer's own log names each region's AMI as `region: ami-…` too: the family tells retention's lines apart.
      const fateIn = (region: string) => new RegExp(`^${region}: ami-[0-9a-f]+ \\(${literally(family)}, created `)
      const kept = logLine(`us-east-1: ami-[0-9a-f]+ \\(${literally(family)}, created \\S+\\): kept: newest`)
      const result = await heldInUsWest2({ 'keep-images': '1' }, 'DeregisterImage', [retired, kept], (child) => child.kill('SIGINT'))
      // What the user saw while us-west-2 waited: the two regions done, and nothing of the third.
      expect(result.logAtHold).toContain(retired)
      expect(result.logAtHold).toMatch(kept)
      expect(linesStarting(result.logAtHold, fateIn('us-west-2'))).toBe(0)
      expect(result.exitCode).toBe(1)
      expect(endpoint.callsOf('DeregisterImage', 'us-west-2').map((call) => call.error)).toEqual(['NoAnswer'])
      expect(endpoint.images('eu-west-1').map((image) => image.imageId)).not.toContain('ami-0000000000000a001')
      expect(endpoint.images('us-west-2').map((image) => image.imageId)).toContain('ami-0000000000000a002')
      expect(JSON.parse(result.outputs.deregistered)).toEqual([{ region: 'eu-west-1', amiId: 'ami-0000000000000a001' }])
      expect(result.errors.map((error) => error.message)).toEqual([
        'The run was cancelled (SIGINT) after the build, while retiring old AMIs (keep-images): the 3 AMIs are built, ' +
          'tagged and in the outputs; keep-images did not finish (deregistered ami-0000000000000a001 (eu-west-1); ' +
          'no answer yet for ami-0000000000000a002 (us-west-2)) (the summary shows what each step did).'
      ])
      const retention = section(result.summary, '### Retention: the newest AMI of the image family is kept (cut short: the run was cancelled)')
      expect(retention).toContain('| eu-west-1 | `ami-0000000000000a001` | 2025-01-01T00:00:00.000Z | deregistered; snapshots deleted: snap-0000000000000a001 |')
      expect(retention).toContain(
        '| `ami-0000000000000a002` | 2025-01-01T00:00:00.000Z | cancelled before AWS answered: it may or may not be deregistered; its snapshots (snap-0000000000000a002) are not deleted |'
      )
      expect(result.stdout).toContain(retired)
      // Said once, as each region finished: its new AMI, and in eu-west-1 the one retired.
      expect(linesStarting(result.stdout, fateIn('us-east-1'))).toBe(1)
      expect(linesStarting(result.stdout, fateIn('eu-west-1'))).toBe(2)
      expect(renderedText(result.summary)).toContain('\nThe run was cancelled (SIGINT) after the build, while retiring old AMIs (keep-images): ')
    })

    it('a cancel during keep-images of over 1000 AMIs: the summary counts those not reached, as a finished one counts those retired', async () => {
      // Older than us-west-2's other old AMI: retired after it, so not reached while EC2 holds its DeregisterImage.
      const many = Array.from({ length: 1000 }, (_, n) => ({
        ...olderAmi('us-west-2', 0),
        imageId: `ami-0000000000001${n.toString(16).padStart(4, '0')}`,
        snapshotId: `snap-0000000000001${n.toString(16).padStart(4, '0')}`,
        name: `web-many-${n}`,
        creationDate: new Date(Date.UTC(2023, 0, 1) + n * 3_600_000).toISOString()
      }))
      const retired = `eu-west-1: ami-0000000000000a001 (${family}, created 2025-01-01T00:00:00.000Z): deregistered; snapshots deleted: snap-0000000000000a001`
      const result = await heldInUsWest2({ 'keep-images': '1' }, 'DeregisterImage', [retired], (child) => child.kill('SIGINT'), { seedImages: many })
      expect(result.exitCode).toBe(1)
      expect(endpoint.callsOf('DeregisterImage', 'us-west-2').map((call) => call.params.ImageId)).toEqual(['ami-0000000000000a002'])
      const retention = section(result.summary, '### Retention: the newest AMI of the image family is kept (cut short: the run was cancelled)')
      // us-west-2: its new AMI, the one held and the 1000; eu-west-1: its new AMI and the one retired; us-east-1: its new AMI.
      expect(retention).toContain(
        '1005 AMIs: those deregistered with all their snapshots, and those not reached before the run ended, are counted by region and family, ' +
          'as a row for each would take the summary past the 1 MiB GitHub shows (it drops a bigger one whole). The log names each, and so does the output deregistered.'
      )
      expect(retention).toContain(
        `| us-west-2 | 1000 AMIs | ${many[0].creationDate} to ${many[999].creationDate} | not deregistered: the run ended before their turn |`
      )
      expect(retention).toContain(
        '| `ami-0000000000000a002` | 2025-01-01T00:00:00.000Z | cancelled before AWS answered: it may or may not be deregistered; its snapshots (snap-0000000000000a002) are not deleted |'
      )
      expect(retention).toContain(`| eu-west-1 | 1 AMI | 2025-01-01T00:00:00.000Z | deregistered, with their snapshots |`)
      expect(retention).not.toContain(many[0].imageId)
      expect(Buffer.byteLength(result.summary)).toBeLessThan(64 * 1024)
      // The log still names each.
      for (const { imageId, creationDate } of [many[0], many[999]]) {
        expect(result.stdout).toContain(`us-west-2: ${imageId} (${family}, created ${creationDate}): not deregistered: the run ended before its turn`)
      }
      expect(JSON.parse(result.outputs.deregistered)).toEqual([{ region: 'eu-west-1', amiId: 'ami-0000000000000a001' }])
    })
  })

  describe('half of the action\'s calls throttled', () => {
    it('leaves nothing untagged over 20 seeded runs', async () => {
      const seeds = Array.from({ length: Number(process.env.SEEDS ?? 20) }, (_, index) => index + 1)
      const throttled: number[] = []
      const untagged: string[] = []
      // Four runs at a time, each with its own endpoint and workspace.
      for (let batch = 0; batch < seeds.length; batch += 4) {
        await Promise.all(
          seeds.slice(batch, batch + 4).map(async (seed) => {
            const own = await startEc2Endpoint({ regions })
            const scratch = mkdtempSync(join(tmpdir(), 'throttle-'))
            try {
              cpSync(join(projectRoot, 'demo'), scratch, { recursive: true })
              for (const action of ['DescribeImages', 'CreateTags']) {
                own.faults.throttle(action, { rate: 0.5, seed: seed * 2 + (action === 'CreateTags' ? 1 : 0), userAgent: 'aws-sdk-js' })
              }
              const result = await runAction(options({}, { workspace: scratch }, own))
              expect(result.errors).toEqual([])
              expect(result.exitCode).toBe(0)
              throttled.push(own.calls.filter((call) => call.error === 'RequestLimitExceeded').length)
              for (const { region, amiId } of JSON.parse(result.outputs.artifacts) as Array<{ region: string; amiId: string }>) {
                const image = own.images(region).find((candidate) => candidate.imageId === amiId)
                if (own.tagsOf(region, amiId).SourceCommit !== pushToMain.GITHUB_SHA) untagged.push(`seed ${seed} ${amiId}`)
                for (const device of image?.blockDeviceMappings ?? []) {
                  if (own.tagsOf(region, device.snapshotId as string).SourceCommit !== pushToMain.GITHUB_SHA) {
                    untagged.push(`seed ${seed} ${device.snapshotId}`)
                  }
                }
              }
            } finally {
              await own.close()
              rmSync(scratch, { recursive: true, force: true })
            }
          })
        )
      }
      expect(untagged).toEqual([])
      // The fault was on: about half of the action's 6 calls a run, plus their retries.
      expect(throttled.reduce((sum, count) => sum + count, 0)).toBeGreaterThan(40)
    }, 300_000)
  })

  describe('the manifest', () => {
    function editTemplate(edit: (template: { 'post-processors': unknown[] }) => void): void {
      const path = join(workspace, 'json', 'packer-template.json')
      const template = JSON.parse(readFileSync(path, 'utf8'))
      edit(template)
      writeFileSync(path, JSON.stringify(template, null, 2))
    }

    it('an output directory that does not exist is created before the build, and the AMIs are kept', async () => {
      endpoint = await startEc2Endpoint({ regions })
      editTemplate((template) => {
        template['post-processors'] = [{ type: 'manifest', output: 'out/manifest.json' }]
      })
      const result = await runAction(options({}))
      expect(result.errors).toEqual([])
      expect(result.exitCode).toBe(0)
      expect(result.stdout).toContain(`Created ${join(workspace, 'json', 'out')} for the manifest`)
      expect(result.outputs.manifest).toBe(join(workspace, 'json', 'out', 'manifest.json'))
      const amiIds = JSON.parse(result.outputs['ami-ids']) as Record<string, string>
      expect(Object.keys(amiIds)).toHaveLength(3)
      for (const [region, amiId] of Object.entries(amiIds)) {
        expect(endpoint.images(region).find((image) => image.imageId === amiId)?.state).toBe('available')
        expect(endpoint.tagsOf(region, amiId)).toHaveProperty('SourceCommit', pushToMain.GITHUB_SHA)
      }
      expect(endpoint.callsOf('DeregisterImage')).toEqual([])
    })

    it('a manifest file that is not JSON is refused before anything runs', async () => {
      endpoint = await startEc2Endpoint({ regions })
      writeFileSync(join(workspace, 'json', 'packer-manifest.json'), '{"builds": [\n')
      const result = await runAction(options({}))
      expect(result.exitCode).toBe(1)
      expect(result.errors).toHaveLength(1)
      expect(result.errors[0].message).toMatch(/^manifest: json\/packer-manifest\.json is not valid JSON at line 2/)
      expect(result.errors[0].properties).toMatchObject({ file: 'json/packer-manifest.json' })
      expect(result.stdout).not.toContain('::group::')
      expect(endpoint.calls).toEqual([])
    })

    it('a manifest that goes bad during the build: the AMIs Packer announced still reach the outputs and are tagged', async () => {
      endpoint = await startEc2Endpoint({ regions })
      editTemplate((template) => {
        template['post-processors'] = [
          [
            { type: 'manifest' },
            { type: 'shell-local', inline: ['echo "not a manifest" > packer-manifest.json'] }
          ]
        ]
      })
      const result = await runAction(options({}))
      expect(result.errors).toEqual([])
      expect(result.exitCode).toBe(0)
      expect(result.stdout).toContain("Cannot read the manifest")
      const amiIds = JSON.parse(result.outputs['ami-ids']) as Record<string, string>
      expect(Object.keys(amiIds).sort()).toEqual([...regions].sort())
      for (const [region, amiId] of Object.entries(amiIds)) {
        expect(endpoint.tagsOf(region, amiId)).toHaveProperty('SourceCommit', pushToMain.GITHUB_SHA)
      }
      expect(result.summary).not.toContain('No AMI was built')
    })
  })
})
