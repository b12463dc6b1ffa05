// Settings that a template valid for Packer 1.6.6 and for the newest Amazon plugin alike writes,
// through the bundled action run as the runner runs it, with the real Packer and the loopback EC2
// endpoint: the checks before the install leave each to Packer, which builds with it.
import { expect, it } from '@jest/globals'
import { demoRuns, loopbackSuite } from './support/loopback-suite.js'
import { describeWithPacker } from './support/runtimes.js'

describeWithPacker('a setting every Packer takes, through the bundled action', () => {
  const suite = loopbackSuite(['us-east-1', 'eu-west-1', 'us-west-2'])
  const { demoWith, run } = demoRuns(suite)

  /** The RunInstances call of the build: the volume's mapping as Packer sent it. */
  const launchedMapping = (): Record<string, string> => {
    const launch = suite.calls.find(({ action }) => action === 'RunInstances')
    return Object.fromEntries(Object.entries(launch?.params ?? {}).filter(([name]) => name.startsWith('BlockDeviceMapping.1.')))
  }

  it('HCL2: an empty volume_type (a variable whose default is ""), which Packer leaves out: the AMIs are built, EC2 giving the volume its default type', async () => {
    const workspace = demoWith(
      (text) =>
        text
          .replace('variable "source_ami" {', 'variable "volume_type" {\n  type    = string\n  default = ""\n}\n\nvariable "source_ami" {')
          .replace(
            '  communicator           = "none"\n',
            '  communicator           = "none"\n  launch_block_device_mappings {\n    device_name = "/dev/xvda"\n    volume_size = 20\n    volume_type = var.volume_type\n  }\n'
          ),
      'hcl2'
    )
    const result = await run(workspace, 'hcl2')
    expect(result.errors).toEqual([])
    expect(result.exitCode).toBe(0)
    expect(Object.keys(JSON.parse(result.outputs['ami-ids']) as Record<string, string>).sort()).toEqual(['eu-west-1', 'us-east-1', 'us-west-2'])
    expect(launchedMapping()).toEqual({ 'BlockDeviceMapping.1.DeviceName': '/dev/xvda', 'BlockDeviceMapping.1.Ebs.VolumeSize': '20', 'BlockDeviceMapping.1.Ebs.DeleteOnTermination': 'false' })
  }, 120_000)

  it('HCL2: a build block that makes its builds with a dynamic "source" block: both builds run, as Packer makes them', async () => {
    const workspace = demoWith(
      (text) =>
        text.replace(/^ {2}ami_name +=.*\n/m, '').replace(
          '  sources = ["source.amazon-ebs.demo"]\n',
          '  dynamic "source" {\n    for_each = ["small", "large"]\n    labels   = ["amazon-ebs.demo"]\n    content {\n' +
            '      name     = source.value\n      ami_name = "${var.ami_name_prefix}-${source.value}-${local.build_stamp}"\n    }\n  }\n'
        ),
      'hcl2'
    )
    const result = await run(workspace, 'hcl2')
    expect(result.errors).toEqual([])
    expect(result.exitCode).toBe(0)
    const names = suite.calls.filter(({ action }) => action === 'CreateImage').map(({ params }) => params.Name.replace(/-\d+$/, ''))
    expect(names.sort()).toEqual(['packer-ami-action-demo-large', 'packer-ami-action-demo-small'])
    expect(Object.keys(JSON.parse(result.outputs.builds) as Record<string, unknown>).sort()).toEqual(['amazon-ebs.large', 'amazon-ebs.small'])
  }, 120_000)

  it("HCL2: a tag that reads the source AMI's tag inside {{ with .SourceAMITags }}, where the dot is that map: the AMIs are built and tagged", async () => {
    const workspace = demoWith((text) => text.replace('    SourceAMI = "{{ .SourceAMI }}"\n', '    SourceAMI = "{{ .SourceAMI }}"\n    SourceName = "{{ with .SourceAMITags }}{{ .Name }}{{ end }}"\n'), 'hcl2')
    const result = await run(workspace, 'hcl2')
    expect(result.errors).toEqual([])
    expect(result.exitCode).toBe(0)
    const tagged = suite.calls.filter(({ action, params }) => action === 'CreateTags' && Object.values(params).includes('SourceName'))
    expect(tagged.length).toBeGreaterThan(0)
  }, 120_000)

  it('HCL2: a variable whose name has a letter beyond ASCII (an HCL identifier), set by the variables input: the AMIs are built with its value', async () => {
    const workspace = demoWith(
      (text) =>
        text
          .replace('variable "source_ami" {', 'variable "préfixe" {\n  type    = string\n  default = "demo"\n}\n\nvariable "source_ami" {')
          .replace(/^( {2}ami_description +=) .*$/m, '$1 "Built from ${var.source_ami} by ${var.préfixe}"'),
      'hcl2'
    )
    const result = await run(workspace, 'hcl2', { variables: 'préfixe=ci-run' })
    expect(result.errors).toEqual([])
    expect(result.exitCode).toBe(0)
    const described = suite.calls.filter(({ action, params }) => action === 'ModifyImageAttribute' && params['Description.Value'] !== undefined)
    expect(described.map(({ params }) => params['Description.Value'])).toContain('Built from ami-0abcdef1234567890 by ci-run')
  }, 120_000)

  it('JSON: an empty volume_type, written "": the AMIs are built, the mapping sent without one', async () => {
    const workspace = demoWith((text) => {
      const template = JSON.parse(text) as { builders: Array<Record<string, unknown>> }
      template.builders[0].launch_block_device_mappings = [{ device_name: '/dev/xvda', volume_size: 20, volume_type: '' }]
      return JSON.stringify(template, null, 2)
    }, 'json')
    const result = await run(workspace, 'json')
    expect(result.errors).toEqual([])
    expect(result.exitCode).toBe(0)
    expect(launchedMapping()['BlockDeviceMapping.1.Ebs.VolumeType']).toBeUndefined()
  }, 120_000)
})
