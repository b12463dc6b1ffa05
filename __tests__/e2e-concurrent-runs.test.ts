// Two workflow runs that publish the same image family in one account at the same time, as
// happens without the README's `concurrency` group (two branches, two workflows, two
// repositories with one image-family): two processes of the bundled action, each with the real
// Packer building the demo template into three regions, against one loopback endpoint. One run
// is made slow by holding the answers to its own calls (its access key): what a user sees is
// what each run leaves on the endpoint, its outputs and its warnings.
import { afterEach, beforeEach, expect, it } from '@jest/globals'
import { CreateLaunchTemplateCommand, EC2Client } from '@aws-sdk/client-ec2'
import { rmSync } from 'node:fs'
import { SOURCE_AMI_ID, startEc2Endpoint, type Ec2Endpoint } from '../test-support/ec2-endpoint/index.js'
import { loopbackClientConfig } from './support/endpoint-per-test.js'
import { loopbackEnvironment, pushToMain, runAction, type ActionRun } from './support/action-process.js'
import { demoWorkspace } from './support/demo.js'
import { describeWithPacker, packerVersion } from './support/runtimes.js'

const regions = ['us-east-1', 'eu-west-1', 'us-west-2']
const parameter = '/images/web/latest'
const runUrl = (runId: string) => `${pushToMain.GITHUB_SERVER_URL}/${pushToMain.GITHUB_REPOSITORY}/actions/runs/${runId}/attempts/1`

/** The run of an older commit, and the run of the commit pushed after it, each with its own key. */
const older = { GITHUB_SHA: '0ld0000000000000000000000000000000000001', GITHUB_RUN_ID: '5001', AWS_ACCESS_KEY_ID: 'AKIDOLDERRUN' }
const newer = { GITHUB_SHA: 'feed000000000000000000000000000000000002', GITHUB_RUN_ID: '5002', AWS_ACCESS_KEY_ID: 'AKIDNEWERRUN' }

/** Polls a condition; a bound on the wait, not a measurement. */
async function until(condition: () => boolean, what: string): Promise<void> {
  for (let waited = 0; waited < 120_000; waited += 20) {
    if (condition()) return
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  throw new Error(`gave up waiting for ${what}`)
}

/**
 * Into the next second: BuildTime, when a run started, is told to the second, and the demo's AMI
 * name ends in the second it was made, which two AMIs cannot share.
 */
async function nextSecond(): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 1000 - (Date.now() % 1000) + 20))
}

