// Reuse of a build that picks its source AMI as it builds (source_ami_filter with most_recent, as
// many templates pick the newest base AMI): through the bundled action, with the real Packer and
// the loopback EC2 endpoint. Before the look-up for a set to reuse, the action asks EC2 which AMI
// the filter picks now and fingerprints it: a newer base AMI builds. Where it cannot tell (a value
// only Packer works out), the run that reuses says so on the filter, and none else does.
import { expect, it } from '@jest/globals'
import { EC2Client, RegisterImageCommand } from '@aws-sdk/client-ec2'
import { parseCommands } from './support/action-process.js'
import { loopbackClientConfig } from './support/endpoint-per-test.js'
import { demoRuns, loopbackSuite } from './support/loopback-suite.js'
import { describeWithPacker } from './support/runtimes.js'

describeWithPacker('reuse of a build whose source_ami_filter picks its source AMI, through the bundled action', () => {
  const suite = loopbackSuite(['us-east-1', 'eu-west-1', 'us-west-2'])
  const { demoWith, run } = demoRuns(suite)

  const filtered = (text: string): string =>
    text.replace(
      '  source_ami             = var.source_ami\n',
      '  source_ami_filter {\n    filters = {\n      name = "loopback-source-*"\n    }\n    owners      = ["self", "amazon"]\n    most_recent = true\n  }\n'
    )
  const notices = (stdout: string) => parseCommands(stdout, 'notice').filter(({ properties }) => properties.title === 'Reuse')

  const launched = (from: number): boolean => suite.calls.slice(from).some((call) => call.action === 'RunInstances')
  let published = 0
  /** A base AMI newer than any that matches the filter, as a distribution publishes a patched one. */
  const registerNewerBase = async (): Promise<string> => {
    const ec2 = new EC2Client(loopbackClientConfig(suite.endpoint, 'us-east-1'))
    const { ImageId } = await ec2.send(
      new RegisterImageCommand({
        Name: `loopback-source-al2023-x86_64-patched-${++published}`,
        RootDeviceName: '/dev/xvda',
        BlockDeviceMappings: [{ DeviceName: '/dev/xvda', Ebs: { SnapshotId: 'snap-0abcdef1234567890' } }]
      })
    )
    return ImageId as string
  }

  it('HCL2: the same base AMI reuses the set; a newer one published since builds from it, and the run after reuses that', async () => {
    const first = await run(demoWith(filtered, 'hcl2'), 'hcl2', { reuse: 'true' })
    expect(first.errors).toEqual([])
    expect(first.exitCode).toBe(0)
    expect(notices(first.stdout)).toEqual([])

    let from = suite.calls.length
    const same = await run(demoWith(filtered, 'hcl2'), 'hcl2', { reuse: 'true' })
    expect(same.errors).toEqual([])
    expect(same.exitCode).toBe(0)
    expect(same.outputs['ami-ids']).toBe(first.outputs['ami-ids'])
    expect(launched(from)).toBe(false)
    expect(notices(same.stdout)).toEqual([])

    const patched = await registerNewerBase()
    from = suite.calls.length
    const rebuilt = await run(demoWith(filtered, 'hcl2'), 'hcl2', { reuse: 'true' })
    expect(rebuilt.errors).toEqual([])
    expect(rebuilt.exitCode).toBe(0)
    expect(launched(from)).toBe(true)
    expect(suite.calls.slice(from).find((call) => call.action === 'RunInstances')?.params.ImageId).toBe(patched)
    expect(rebuilt.outputs['ami-id']).not.toBe(first.outputs['ami-id'])
    expect(rebuilt.stdout).toContain(`picks ${patched} in us-east-1 now`)
    expect(notices(rebuilt.stdout)).toEqual([])

    from = suite.calls.length
    const after = await run(demoWith(filtered, 'hcl2'), 'hcl2', { reuse: 'true' })
    expect(after.exitCode).toBe(0)
    expect(launched(from)).toBe(false)
    expect(after.outputs['ami-ids']).toBe(rebuilt.outputs['ami-ids'])
  }, 600_000)

  it('HCL2: a filter value only Packer works out (a function call): the AMIs are reused, and a notice on source_ami_filter says why', async () => {
    const computed = (text: string): string => filtered(text).replace('name = "loopback-source-*"', 'name = lower("LOOPBACK-SOURCE-*")')
    const first = await run(demoWith(computed, 'hcl2'), 'hcl2', { reuse: 'true' })
    expect(first.errors).toEqual([])
    expect(first.exitCode).toBe(0)
    await registerNewerBase()
    const from = suite.calls.length
    const second = await run(demoWith(computed, 'hcl2'), 'hcl2', { reuse: 'true' })
    expect(second.errors).toEqual([])
    expect(second.exitCode).toBe(0)
    expect(second.outputs['ami-ids']).toBe(first.outputs['ami-ids'])
    expect(launched(from)).toBe(false)
    const [notice, ...others] = notices(second.stdout)
    expect(others).toEqual([])
    expect(notice.properties).toMatchObject({ file: 'ami.pkr.hcl', line: '43' })
    expect(notice.message).toContain(
      'build amazon-ebs.demo picks its source AMI as it builds, and the action cannot tell which AMI that is now (it comes from a value only Packer works out, or from a data source the action does not look up: one other than amazon-ami and amazon-parameterstore, or with credentials of its own)'
    )
    expect(notice.message).toContain('give it in variables')
    expect(second.summary).toContain('picks its source AMI as it builds')
  }, 300_000)

  it('JSON: the same base AMI reuses the set, with no notice; a newer one builds', async () => {
    const json = (text: string): string => {
      const template = JSON.parse(text) as { builders: Array<Record<string, unknown>> }
      delete template.builders[0].source_ami
      template.builders[0].source_ami_filter = { filters: { name: 'loopback-source-*' }, owners: ['amazon', 'self'], most_recent: true }
      return JSON.stringify(template, null, 2)
    }
    const first = await run(demoWith(json, 'json'), 'json', { reuse: 'true' })
    expect(first.exitCode).toBe(0)
    let from = suite.calls.length
    const second = await run(demoWith(json, 'json'), 'json', { reuse: 'true' })
    expect(second.errors).toEqual([])
    expect(second.exitCode).toBe(0)
    expect(second.summary).toContain('reused, built by')
    expect(launched(from)).toBe(false)
    expect(notices(second.stdout)).toEqual([])
    const patched = await registerNewerBase()
    from = suite.calls.length
    const third = await run(demoWith(json, 'json'), 'json', { reuse: 'true' })
    expect(third.errors).toEqual([])
    expect(third.exitCode).toBe(0)
    expect(suite.calls.slice(from).find((call) => call.action === 'RunInstances')?.params.ImageId).toBe(patched)
    expect(third.outputs['ami-id']).not.toBe(first.outputs['ami-id'])
  }, 600_000)
})
