// The action used twice in one job, as a monorepo's workflow does (a base image, then an app
// image), and in two jobs at once on one self-hosted runner, through the bundled action as the
// runner runs it. In one job: main(step 1), main(step 2), then the post steps in reverse order,
// post(step 2), post(step 1); each step has its own GITHUB_OUTPUT, GITHUB_STATE and
// GITHUB_STEP_SUMMARY, while RUNNER_TEMP, RUNNER_TOOL_CACHE and the workspace are the job's. Two
// jobs on one machine share RUNNER_TOOL_CACHE (and here RUNNER_TEMP), each with its workspace.
// There is no Packer on PATH: it is installed from a releases mirror on 127.0.0.1, whose zip's
// `packer` runs the real Packer 1.6.6, into that tool cache.
import { afterAll, afterEach, beforeAll, beforeEach, expect, it } from '@jest/globals'
import type { ChildProcess } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as openpgp from 'openpgp'
import { startEc2Endpoint, type Ec2Endpoint } from '../test-support/ec2-endpoint/index.js'
import { startReleasesMirror, type ReleasesMirror } from '../test-support/releases-mirror/index.js'
import { jobOutputs, loopbackEnvironment, pushToMain, registeredMasks, runAction, runPostStep, type ActionRun, type RunActionOptions } from './support/action-process.js'
import { demoWorkspace } from './support/demo.js'
import { describeWithPacker, packer, packerVersion, until } from './support/runtimes.js'

