// A list of regions written with a space after a comma: Packer splits a string into a list at
// each comma and keeps the spaces, so " eu-west-1" is no region. Through the bundled action run
// as the runner runs it, with the real Packer and the loopback EC2 endpoint.
import { expect, it } from '@jest/globals'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { projectRoot } from './support/action-process.js'
import { loopbackSuite } from './support/loopback-suite.js'
import { describeWithPacker } from './support/runtimes.js'

describeWithPacker('regions listed with a space after a comma, through the bundled action', () => {
  const suite = loopbackSuite(['us-east-1', 'eu-west-1', 'us-west-2'])

  /** The JSON demo with its variables file's ami_regions set to `regions`, and `edit` made to the template. */
  function jsonDemo(regions: string, edit: (template: Record<string, unknown>) => void = () => {}): string {
    const workspace = suite.workspaceFrom(join(projectRoot, 'demo', 'json'))
    const varsPath = join(workspace, 'packer-vars.json')
    const vars = JSON.parse(readFileSync(varsPath, 'utf8')) as Record<string, string>
    writeFileSync(varsPath, JSON.stringify({ ...vars, ami_regions: regions }, null, 2) + '\n')
    const templatePath = join(workspace, 'packer-template.json')
    const template = JSON.parse(readFileSync(templatePath, 'utf8')) as Record<string, unknown>
    edit(template)
    writeFileSync(templatePath, JSON.stringify(template, null, 2) + '\n')
    return workspace
  }

  const builder = (template: Record<string, unknown>): Record<string, unknown> => (template.builders as Array<Record<string, unknown>>)[0]
  const validated = (template: Record<string, unknown>): void => {
    delete builder(template).skip_region_validation
  }
  /** The JSON demo, its variables file's ami_regions `regions`, its builder's `setting` written as `value`, its regions validated. */
  const jsonDemoSetting = (regions: string, setting: string, value: unknown): string =>
    jsonDemo(regions, (template) => {
      validated(template)
      builder(template)[setting] = value
    })

  const json = { template: 'packer-template.json', 'var-file': 'packer-vars.json' }

  /** The line of the first line of `file` in `workspace` that holds `text`, as an annotation gives it. */
  const lineOf = (workspace: string, file: string, text: string): string =>
    String(readFileSync(join(workspace, file), 'utf8').split('\n').findIndex((line) => line.includes(text)) + 1)

  const splitsAt = (found: string, spaced: string, fixed: string): string =>
    `expected AWS regions separated by commas alone (as in "us-west-2,eu-west-1"), found "${found}": Packer splits it at each comma and keeps ` +
    `the spaces, so ${spaced} is no region, and the build fails at its region check ("Invalid region(s)"), or, with skip_region_validation, ` +
    `once the AMI is made, as Packer copies it. Write "${fixed}".`

  /**
   * The action on `workspace` with `inputs`: refused before Packer is installed, with the one error
   * `message`, on the line of `file` that holds `text` (nowhere without `place`), then the step's `failure` if
   * any, and nothing sent to EC2.
   */
  async function expectRefused(
    workspace: string,
    inputs: Record<string, string>,
    message: string,
    place?: { file: string; text: string; col: string },
    failure?: string
  ): Promise<void> {
    const before = suite.endpoint.calls.length
    const result = await suite.run(workspace, inputs)
    expect(result.exitCode).toBe(1)
    const at = place ? { file: place.file, line: lineOf(workspace, place.file, place.text), col: place.col } : {}
    const then = failure === undefined ? [] : [{ message: failure, properties: {} }]
    expect(result.errors).toEqual([{ message, properties: { title: 'Invalid input', ...at } }, ...then])
    expect(result.stdout).not.toContain('::group::Install Packer')
    expect(suite.endpoint.calls.slice(before)).toEqual([])
  }

  const fromVarFile = (found: string, spaced: string): string =>
    `var-file: packer-vars.json: variable "ami_regions", which builder "amazon-ebs" takes for ami_regions, ${splitsAt(found, spaced, 'eu-west-1,us-west-2')}`
  const onVarFile = { file: 'packer-vars.json', text: '"ami_regions"', col: '3' }

  it('JSON: ami_regions from a variables file that lists "eu-west-1, us-west-2", which Packer fails the build on: on the variable, before Packer is installed', async () => {
    await expectRefused(jsonDemo('eu-west-1, us-west-2', validated), json, fromVarFile('eu-west-1, us-west-2', '" us-west-2"'), onVarFile)
  })

  it('JSON: the same with skip_region_validation, where Packer makes the AMI before it fails: refused the same', async () => {
    await expectRefused(jsonDemo('eu-west-1,  us-west-2'), json, fromVarFile('eu-west-1,  us-west-2', '"  us-west-2"'), onVarFile)
  })

  it('JSON: ami_regions written twice in the variables file, the second with a space: on the second, which Packer takes', async () => {
    const workspace = jsonDemo('eu-west-1,us-west-2', validated)
    const varsPath = join(workspace, 'packer-vars.json')
    // Packer 1.6.6 reads a variables file with Go's JSON decoder, which keeps the last of a key written twice.
    writeFileSync(varsPath, readFileSync(varsPath, 'utf8').replace(/\n}\n$/, ',\n  "ami_regions":   "eu-west-1, us-west-2"\n}\n'))
    await expectRefused(workspace, json, fromVarFile('eu-west-1, us-west-2', '" us-west-2"'), { ...onVarFile, text: '"ami_regions":   ' })
  })

  it('JSON: the list given in the variables input: on the input, before Packer is installed', async () => {
    await expectRefused(
      jsonDemo('eu-west-1,us-west-2', validated),
      { ...json, variables: 'ami_regions = us-west-2 ,eu-west-1' },
      `variables: "ami_regions", which builder "amazon-ebs" takes for ami_regions, ${splitsAt('us-west-2 ,eu-west-1', '"us-west-2 "', 'us-west-2,eu-west-1')}`
    )
  })

  it('JSON: the list written in the template, with a variable in it: on ami_regions', async () => {
    await expectRefused(
      jsonDemoSetting('eu-west-1', 'ami_regions', '{{user `ami_regions`}}, us-west-2'),
      json,
      `template: packer-template.json: ami_regions of builder "amazon-ebs" ${splitsAt('eu-west-1, us-west-2', '" us-west-2"', 'eu-west-1,us-west-2')}`,
      { file: 'packer-template.json', text: '"ami_regions": "{{', col: '7' }
    )
  })

  it('JSON: ami_regions as a list with a space in one of its regions: on ami_regions', async () => {
    await expectRefused(
      jsonDemoSetting('', 'ami_regions', ['eu-west-1', 'us-west-2 ']),
      json,
      'template: packer-template.json: ami_regions of builder "amazon-ebs" expected AWS regions without spaces, found "us-west-2 ": Packer keeps the ' +
        'spaces, and the build fails at its region check ("Invalid region(s)"), or, with skip_region_validation, once the AMI is made, as Packer ' +
        'copies it. Write each region without spaces.',
      { file: 'packer-template.json', text: '"ami_regions": [', col: '7' }
    )
  })

  it('JSON: such a list in a builder that only leaves out: not refused, and the build it selects makes its AMIs', async () => {
    const workspace = jsonDemo('eu-west-1,us-west-2', (template) => {
      const builders = template.builders as Array<Record<string, unknown>>
      builders.push({ ...builders[0], name: 'elsewhere', ami_regions: 'eu-west-1, us-west-2' })
    })
    const result = await suite.run(workspace, { ...json, only: 'amazon-ebs' })
    expect(result.errors).toEqual([])
    expect(result.exitCode).toBe(0)
    expect(result.outputs['ami-ids']).toMatch(/eu-west-1.*us-west-2/s)
  })

  it('JSON: such a list in a sensitive variable: left to Packer, so that no error shows the value before the job masks it', async () => {
    const workspace = jsonDemo('eu-west-1, us-west-2', (template) => {
      validated(template)
      template['sensitive-variables'] = ['ami_regions']
    })
    const result = await suite.run(workspace, json)
    expect(result.exitCode).toBe(1)
    expect(result.errors.filter(({ properties }) => properties.title === 'Invalid input')).toEqual([])
    expect(result.stdout.split('\n').filter((line) => !line.startsWith('::add-mask::') && line.includes('eu-west-1, us-west-2'))).toEqual([])
  })

  it('JSON: a region with a space in front, which fails the build as Packer first calls AWS: on region', async () => {
    await expectRefused(
      jsonDemoSetting('eu-west-1,us-west-2', 'region', ' us-east-1'),
      json,
      'template: packer-template.json: region of builder "amazon-ebs" expected an AWS region such as us-east-1, found " us-east-1": ' +
        'Packer keeps the space, and the build fails as soon as it calls AWS. Write "us-east-1".',
      { file: 'packer-template.json', text: '"region"', col: '7' }
    )
  })

  /** The HCL2 demo with `edit` made to its template and `vars` to its variables file, without skip_region_validation. */
  function hclDemo(edit: (text: string) => string, vars: (text: string) => string = (text) => text): string {
    const workspace = suite.workspaceFrom(join(projectRoot, 'demo', 'hcl2'))
    for (const [file, change] of [['ami.pkr.hcl', (text: string) => edit(text.replace(/ *skip_region_validation = true\n/, ''))], ['loopback.pkrvars.hcl', vars]] as const) {
      writeFileSync(join(workspace, file), change(readFileSync(join(workspace, file), 'utf8')))
    }
    return workspace
  }
  const hcl = { template: 'ami.pkr.hcl', 'var-file': 'loopback.pkrvars.hcl' }
  const onHclSetting = (text: string) => ({ file: 'ami.pkr.hcl', text, col: '3' })
  const hclRefused = 'The template names regions with spaces in them (see the errors above); nothing was installed or built.'

  it('HCL2: ami_regions = split(",", var.regions), with the regions given as "eu-west-1, us-west-2": on ami_regions, before Packer is installed', async () => {
    const workspace = hclDemo((text) =>
      text.replace('variable "source_ami"', 'variable "regions" {\n  type = string\n}\n\nvariable "source_ami"').replace('= var.ami_regions', '= split(",", var.regions)')
    )
    await expectRefused(
      workspace,
      { ...hcl, variables: 'regions=eu-west-1, us-west-2' },
      `template: ami.pkr.hcl: ami_regions of source "amazon-ebs.demo" ${splitsAt('eu-west-1, us-west-2', '" us-west-2"', 'eu-west-1,us-west-2').replace('Packer splits it', 'split(",", …) splits it')}`,
      onHclSetting('ami_regions '),
      hclRefused
    )
  })

  it('HCL2: a list variable with a space in one region, from the variables file: on ami_regions', async () => {
    const workspace = hclDemo((text) => text, (text) => text.replace('"us-west-2"', '" us-west-2"'))
    await expectRefused(
      workspace,
      hcl,
      'template: ami.pkr.hcl: ami_regions of source "amazon-ebs.demo" expected AWS regions without spaces, found " us-west-2": Packer keeps the ' +
        'spaces, and the build fails at its region check ("Invalid region(s)"), or, with skip_region_validation, once the AMI is made, as Packer ' +
        'copies it. Write each region without spaces.',
      onHclSetting('ami_regions '),
      hclRefused
    )
  })

  it('HCL2: such a list in a source that no build block builds: not refused, and the build makes its AMIs', async () => {
    const workspace = hclDemo((text) => text.replace('build {', 'source "amazon-ebs" "unused" {\n  region      = "us-east-1"\n  ami_regions = ["eu-west-1", " us-west-2"]\n}\n\nbuild {'))
    const result = await suite.run(workspace, hcl)
    expect(result.errors).toEqual([])
    expect(result.exitCode).toBe(0)
    expect(result.outputs['ami-ids']).toMatch(/eu-west-1.*us-west-2/s)
  })
})