describeWithPacker('two runs of one image family at the same time, through the bundled action', () => {
  let endpoint: Ec2Endpoint
  const workspaces: string[] = []
  beforeEach(async () => {
    endpoint = await startEc2Endpoint({ regions, autoAdvance: { describes: 0 } })
    for (const region of regions) {
      const ec2 = new EC2Client(loopbackClientConfig(endpoint, region))
      await ec2.send(new CreateLaunchTemplateCommand({ LaunchTemplateName: 'web', LaunchTemplateData: { ImageId: SOURCE_AMI_ID, InstanceType: 't3.small' } }))
      ec2.destroy()
    }
  })
  afterEach(async () => {
    endpoint.faults.clear()
    await endpoint.close()
    for (const workspace of workspaces.splice(0)) rmSync(workspace, { recursive: true, force: true })
  })

  function start(run: Record<string, string>, inputs: Record<string, string>): Promise<ActionRun> {
    const workspace = demoWorkspace('e2e-concurrent-')
    workspaces.push(workspace)
    return runAction({
      workspace,
      inputs: { 'packer-version': packerVersion(), 'working-directory': 'json', ...inputs },
      env: { ...pushToMain, ...loopbackEnvironment(endpoint.url, workspace), ...run }
    })
  }

  const signedBy = (run: { AWS_ACCESS_KEY_ID: string }, action: string) =>
    endpoint.callsOf(action).filter((call) => call.accessKeyId === run.AWS_ACCESS_KEY_ID).length > 0
  const amiIdsOf = (run: ActionRun) => JSON.parse(run.outputs['ami-ids']) as Record<string, string>
  const defaultImage = (region: string) => {
    const template = endpoint.launchTemplates(region).find((one) => one.launchTemplateName === 'web')
    return template?.versions.find((version) => version.versionNumber === template.defaultVersion)?.data.ImageId
  }
  const live = (region: string) =>
    endpoint
      .images(region)
      .filter((image) => image.imageId !== SOURCE_AMI_ID && image.state !== 'deregistered')
      .map((image) => image.imageId)
      .sort()

  it('the older commit\'s run, finishing last, leaves the parameter and the default version on the newer AMIs, and says so', async () => {
    const inputs = { 'ssm-parameter': parameter, 'launch-template': 'web', 'keep-images': '1' }
    // The older run's build is slow: its instance is launched, and it hears of it only once the
    // newer run is done.
    endpoint.faults.holdAnswers('RunInstances', { accessKeyId: older.AWS_ACCESS_KEY_ID })
    const slow = start(older, inputs)
    await until(() => signedBy(older, 'RunInstances'), 'the older run to launch its instance')
    await nextSecond()
    const fast = await start(newer, inputs)
    expect(fast.errors).toEqual([])
    expect(fast.exitCode).toBe(0)
    await nextSecond()
    endpoint.faults.releaseAnswers('RunInstances')
    const last = await slow

    const newerAmis = amiIdsOf(fast)
    const olderAmis = amiIdsOf(last)
    expect(last.errors).toEqual([])
    expect(last.exitCode).toBe(0)
    for (const region of regions) {
      expect(endpoint.parameters(region)[parameter]?.value).toBe(newerAmis[region])
      expect(defaultImage(region)).toBe(newerAmis[region])
      // Each run's AMIs are tagged as its own, and both sets are still there.
      const tagsOf = (amiId: string) => endpoint.images(region).find((image) => image.imageId === amiId)?.tags ?? {}
      expect(tagsOf(olderAmis[region]).BuildRunUrl).toBe(runUrl(older.GITHUB_RUN_ID))
      expect(tagsOf(newerAmis[region]).BuildRunUrl).toBe(runUrl(newer.GITHUB_RUN_ID))
      expect(live(region)).toEqual([olderAmis[region], newerAmis[region]].sort())
    }
    expect(JSON.parse(last.outputs['launch-template-versions'])).toEqual({})
    for (const region of regions) {
      expect(last.warnings).toContainEqual(
        expect.stringContaining(
          `${region}: SSM parameter ${parameter} left at ${newerAmis[region]}, built by ${runUrl(newer.GITHUB_RUN_ID)}, a run that started after this one`
        )
      )
      expect(last.warnings).toContainEqual(
        expect.stringContaining(`${region}: launch template web left at its default version, which launches ${newerAmis[region]}, built by ${runUrl(newer.GITHUB_RUN_ID)}, a run that started after this one`)
      )
    }
    expect(last.summary).toContain(`left at ${newerAmis['us-east-1']}`)
  })

  it('a run\'s retention keeps the AMIs of a run that started after it, which that run is about to roll out', async () => {
    const inputs = { 'launch-template': 'web', 'keep-images': '1' }
    endpoint.faults.holdAnswers('RunInstances', { accessKeyId: older.AWS_ACCESS_KEY_ID })
    const first = start(older, inputs)
    await until(() => signedBy(older, 'RunInstances'), 'the older run to launch its instance')
    await nextSecond()
    // The newer run has built and tagged its AMIs, and looks at the launch template: there it waits.
    endpoint.faults.holdAnswers('DescribeLaunchTemplateVersions', { accessKeyId: newer.AWS_ACCESS_KEY_ID })
    const second = start(newer, inputs)
    await until(() => signedBy(newer, 'DescribeLaunchTemplateVersions'), 'the newer run to reach its launch template')
    await nextSecond()
    endpoint.faults.releaseAnswers('RunInstances')
    const olderRun = await first
    endpoint.faults.releaseAnswers('DescribeLaunchTemplateVersions')
    const newerRun = await second

    const newerAmis = amiIdsOf(newerRun)
    expect(olderRun.errors).toEqual([])
    expect(newerRun.errors).toEqual([])
    expect(newerRun.exitCode).toBe(0)
    expect(JSON.parse(olderRun.outputs.deregistered)).toEqual([])
    for (const region of regions) {
      expect(live(region)).toContain(newerAmis[region])
      expect(defaultImage(region)).toBe(newerAmis[region])
    }
    expect(olderRun.summary).toContain(`\`${newerAmis['us-east-1']}\``)
    expect(olderRun.summary).toContain('kept: made while this run ran, by another run')
  })

  it('a run whose put another run\'s put follows at once is told so in a warning, and does not fail', async () => {
    const inputs = { 'ssm-parameter': parameter }
    // The older run's put is carried out, and it hears of it only once the newer run has put its own.
    endpoint.faults.holdAnswers('PutParameter', { accessKeyId: older.AWS_ACCESS_KEY_ID })
    const first = start(older, inputs)
    await until(() => signedBy(older, 'PutParameter'), 'the older run to put its AMI')
    await nextSecond()
    const newerRun = await start(newer, inputs)
    endpoint.faults.releaseAnswers('PutParameter')
    const olderRun = await first

    const newerAmis = amiIdsOf(newerRun)
    const olderAmis = amiIdsOf(olderRun)
    expect(newerRun.errors).toEqual([])
    expect(olderRun.errors).toEqual([])
    expect(olderRun.exitCode).toBe(0)
    for (const region of regions) {
      expect(endpoint.parameters(region)[parameter]).toMatchObject({ value: newerAmis[region], version: 2 })
      expect(olderRun.warnings).toContainEqual(
        expect.stringContaining(
          `${region}: SSM parameter ${parameter} holds ${newerAmis[region]} (version 2), which another run put after this run's ${olderAmis[region]} (version 1)`
        )
      )
    }
  })
})
