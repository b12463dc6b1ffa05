// A template's regions as Packer will have them, through the bundled action run as the runner runs
// it, with the real Packer and the loopback EC2 endpoint: a copy to a region of another partition
// (which EC2's CopyImage never makes) is refused before the install, on the line that names the
// region.
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
})
