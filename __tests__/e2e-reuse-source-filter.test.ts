// Reuse of a build that picks its source AMI as it builds (source_ami_filter with most_recent, as
// many templates pick the newest base AMI): through the bundled action, with the real Packer and
// the loopback EC2 endpoint. The fingerprint covers the template, not the AMI the filter picks, so
// a newer base AMI builds nothing; the run that reuses says so on the filter, and none else does.
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

  it('HCL2: a newer base AMI published since: the AMIs are reused, and a notice on source_ami_filter says the fingerprint does not cover the AMI it picks', async () => {
    const first = await run(demoWith(filtered, 'hcl2'), 'hcl2', { reuse: 'true' })
    expect(first.errors).toEqual([])
    expect(first.exitCode).toBe(0)
    expect(notices(first.stdout)).toEqual([])
    const ec2 = new EC2Client(loopbackClientConfig(suite.endpoint, 'us-east-1'))
    await ec2.send(
      new RegisterImageCommand({
        Name: 'loopback-source-al2023-x86_64-patched',
        RootDeviceName: '/dev/xvda',
        BlockDeviceMappings: [{ DeviceName: '/dev/xvda', Ebs: { SnapshotId: 'snap-0abcdef1234567890' } }]
      })
    )

    const second = await run(demoWith(filtered, 'hcl2'), 'hcl2', { reuse: 'true' })
    expect(second.errors).toEqual([])
    expect(second.exitCode).toBe(0)
    expect(second.outputs['ami-ids']).toBe(first.outputs['ami-ids'])
    const [notice, ...others] = notices(second.stdout)
    expect(others).toEqual([])
    expect(notice.properties).toMatchObject({ file: 'ami.pkr.hcl', line: '43' })
    expect(notice.message).toContain('build amazon-ebs.demo picks its source AMI as it builds')
    expect(notice.message).toContain('give it in variables')
    expect(second.summary).toContain('picks its source AMI as it builds')
  }, 300_000)

  it('JSON: the reused run names the builder, on its source_ami_filter', async () => {
    const json = (text: string): string => {
      const template = JSON.parse(text) as { builders: Array<Record<string, unknown>> }
      delete template.builders[0].source_ami
      template.builders[0].source_ami_filter = { filters: { name: 'loopback-source-*' }, owners: ['amazon'], most_recent: true }
      return JSON.stringify(template, null, 2)
    }
    expect((await run(demoWith(json, 'json'), 'json', { reuse: 'true' })).exitCode).toBe(0)
    const second = await run(demoWith(json, 'json'), 'json', { reuse: 'true' })
    expect(second.errors).toEqual([])
    expect(second.exitCode).toBe(0)
    expect(second.summary).toContain('reused, built by')
    const [notice, ...others] = notices(second.stdout)
    expect(others).toEqual([])
    expect(notice.properties).toMatchObject({ file: 'packer-template.json', line: '26' })
    expect(notice.message).toContain('build amazon-ebs picks its source AMI as it builds')
  }, 300_000)
})
