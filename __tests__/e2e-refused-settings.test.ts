// A build that fails at build time because of one of its builder's settings (a key pair, subnet,
// security group, instance profile, … that EC2 does not have; an SSH key file Packer cannot read;
// a tag Packer cannot fill in), through the bundled action with the real Packer and the loopback
// EC2 endpoint: Packer's error is on that setting, not on the whole block; where it cannot be
// told which block's setting Packer took, it stays on the build's block. A setting that is one
// variable alone is refused for the variable's value: the error is where that value is given.
// The other builds' AMIs are kept.
import { describe, expect, it } from '@jest/globals'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { asTheRunnerShowsIt, projectRoot, type ActionRun } from './support/action-process.js'
import { demoRuns, demoTemplates, loopbackSuite } from './support/loopback-suite.js'
import { describeWithPacker } from './support/runtimes.js'

describeWithPacker('a build refused for one of its settings, through the bundled action', () => {
  const suite = loopbackSuite(['us-east-1', 'eu-west-1', 'us-west-2'])
  const { demoWith, run } = demoRuns(suite)

  /** Where `text` is in the file: its line and column, as the annotation gives them. */
  function placeIn(file: string, text: string): { line: string; col: string } {
    const lines = readFileSync(file, 'utf8').split('\n')
    const found = lines.findIndex((line) => line.includes(text))
    return { line: String(found + 1), col: String(lines[found].indexOf(text) + 1) }
  }

  /** The demo's HCL2 template with `settings` (lines of HCL) added to its source block. */
  const hclWith = (settings: string) => (text: string): string => text.replace('  communicator           = "none"\n', `  communicator           = "none"\n${settings}`)

  /** The demo's JSON template with `settings` added to its builder. */
  const jsonWith = (settings: Record<string, unknown>) => (text: string): string => {
    const template = JSON.parse(text) as { builders: Array<Record<string, unknown>> }
    return JSON.stringify({ ...template, builders: [{ ...template.builders[0], ...settings }] }, null, 2)
  }

  /** The run failed with no AMI, and Packer's error, matching `said`, is on `text` in the template. */
  function expectOn(result: ActionRun, workspace: string, template: string, said: RegExp, text: string): void {
    expect(result.exitCode).toBe(1)
    expect(result.errors.at(-1)?.message).toBe('packer build failed (exit code 1); no AMI was built.')
    expect(result.errors[0]).toEqual({ message: expect.stringMatching(said), properties: { title: 'Packer', file: template, ...placeIn(join(workspace, template), text) } })
  }

  const hclCases: Array<[what: string, settings: string, said: RegExp, on: string]> = [
    ['an ssh_private_key_file that is not there (read even with communicator "none")', '  ssh_private_key_file = "missing.pem"\n', /^amazon-ebs\.demo: Error on reading SSH private key: open missing\.pem: /, 'ssh_private_key_file'],
    ['an ssh_keypair_name the region has no key pair of', '  ssh_keypair_name = "nope"\n  ssh_private_key_file = "ami.pkr.hcl"\n', /^amazon-ebs\.demo: Error launching source instance: InvalidKeyPair\.NotFound: The key pair 'nope' does not exist\n/, 'ssh_keypair_name'],
    ['a subnet_id EC2 does not have', '  subnet_id = "subnet-0000dead"\n', /^amazon-ebs\.demo: Describing the subnet: subnet-0000dead returned error: InvalidSubnetID\.NotFound: /, 'subnet_id'],
    ['a vpc_id EC2 does not have', '  vpc_id = "vpc-0000dead"\n', /^amazon-ebs\.demo: Error retrieving VPC information for vpc_id vpc-0000dead: InvalidVpcID\.NotFound: /, 'vpc_id'],
    ['security_group_ids with a group EC2 does not have', '  security_group_ids = ["sg-0000dead"]\n', /^amazon-ebs\.demo: Couldn't find specified security group: InvalidGroup\.NotFound: /, 'security_group_ids'],
    ['a subnet_id EC2 reads as no subnet ID', '  subnet_id = "subnet-nope"\n', /^amazon-ebs\.demo: Describing the subnet: subnet-nope returned error: InvalidSubnetID\.Malformed: /, 'subnet_id'],
    ['a vpc_id EC2 reads as no VPC ID', '  vpc_id = "vpc-nope"\n', /^amazon-ebs\.demo: Error retrieving VPC information for vpc_id vpc-nope: InvalidVpcID\.Malformed: /, 'vpc_id'],
    ['security_group_ids with an entry EC2 reads as no group ID', '  security_group_ids = ["sg-nope"]\n', /^amazon-ebs\.demo: Couldn't find specified security group: InvalidGroupId\.Malformed: /, 'security_group_ids'],
    ['an iam_instance_profile IAM does not have', '  iam_instance_profile = "nope"\n', /^amazon-ebs\.demo: Couldn't find specified instance profile: NoSuchEntity: /, 'iam_instance_profile'],
    ['an availability_zone the region does not have', '  availability_zone = "us-east-1q"\n', /^amazon-ebs\.demo: Error launching source instance: InvalidParameterValue: Invalid availability zone: \[us-east-1q\]/, 'availability_zone'],
    ['a {{packer_version}} in run_volume_tags, which Packer 1.6.6 cannot fill in: on its key', '  run_volume_tags = {\n    Built = "{{packer_version}}"\n  }\n', /^amazon-ebs\.demo: Error tagging volumes: Error processing tag: Built:\{\{packer_version\}\} - /, 'Built = ']
  ]

  for (const [what, settings, said, on] of hclCases) {
    it(`HCL2: ${what}: on that setting`, async () => {
      const workspace = demoWith(hclWith(settings), 'hcl2')
      expectOn(await run(workspace, 'hcl2'), workspace, demoTemplates.hcl2, said, on)
    })
  }

  // Packer 1.6.6 asks STS itself, with no endpoint of its own: with no role it can assume (none
  // can be here), it says so once its credentials' providers have all been tried.
  const role = 'arn:aws:iam::123456789012:role/builder'
  const roleRefused = /^amazon-ebs(\.demo)?: IAM Role \(arn:aws:iam::123456789012:role\/builder\) cannot be assumed\.\n/

  it('HCL2: an assume_role whose role cannot be assumed: on its role_arn', async () => {
    const workspace = demoWith(hclWith(`  assume_role {\n    role_arn = "${role}"\n  }\n`), 'hcl2')
    expectOn(await run(workspace, 'hcl2'), workspace, demoTemplates.hcl2, roleRefused, 'role_arn')
  }, 120_000)

  it('JSON: the same: on role_arn in the builder\'s assume_role', async () => {
    const workspace = demoWith(jsonWith({ assume_role: { role_arn: role } }), 'json')
    expectOn(await run(workspace, 'json'), workspace, demoTemplates.json, roleRefused, '"role_arn"')
  }, 120_000)

  it('HCL2: an SSH communicator the instance never answers: on the ssh_timeout it waited', async () => {
    const ssh = '  communicator           = "ssh"\n  ssh_username           = "ubuntu"\n  ssh_timeout            = "3s"\n'
    const workspace = demoWith((text) => text.replace('  communicator           = "none"\n', ssh), 'hcl2')
    expectOn(await run(workspace, 'hcl2'), workspace, demoTemplates.hcl2, /^amazon-ebs\.demo: Timeout waiting for SSH\.$/, 'ssh_timeout')
  }, 120_000)

  it("HCL2: the ssh_timeout set in a build block's source block labelled source.amazon-ebs.demo: Packer's words alone, on the build's block, no default claimed", async () => {
    // Packer reads the label "source.amazon-ebs.demo" as amazon-ebs.demo, and waits the 3s set there.
    const ssh = '  communicator           = "ssh"\n  ssh_username           = "ubuntu"\n'
    const workspace = demoWith(
      (text) =>
        text
          .replace('  communicator           = "none"\n', ssh)
          .replace('  sources = ["source.amazon-ebs.demo"]\n', '  source "source.amazon-ebs.demo" {\n    ssh_timeout = "3s"\n  }\n'),
      'hcl2'
    )
    expectOn(await run(workspace, 'hcl2'), workspace, demoTemplates.hcl2, /^amazon-ebs\.demo: Timeout waiting for SSH\.$/, 'source "amazon-ebs" "demo"')
  }, 120_000)

  it('HCL2: a source_ami EC2 does not have, written in the source block: on source_ami', async () => {
    const workspace = demoWith((text) => text.replace('source_ami             = var.source_ami', 'source_ami             = "ami-0000dead"'), 'hcl2')
    expectOn(await run(workspace, 'hcl2'), workspace, demoTemplates.hcl2, /^amazon-ebs\.demo: Error querying AMI: InvalidAMIID\.NotFound: /, 'source_ami   ')
  })

  it("HCL2: a build block's source block sets the refused subnet_id, not the source block: on the build's block, as before", async () => {
    const workspace = demoWith((text) => text.replace('  sources = ["source.amazon-ebs.demo"]\n', '  source "amazon-ebs.demo" {\n    subnet_id = "subnet-0000dead"\n  }\n'), 'hcl2')
    // Packer 1.6.6 refuses a setting both set; the build's block is its source block.
    expectOn(await run(workspace, 'hcl2'), workspace, demoTemplates.hcl2, /^amazon-ebs\.demo: Describing the subnet: subnet-0000dead returned error: InvalidSubnetID\.NotFound: /, 'source "amazon-ebs" "demo"')
  })

  it("HCL2: the second of two sources refused for its subnet_id: on that source's subnet_id, the first's AMI kept", async () => {
    const workspace = demoWith((text) => {
      const [source] = /source "amazon-ebs" "demo" \{[^]*?\n\}\n/.exec(text) ?? ['']
      const west = hclWith('  subnet_id = "subnet-0000dead"\n')(source.replace('"demo"', '"west"').replace('var.aws_region', '"us-west-2"').replace('var.ami_regions', '[]'))
      return text.replace(source, `${source}\n${west}`).replace('["source.amazon-ebs.demo"]', '["source.amazon-ebs.demo", "source.amazon-ebs.west"]')
    }, 'hcl2')
    const result = await run(workspace, 'hcl2')
    expect(result.exitCode).toBe(1)
    expect(Object.keys(JSON.parse(result.outputs.builds) as object)).toEqual(['amazon-ebs.demo'])
    expect(result.outputs['ami-id']).toMatch(/^ami-\w+$/)
    expect(result.errors[0]).toEqual({
      message: expect.stringMatching(/^amazon-ebs\.west: Describing the subnet: subnet-0000dead returned error: InvalidSubnetID\.NotFound: /),
      properties: { title: 'Packer', file: 'ami.pkr.hcl', ...placeIn(join(workspace, 'ami.pkr.hcl'), 'subnet_id') }
    })
  })

  it('JSON: an ssh_keypair_name the region has no key pair of: on that key of the builder', async () => {
    const workspace = demoWith(jsonWith({ ssh_keypair_name: 'nope', ssh_private_key_file: 'packer-template.json' }), 'json')
    expectOn(await run(workspace, 'json'), workspace, demoTemplates.json, /^amazon-ebs: Error launching source instance: InvalidKeyPair\.NotFound: /, '"ssh_keypair_name"')
  })

  it("JSON: the second of two builders refused for its subnet_id: on that builder's subnet_id, the first's AMI kept", async () => {
    const workspace = demoWith((text) => {
      const template = JSON.parse(text) as { builders: Array<Record<string, unknown>> }
      const [builder] = template.builders
      const west = { ...builder, name: 'west', region: 'us-west-2', ami_regions: '', subnet_id: 'subnet-0000dead' }
      return JSON.stringify({ ...template, builders: [{ ...builder, name: 'east', ami_regions: '' }, west] }, null, 2)
    }, 'json')
    const result = await run(workspace, 'json')
    expect(result.exitCode).toBe(1)
    expect(Object.keys(JSON.parse(result.outputs.builds) as object)).toEqual(['east'])
    expect(result.outputs['ami-id']).toMatch(/^ami-\w+$/)
    expect(result.errors[0]).toEqual({
      message: expect.stringMatching(/^west: Describing the subnet: subnet-0000dead returned error: InvalidSubnetID\.NotFound: /),
      properties: { title: 'Packer', file: 'packer-template.json', ...placeIn(join(workspace, 'packer-template.json'), '"subnet_id"') }
    })
  })

  it("HCL2's JSON syntax (.pkr.json): a security_group_id EC2 does not have: on that key of the source", async () => {
    const workspace = suite.workspaceFrom(join(projectRoot, '__tests__', 'fixtures', 'templates', 'hcl-json-failed-build'))
    const file = join(workspace, 'image.pkr.json')
    const template = JSON.parse(readFileSync(file, 'utf8')) as { source: { 'amazon-ebs': Record<string, object> }; build: Record<string, unknown> }
    const east = { ...template.source['amazon-ebs'].east, security_group_id: 'sg-0000dead' }
    writeFileSync(file, JSON.stringify({ ...template, source: { 'amazon-ebs': { east } }, build: { ...template.build, sources: ['source.amazon-ebs.east'] } }, null, 2))
    expectOn(await suite.run(workspace, { template: 'image.pkr.json' }), workspace, 'image.pkr.json', /^amazon-ebs\.east: Couldn't find specified security group: InvalidGroup\.NotFound: /, '"security_group_id"')
  })

  // The setting is one variable alone: Packer's error is where the variable's value is given, not
  // on the setting, which reads the same whatever the value.
  describe('where the refused value is given', () => {
    /** The demo's HCL2 template with variable blocks `declared` and `settings` added to its source block. */
    const hclVariables = (declared: string, settings: string) => (text: string): string =>
      hclWith(settings)(text.replace('locals {', `${declared}\nlocals {`))

    /** The workspace's variables file, with `edit` made to its text. */
    function editFile(workspace: string, file: string, edit: (text: string) => string): void {
      const path = join(workspace, file)
      writeFileSync(path, edit(readFileSync(path, 'utf8')))
    }

    it('HCL2: a subnet_id of a variable a variables file sets: on that line of the file', async () => {
      const workspace = demoWith(hclVariables('variable "subnet" {\n  type = string\n}\n', '  subnet_id = var.subnet\n'), 'hcl2')
      editFile(workspace, 'loopback.pkrvars.hcl', (text) => `${text}subnet          = "subnet-0000dead"\n`)
      const said = /^var-file: loopback\.pkrvars\.hcl: variable "subnet", which amazon-ebs\.demo takes for subnet_id: Describing the subnet: subnet-0000dead returned error: InvalidSubnetID\.NotFound: /
      expectOn(await run(workspace, 'hcl2'), workspace, 'loopback.pkrvars.hcl', said, 'subnet   ')
    })

    it('HCL2: an ssh_keypair_name of a variable the input variables give: named so, in no file', async () => {
      const workspace = demoWith(hclVariables('variable "key_pair" {\n  type = string\n}\n', '  ssh_keypair_name = var.key_pair\n  ssh_private_key_file = "ami.pkr.hcl"\n'), 'hcl2')
      const result = await run(workspace, 'hcl2', { variables: 'key_pair=nope' })
      expect(result.exitCode).toBe(1)
      expect(result.errors[0]).toEqual({
        message: expect.stringMatching(/^variables: "key_pair", which amazon-ebs\.demo takes for ssh_keypair_name: Error launching source instance: InvalidKeyPair\.NotFound: The key pair 'nope' does not exist\n/),
        properties: { title: 'Packer' }
      })
    })

    it("HCL2: a source_ami of a variable's default: on the default", async () => {
      const workspace = demoWith((text) => text.replace('variable "source_ami" {\n  type = string\n', 'variable "source_ami" {\n  type    = string\n  default = "ami-0000dead"\n'), 'hcl2')
      editFile(workspace, 'loopback.pkrvars.hcl', (text) => text.replace(/^source_ami .*\n/m, ''))
      const said = /^template: ami\.pkr\.hcl: variable "source_ami", which amazon-ebs\.demo takes for source_ami: Error querying AMI: InvalidAMIID\.NotFound: /
      expectOn(await run(workspace, 'hcl2'), workspace, demoTemplates.hcl2, said, 'default = "ami-0000dead"')
    })

    it('HCL2: a sensitive variable: on its line of the variables file, its value *** in the log', async () => {
      const workspace = demoWith(hclVariables('variable "subnet" {\n  type      = string\n  sensitive = true\n}\n', '  subnet_id = var.subnet\n'), 'hcl2')
      editFile(workspace, 'loopback.pkrvars.hcl', (text) => `${text}subnet = "subnet-5ec7e7ed"\n`)
      const result = await run(workspace, 'hcl2')
      expectOn(result, workspace, 'loopback.pkrvars.hcl', /^var-file: loopback\.pkrvars\.hcl: variable "subnet", which amazon-ebs\.demo takes for subnet_id: /, 'subnet =')
      const { log } = asTheRunnerShowsIt(result)
      expect(log).toContain('which amazon-ebs.demo takes for subnet_id: Describing the subnet: *** returned error')
      expect(log).not.toContain('5ec7e7ed')
    })

    it('HCL2: a subnet_id that mixes text and a variable: on the setting, as before', async () => {
      const workspace = demoWith(hclVariables('variable "subnet" {\n  type = string\n}\n', '  subnet_id = "subnet-${var.subnet}"\n'), 'hcl2')
      editFile(workspace, 'loopback.pkrvars.hcl', (text) => `${text}subnet = "0000dead"\n`)
      expectOn(await run(workspace, 'hcl2'), workspace, demoTemplates.hcl2, /^amazon-ebs\.demo: Describing the subnet: subnet-0000dead returned error: /, 'subnet_id')
    })

    it('HCL2: a subnet_id of a variable PKR_VAR_ gives: on the setting, as before', async () => {
      const workspace = demoWith(hclVariables('variable "subnet" {\n  type    = string\n  default = "subnet-00000000"\n}\n', '  subnet_id = var.subnet\n'), 'hcl2')
      const result = await suite.run(workspace, { template: demoTemplates.hcl2, 'var-file': 'loopback.pkrvars.hcl' }, { PKR_VAR_subnet: 'subnet-0000dead' })
      expectOn(result, workspace, demoTemplates.hcl2, /^amazon-ebs\.demo: Describing the subnet: subnet-0000dead returned error: /, 'subnet_id')
    })

    /** The demo's JSON template with `variables` added to its own and `settings` to its builder. */
    const jsonVariables = (variables: Record<string, unknown>, settings: Record<string, unknown>, more: Record<string, unknown> = {}) => (text: string): string => {
      const template = JSON.parse(jsonWith(settings)(text)) as { variables: Record<string, unknown> }
      return JSON.stringify({ ...template, ...more, variables: { ...template.variables, ...variables } }, null, 2)
    }

    /** The demo's JSON variables file with `variables` added. */
    const withJsonVariables = (variables: Record<string, unknown>) => (text: string): string =>
      JSON.stringify({ ...(JSON.parse(text) as object), ...variables }, null, 2)

    it('JSON: a subnet_id of a variable its variables file sets: on that value in the file', async () => {
      const workspace = demoWith(jsonVariables({ subnet: '' }, { subnet_id: '{{user `subnet`}}' }), 'json')
      editFile(workspace, 'packer-vars.json', withJsonVariables({ subnet: 'subnet-0000dead' }))
      const said = /^var-file: packer-vars\.json: variable "subnet", which amazon-ebs takes for subnet_id: Describing the subnet: subnet-0000dead returned error: InvalidSubnetID\.NotFound: /
      expectOn(await run(workspace, 'json'), workspace, 'packer-vars.json', said, '"subnet-0000dead"')
    })

    it('JSON: an ssh_keypair_name of a variable the input variables give: named so, in no file', async () => {
      const workspace = demoWith(jsonVariables({ key_pair: '' }, { ssh_keypair_name: '{{user `key_pair`}}', ssh_private_key_file: 'packer-template.json' }), 'json')
      const result = await run(workspace, 'json', { variables: 'key_pair=nope' })
      expect(result.exitCode).toBe(1)
      expect(result.errors[0]).toEqual({
        message: expect.stringMatching(/^variables: "key_pair", which amazon-ebs takes for ssh_keypair_name: Error launching source instance: InvalidKeyPair\.NotFound: /),
        properties: { title: 'Packer' }
      })
    })

    it("JSON: a source_ami of a variable's default in the template: on the default", async () => {
      const workspace = demoWith(jsonVariables({ source_ami: 'ami-0000dead' }, {}), 'json')
      editFile(workspace, 'packer-vars.json', (text) => JSON.stringify({ ...(JSON.parse(text) as object), source_ami: undefined }, null, 2))
      const said = /^template: packer-template\.json: variable "source_ami", which amazon-ebs takes for source_ami: Error querying AMI: InvalidAMIID\.NotFound: /
      expectOn(await run(workspace, 'json'), workspace, demoTemplates.json, said, '"ami-0000dead"')
    })

    it('JSON: a sensitive variable: on its value in the variables file, *** in the log', async () => {
      const workspace = demoWith(jsonVariables({ subnet: '' }, { subnet_id: '{{user `subnet`}}' }, { 'sensitive-variables': ['subnet'] }), 'json')
      editFile(workspace, 'packer-vars.json', withJsonVariables({ subnet: 'subnet-5ec7e7ed' }))
      const result = await run(workspace, 'json')
      expectOn(result, workspace, 'packer-vars.json', /^var-file: packer-vars\.json: variable "subnet", which amazon-ebs takes for subnet_id: /, '"subnet-5ec7e7ed"')
      const { log } = asTheRunnerShowsIt(result)
      expect(log).toContain('which amazon-ebs takes for subnet_id: Describing the subnet: *** returned error')
      expect(log).not.toContain('5ec7e7ed')
    })
  })
})
