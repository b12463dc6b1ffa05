// Two HCL2 build blocks with no name that build one source: Packer names both builds alike
// (amazon-ebs.demo) in its log and its manifest. The bundled action, the real Packer, the
// loopback EC2 endpoint: what the main step's outputs, summary and annotations say of them.
import { afterEach, beforeAll, beforeEach, expect, it } from '@jest/globals'
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { startEc2Endpoint, type Ec2Endpoint } from '../test-support/ec2-endpoint/index.js'
import { loopbackEnvironment, parseCommands, pushToMain, runAction, type ActionRun, type RunActionOptions } from './support/action-process.js'
import { renderedText } from './support/markdown.js'
import { demoWorkspace } from './support/demo.js'
import { describeWithPacker, packerVersion, until } from './support/runtimes.js'

const regions = ['us-east-1', 'eu-west-1', 'us-west-2']

describeWithPacker('two HCL2 build blocks that Packer names alike, through the bundled action with the real Packer', () => {
  let version = ''
  let endpoint: Ec2Endpoint
  let workspace: string

  beforeAll(() => {
    version = packerVersion()
  })
  beforeEach(() => {
    workspace = demoWorkspace('alike-')
  })
  afterEach(async () => {
    await endpoint?.close()
    endpoint = undefined as unknown as Ec2Endpoint
    rmSync(workspace, { recursive: true, force: true })
  })

  function options(extra: Partial<RunActionOptions> = {}): RunActionOptions {
    return {
      workspace,
      inputs: { 'packer-version': version, 'working-directory': 'hcl2', template: 'ami.pkr.hcl', 'var-file': 'loopback.pkrvars.hcl', tags: 'Team=images' },
      env: { ...pushToMain, ...loopbackEnvironment(endpoint.url, workspace) },
      ...extra
    }
  }

  /**
   * The demo template built by two build blocks of its one source with no name, each naming its
   * own AMI (`one`, then `two`), and, with `slow`, a third, named, that provisions until stopped.
   * Returns the line of the second block.
   */
  function twoUnnamedBuildBlocks(slow = false): number {
    const path = join(workspace, 'hcl2', 'ami.pkr.hcl')
    const demo = readFileSync(path, 'utf8')
    const at = demo.indexOf('source "amazon-ebs" "demo" {')
    const source = demo.slice(at, demo.indexOf('build {'))
    // Packer 1.6.6 sets in a build block only what the source block leaves unset.
    const unnamed = source.replace(/ {2}ami_name {2,}= .*\n/, '')
    expect(unnamed).not.toBe(source)
    const block = (ami: string, name?: string, provisioner: string[] = []): string[] => [
      'build {',
      ...(name === undefined ? [] : [`  name = "${name}"`]),
      '  source "amazon-ebs.demo" {',
      `    ami_name = "${ami}-\${local.build_stamp}"`,
      '  }',
      ...provisioner,
      '  post-processor "manifest" {}',
      '}'
    ]
    const waits = ['  provisioner "shell-local" {', `    inline = ["touch ${join(workspace, 'provisioning')}", "sleep 60"]`, '  }']
    const head = demo.slice(0, at) + unnamed
    const first = block('one')
    writeFileSync(path, head + [...first, ...block('two'), ...(slow ? block('three', 'slow', waits) : []), ''].join('\n'))
    return head.split('\n').length + first.length
  }

  /** The AMIs whose ami_name begins `prefix`, by region. */
  const amisNamed = (prefix: string): Record<string, string> =>
    Object.fromEntries(regions.flatMap((region) => endpoint.images(region).filter((image) => image.name.startsWith(`${prefix}-`)).map((image) => [region, image.imageId])))

  /** The resources (AMIs, snapshots) a CreateTags call gave the input's tag Team=images. */
  const taggedByTheAction = (): string[] =>
    endpoint.callsOf('CreateTags').flatMap(({ params }) => {
      const tagged = Object.keys(params).some((key) => /^Tag\.\d+\.Key$/.test(key) && params[key] === 'Team' && params[key.replace('Key', 'Value')] === 'images')
      return tagged ? Object.keys(params).filter((key) => key.startsWith('ResourceId.')).map((key) => params[key]) : []
    })

  /** The snapshots of the AMIs of `amis` (region to AMI ID). */
  const snapshotsOf = (amis: Record<string, string>): string[] =>
    Object.entries(amis).flatMap(([region, amiId]) =>
      (endpoint.images(region).find((image) => image.imageId === amiId)?.blockDeviceMappings ?? []).flatMap((device) => (device.snapshotId ? [device.snapshotId] : []))
    )

  /**
   * What the outputs, the summary and the annotations say of the two builds (`one`, `two`: each
   * one's AMIs by region): each apart, each AMI once; the warning on the second build block's line.
   */
  function expectKeptApart(run: ActionRun, line: number): void {
    const [one, two] = [amisNamed('one'), amisNamed('two')]
    expect([one, two].map((amis) => Object.keys(amis).sort())).toEqual([[...regions].sort(), [...regions].sort()])
    const builds = JSON.parse(run.outputs.builds) as Record<string, Record<string, string>>
    // Nothing Packer writes tells which block made which: the first to finish keeps the name.
    expect(Object.keys(builds)).toEqual(['amazon-ebs.demo', 'amazon-ebs.demo#2'])
    expect([builds['amazon-ebs.demo'], builds['amazon-ebs.demo#2']]).toEqual(expect.arrayContaining([one, two]))
    expect(JSON.parse(run.outputs['ami-ids'])).toEqual(builds['amazon-ebs.demo'])
    expect(run.outputs['ami-id']).toBe(builds['amazon-ebs.demo']['us-east-1'])
    const artifacts = JSON.parse(run.outputs.artifacts) as Array<{ build: string; region: string; amiId: string }>
    expect(artifacts).toHaveLength(6)
    for (const [build, amis] of Object.entries(builds)) {
      for (const [region, amiId] of Object.entries(amis)) {
        expect(artifacts.filter((artifact) => artifact.amiId === amiId)).toEqual([expect.objectContaining({ build, region, amiId })])
        expect(run.summary.split(`| ${region} | [\`${amiId}\`](`)).toHaveLength(2)
      }
    }
    expect(renderedText(run.summary)).toContain('amazon-ebs.demo#2 (amazon-ebs)')
    const alike = parseCommands(run.stdout, 'warning').filter(({ message }) => message.startsWith('Packer gives 2 builds one name, amazon-ebs.demo'))
    expect(alike).toHaveLength(1)
    expect(alike[0].properties).toMatchObject({ file: 'hcl2/ami.pkr.hcl', line: String(line) })
    expect(alike[0].message).toContain('in the order they finished: amazon-ebs.demo, then amazon-ebs.demo#2.')
    expect(alike[0].message).toContain('Give each build block a name of its own (name = "…")')
  }

  it("a normal run: outputs builds and artifacts, the summary and the tags hold both builds' AMIs apart, with one warning on the second block", async () => {
    endpoint = await startEc2Endpoint({ regions })
    const line = twoUnnamedBuildBlocks()
    const run = await runAction(options())
    expect(run.exitCode).toBe(0)
    expectKeptApart(run, line)
    const tagged = taggedByTheAction()
    for (const amis of [amisNamed('one'), amisNamed('two')]) {
      expect(tagged).toEqual(expect.arrayContaining([...Object.values(amis), ...snapshotsOf(amis)]))
      expect(snapshotsOf(amis)).toHaveLength(3)
    }
  })

  it('cancelled after both finished: the outputs and the summary hold all 6 AMIs the message counts, each build apart', async () => {
    endpoint = await startEc2Endpoint({ regions })
    const line = twoUnnamedBuildBlocks(true)
    const marker = join(workspace, 'provisioning')
    const run = await runAction(
      options({
        onStart: (child, stdoutSoFar) => {
          const both = (): boolean => stdoutSoFar().split("Build 'amazon-ebs.demo' finished").length === 3 && existsSync(marker)
          void until(both, 'both unnamed builds to finish while slow provisions').then(() => child.kill('SIGINT'))
        }
      })
    )
    expect(run.exitCode).toBe(1)
    expect(run.errors.map(({ message }) => message)).toContain('The build was cancelled after Packer made 6 AMI(s): they are in the outputs and the summary.')
    expectKeptApart(run, line)
  })
})
