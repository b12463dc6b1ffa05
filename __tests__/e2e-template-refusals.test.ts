// A template refused before the install for several kinds of problem at once (regions with spaces,
// a volume type EC2 does not have, a source built twice, tags over EC2's 50, tags the action
// writes itself, files not where Packer runs): through the bundled action run as the runner runs
// it, with the real Packer and the loopback EC2 endpoint. One run names them all, each on its file
// and line, and one failure line names every kind, in the order the checks run; so too when the
// inputs are refused, and the template's values are known for sure.
import { expect, it } from '@jest/globals'
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { demoRuns, demoTemplates, loopbackSuite } from './support/loopback-suite.js'
import { describeWithPacker } from './support/runtimes.js'

/** Where `text` is in the file: its line and column, as the annotation gives them. */
function placeIn(file: string, text: string): { line: string; col: string } {
  const lines = readFileSync(file, 'utf8').split('\n')
  const found = lines.findIndex((line) => line.includes(text))
  return { line: String(found + 1), col: String(lines[found].indexOf(text) + 1) }
}

/** `count` literal keys Team0, Team1, … */
const teams = (count: number): string[] => Array.from({ length: count }, (_, i) => `Team${i}`)

describeWithPacker('a template with several kinds of problem before the install, through the bundled action: all named in one run', () => {
  const suite = loopbackSuite(['us-east-1', 'eu-west-1', 'us-west-2'])
  const { demoWith, run } = demoRuns(suite)

  /**
   * The demo's HCL2 template with a region with a space in ami_regions, a volume_type EC2 does not
   * have, 45 more tags (56 with the action's 11), a second build block that builds its source with
   * the same settings, and a file provisioner in a build whose communicator is "none".
   */
  const hclWithEverything = (text: string): string =>
    text
      .replace('  ami_regions            = var.ami_regions\n', '  ami_regions            = ["eu-west-1", "us-west-2 "]\n')
      .replace(
        '  communicator           = "none"\n',
        '  communicator           = "none"\n  launch_block_device_mappings {\n    device_name = "/dev/xvda"\n    volume_size = 8\n    volume_type = "gp4"\n  }\n'
      )
      .replace('    SourceAMI = "{{ .SourceAMI }}"\n', `    SourceAMI = "{{ .SourceAMI }}"\n${teams(45).map((key) => `    ${key} = "platform"\n`).join('')}`)
      .replace(
        '  post-processor "manifest" {}\n}\n',
        '  provisioner "file" {\n    content     = "ready"\n    destination = "/tmp/ready"\n  }\n\n  post-processor "manifest" {}\n}\n\n' +
          'build {\n  sources = ["source.amazon-ebs.demo"]\n}\n'
      )

  /** The annotations a run of hclWithEverything gives, in order, each on its place in `template`. */
  function hclProblems(template: string): unknown[] {
    const on = (text: string) => ({ title: 'Invalid input', file: demoTemplates.hcl2, ...placeIn(template, text) })
    const secondBuild = readFileSync(template, 'utf8').split('\n').lastIndexOf('  sources = ["source.amazon-ebs.demo"]') + 1
    return [
      { message: expect.stringMatching(/^template: ami\.pkr\.hcl: ami_regions of source "amazon-ebs\.demo" expected AWS regions without spaces, found "us-west-2 "/), properties: on('ami_regions ') },
      { message: expect.stringMatching(/^template: ami\.pkr\.hcl: launch_block_device_mappings of source "amazon-ebs\.demo" has volume_type "gp4", which is no EBS volume type/), properties: on('volume_type = "gp4"') },
      {
        message: expect.stringMatching(/^template: ami\.pkr\.hcl: this build block builds source\.amazon-ebs\.demo as the build block at ami\.pkr\.hcl:\d+ does/),
        properties: { title: 'Invalid input', file: demoTemplates.hcl2, line: String(secondBuild), col: '14' }
      },
      { message: expect.stringMatching(/^template: ami\.pkr\.hcl: build amazon-ebs\.demo would get 58 tags on its AMI, and EC2 allows at most 50/), properties: on('tags = {') },
      { message: expect.stringMatching(/^provisioner "file" runs on the instance through a communicator, and its build connects none/), properties: on('provisioner "file"') }
    ]
  }

  it('HCL2: regions with spaces, a volume type EC2 does not have, a source built twice and too many tags, with a provisioner that cannot work: each on its line, one failure naming them all, nothing installed', async () => {
    const workspace = demoWith(hclWithEverything, 'hcl2')
    const result = await run(workspace, 'hcl2')
    expect(result.exitCode).toBe(1)
    expect(result.errors).toEqual([
      ...hclProblems(join(workspace, demoTemplates.hcl2)),
      {
        message:
          'The template names regions with spaces in them, and gives volumes a type EC2 does not have, and builds a source twice with the ' +
          "same settings, which EC2 refuses the second time, and its tags and the action's would be more than EC2 allows, and Packer would " +
          'start the build for provisioners or post-processors that cannot work on a runner (see the errors above); nothing was installed or built.',
        properties: {}
      }
    ])
    expect(result.stdout).not.toContain('::group::Install Packer')
    expect(suite.calls).toEqual([])
  })

  it('HCL2: the same template with an input refused (aws-region): its problems named with the input\'s, in one run', async () => {
    const workspace = demoWith(hclWithEverything, 'hcl2')
    const result = await run(workspace, 'hcl2', { 'aws-region': 'nowhere' })
    expect(result.exitCode).toBe(1)
    expect(result.errors).toEqual([
      { message: 'aws-region: expected an AWS region such as us-east-1, found "nowhere"', properties: { title: 'Invalid input' } },
      ...hclProblems(join(workspace, demoTemplates.hcl2))
    ])
    expect(suite.calls).toEqual([])
  })

  it('HCL2: with a refused tags input, whose tags may be others, the tag counts are left out; the rest is named', async () => {
    const workspace = demoWith(hclWithEverything, 'hcl2')
    const result = await run(workspace, 'hcl2', { tags: 'Team=platform\nnot a tag' })
    expect(result.exitCode).toBe(1)
    const messages = result.errors.map(({ message }) => message)
    expect(messages[0]).toBe('tags: expected Key=Value, found "not a tag"')
    expect(messages.some((message) => message.includes('ami_regions of source'))).toBe(true)
    expect(messages.some((message) => message.includes('builds source.amazon-ebs.demo as the build block'))).toBe(true)
    expect(messages.some((message) => message.includes('tags on its AMI'))).toBe(false)
    expect(suite.calls).toEqual([])
  })

  it('HCL2: a template that builds nothing stops there: the source settings of sources it never builds are not named', async () => {
    const workspace = demoWith(
      (text) => text.replace('  ami_regions            = var.ami_regions\n', '  ami_regions            = ["eu-west-1", "us-west-2 "]\n').replace('  sources = ["source.amazon-ebs.demo"]\n', ''),
      'hcl2'
    )
    const result = await run(workspace, 'hcl2')
    expect(result.exitCode).toBe(1)
    expect(result.errors.map(({ message }) => message)).toEqual([
      expect.stringMatching(/^template: ami\.pkr\.hcl: the build block builds no source/),
      'The template builds nothing (see the error above); nothing was installed or built.'
    ])
    expect(suite.calls).toEqual([])
  })

  it('HCL2: a region with a space and an input variable it does not declare: both named, the variable as the input\'s', async () => {
    const workspace = demoWith((text) => text.replace('  ami_regions            = var.ami_regions\n', '  ami_regions            = ["eu-west-1", "us-west-2 "]\n'), 'hcl2')
    const result = await run(workspace, 'hcl2', { variables: 'instance_tpye=t3.small' })
    expect(result.exitCode).toBe(1)
    expect(result.errors).toEqual([
      { message: expect.stringMatching(/^template: ami\.pkr\.hcl: ami_regions of source "amazon-ebs\.demo" expected AWS regions without spaces/), properties: expect.objectContaining({ file: demoTemplates.hcl2 }) },
      { message: expect.stringMatching(/^variables: "instance_tpye" is not a variable of ami\.pkr\.hcl \(did you mean "instance_type"\?\)/), properties: { title: 'Invalid input' } },
      {
        message:
          'The template names regions with spaces in them, and does not declare every variable the variables input sets (see the errors above); ' +
          'nothing was installed or built.',
        properties: {}
      }
    ])
    expect(suite.calls).toEqual([])
  })

  /**
   * The demo's JSON template moved into packer/, its builder reading user data from ../boot (beside
   * packer/, not where Packer runs), with ImageFamily and 48 more keys in its tags, and a
   * shell-local provisioner whose script is not there.
   */
  function jsonWithEverything(): string {
    const workspace = demoWith((text) => {
      const template = JSON.parse(text) as { builders: Array<Record<string, unknown>>; provisioners?: unknown[] }
      const [builder] = template.builders
      builder.user_data_file = '../boot/user-data.sh'
      builder.tags = { ...(builder.tags as object), ImageFamily: 'web', ...Object.fromEntries(teams(48).map((key) => [key, 'platform'])) }
      template.provisioners = [{ type: 'shell-local', script: 'scripts/missing.sh' }]
      return JSON.stringify(template, null, 2)
    }, 'json')
    mkdirSync(join(workspace, 'packer'))
    for (const name of [demoTemplates.json, 'packer-vars.json']) renameSync(join(workspace, name), join(workspace, 'packer', name))
    mkdirSync(join(workspace, 'boot'))
    writeFileSync(join(workspace, 'boot', 'user-data.sh'), '#!/bin/sh\necho ready\n')
    return workspace
  }

  const jsonInputs = { template: 'packer/packer-template.json', 'var-file': 'packer/packer-vars.json', 'image-family': 'web' }

  function jsonProblems(template: string): unknown[] {
    const on = (text: string) => ({ title: 'Invalid input', file: 'packer/packer-template.json', ...placeIn(template, text) })
    return [
      { message: expect.stringMatching(/^template: packer\/packer-template\.json: builders\[0\]\.user_data_file names "\.\.\/boot\/user-data\.sh", which is not there: Packer reads it relative to working-directory/), properties: on('"user_data_file"') },
      { message: expect.stringMatching(/^template: packer\/packer-template\.json: build amazon-ebs gives its AMI ImageFamily in its tags, which the action writes itself/), properties: on('"tags"') },
      { message: expect.stringMatching(/^template: packer\/packer-template\.json: build amazon-ebs would get 61 tags on its AMI, and EC2 allows at most 50/), properties: on('"tags"') },
      { message: expect.stringMatching(/^template: packer\/packer-template\.json: provisioners\[0\]\.script names "scripts\/missing\.sh", which is not there/), properties: on('"script"') }
    ]
  }

  it('JSON: a file not where Packer runs, a tag the action writes itself and too many tags, with a script not there: each on its line, one failure naming them all', async () => {
    const workspace = jsonWithEverything()
    const result = await suite.run(workspace, jsonInputs)
    expect(result.exitCode).toBe(1)
    expect(result.errors).toEqual([
      ...jsonProblems(join(workspace, 'packer', demoTemplates.json)),
      {
        message:
          'The template names files that are not where Packer runs, and gives tags that the action writes itself, and its tags and the ' +
          "action's would be more than EC2 allows, and the template names files that are not there (see the errors above); nothing was installed or built.",
        properties: {}
      }
    ])
    expect(result.stdout).not.toContain('::group::Install Packer')
    expect(suite.calls).toEqual([])
  })

  it('JSON: the same template with an input refused (aws-region): its problems named with the input\'s, in one run', async () => {
    const workspace = jsonWithEverything()
    const result = await suite.run(workspace, { ...jsonInputs, 'aws-region': 'nowhere' })
    expect(result.exitCode).toBe(1)
    expect(result.errors).toEqual([
      { message: 'aws-region: expected an AWS region such as us-east-1, found "nowhere"', properties: { title: 'Invalid input' } },
      ...jsonProblems(join(workspace, 'packer', demoTemplates.json))
    ])
    expect(suite.calls).toEqual([])
  })
})