describeWithPacker('the action twice in one job, and in two jobs at once, through the bundled action', () => {
  let version = ''
  let signingKey: openpgp.PrivateKey
  let mirror: ReleasesMirror
  let endpoint: Ec2Endpoint
  let job: string
  const workspaces: string[] = []

  /** A mirror whose zip's `packer` runs the real one, padded to `bytes` as a real release's is big. */
  function realPackerMirror(bytes = 0, gate?: (path: string) => Promise<void> | undefined): Promise<ReleasesMirror> {
    const script = `#!/bin/sh\nexec '${packer}' "$@"\n`
    return startReleasesMirror({
      versions: [version],
      signingKey,
      platforms: [{ os: 'linux', arch: 'amd64' }],
      packerScript: () => script + '# padding\n'.repeat(Math.ceil(bytes / 10)),
      gate
    })
  }

  beforeAll(async () => {
    version = packerVersion()
    signingKey = (await openpgp.generateKey({ userIDs: [{ name: 'Mirror', email: 'releases@mirror.test' }], format: 'object' })).privateKey
    mirror = await realPackerMirror()
  })
  afterAll(() => mirror.close())
  beforeEach(async () => {
    endpoint = await startEc2Endpoint({ regions: ['us-east-1', 'eu-west-1', 'us-west-2'], autoAdvance: { describes: 0 } })
    job = mkdtempSync(join(tmpdir(), 'two-steps-job-'))
    mirror.requests.length = 0
  })
  afterEach(async () => {
    await endpoint.close()
    for (const folder of [job, ...workspaces.splice(0)]) rmSync(folder, { recursive: true, force: true })
  })

  function newWorkspace(): string {
    const workspace = demoWorkspace('two-steps-')
    workspaces.push(workspace)
    return workspace
  }

  /** The demo's JSON template, named base, and its HCL2 template, named app. */
  const base = { 'working-directory': 'json', variables: 'ami_name_prefix=base' }
  const app = { 'working-directory': 'hcl2', template: 'ami.pkr.hcl', 'var-file': 'loopback.pkrvars.hcl', variables: 'ami_name_prefix=app' }

  /** A step in `workspace` with `inputs`, with the job's temporary folder and tool cache, installing Packer from `from`. */
  function step(workspace: string, inputs: Record<string, string>, extra: Partial<RunActionOptions> = {}, from = mirror): RunActionOptions {
    return {
      workspace,
      inputs: { 'packer-version': version, 'packer-releases-url': from.url, 'packer-signing-key': signingKey.toPublic().armor(), ...inputs },
      env: {
        ...pushToMain,
        ...loopbackEnvironment(endpoint.url, workspace),
        PATH: '/nonexistent',
        RUNNER_TEMP: join(job, 'temp'),
        RUNNER_TOOL_CACHE: join(job, 'tool-cache')
      },
      ...extra
    }
  }

  /** A step whose instance, once launched, stays pending until told otherwise: Packer waits for it, once a second. */
  function patient(options: RunActionOptions): RunActionOptions {
    return { ...options, env: { ...options.env, AWS_POLL_DELAY_SECONDS: '1', AWS_MAX_ATTEMPTS: '1000' } }
  }

  /** The run's AMIs, by region, from its outputs. */
  const amisOf = (run: ActionRun): Record<string, string> => JSON.parse(run.outputs['ami-ids'] ?? '{}') as Record<string, string>

  /** Each of the run's AMIs is available, named and tagged Name `name`, with the job's commit, as its snapshots are. */
  function expectBuiltAndTagged(run: ActionRun, name: string): void {
    expect(run.errors).toEqual([])
    expect(run.exitCode).toBe(0)
    const amis = amisOf(run)
    expect(Object.keys(amis).sort()).toEqual(['eu-west-1', 'us-east-1', 'us-west-2'])
    for (const [region, amiId] of Object.entries(amis)) {
      const image = endpoint.images(region).find((candidate) => candidate.imageId === amiId)
      expect(image).toMatchObject({ state: 'available', name: expect.stringMatching(new RegExp(`^${name}-`)) })
      expect(image?.tags).toMatchObject({ Name: name, SourceCommit: pushToMain.GITHUB_SHA })
      for (const device of image?.blockDeviceMappings ?? []) {
        expect(endpoint.snapshots(region).find((snapshot) => snapshot.snapshotId === device.snapshotId)?.tags).toMatchObject({ SourceCommit: pushToMain.GITHUB_SHA })
      }
    }
  }

  /** The tags of every AMI and snapshot in the outputs of `run`, by ID. */
  function tagsOfRun(run: ActionRun): Record<string, Record<string, string>> {
    return Object.fromEntries(
      Object.entries(amisOf(run)).flatMap(([region, amiId]) => {
        const snapshots = endpoint.images(region).find((image) => image.imageId === amiId)?.blockDeviceMappings.map((device) => device.snapshotId as string) ?? []
        return [amiId, ...snapshots].map((id) => [id, endpoint.tagsOf(region, id)])
      })
    )
  }

  /** The calls since `mark` that name any of `ids`. */
  const callsNaming = (mark: number, ids: string[]) =>
    endpoint.calls.slice(mark).filter((call) => Object.values(call.params).some((value) => ids.includes(value)))

  /** The instance a step's log has announced so far, if any. */
  const instanceIn = (log: string): string | undefined => /Instance ID: (i-[0-9a-f]+)/.exec(log)?.[1]
  const stateOf = (instanceId: string | undefined): string | undefined => endpoint.instances('us-east-1').find((instance) => instance.instanceId === instanceId)?.state

  it('one job, two steps: each has its own outputs and summary, the second reuses the Packer the first installed, and the post steps leave each other alone', async () => {
    const workspace = newWorkspace()
    const first = await runAction(step(workspace, base))
    const second = await runAction(step(workspace, app))
    expectBuiltAndTagged(first, 'base')
    expectBuiltAndTagged(second, 'app')

    // Each step's outputs and summary are its own build's.
    expect(Object.keys(JSON.parse(first.outputs.builds))).toEqual(['amazon-ebs'])
    expect(Object.keys(JSON.parse(second.outputs.builds))).toEqual(['amazon-ebs.demo'])
    expect(first.outputs['manifest']).toBe(join(workspace, 'json', 'packer-manifest.json'))
    expect(second.outputs['manifest']).toBe(join(workspace, 'hcl2', 'packer-manifest.json'))
    for (const [run, other] of [[first, second], [second, first]]) {
      for (const amiId of Object.values(amisOf(run))) expect(run.summary).toContain(amiId)
      for (const amiId of Object.values(amisOf(other))) expect(run.summary).not.toContain(amiId)
    }
    // Packer is downloaded once, by the first step; the second runs it from the tool cache.
    expect(mirror.requests.filter((path) => path.endsWith('.zip'))).toEqual([`/packer/${version}/packer_${version}_linux_amd64.zip`])
    expect(second.stdout).toContain(`Using Packer ${version} from the tool cache: ${join(job, 'tool-cache', 'packer', version, 'x64', 'packer')}`)
    // What the first step registered as secrets hides none of the second's outputs from later jobs.
    expect(jobOutputs(second, registeredMasks(first))).toEqual(second.outputs)

    const mark = endpoint.calls.length
    const postSecond = await runPostStep(second, step(workspace, app))
    const postFirst = await runPostStep(first, step(workspace, base))
    for (const post of [postSecond, postFirst]) {
      expect(post.exitCode).toBe(0)
      expect(post.warnings).toEqual([])
      expect(post.summary).toBe('')
    }
    expect(endpoint.calls.slice(mark)).toEqual([])
  })

  it('one job, the second step killed while Packer waits for its instance: its post step cleans up after it alone, the first step\'s leaves everything', async () => {
    const workspace = newWorkspace()
    const first = await runAction(step(workspace, base))
    expectBuiltAndTagged(first, 'base')
    const firsts = tagsOfRun(first)

    endpoint.faults.holdInstancesPending()
    const mark = endpoint.calls.length
    let packerPid = 0
    let log = (): string => ''
    // The runner's last resort: SIGKILL to the step's process alone; Packer, in a group of its own, outlives it.
    const second = await runAction(
      patient(
        step(workspace, app, {
          onStart: (child: ChildProcess, stdoutSoFar) => {
            log = stdoutSoFar
            void until(() => endpoint.calls.slice(mark).filter((call) => call.action === 'DescribeInstances').length >= 2, 'Packer to wait for its instance').then(() => {
              packerPid = childrenOf(child.pid as number)[0]
              child.kill('SIGKILL')
            })
          }
        })
      )
    )
    expect(second.signal).toBe('SIGKILL')
    const instance = instanceIn(log())
    expect(stateOf(instance)).toBe('pending')

    const beforePost = endpoint.calls.length
    const postSecond = await runPostStep(second, patient(step(workspace, app)))
    expect(postSecond.exitCode).toBe(0)
    expect(postSecond.warnings).toEqual([`Packer (process group ${packerPid}) was still running after the main step was killed: stopped it, so that it makes nothing more.`])
    expect(postSecond.stdout).toContain(`us-east-1: terminating ${instance} (pending)`)
    expect(stateOf(instance)).toBe('terminated')
    const afterSecond = endpoint.calls.length

    const postFirst = await runPostStep(first, step(workspace, base))
    expect(postFirst.exitCode).toBe(0)
    expect(postFirst.warnings).toEqual([])
    // Post(step 1) asks EC2 nothing, and nothing since step 1 ended names its AMIs or snapshots.
    expect(endpoint.calls.slice(afterSecond)).toEqual([])
    expect(callsNaming(beforePost, Object.keys(firsts))).toEqual([])
    expectBuiltAndTagged(first, 'base')
    expect(tagsOfRun(first)).toEqual(firsts)
  }, 120_000)

  it('one job, the first step fails (continue-on-error), the second builds: each post step keeps to its own step', async () => {
    const workspace = newWorkspace()
    const first = await runAction(step(workspace, { ...base, variables: 'ami_name_prefix=base\nsource_ami=ami-0000000000000dead' }))
    expect(first.exitCode).toBe(1)
    expect(first.errors.at(-1)?.message).toMatch(/^packer build failed \(exit code 1\); no AMI was built/)
    expect(first.outputs['ami-id'] ?? '').toBe('')
    const second = await runAction(step(workspace, app))
    expectBuiltAndTagged(second, 'app')
    const seconds = tagsOfRun(second)

    const mark = endpoint.calls.length
    const postSecond = await runPostStep(second, step(workspace, app))
    const postFirst = await runPostStep(first, step(workspace, base))
    for (const post of [postSecond, postFirst]) {
      expect(post.exitCode).toBe(0)
      expect(post.warnings).toEqual([])
    }
    expect(callsNaming(mark, Object.keys(seconds))).toEqual([])
    expect(endpoint.calls.slice(mark).map((call) => call.action).filter((action) => !action.startsWith('Describe'))).toEqual([])
    expect(tagsOfRun(second)).toEqual(seconds)
  })

  it('two jobs at once on one runner, with an empty tool cache: both install Packer and build their own AMIs', async () => {
    // Packer's size, as a release's; the zip is sent to both jobs once both have asked for it, as
    // matrix jobs that start together download it side by side: their copies into the tool cache meet.
    let bothAsked: () => void = () => undefined
    const asked = new Promise<void>((resolve) => (bothAsked = resolve))
    let zipsAsked = 0
    const big = await realPackerMirror(100_000_000, (path) => {
      if (!path.endsWith('.zip')) return undefined
      if (++zipsAsked === 2) bothAsked()
      return asked
    })
    try {
      const [one, other] = [newWorkspace(), newWorkspace()]
      const [a, b] = await Promise.all([runAction(step(one, base, {}, big)), runAction(step(other, app, {}, big))])
      expectBuiltAndTagged(a, 'base')
      expectBuiltAndTagged(b, 'app')
      // Both downloaded it; the one that finished second runs the first one's copy.
      expect(big.requests.filter((path) => path.endsWith('.zip'))).toHaveLength(2)
      const meanwhile = `Another job put Packer ${version} in the tool cache meanwhile: using its copy`
      expect([a, b].filter((run) => run.stdout.includes(meanwhile))).toHaveLength(1)
      expect(a.outputs['manifest']).toBe(join(one, 'json', 'packer-manifest.json'))
      expect(b.outputs['manifest']).toBe(join(other, 'hcl2', 'packer-manifest.json'))
      // One whole copy of Packer in the tool cache, and nothing of either job's own beside it.
      expect(readdirSync(join(job, 'tool-cache', 'packer', version)).sort()).toEqual(['x64', 'x64.complete'])
      expect(readdirSync(join(job, 'tool-cache', 'packer', version, 'x64')).sort()).toEqual(['LICENSE.txt', 'packer'])
    } finally {
      await big.close()
    }
  })

  it("two jobs at once on one runner: a cancel of one leaves the other's instance running, and the other builds", async () => {
    const [one, other] = [newWorkspace(), newWorkspace()]
    // The tool cache holds Packer already, as after an earlier job.
    expect((await runAction(step(newWorkspace(), { command: 'validate', 'working-directory': 'json' }))).exitCode).toBe(0)
    endpoint.faults.holdInstancesPending()
    let logA = (): string => ''
    let logB = (): string => ''
    const bothWaiting = (): boolean => instanceIn(logA()) !== undefined && instanceIn(logB()) !== undefined
    const cancelled = runAction(
      patient(
        step(one, base, {
          // The runner's cancel: SIGINT to the step, once both jobs' Packers wait for their instances.
          onStart: (child, stdoutSoFar) => {
            logA = stdoutSoFar
            void until(bothWaiting, 'both builds to wait for their instances').then(() => child.kill('SIGINT'))
          }
        })
      )
    )
    const going = runAction(patient(step(other, app, { onStart: (_child, stdoutSoFar) => (logB = stdoutSoFar) })))
    const a = await cancelled
    expect(a.exitCode).toBe(1)
    expect(a.outputs['ami-id'] ?? '').toBe('')
    // The cancelled build's instance is gone; the other's waits on, and no call named it.
    expect(stateOf(instanceIn(logA()))).toBe('terminated')
    const otherInstance = instanceIn(logB())
    expect(stateOf(otherInstance)).toBe('pending')
    expect(endpoint.callsOf('TerminateInstances').flatMap((call) => Object.values(call.params))).not.toContain(otherInstance)

    endpoint.faults.holdInstancesPending(false)
    expectBuiltAndTagged(await going, 'app')
    expect(stateOf(otherInstance)).toBe('terminated')
  }, 120_000)
})

/** The processes whose parent is `pid`, from /proc (Linux). */
function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number)
  } catch {
    return []
  }
}
