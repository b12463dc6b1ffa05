// Builds in AWS GovCloud (US), AWS China and an isolated partition, through the bundled action,
// with the real Packer and the loopback EC2 endpoint: their regions are taken wherever a region
// is (the template, AWS_REGION, AWS_DEFAULT_REGION, aws-region), Packer's own region check
// (DescribeRegions) passes, the AMIs are tagged and in the outputs, the summary links each to
// the console of its partition, and a launch template that resolves the published parameter by
// its ARN, in the partition's own form, is left to follow it.
import { CreateLaunchTemplateCommand, EC2Client } from '@aws-sdk/client-ec2'
import { expect, it } from '@jest/globals'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { SELF_ACCOUNT_ID, SOURCE_AMI_ID } from '../test-support/ec2-endpoint/index.js'
import type { ActionRun } from './support/action-process.js'
import { loopbackClientConfig } from './support/endpoint-per-test.js'
import { demoRuns, loopbackSuite } from './support/loopback-suite.js'
import { describeWithPacker } from './support/runtimes.js'
import { groupLines } from './support/workflow-commands.js'

describeWithPacker('regions of other partitions than aws, through the bundled action', () => {
  const suite = loopbackSuite(['us-gov-west-1', 'us-gov-east-1', 'cn-north-1', 'cn-northwest-1', 'us-iso-east-1', 'us-iso-west-1'])
  const { demoWith, run } = demoRuns(suite)

  /** The demo template as it is, but for Packer's region check (DescribeRegions), which it makes. */
  const checkingRegions = (text: string): string => {
    const edited = text.replace(/^.*skip_region_validation.*\n/m, '')
    expect(edited).not.toContain('skip_region_validation')
    return edited
  }

  /** A JSON demo workspace whose variables file builds in `region` (none: the template names none) and copies to `copies`. */
  function jsonWorkspace(region: string, copies: string[]): string {
    const workspace = demoWith(checkingRegions, 'json')
    const variables = { aws_region: region, ami_regions: copies.join(','), source_ami: SOURCE_AMI_ID, ami_name_prefix: 'partitions' }
    writeFileSync(join(workspace, 'packer-vars.json'), JSON.stringify(variables))
    return workspace
  }

  /** The run's AMI IDs by region, from its ami-ids output. */
  const amiIdsOf = (result: ActionRun): Record<string, string> => JSON.parse(result.outputs['ami-ids']) as Record<string, string>

  /** Each AMI of the run tagged on the endpoint as the action tags it, and shown in the summary with its console `link`. */
  function expectTaggedAndLinked(result: ActionRun, link: (region: string, amiId: string) => string): void {
    for (const [region, amiId] of Object.entries(amiIdsOf(result))) {
      expect(suite.endpoint.tagsOf(region, amiId)).toMatchObject({
        SourceRepository: 'acme/images',
        BuildSet: expect.stringContaining(result.outputs['run-uuid']),
        PackerBuild: expect.any(String)
      })
      expect(result.summary).toContain(`| ${region} | ${link(region, amiId)} |`)
    }
  }

  it('GovCloud: a JSON template built in us-gov-west-1 and copied to us-gov-east-1, with the home region from AWS_REGION; keep-images deregisters the earlier set', async () => {
    const workspace = jsonWorkspace('us-gov-west-1', ['us-gov-east-1'])
    const inputs = { template: 'packer-template.json', 'var-file': 'packer-vars.json' }
    const earlier = await suite.run(workspace, inputs, { AWS_REGION: 'us-gov-west-1' })
    expect(earlier.errors).toEqual([])
    const result = await suite.run(workspace, { ...inputs, 'keep-images': '1' }, { AWS_REGION: 'us-gov-west-1' })
    expect(result.errors).toEqual([])
    expect(result.warnings).toEqual([])
    expect(result.exitCode).toBe(0)
    expect(suite.calls.filter((call) => call.action === 'DescribeRegions').map((call) => call.region)).toEqual(['us-gov-west-1', 'us-gov-west-1'])
    const amiIds = amiIdsOf(result)
    expect(Object.keys(amiIds).sort()).toEqual(['us-gov-east-1', 'us-gov-west-1'])
    expect(result.outputs['ami-id']).toBe(amiIds['us-gov-west-1'])
    expectTaggedAndLinked(
      result,
      (region, amiId) => `[\`${amiId}\`](https://${region}.console.amazonaws-us-gov.com/ec2/home?region=${region}#ImageDetails:imageId=${amiId})`
    )
    const deregistered = JSON.parse(result.outputs.deregistered) as Array<{ region: string; amiId: string }>
    expect(deregistered.map(({ region, amiId }) => `${region} ${amiId}`).sort()).toEqual(
      Object.entries(amiIdsOf(earlier)).map(([region, amiId]) => `${region} ${amiId}`).sort()
    )
  })

  it('China: a JSON template that names no region builds in AWS_DEFAULT_REGION cn-north-1, publishes the AMI in SSM and leaves a launch template that resolves it by its aws-cn ARN to follow it', async () => {
    const arn = `arn:aws-cn:ssm:cn-north-1:${SELF_ACCOUNT_ID}:parameter/images/web/latest`
    const ec2 = new EC2Client(loopbackClientConfig(suite.endpoint, 'cn-north-1'))
    const created = await ec2.send(
      new CreateLaunchTemplateCommand({ LaunchTemplateName: 'web', LaunchTemplateData: { ImageId: `resolve:ssm:${arn}`, InstanceType: 't3.small' } })
    )
    ec2.destroy()
    const workspace = jsonWorkspace('', ['cn-northwest-1'])
    const result = await suite.run(
      workspace,
      { template: 'packer-template.json', 'var-file': 'packer-vars.json', 'ssm-parameter': '/images/web/latest', 'launch-template': 'web' },
      { AWS_REGION: '', AWS_DEFAULT_REGION: 'cn-north-1' }
    )
    expect(result.errors).toEqual([])
    expect(result.exitCode).toBe(0)
    const amiIds = amiIdsOf(result)
    expect(Object.keys(amiIds).sort()).toEqual(['cn-north-1', 'cn-northwest-1'])
    expect(result.outputs['ami-id']).toBe(amiIds['cn-north-1'])
    expectTaggedAndLinked(result, (region, amiId) => `[\`${amiId}\`](https://${region}.console.amazonaws.cn/ec2/home?region=${region}#ImageDetails:imageId=${amiId})`)
    expect(suite.endpoint.parameters('cn-north-1')['/images/web/latest'].value).toBe(amiIds['cn-north-1'])
    expect(suite.endpoint.launchTemplates('cn-north-1')[0]).toMatchObject({ defaultVersion: 1, versions: [{ versionNumber: 1 }] })
    expect(groupLines(result.stdout, 'Launch templates')).toContain(
      `cn-north-1: launch template web (${created.LaunchTemplate?.LaunchTemplateId}) version 1, its default, launches the AMI that SSM parameter ` +
        `${arn} resolves to, which this run sets to ${amiIds['cn-north-1']}; no version made.`
    )
    expect(result.warnings).toEqual([])
  })

  it('an isolated partition: an HCL2 template built in us-iso-east-1 (aws-region) and copied to us-iso-west-1; the summary shows the AMI IDs without a console link', async () => {
    const workspace = demoWith(checkingRegions, 'hcl2')
    writeFileSync(
      join(workspace, 'loopback.pkrvars.hcl'),
      `aws_region = "us-iso-east-1"\nami_regions = ["us-iso-west-1"]\nsource_ami = "${SOURCE_AMI_ID}"\nami_name_prefix = "partitions-iso"\n`
    )
    const result = await run(workspace, 'hcl2', { 'aws-region': 'us-iso-east-1' })
    expect(result.errors).toEqual([])
    expect(result.exitCode).toBe(0)
    const amiIds = amiIdsOf(result)
    expect(Object.keys(amiIds).sort()).toEqual(['us-iso-east-1', 'us-iso-west-1'])
    expect(result.outputs['ami-id']).toBe(amiIds['us-iso-east-1'])
    expectTaggedAndLinked(result, (_region, amiId) => `\`${amiId}\``)
    expect(result.summary).not.toContain('console.aws.amazon.com')
  })
})
