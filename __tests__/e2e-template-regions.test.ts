// A template's regions as Packer will have them, through the bundled action run as the runner runs
// it, with the real Packer and the loopback EC2 endpoint: a copy to a region of another partition
// (which EC2's CopyImage never makes) is refused before the install, on the line that names the
// region; and a region a template reads from the environment (`{{env `AWS_REGION`}}`,
// env("AWS_REGION")) is the one Packer is given, the home region, where the action looks for
// earlier AMIs.
import { expect, it } from '@jest/globals'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { SOURCE_AMI_ID } from '../test-support/ec2-endpoint/index.js'
import type { ActionRun } from './support/action-process.js'
import { demoRuns, demoTemplates, loopbackSuite } from './support/loopback-suite.js'
import { describeWithPacker } from './support/runtimes.js'

/** Where `text` is in the file: its line and column, as the annotation gives them. */
function placeIn(file: string, text: string): { line: string; col: string } {
  const lines = readFileSync(file, 'utf8').split('\n')
  const found = lines.findIndex((line) => line.includes(text))
  return { line: String(found + 1), col: String(lines[found].indexOf(text) + 1) }
}

describeWithPacker('a template\'s regions as Packer will have them, through the bundled action', () => {
  const suite = loopbackSuite(['us-east-1', 'eu-west-1', 'us-west-2', 'cn-north-1', 'us-gov-west-1'])
  const { demoWith, run } = demoRuns(suite)

  /** The run was refused before anything was installed or called, with `said` on `text` of the template, and the failure naming the kind. */
  function expectRefused(result: ActionRun, workspace: string, template: string, said: string, text: string): void {
    expect(result.exitCode).toBe(1)
    expect(result.errors).toEqual([
      { message: said, properties: { title: 'Invalid input', file: template, ...placeIn(join(workspace, template), text) } },
      {
        message: 'The template copies AMIs to regions of another partition, which EC2 cannot do (see the errors above); nothing was installed or built.',
        properties: {}
      }
    ])
    expect(result.stdout).not.toContain('::group::Install Packer')
    expect(suite.calls).toEqual([])
  }

  it('JSON: ami_regions that names cn-north-1 for a build in us-east-1: refused on that entry, nothing installed', async () => {
    const workspace = demoWith((text) => {
      const template = JSON.parse(text) as { builders: Array<Record<string, unknown>> }
      template.builders[0].ami_regions = ['eu-west-1', 'cn-north-1']
      return JSON.stringify(template, null, 2)
    }, 'json')
    const result = await suite.run(workspace, { template: demoTemplates.json, 'var-file': 'packer-vars.json' })
    expectRefused(
      result,
      workspace,
      demoTemplates.json,
      'template: packer-template.json: ami_regions of build amazon-ebs names cn-north-1, in partition aws-cn, and the build makes its AMI in ' +
        'us-east-1, in partition aws: a copy cannot leave its partition. EC2 copies an AMI only between regions of one partition (CopyImage), ' +
        "so Packer's region check refuses cn-north-1, or, with skip_region_validation, the copy fails once the AMI is made, which is left in " +
        'us-east-1. Build the AMI for cn-north-1 in its own partition instead: a second builder whose region is in aws-cn, with credentials of that partition.',
      '"cn-north-1"'
    )
  })

  it('HCL2: a source that names no region builds in the home region, us-gov-west-1 (aws-region): its ami_regions entry eu-west-1 is refused there', async () => {
    const workspace = demoWith(
      (text) => text.replace('  region                 = var.aws_region\n', '').replace('ami_regions            = var.ami_regions', 'ami_regions            = ["us-gov-east-1", "eu-west-1"]'),
      'hcl2'
    )
    writeFileSync(join(workspace, 'loopback.pkrvars.hcl'), `aws_region = "unused"\nsource_ami = "${SOURCE_AMI_ID}"\n`)
    const result = await run(workspace, 'hcl2', { 'aws-region': 'us-gov-west-1' })
    expectRefused(
      result,
      workspace,
      demoTemplates.hcl2,
      'template: ami.pkr.hcl: ami_regions of build amazon-ebs.demo names eu-west-1, in partition aws, and the build makes its AMI in ' +
        'us-gov-west-1, the home region, as it names no region, in partition aws-us-gov: a copy cannot leave its partition. EC2 copies an AMI ' +
        "only between regions of one partition (CopyImage), so Packer's region check refuses eu-west-1, or, with skip_region_validation, the copy " +
        'fails once the AMI is made, which is left in us-gov-west-1. Build the AMI for eu-west-1 in its own partition instead: a second source ' +
        'block whose region is in aws, with credentials of that partition.',
      '"eu-west-1"'
    )
  })

  it('HCL2: ami_regions only Packer works out (a function), with a region_kms_key_ids key of another partition: refused on that setting', async () => {
    const workspace = demoWith(
      (text) =>
        text
          .replace('ami_regions            = var.ami_regions', 'ami_regions            = concat(var.ami_regions)')
          .replace('  communicator           = "none"\n', '  communicator           = "none"\n  encrypt_boot = true\n  region_kms_key_ids = {\n    "us-gov-west-1" = "alias/images"\n  }\n'),
      'hcl2'
    )
    writeFileSync(join(workspace, 'loopback.pkrvars.hcl'), `aws_region = "us-east-1"\nami_regions = ["us-gov-west-1"]\nsource_ami = "${SOURCE_AMI_ID}"\n`)
    const result = await run(workspace, 'hcl2')
    expectRefused(
      result,
      workspace,
      demoTemplates.hcl2,
      'template: ami.pkr.hcl: region_kms_key_ids of build amazon-ebs.demo names us-gov-west-1, in partition aws-us-gov, and the build makes its AMI in ' +
        "us-east-1, in partition aws: a copy cannot leave its partition. EC2 copies an AMI only between regions of one partition (CopyImage), so Packer's " +
        'region check refuses us-gov-west-1, or, with skip_region_validation, the copy fails once the AMI is made, which is left in us-east-1. Build the ' +
        'AMI for us-gov-west-1 in its own partition instead: a second source block whose region is in aws-us-gov, with credentials of that partition.',
      'region_kms_key_ids'
    )
  })

  it('a copy within the partition of the build region is built as before', async () => {
    const workspace = demoWith((text) => text, 'hcl2')
    writeFileSync(join(workspace, 'loopback.pkrvars.hcl'), `aws_region = "us-east-1"\nami_regions = ["eu-west-1"]\nsource_ami = "${SOURCE_AMI_ID}"\nami_name_prefix = "same-partition"\n`)
    const result = await run(workspace, 'hcl2')
    expect(result.errors).toEqual([])
    expect(Object.keys(JSON.parse(result.outputs['ami-ids']) as object).sort()).toEqual(['eu-west-1', 'us-east-1'])
  })

  /** The calls that looked for an earlier set of the run's fingerprint, by region. */
  const reuseLookups = (from: number): string[] =>
    suite.calls
      .slice(from)
      .filter((call) => call.action === 'DescribeImages' && Object.values(call.params).includes('tag:BuildFingerprint'))
      .map((call) => call.region)

  /** Two runs with reuse, the home region eu-west-1 (aws-region) while the step's AWS_REGION is us-east-1: the second reuses the first's AMI, found in eu-west-1. */
  async function expectReusedInHomeRegion(workspace: string, inputs: Record<string, string>): Promise<void> {
    const first = await suite.run(workspace, { ...inputs, 'aws-region': 'eu-west-1', reuse: 'true' }, { AWS_REGION: 'us-east-1' })
    expect(first.errors).toEqual([])
    expect(first.warnings).toEqual([])
    expect(Object.keys(JSON.parse(first.outputs['ami-ids']) as object)).toEqual(['eu-west-1'])
    expect(first.stdout).toMatch(/Building: no AMI in eu-west-1 has fingerprint \w+\./u)
    const amiId = first.outputs['ami-id']
    expect(suite.endpoint.tagsOf('eu-west-1', amiId)).toMatchObject({ BuildFingerprint: expect.any(String) })

    const before = suite.calls.length
    const second = await suite.run(workspace, { ...inputs, 'aws-region': 'eu-west-1', reuse: 'true' }, { AWS_REGION: 'us-east-1' })
    expect(second.errors).toEqual([])
    expect(second.exitCode).toBe(0)
    expect(reuseLookups(before)).toEqual(['eu-west-1'])
    expect(suite.calls.slice(before).some((call) => call.action === 'RunInstances')).toBe(false)
    expect(second.outputs['ami-id']).toBe(amiId)
    expect(second.summary).toContain('reused, built by')
  }

  it('JSON: a region from {{env `AWS_REGION`}} is the home region Packer is given (aws-region), not the step\'s AWS_REGION: reuse looks there', async () => {
    const workspace = demoWith((text) => {
      const template = JSON.parse(text) as { variables: Record<string, string>; builders: Array<Record<string, unknown>> }
      template.variables.aws_region = '{{env `AWS_REGION`}}'
      delete template.builders[0].ami_regions
      return JSON.stringify(template, null, 2)
    }, 'json')
    writeFileSync(join(workspace, 'packer-vars.json'), JSON.stringify({ source_ami: SOURCE_AMI_ID, ami_name_prefix: 'env-region-json' }))
    await expectReusedInHomeRegion(workspace, { template: demoTemplates.json, 'var-file': 'packer-vars.json' })
  })

  it('HCL2: a variable whose default is env("AWS_REGION") is the home region Packer is given: reuse looks there', async () => {
    const workspace = demoWith((text) => text.replace('variable "aws_region" {\n  type = string\n}', 'variable "aws_region" {\n  type    = string\n  default = env("AWS_REGION")\n}'), 'hcl2')
    expect(readFileSync(join(workspace, demoTemplates.hcl2), 'utf8')).toContain('env("AWS_REGION")')
    writeFileSync(join(workspace, 'loopback.pkrvars.hcl'), `source_ami = "${SOURCE_AMI_ID}"\nami_name_prefix = "env-region-hcl"\n`)
    await expectReusedInHomeRegion(workspace, { template: demoTemplates.hcl2, 'var-file': 'loopback.pkrvars.hcl' })
  })
})
