// A build that fails once Packer builds it, beside one that makes its AMI, through the bundled
// action with the real Packer and the loopback EC2 endpoint: the error Packer names the build by,
// and no finer rule places, is on the block of the build that failed; the AMI that was made is
// still in the outputs.
import { afterEach, expect, it } from '@jest/globals'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { projectRoot, pushToMain, type ActionRun } from './support/action-process.js'
import { demoRuns, demoTemplates, loopbackSuite } from './support/loopback-suite.js'
import { describeWithPacker } from './support/runtimes.js'

describeWithPacker('a build that fails at build time, through the bundled action', () => {
  const suite = loopbackSuite(['us-east-1', 'eu-west-1', 'us-west-2'])
  afterEach(() => suite.endpoint.faults.clear())

  const templates = demoTemplates
  const { demoWith, run } = demoRuns(suite)

  /** Where the first line of the file that holds `text` is, and `text` in it. */
  function placeIn(file: string, text: string): { line: string; col: string } {
    const lines = readFileSync(file, 'utf8').split('\n')
    const found = lines.findIndex((line) => line.includes(text))
    return { line: String(found + 1), col: String(lines[found].indexOf(text) + 1) }
  }

  /** The same in the workspace's template of that kind. */
  const placeOf = (workspace: string, kind: keyof typeof templates, text: string) => placeIn(join(workspace, templates[kind]), text)

  /** Where the JSON template's builder object that holds `text` begins. */
  function builderOf(workspace: string, text: string): { line: string; col: string } {
    const lines = readFileSync(join(workspace, templates.json), 'utf8').split('\n')
    return { line: String(lines.lastIndexOf('    {', lines.findIndex((line) => line.includes(text))) + 1), col: '5' }
  }

  // Packer 1.6.6's googlecompute builder, with no Google credentials on the runner, fails as its build begins.
  const googleFails = /: google: could not find default credentials\. See https:\/\/developers\.google\.com\/accounts\/docs\/application-default-credentials for more information\.$/
  const google = { project_id: 'demo-project', source_image: 'debian-10', zone: 'us-central1-a', ssh_username: 'packer' }

  /** The run failed, with Packer's error and the step's, and the AMI of the build that made one in the outputs. */
  function expectAmiKept(result: ActionRun, build: string): void {
    expect(result.exitCode).toBe(1)
    expect(result.errors.at(-1)?.message).toMatch(/^packer build failed \(exit code 1\), after building (1 AMI that is|\d AMIs that are) in the outputs\.$/)
    expect(result.errors).toHaveLength(2)
    expect(result.outputs['ami-id']).toMatch(/^ami-\w+$/)
    expect(Object.keys(JSON.parse(result.outputs.builds) as object)).toEqual([build])
  }

  /**
   * EC2 refuses to launch an instance in us-west-2 as `start` runs the action: the run fails, the
   * AMI of `kept` (in us-east-1) is in the outputs and tagged, and Packer's error, which names the
   * build by `build` (a pattern), is on `place` in `file`.
   */
  async function expectWestRefused(
    start: () => Promise<ActionRun>,
    { kept, build, file, place }: { kept: string; build: string; file: string; place: { line: string; col: string } }
  ): Promise<void> {
    suite.endpoint.faults.fail('RunInstances', { code: 'UnauthorizedOperation', region: 'us-west-2', userAgent: 'aws-sdk-go' })
    const result = await start()
    expectAmiKept(result, kept)
    expect(suite.endpoint.tagsOf('us-east-1', result.outputs['ami-id'])).toMatchObject({ SourceCommit: pushToMain.GITHUB_SHA })
    expect(result.errors[0]).toEqual({
      message: expect.stringMatching(new RegExp(`^${build}: Error launching source instance: UnauthorizedOperation: `)),
      properties: { title: 'Packer', file, ...place }
    })
  }

  it('JSON: a googlecompute builder beside the amazon-ebs one fails without Google credentials: on its builder, the AMI kept', async () => {
    const workspace = demoWith((text) => {
      const template = JSON.parse(text) as { builders: object[] }
      return JSON.stringify({ ...template, builders: [...template.builders, { type: 'googlecompute', ...google }] }, null, 2)
    }, 'json')
    const result = await run(workspace, 'json')
    expectAmiKept(result, 'amazon-ebs')
    expect(result.errors[0]).toEqual({
      message: expect.stringMatching(new RegExp(`^googlecompute${googleFails.source}`)),
      properties: { title: 'Packer', file: 'packer-template.json', ...builderOf(workspace, '"type": "googlecompute"') }
    })
  })

  it("JSON: two amazon-ebs builders, one of which EC2 refuses to launch an instance for: on that builder, by its name, the other's AMI kept", async () => {
    const workspace = demoWith((text) => {
      const template = JSON.parse(text) as { builders: Array<Record<string, unknown>> }
      const [builder] = template.builders
      const west = { ...builder, name: 'west', region: 'us-west-2', ami_regions: '' }
      return JSON.stringify({ ...template, builders: [{ ...builder, name: 'east', ami_regions: '' }, west] }, null, 2)
    }, 'json')
    suite.endpoint.faults.fail('RunInstances', { code: 'UnauthorizedOperation', region: 'us-west-2', userAgent: 'aws-sdk-go' })
    const result = await run(workspace, 'json')
    expectAmiKept(result, 'east')
    expect(result.errors[0]).toEqual({
      message: expect.stringMatching(/^west: Error launching source instance: UnauthorizedOperation: /),
      properties: { title: 'Packer', file: 'packer-template.json', ...builderOf(workspace, '"name": "west"') }
    })
  })

  it("HCL2: the same refusal, for the second of two amazon-ebs sources: on that source's block", async () => {
    const west = (text: string): string => {
      const [source] = /source "amazon-ebs" "demo" \{[^]*?\n\}\n/.exec(text) ?? ['']
      const second = source.replace('"demo"', '"west"').replace('var.aws_region', '"us-west-2"').replace('var.ami_regions', '[]')
      return text.replace(source, `${source}\n${second}`).replace('["source.amazon-ebs.demo"]', '["source.amazon-ebs.demo", "source.amazon-ebs.west"]')
    }
    const workspace = demoWith(west, 'hcl2')
    suite.endpoint.faults.fail('RunInstances', { code: 'UnauthorizedOperation', region: 'us-west-2', userAgent: 'aws-sdk-go' })
    const result = await run(workspace, 'hcl2')
    expectAmiKept(result, 'amazon-ebs.demo')
    expect(result.errors[0]).toEqual({
      message: expect.stringMatching(/^amazon-ebs\.west: Error launching source instance: UnauthorizedOperation: /),
      properties: { title: 'Packer', file: 'ami.pkr.hcl', ...placeOf(workspace, 'hcl2', 'source "amazon-ebs" "west"') }
    })
  })

  /** The demo's HCL2 template with a googlecompute source beside its amazon-ebs one, and `build` for its build block. */
  const withGoogleSource = (build: string) => (text: string): string =>
    text.replace(/build \{[^]*\n\}\n/, '') +
    `\nsource "googlecompute" "gce" {\n${Object.entries(google).map(([key, value]) => `  ${key} = "${value}"\n`).join('')}}\n\n${build}`

  it('HCL2: a googlecompute source beside the amazon-ebs one fails without Google credentials: on its source block, the AMI kept', async () => {
    const workspace = demoWith(withGoogleSource('build {\n  sources = ["source.amazon-ebs.demo", "source.googlecompute.gce"]\n\n  post-processor "manifest" {}\n}\n'), 'hcl2')
    const result = await run(workspace, 'hcl2')
    expectAmiKept(result, 'amazon-ebs.demo')
    expect(result.errors[0]).toEqual({
      message: expect.stringMatching(new RegExp(`^googlecompute\\.gce${googleFails.source}`)),
      properties: { title: 'Packer', file: 'ami.pkr.hcl', ...placeOf(workspace, 'hcl2', 'source "googlecompute" "gce"') }
    })
  })

  it("HCL2: the same source renamed in a named build block's source block: on that block, which names the build", async () => {
    const build =
      'build {\n  name    = "images"\n  sources = ["source.amazon-ebs.demo"]\n\n' +
      '  source "googlecompute.gce" {\n    name = "renamed"\n  }\n\n  post-processor "manifest" {}\n}\n'
    const workspace = demoWith(withGoogleSource(build), 'hcl2')
    const result = await run(workspace, 'hcl2')
    expectAmiKept(result, 'images.amazon-ebs.demo')
    expect(result.errors[0]).toEqual({
      message: expect.stringMatching(new RegExp(`^images\\.googlecompute\\.renamed${googleFails.source}`)),
      properties: { title: 'Packer', file: 'ami.pkr.hcl', ...placeOf(workspace, 'hcl2', 'source "googlecompute.gce"') }
    })
  })

  /** The demo's JSON template with two amazon-ebs builders, `east` in us-east-1 and `west` (named `name`) in us-west-2. */
  const eastAndWest = (name: string, variables: Record<string, string> = {}) => (text: string): string => {
    const template = JSON.parse(text) as { variables: object; builders: Array<Record<string, unknown>> }
    const [builder] = template.builders
    const west = { ...builder, name, region: 'us-west-2', ami_regions: '' }
    return JSON.stringify({ ...template, variables: { ...template.variables, ...variables }, builders: [{ ...builder, name: 'east', ami_regions: '' }, west] }, null, 2)
  }

  it("JSON: the refused builder's name is a {{user}} variable given as an input: on that builder, the other's AMI kept and tagged", async () => {
    const workspace = demoWith(eastAndWest('{{user `role`}}', { role: 'web' }), 'json')
    await expectWestRefused(() => run(workspace, 'json', { variables: 'role=west' }), { kept: 'east', build: 'west', file: 'packer-template.json', place: builderOf(workspace, '"name": "{{user `role`}}"') })
  })

  it("JSON: the refused builder's name is one only Packer works out, and no other builder's could be it: on that builder", async () => {
    const workspace = demoWith(eastAndWest('west-{{timestamp}}'), 'json')
    await expectWestRefused(() => run(workspace, 'json'), { kept: 'east', build: 'west-\\d+', file: 'packer-template.json', place: builderOf(workspace, '"name": "west-{{timestamp}}"') })
  })

  it("JSON: the same, beside a builder whose name of that shape has a user variable: that one told apart by the variable's value", async () => {
    const workspace = demoWith((text) => {
      const named = eastAndWest('web-{{timestamp}}', { zone: 'east' })(text)
      return named.replace('"name": "east"', '"name": "web-{{user `zone`}}"')
    }, 'json')
    await expectWestRefused(() => run(workspace, 'json'), { kept: 'web-east', build: 'web-\\d+', file: 'packer-template.json', place: builderOf(workspace, '"name": "web-{{timestamp}}"') })
  })

  /** The demo's HCL2 template with a second amazon-ebs source, `west` in us-west-2, built under the name `name` is written as. */
  const westNamed = (name: string) => (text: string): string => {
    const [source] = /source "amazon-ebs" "demo" \{[^]*?\n\}\n/.exec(text) ?? ['']
    const second = source.replace('"demo"', '"west"').replace('var.aws_region', '"us-west-2"').replace('var.ami_regions', '[]')
    const build = `build {\n  sources = ["source.amazon-ebs.demo"]\n\n  source "amazon-ebs.west" {\n    name = ${name}\n  }\n\n  post-processor "manifest" {}\n}\n`
    return text.replace(source, `${source}\n${second}`).replace(/build \{[^]*\n\}\n/, build)
  }

  it("HCL2: the refused build's name, given in its build block's source block, is an expression of literal text: on that block", async () => {
    const workspace = demoWith(westNamed('"${"oregon"}"'), 'hcl2')
    await expectWestRefused(() => run(workspace, 'hcl2'), { kept: 'amazon-ebs.demo', build: 'amazon-ebs\\.oregon', file: 'ami.pkr.hcl', place: placeOf(workspace, 'hcl2', 'source "amazon-ebs.west"') })
  })

  it("HCL2: the refused build's name is one only Packer works out, and no other block could make an amazon-ebs build of that shape: on that block", async () => {
    const workspace = demoWith(westNamed('"oregon-%{ if true }1%{ endif }"'), 'hcl2')
    await expectWestRefused(() => run(workspace, 'hcl2'), { kept: 'amazon-ebs.demo', build: 'amazon-ebs\\.oregon-1', file: 'ami.pkr.hcl', place: placeOf(workspace, 'hcl2', 'source "amazon-ebs.west"') })
  })

  /** The `.pkr.json` fixture's workspace: two amazon-ebs sources, `east` in us-east-1 and `west` in us-west-2, with `edit` made to its build. */
  function hclJsonWith(edit: (build: Record<string, unknown>) => unknown = (build) => build): string {
    const workspace = suite.workspaceFrom(join(projectRoot, '__tests__', 'fixtures', 'templates', 'hcl-json-failed-build'))
    const file = join(workspace, 'image.pkr.json')
    const template = JSON.parse(readFileSync(file, 'utf8')) as { build: Record<string, unknown> }
    writeFileSync(file, JSON.stringify({ ...template, build: edit(template.build) }, null, 2))
    return workspace
  }

  /** Where the key that holds `text` is in the workspace's `.pkr.json` file. */
  const keyOf = (workspace: string, text: string) => placeIn(join(workspace, 'image.pkr.json'), text)

  it("HCL2's JSON syntax (.pkr.json): the refused source of two: on that source's key, the other's AMI kept and tagged", async () => {
    const workspace = hclJsonWith()
    await expectWestRefused(() => suite.run(workspace, { template: 'image.pkr.json' }), { kept: 'amazon-ebs.east', build: 'amazon-ebs\\.west', file: 'image.pkr.json', place: keyOf(workspace, '"west": {') })
  })

  it("HCL2's JSON syntax: the refused source renamed in a named build's source object: on that object's key", async () => {
    const workspace = hclJsonWith((build) => ({ name: 'images', sources: ['source.amazon-ebs.east'], source: { 'amazon-ebs.west': { name: 'oregon' } }, 'post-processor': build['post-processor'] }))
    await expectWestRefused(() => suite.run(workspace, { template: 'image.pkr.json' }), { kept: 'images.amazon-ebs.east', build: 'images\\.amazon-ebs\\.oregon', file: 'image.pkr.json', place: keyOf(workspace, '"amazon-ebs.west": {') })
  })

  it("HCL2's JSON syntax: two build objects in a list, the second's source refused: on that source's key", async () => {
    const workspace = hclJsonWith((build) => [
      { sources: ['source.amazon-ebs.east'], 'post-processor': build['post-processor'] },
      { name: 'second', sources: ['source.amazon-ebs.west'], 'post-processor': build['post-processor'] }
    ])
    await expectWestRefused(() => suite.run(workspace, { template: 'image.pkr.json' }), { kept: 'amazon-ebs.east', build: 'second\\.amazon-ebs\\.west', file: 'image.pkr.json', place: keyOf(workspace, '"west": {') })
  })

  /** The `.pkr.json` fixture's workspace building `east` alone, with `settings` added to its source. */
  function hclJsonEast(settings: Record<string, unknown>): string {
    const workspace = hclJsonWith((build) => ({ ...build, sources: ['source.amazon-ebs.east'] }))
    const file = join(workspace, 'image.pkr.json')
    const template = JSON.parse(readFileSync(file, 'utf8')) as { source: { 'amazon-ebs': Record<string, object> } }
    const east = { ...template.source['amazon-ebs'].east, ...settings }
    writeFileSync(file, JSON.stringify({ ...template, source: { 'amazon-ebs': { ...template.source['amazon-ebs'], east } } }, null, 2))
    return workspace
  }

  it("HCL2's JSON syntax: a filter name EC2 refuses, in a source's vpc_filter: on that name in its filters", async () => {
    const workspace = hclJsonEast({ vpc_filter: { filters: { isDefault: 'true' } } })
    const result = await suite.run(workspace, { template: 'image.pkr.json' })
    expect(result.exitCode).toBe(1)
    expect(result.errors[0]).toEqual({
      message: expect.stringMatching(/^amazon-ebs\.east: Error querying VPCs: InvalidParameterValue: The filter 'isDefault' is invalid\n/),
      properties: { title: 'Packer', file: 'image.pkr.json', ...keyOf(workspace, '"isDefault"') }
    })
  })

  it("HCL2's JSON syntax: an ami_name an AMI already has, built again: on the source's ami_name", async () => {
    const workspace = hclJsonEast({ ami_name: 'fixed-pkr-json' })
    expect((await suite.run(workspace, { template: 'image.pkr.json' })).exitCode).toBe(0)
    const again = await suite.run(workspace, { template: 'image.pkr.json' })
    expect(again.exitCode).toBe(1)
    expect(again.errors[0]).toEqual({
      message: expect.stringMatching(/^amazon-ebs\.east: Error: AMI Name: 'fixed-pkr-json' is used by an existing AMI: ami-\w+$/),
      properties: { title: 'Packer', file: 'image.pkr.json', ...keyOf(workspace, '"ami_name": "fixed-pkr-json"') }
    })
  })
})
