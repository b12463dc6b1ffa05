// A workflow run's job re-run ("Re-run failed jobs", "Re-run all jobs"), as GitHub runs it: the
// same run ID and commit, GITHUB_RUN_ATTEMPT one higher, on a fresh runner (a new workspace, no
// file of the first attempt), against the same AWS account: one loopback endpoint kept between
// the attempts. The bundled action and its post step, with the real Packer building the demo
// template into three regions.
import { expect, it } from '@jest/globals'
import { CreateLaunchTemplateCommand, EC2Client } from '@aws-sdk/client-ec2'
import { SOURCE_AMI_ID } from '../test-support/ec2-endpoint/index.js'
import { loopbackClientConfig } from './support/endpoint-per-test.js'
import { pushToMain, runAction, runPostStep, type ActionRun } from './support/action-process.js'
import { workflowRunAttempts } from './support/reruns.js'
import { describeWithPacker } from './support/runtimes.js'

const regions = ['us-east-1', 'eu-west-1', 'us-west-2']
const runUrl = `${pushToMain.GITHUB_SERVER_URL}/${pushToMain.GITHUB_REPOSITORY}/actions/runs/${pushToMain.GITHUB_RUN_ID}`

/** Polls a condition; a bound on the wait, not a measurement. */
async function until(condition: () => boolean, what: string): Promise<void> {
  for (let waited = 0; waited < 30_000; waited += 10) {
    if (condition()) return
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
  throw new Error(`gave up waiting for ${what}`)
}

describeWithPacker('a job re-run in the same workflow run, through the bundled action', () => {
  const attempts = workflowRunAttempts(regions, 'e2e-reruns-')
  const { attemptStep, amisInTheAccount } = attempts


  const amiIdsOf = (run: ActionRun) => JSON.parse(run.outputs['ami-ids']) as Record<string, string>

  it('attempt 1 cancelled once Packer has copied its AMI: the copies Packer leaves are removed by the post step, and attempt 2 builds the only set', async () => {
    // The cancel comes once the copies are made, while Packer sets its AMIs' attributes: Packer
    // 1.6.6 then says the build "finished", once its clean-up has deregistered the AMI it made,
    // and never the copies.
    attempts.endpoint.faults.holdAnswers('ModifyImageAttribute')
    const first = attemptStep(1, { reuse: 'true' })
    const cancelled = await runAction({
      ...first,
      onStart: (child, stdoutSoFar) => {
        void until(() => attempts.endpoint.callsOf('ModifyImageAttribute').length > 0, 'Packer to set its AMIs\' attributes')
          .then(() => child.kill('SIGINT'))
          .then(() => until(() => stdoutSoFar().includes('Received SIGINT'), 'the action to stop Packer'))
          .then(() => attempts.endpoint.faults.releaseAnswers('ModifyImageAttribute'))
      }
    })
    const made = /AMI: (ami-[0-9a-f]+)/.exec(cancelled.stdout)?.[1] as string
    expect(cancelled.stdout).toContain(`Deregistered AMI id: ${made}`)
    expect(cancelled.stdout).toMatch(/Build 'amazon-ebs' finished after /)
    expect(cancelled.exitCode).toBe(1)
    expect(cancelled.errors.at(-1)?.message).toBe(
      `The build was cancelled before it finished (exit code 1): no AMI is in the outputs. Packer had made ${made}. ` +
        'The post step checks that nothing Packer started is left, that AMI and its copies in other regions included, and removes what is.'
    )
    const copies = regions.slice(1).map((region) => attempts.endpoint.images(region).find((image) => image.sourceImageId === made)?.imageId)
    expect(copies).toEqual([expect.stringMatching(/^ami-/), expect.stringMatching(/^ami-/)])

    const post = await runPostStep(cancelled, first)
    expect(post.exitCode).toBe(0)
    expect(post.stdout).toContain(`eu-west-1: deregistered ${copies[0]} (available, a copy of ${made})`)
    expect(post.stdout).toContain(`us-west-2: deregistered ${copies[1]} (available, a copy of ${made})`)
    expect(amisInTheAccount()).toEqual({ 'us-east-1': [], 'eu-west-1': [], 'us-west-2': [] })

    const second = await runAction(attemptStep(2, { reuse: 'true' }))
    expect(second.errors).toEqual([])
    expect(second.exitCode).toBe(0)
    const built = amiIdsOf(second)
    expect(amisInTheAccount()).toEqual(
      Object.fromEntries(regions.map((region) => [region, [`${built[region]} ${runUrl}/attempts/2`]]))
    )
  })
})

describeWithPacker('a job re-run that reuses what its first attempt rolled out, through the bundled action', () => {
  const attempts = workflowRunAttempts(regions, 'e2e-reruns-')
  const { run } = attempts

  it('attempt 2 builds nothing, publishes nothing again, and hands the steps after it the launch template versions attempt 1 made', async () => {
    for (const region of regions) {
      await new EC2Client(loopbackClientConfig(attempts.endpoint, region)).send(
        new CreateLaunchTemplateCommand({ LaunchTemplateName: 'web', LaunchTemplateData: { ImageId: SOURCE_AMI_ID, InstanceType: 't3.small' } })
      )
    }
    const inputs = { reuse: 'true', 'ssm-parameter': '/images/web/latest', 'launch-template': 'web', 'keep-images': '1' }
    const first = await run(1, inputs)
    expect(first.errors).toEqual([])
    const versions = { 'eu-west-1': 2, 'us-east-1': 2, 'us-west-2': 2 }
    expect(JSON.parse(first.outputs['launch-template-versions'])).toEqual(versions)
    const outputsOf = (result: ActionRun) => ({ ...result.outputs, manifest: undefined })

    // "Re-run all jobs": the step after this one (an instance refresh on the new default version)
    // may be what failed, and it runs again only if launch-template-versions names the versions.
    const second = await run(2, inputs)
    expect(second.errors).toEqual([])
    expect(second.exitCode).toBe(0)
    expect(attempts.endpoint.callsOf('RunInstances')).toHaveLength(1)
    expect(outputsOf(second)).toEqual(outputsOf(first))
    const built = amiIdsOfRun(first)
    for (const region of regions) {
      expect(attempts.endpoint.parameters(region)['/images/web/latest']).toMatchObject({ value: built[region], version: 1 })
      const [template] = attempts.endpoint.launchTemplates(region)
      expect(template.versions.map((version) => version.description ?? '')).toEqual(['', `AMI ${built[region]} built by ${runUrl}/attempts/1`])
    }
    expect(second.summary).toContain(
      `| us-east-1 | \`${built['us-east-1']}\` | none: version 2, the default, made by an earlier attempt of this run (${runUrl}/attempts/1), already launches \`${built['us-east-1']}\` | yes |`
    )
    expect(second.stdout).toContain(
      `us-east-1: launch template web (${attempts.endpoint.launchTemplates('us-east-1')[0].launchTemplateId}) version 2, its default, already launches ${built['us-east-1']} ` +
        `(made by an earlier attempt of this run, ${runUrl}/attempts/1: in launch-template-versions again); no version made.`
    )

    // Another workflow run that reuses the AMIs hands on no version: the fleet runs them already.
    const later = await run(1, inputs, { GITHUB_RUN_ID: '4243' })
    expect(later.errors).toEqual([])
    expect(JSON.parse(later.outputs['launch-template-versions'])).toEqual({})
  })
})

function amiIdsOfRun(run: ActionRun): Record<string, string> {
  return JSON.parse(run.outputs['ami-ids']) as Record<string, string>
}
