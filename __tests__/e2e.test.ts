// The whole job, as a user gets it: the bundled dist/index.js run as the runner runs it, the
// real Packer building the demo templates, and the AWS SDK tagging through real HTTP, all
// against the loopback EC2 endpoint.
import { afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals'
import { cpSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { parse } from 'yaml'
import { startEc2Endpoint, type Ec2Endpoint } from '../test-support/ec2-endpoint/index.js'
import {
  distLoaded,
  distLoadedProbe,
  loopbackEnvironment,
  parseCommands,
  projectRoot,
  pushToMain,
  runAction,
  type ActionRun
} from './support/action-process.js'
import { demoWorkspace, withTwoBuilds } from './support/demo.js'
import { headingsOf, linksOf, tableRows } from './support/markdown.js'
import { readActionYml } from './support/action-yml.js'
import { evaluate } from './support/expressions.js'
import { groupLines } from './support/workflow-commands.js'
import { describeWithPacker, nodeRuntimes, packerVersion, until } from './support/runtimes.js'

const regions = ['us-east-1', 'eu-west-1', 'us-west-2']
const runner = pushToMain
const provenance = {
  SourceRepository: 'acme/images',
  SourceCommit: runner.GITHUB_SHA,
  SourceRef: 'refs/heads/main',
  BuildEvent: 'push',
  BuildActor: 'octocat',
  BuildRunUrl: 'https://github.com/acme/images/actions/runs/4242/attempts/1'
}

describeWithPacker('the action with the real Packer against a loopback EC2 endpoint', () => {
  let version = ''
  let endpoint: Ec2Endpoint
  let workspace: string

  beforeAll(() => {
    version = packerVersion()
  })
  beforeEach(async () => {
    endpoint = await startEc2Endpoint({ regions })
    workspace = demoWorkspace('e2e-')
  })
  afterEach(async () => {
    await endpoint.close()
    rmSync(workspace, { recursive: true, force: true })
  })

  function run(
    inputs: Record<string, string>,
    options: { node?: string; env?: Record<string, string>; nodeArgs?: string[] } = {}
  ): Promise<ActionRun> {
    return runAction({
      workspace,
      node: options.node,
      nodeArgs: options.nodeArgs,
      inputs: { 'packer-version': version, ...inputs },
      env: {
        ...runner,
        ...loopbackEnvironment(endpoint.url, workspace),
        ...options.env
      }
    })
  }

  /** The action's own CreateTags calls: those that carry the provenance tags. */
  function actionCreateTags(region?: string) {
    return endpoint
      .callsOf('CreateTags', region)
      .filter((call) => Object.values(call.params).includes('SourceCommit'))
  }

  function expectTaggedEverywhere(amiIdsByRegion: Record<string, string>, userTags: Record<string, string>): void {
    for (const [region, amiId] of Object.entries(amiIdsByRegion)) {
      const image = endpoint.images(region).find((candidate) => candidate.imageId === amiId)
      expect(image).toBeDefined()
      expect(image?.tags).toMatchObject({ ...provenance, ...userTags, BuildTime: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/) })
      const snapshotIds = image?.blockDeviceMappings.map((device) => device.snapshotId) ?? []
      expect(snapshotIds.length).toBeGreaterThan(0)
      for (const snapshotId of snapshotIds) {
        expect(endpoint.tagsOf(region, snapshotId as string)).toMatchObject({ ...provenance, ...userTags })
      }
    }
  }

  describe.each(nodeRuntimes())('under $name', (runtime) => {
    it('builds the JSON template into 3 regions and tags every AMI and snapshot', async () => {
      const result = await run(
        { 'working-directory': 'json', tags: 'Team=platform\nCostCenter=42' },
        { node: runtime.path }
      )
      expect(result.errors).toEqual([])
      expect(result.exitCode).toBe(0)
      expect(result.stdout).toContain('var-file is empty: using packer-vars.json, found beside the template.')

      const amiIds = JSON.parse(result.outputs['ami-ids']) as Record<string, string>
      expect(Object.keys(amiIds).sort()).toEqual([...regions].sort())
      expect(result.outputs['ami-id']).toBe(amiIds['us-east-1'])
      expect(JSON.parse(result.outputs.artifacts)).toHaveLength(3)
      expect(result.outputs['packer-version']).toBe(version)
      expect(result.outputs['run-uuid']).toMatch(/^[0-9a-f-]{36}$/)
      expectTaggedEverywhere(amiIds, { Team: 'platform', CostCenter: '42' })

      for (const region of regions) expect(actionCreateTags(region)).toHaveLength(1)
      expect(endpoint.instances('us-east-1').map((instance) => instance.state)).toEqual(['terminated'])

      for (const [region, amiId] of Object.entries(amiIds)) {
        expect(result.summary).toContain(`| ${region} | [\`${amiId}\`](https://${region}.console.aws.amazon.com/`)
      }
      expect(result.summary).toContain(`Packer ${version}`)
      expect(result.summary).toContain('[`c0ffee0`](https://github.com/acme/images/commit/')
    })

    it('with Packer on PATH, no HTTP client loads before Packer validates; once Packer has built, no more of Node loads', async () => {
      const probe = join(projectRoot, 'test-support', 'builtins-loaded.mjs')
      const loadedFile = join(workspace, '.builtins-loaded.json')
      const result = await run(
        { 'working-directory': 'json', tags: 'Team=platform' },
        { node: runtime.path, nodeArgs: ['--import', probe], env: { BUILTINS_LOADED_FILE: loadedFile } }
      )
      expect(result.exitCode).toBe(0)
      expect(result.stdout).toContain(`Using Packer ${version} already on PATH`)
      expectTaggedEverywhere(JSON.parse(result.outputs['ami-ids']) as Record<string, string>, { Team: 'platform' })
      const loaded = JSON.parse(readFileSync(loadedFile, 'utf8')) as { beforeValidate: string[]; afterBuild: string[] }
      // Tagging loads them while Packer builds; the Packer on PATH is used without a download.
      expect(loaded.beforeValidate.filter((name) => /^NativeModule (http|https|tls|_http_client)$/.test(name))).toEqual([])
      // Tagging and the summary find what they need loaded while Packer built; but the SDK loads
      // node:http on its first call to an http:// endpoint, which only the loopback one is (AWS's
      // are https://, whose module loads with the SDK).
      expect(loaded.afterBuild.filter((name) => name !== 'NativeModule http')).toEqual([])
    })
  })

  it("under Node 24, with Packer on PATH, a run loads only dist/'s files it needs: dist/index.js alone to an input error, the parser's WebAssembly only for HCL2", async () => {
    // What the bench's "What a run loads" rows count, from the same probe and reader.
    const node24 = nodeRuntimes().at(-1)?.path
    const loadedBy = async (inputs: Record<string, string>, expectedExit: number) => {
      const loadedFile = join(workspace, `.dist-loaded-${inputs.command ?? inputs['working-directory']}.json`)
      const result = await run(inputs, {
        node: node24,
        nodeArgs: ['--import', distLoadedProbe],
        env: { DIST_LOADED_FILE: loadedFile }
      })
      expect(result.exitCode).toBe(expectedExit)
      return distLoaded(loadedFile, join(projectRoot, 'dist'))
    }
    const sizeInDist = (paths: string[]) => paths.reduce((sum, path) => sum + statSync(join(projectRoot, 'dist', path)).size, 0)

    const cold = await loadedBy({ command: 'nope' }, 1)
    expect(cold.paths).toEqual(['index.js'])
    expect(cold.javaScript).toEqual({ files: 1, bytes: sizeInDist(['index.js']) })
    expect(cold.webAssembly).toEqual({ files: 0, bytes: 0 })

    const json = await loadedBy({ 'working-directory': 'json' }, 0)
    // The job and its tagging stage; not OpenPGP (which verifies a download), the plugin cache, the
    // HCL parser, the proxy's agents, or the AWS calls' debug lines (a re-run with debug logging only).
    expect(json.paths).toEqual(expect.arrayContaining(['index.js', 'main.js', 'stages/packer-on-path.js', 'stages/tagging.js']))
    for (const stage of ['signing-key', 'plugin-cache', 'hcl-parser', 'aws-proxy', 'aws-call-log']) expect(json.paths).not.toContain(`stages/${stage}.js`)
    expect(json.paths.filter((path) => /openpgp/i.test(readFileSync(join(projectRoot, 'dist', path), 'utf8')))).toEqual([])
    expect(json.webAssembly).toEqual({ files: 0, bytes: 0 })
    expect(json.javaScript).toEqual({ files: json.paths.length, bytes: sizeInDist(json.paths) })
    expect(json.javaScript.files).toBeLessThan(json.dist.javaScript.files)

    const hcl2 = await loadedBy({ 'working-directory': 'hcl2', template: 'ami.pkr.hcl', 'var-file': 'loopback.pkrvars.hcl' }, 0)
    expect(hcl2.paths).toEqual(expect.arrayContaining(['stages/hcl-parser.js', 'hcl/web-tree-sitter.wasm.br', 'hcl/tree-sitter-hcl.wasm.br']))
    expect(hcl2.webAssembly).toEqual(hcl2.dist.webAssembly)
    expect(hcl2.dist.webAssembly).toEqual({ files: 2, bytes: sizeInDist(['hcl/web-tree-sitter.wasm.br', 'hcl/tree-sitter-hcl.wasm.br']) })
    expect(hcl2.javaScript.bytes).toBeGreaterThan(json.javaScript.bytes)
  })

  it('builds the HCL2 template and tags every AMI and snapshot', async () => {
    const result = await run({ 'working-directory': 'hcl2', template: 'ami.pkr.hcl', 'var-file': 'loopback.pkrvars.hcl' })
    expect(result.errors).toEqual([])
    expect(result.exitCode).toBe(0)
    const amiIds = JSON.parse(result.outputs['ami-ids']) as Record<string, string>
    expect(Object.keys(amiIds).sort()).toEqual([...regions].sort())
    expectTaggedEverywhere(amiIds, {})
    expect(JSON.parse(result.outputs.artifacts)[0]).toMatchObject({ build: 'amazon-ebs.demo', builderType: 'amazon-ebs' })
    // The template as the repository names it, not as the template input alone does.
    expect(result.summary).toContain(`Template \`hcl2/ami.pkr.hcl\` · Packer ${version}`)
    expect(result.stdout).toContain('packer validate: hcl2/ami.pkr.hcl is valid.')
    // What tagging did is in its group of the log, not after it.
    expect(groupLines(result.stdout, 'Tag AMIs and snapshots')).toEqual(
      expect.arrayContaining(regions.map((region) => expect.stringMatching(new RegExp(`^${region}: tagged ${amiIds[region]}\\b`))))
    )
  })

  it("a JSON builder whose name holds a comma, without a manifest: its AMIs are read from Packer's output under that name, and tagged", async () => {
    // Packer writes a line's target as it is (`…,web,blue,artifact,0,id,…`): only its data is escaped.
    const path = join(workspace, 'json', 'packer-template.json')
    const template = JSON.parse(readFileSync(path, 'utf8'))
    template.builders[0].name = 'web,blue'
    delete template['post-processors']
    writeFileSync(path, JSON.stringify(template, null, 2))
    const result = await run({ 'working-directory': 'json' })
    expect(result.errors).toEqual([])
    expect(result.exitCode).toBe(0)
    const builds = JSON.parse(result.outputs.builds) as Record<string, Record<string, string>>
    expect(Object.keys(builds)).toEqual(['web,blue'])
    expect(Object.keys(builds['web,blue']).sort()).toEqual([...regions].sort())
    expect(JSON.parse(result.outputs['ami-ids'])).toEqual(builds['web,blue'])
    expect(JSON.parse(result.outputs.artifacts)[0]).toMatchObject({ build: 'web,blue', builderType: 'amazon-ebs' })
    expectTaggedEverywhere(builds['web,blue'], {})
    for (const [region, amiId] of Object.entries(builds['web,blue'])) {
      expect(endpoint.tagsOf(region, amiId)).toMatchObject({ PackerBuild: 'amazon-ebs web,blue' })
    }
  })

  it('JSON builders named constructor and toString: output builds has each, with its regions', async () => {
    // A JSON builder's name is any text: these are names every JavaScript object already has.
    withTwoBuilds(workspace, ['constructor', 'toString'])
    const result = await run({ 'working-directory': 'json' })
    expect(result.errors).toEqual([])
    expect(result.exitCode).toBe(0)
    const builds = JSON.parse(result.outputs.builds) as Record<string, Record<string, string>>
    expect(Object.keys(builds)).toEqual(['constructor', 'toString'])
    expect(builds.constructor).toEqual(JSON.parse(result.outputs['ami-ids']))
    expect(Object.keys(builds.constructor).sort()).toEqual([...regions].sort())
    const artifacts = JSON.parse(result.outputs.artifacts) as Array<{ build: string; region: string; amiId: string }>
    expect(builds.toString).toEqual({ 'us-east-1': artifacts.find((ami) => ami.build === 'toString')?.amiId })
  })

  it('a JSON builder named toString alone: the summary counts its tags as any build\'s', async () => {
    // One build is one family: it has no tags of its own, and its name finds none.
    const path = join(workspace, 'json', 'packer-template.json')
    const template = JSON.parse(readFileSync(path, 'utf8'))
    template.builders[0].name = 'toString'
    writeFileSync(path, JSON.stringify(template, null, 2))
    const result = await run({ 'working-directory': 'json' })
    expect(result.exitCode).toBe(0)
    const rows = result.summary.split('\n').filter((line) => line.includes('console.aws.amazon.com'))
    expect(rows).toHaveLength(3)
    // The action's 11, and the template's Name and SourceAMI.
    for (const row of rows) expect(row).toMatch(/\| 11 added, 13 in all \|$/)
  })

  it("HCL2: a build block whose name holds a comma, beside another build, without a manifest: its AMIs are read under its name", async () => {
    // With two builds, packer inspect lists them before the build, under the names Packer gives their lines.
    const path = join(workspace, 'hcl2', 'ami.pkr.hcl')
    const text = readFileSync(path, 'utf8').replace('post-processor "manifest" {}', '')
    const source = /source "amazon-ebs" "demo" \{[^]*?\n\}\n/.exec(text)?.[0] as string
    const blue = source.replace('"demo"', '"blue"').replace('"${var.ami_name_prefix}-', '"blue-')
    writeFileSync(path, `${text}\n${blue}\nbuild {\n  name    = "web,blue"\n  sources = ["source.amazon-ebs.blue"]\n}\n`)
    const result = await run({ 'working-directory': 'hcl2', template: 'ami.pkr.hcl', 'var-file': 'loopback.pkrvars.hcl' })
    expect(result.errors).toEqual([])
    expect(result.exitCode).toBe(0)
    const builds = JSON.parse(result.outputs.builds) as Record<string, Record<string, string>>
    expect(Object.keys(builds)).toEqual(['amazon-ebs.demo', 'web,blue.amazon-ebs.blue'])
    expect(Object.keys(builds['web,blue.amazon-ebs.blue']).sort()).toEqual([...regions].sort())
    expectTaggedEverywhere(builds['web,blue.amazon-ebs.blue'], {})
    for (const [region, amiId] of Object.entries(builds['web,blue.amazon-ebs.blue'])) {
      expect(endpoint.tagsOf(region, amiId)).toMatchObject({ PackerBuild: 'amazon-ebs web,blue.amazon-ebs.blue' })
    }
  })

  it('HCL2: the only build, named with a comma, without a manifest: packer inspect tells its name, and its AMIs are read under it', async () => {
    const path = join(workspace, 'hcl2', 'ami.pkr.hcl')
    const text = readFileSync(path, 'utf8').replace('post-processor "manifest" {}', '')
    writeFileSync(path, text.replace('build {\n', 'build {\n  name = "web,blue"\n'))
    const result = await run({ 'working-directory': 'hcl2', template: 'ami.pkr.hcl', 'var-file': 'loopback.pkrvars.hcl' })
    expect(result.errors).toEqual([])
    expect(result.exitCode).toBe(0)
    const builds = JSON.parse(result.outputs.builds) as Record<string, Record<string, string>>
    expect(Object.keys(builds)).toEqual(['web,blue.amazon-ebs.demo'])
    expect(Object.keys(builds['web,blue.amazon-ebs.demo']).sort()).toEqual([...regions].sort())
    expectTaggedEverywhere(builds['web,blue.amazon-ebs.demo'], {})
  })

  it("a tags entry replaces a provenance tag; one of the action's own is refused before the build where keep-images or reuse goes by it", async () => {
    const result = await run({ 'working-directory': 'json', tags: 'SourceRef=release' })
    expect(result.exitCode).toBe(0)
    expect(endpoint.tagsOf('us-east-1', result.outputs['ami-id'])).toMatchObject({
      SourceRef: 'release',
      ImageFamily: 'acme/images/json/packer-template.json/amazon-ebs',
      BuildFingerprint: expect.stringMatching(/^[0-9a-f]{64}$/)
    })
    const calls = endpoint.calls.length
    const refused = await run({ 'working-directory': 'json', tags: 'SourceRef=release\nImageFamily=mine\nBuildFingerprint=mine', 'keep-images': '2', reuse: 'true' })
    expect(refused.exitCode).toBe(1)
    expect(refused.errors.map((error) => error.message)).toEqual([
      "tags: ImageFamily is the action's own tag, which keep-images goes by; set image-family: mine instead of the tags entry",
      "tags: BuildFingerprint is the action's own, which reuse goes by; remove the tags entry, or set reuse: false to write it yourself"
    ])
    expect(endpoint.calls.length).toBe(calls)
  })

  it("tags that, with the template's own, pass EC2's 50: refused on the template's tags before anything is built", async () => {
    // The demo template gives its AMIs Name and SourceAMI; the action adds 7 provenance tags and ImageFamily and the fingerprint's 3.
    const tags = Array.from({ length: 38 }, (_, i) => `Team${i}=platform`).join('\n')
    const calls = endpoint.calls.length
    const result = await run({ 'working-directory': 'json', tags })
    expect(result.exitCode).toBe(1)
    expect(JSON.parse(result.outputs['ami-ids'])).toEqual({})
    expect(result.errors[0]).toEqual({
      message: expect.stringMatching(
        /^template: json\/packer-template\.json: build amazon-ebs would get 51 tags on its AMI, and EC2 allows at most 50: 2 the template writes in its tags, 49 the action adds /
      ),
      properties: expect.objectContaining({ title: 'Invalid input', file: 'json/packer-template.json' })
    })
    expect(endpoint.calls.length).toBe(calls)
  })

  it('a home region the build made no AMI in: ami-id is the AMI of the region it built in, and a notice says so', async () => {
    // The demo builds in us-east-1 (its var file's aws_region) and copies to eu-west-1, first alphabetically.
    const result = await run({ 'working-directory': 'json', 'aws-region': 'ap-south-1' })
    expect(result.exitCode).toBe(0)
    const amiIds = JSON.parse(result.outputs['ami-ids']) as Record<string, string>
    expect(result.outputs['ami-id']).toBe(amiIds['us-east-1'])
    expect(parseCommands(result.stdout, 'notice').map(({ message }) => message)).toContainEqual(
      `ami-id is ${amiIds['us-east-1']} in us-east-1, the region build amazon-ebs made its AMI in (its region setting), of which its AMIs in its other regions are copies: ` +
        "it made no AMI in ap-south-1, the home region. Output ami-ids has each region's."
    )
  })

  it('a template that names no region builds in aws-region, with neither AWS_REGION nor AWS_DEFAULT_REGION set', async () => {
    // The demo's region is its aws_region variable; left empty, Packer takes the region of its environment.
    const launched = endpoint.callsOf('RunInstances').length
    const result = await run({ 'working-directory': 'json', 'aws-region': 'eu-west-1', variables: 'aws_region=\nami_regions=' }, { env: { AWS_REGION: '' } })
    expect(result.exitCode).toBe(0)
    expect(JSON.parse(result.outputs['ami-ids'])).toEqual({ 'eu-west-1': result.outputs['ami-id'] })
    expect(endpoint.callsOf('RunInstances').slice(launched).map(({ region }) => region)).toEqual(['eu-west-1'])
  })

  it('a template that names no region, in a step with none: Packer\'s MissingRegion on the builder, saying where a region goes', async () => {
    const result = await run({ 'working-directory': 'json', variables: 'aws_region=\nami_regions=' }, { env: { AWS_REGION: '' } })
    expect(result.exitCode).toBe(1)
    expect(result.errors[0]).toEqual({
      // Packer says it of the first call that needs the region: the source AMI's look-up here.
      message: expect.stringMatching(/^amazon-ebs: .*MissingRegion: could not find region configuration\nThe builder names no region, and the step has none/),
      properties: expect.objectContaining({ file: 'json/packer-template.json', line: '12' })
    })
  })

  it('command: validate makes no EC2 call at all', async () => {
    const result = await run({ 'working-directory': 'json', command: 'validate' })
    expect(result.exitCode).toBe(0)
    expect(endpoint.calls).toEqual([])
    expect(result.outputs['ami-id']).toBeUndefined()
  })

  it("every JSON output parses with fromJSON, as the README reads them: after validate, and after a build without keep-images or launch-template", async () => {
    const jsonOutputs = Object.entries(readActionYml().outputs)
      .filter(([, output]) => output.description.startsWith('JSON'))
      .map(([name]) => name)
    expect(jsonOutputs.sort()).toEqual(['ami-ids', 'artifacts', 'builds', 'deregistered', 'launch-template-versions'])
    // As a later step reads them; GitHub's fromJSON fails the step on an empty string.
    const read = (outputs: Record<string, string>, name: string): unknown =>
      JSON.parse(evaluate(`toJSON(fromJSON(steps.ami.outputs.${name}))`, { steps: { ami: { outputs } } }).coerceString())
    const validated = await run({ 'working-directory': 'json', command: 'validate' })
    expect(validated.exitCode).toBe(0)
    expect(Object.fromEntries(jsonOutputs.map((name) => [name, read(validated.outputs, name)]))).toEqual({
      'ami-ids': {},
      artifacts: [],
      builds: {},
      deregistered: [],
      'launch-template-versions': {}
    })
    const built = await run({ 'working-directory': 'json' })
    expect(built.exitCode).toBe(0)
    expect(read(built.outputs, 'ami-ids')).toEqual(JSON.parse(built.outputs['ami-ids']))
    expect(Object.keys(read(built.outputs, 'ami-ids') as object).sort()).toEqual([...regions].sort())
    expect(read(built.outputs, 'deregistered')).toEqual([])
    expect(read(built.outputs, 'launch-template-versions')).toEqual({})
  })

  it("the README's pull-request recipe validates examples/json with no AWS credentials, its region check on", async () => {
    const section = readFileSync(join(projectRoot, 'README.md'), 'utf8').split('\n### Validate on pull requests\n')[1]
    const recipe = parse(/```yaml\n([\s\S]*?)```/.exec(section)?.[1] ?? '') as {
      jobs: Record<string, { steps: Array<{ uses?: string; with?: Record<string, unknown> }> }>
    }
    const step = Object.values(recipe.jobs)
      .flatMap((job) => job.steps)
      .find((candidate) => /\/packer-ami-action@/.test(candidate.uses ?? ''))
    const inputs = Object.fromEntries(Object.entries(step?.with ?? {}).map(([name, value]) => [name, String(value)]))
    expect(inputs.command).toBe('validate')
    cpSync(join(projectRoot, 'examples', 'json'), join(workspace, inputs['working-directory']), { recursive: true })
    // The runner's environment without any AWS variable: a call to AWS would find no credentials.
    const result = await runAction({
      workspace,
      inputs: { ...inputs, 'packer-version': version },
      env: { ...runner, HOME: join(workspace, '.home'), CHECKPOINT_DISABLE: '1', AWS_EC2_METADATA_DISABLED: 'true' }
    })
    expect(result.errors).toEqual([])
    expect(result.warnings).toEqual([])
    expect(result.exitCode).toBe(0)
    expect(result.stdout).toContain(`packer validate: ${inputs['working-directory']}/${inputs.template} is valid.`)
  })

  // An HCL2 template Packer refuses, each problem annotated where it is: the demo template with
  // each `from` replaced by its `to`, and an error on the line (and column) of each `marker`.
  interface Problem {
    marker: string
    says: RegExp
    column?: string
  }
  const refusedHcl2: Array<{ name: string; edits: Array<[from: string, to: string]>; problems: Problem[] }> = [
    {
      name: 'an unknown argument in a source block',
      edits: [['  communicator ', '  bogus_setting = 1\n  communicator ']],
      problems: [{ marker: 'bogus_setting', says: /An argument named "bogus_setting" is not expected here/ }]
    },
    {
      name: "an unknown argument in a provisioner, on its own line rather than the block's",
      edits: [
        [
          '  post-processor "manifest" {}',
          '  provisioner "shell-local" {\n    inline = ["true"]\n    scirpt = "x.sh"\n  }\n\n  post-processor "manifest" {}'
        ]
      ],
      problems: [{ marker: 'scirpt', says: /An argument named "scirpt" is not/, column: '5' }]
    },
    {
      name: "each problem a provisioner's plugin finds, on the setting whose value it quotes, else on the provisioner",
      edits: [
        [
          '  post-processor "manifest" {}',
          '  provisioner "shell" {\n    inline = ["true"]\n    script = "missing.sh"\n  }\n\n  post-processor "manifest" {}'
        ],
        // Through a variable: a literal "none" with a shell provisioner is refused before Packer validates.
        ['communicator           = "none"', 'communicator           = var.communicator'],
        ['locals {', 'variable "communicator" {\n  default = "none"\n}\n\nlocals {']
      ],
      problems: [
        { marker: 'provisioner "shell"', says: /^Only a script file or an inline script can be specified, not both\.$/ },
        { marker: 'missing.sh', says: /^Bad script 'missing\.sh': /, column: '14' }
      ]
    },
    {
      name: "a setting the builder refuses, on its own line rather than the source block's",
      edits: [['  communicator ', '  ssh_timeout = "soon"\n  communicator ']],
      problems: [{ marker: 'ssh_timeout', says: /^error decoding 'ssh_timeout': time: invalid duration "?soon"?$/, column: '3' }]
    },
    {
      name: 'two problems that Packer reports as one error, each on its own line',
      edits: [
        ['  communicator ', '  bogus_setting = 1\n  communicator '],
        ['var.instance_type', 'var.instance_tpye']
      ],
      problems: [
        // The place is the annotation's: not said again, nor Packer's `(source code not available)` under it.
        { marker: 'bogus_setting', says: /^Error: Unsupported argument\n\nAn argument named "bogus_setting" is not expected here/ },
        { marker: 'instance_tpye', says: /^var\.instance_tpye: the template declares no variable "instance_tpye" \(.*\) in any of its files\. Did you mean "var\.instance_type"\?$/ }
      ]
    },
    {
      // Packer names no place for it: the second declaration is the one it refuses.
      name: 'a variable declared twice in one file, on the second declaration',
      edits: [['locals {', 'variable "instance_type" { # again\n  type = string\n}\n\nlocals {']],
      problems: [{ marker: '# again', says: /^Duplicate variable\n\nDuplicate instance_type variable definition found\. Declared first at ami\.pkr\.hcl line \d+\.$/, column: '1' }]
    }
  ]
  for (const { name, edits, problems } of refusedHcl2) {
    it(`an HCL2 template Packer refuses fails in validate, annotated on the file and line: ${name}`, async () => {
      const path = join(workspace, 'hcl2', 'ami.pkr.hcl')
      writeFileSync(path, edits.reduce((text, [from, to]) => text.replace(from, to), readFileSync(path, 'utf8')))
      const lineOf = (marker: string): string =>
        String(readFileSync(path, 'utf8').split('\n').findIndex((text) => text.includes(marker)) + 1)
      const result = await run({ 'working-directory': 'hcl2', template: 'ami.pkr.hcl', 'var-file': 'loopback.pkrvars.hcl' })
      expect(result.exitCode).toBe(1)
      // In the file's order of lines, whatever order Packer lists them in.
      const inFileOrder = [...problems].sort((a, b) => Number(lineOf(a.marker)) - Number(lineOf(b.marker)))
      expect(result.errors.slice(0, -1)).toEqual(
        inFileOrder.map(({ marker, says, column }) => ({
          message: expect.stringMatching(says),
          properties: expect.objectContaining({ file: 'hcl2/ami.pkr.hcl', line: lineOf(marker), ...(column ? { col: column } : {}) })
        }))
      )
      expect(endpoint.calls).toEqual([])
    })
  }

  it('an HCL2 template in a folder whose name holds a space is annotated on the line Packer names', async () => {
    // Packer writes the file as it read it: `on my images/ami.pkr.hcl line 7:`.
    const folder = join(workspace, 'hcl2', 'my images')
    mkdirSync(folder)
    const text = readFileSync(join(workspace, 'hcl2', 'ami.pkr.hcl'), 'utf8').replace('  communicator ', '  bogus_setting = 1\n  communicator ')
    writeFileSync(join(folder, 'ami.pkr.hcl'), text)
    const line = String(text.split('\n').findIndex((written) => written.includes('bogus_setting')) + 1)
    const result = await run({ 'working-directory': 'hcl2', template: 'my images/ami.pkr.hcl', 'var-file': 'loopback.pkrvars.hcl' })
    expect(result.exitCode).toBe(1)
    expect(result.errors.slice(0, -1)).toEqual([
      {
        message: expect.stringMatching(/^Error: Unsupported argument\n.*"bogus_setting" is not expected here/s),
        properties: expect.objectContaining({ file: 'hcl2/my images/ami.pkr.hcl', line })
      }
    ])
  })

  it('an input variable the HCL2 template does not declare fails before Packer is installed, naming the input', async () => {
    const result = await run({
      'working-directory': 'hcl2',
      template: 'ami.pkr.hcl',
      'var-file': 'loopback.pkrvars.hcl',
      variables: 'instance_tpye=t3.small\nami_name_prefix=web'
    })
    expect(result.exitCode).toBe(1)
    expect(result.errors.map((error) => error.message)).toEqual([
      expect.stringMatching(/^variables: "instance_tpye" is not a variable of ami\.pkr\.hcl \(did you mean "instance_type"\?\): expected one it declares \(.*instance_type.*\)$/)
    ])
    expect(result.stdout).not.toContain('::group::Install Packer')
    expect(endpoint.calls).toEqual([])
  })

  it('a JSON template that does not parse fails before Packer runs, pointing at the line', async () => {
    const path = join(workspace, 'json', 'packer-template.json')
    writeFileSync(path, readFileSync(path, 'utf8').replace('"communicator": "none",', '"communicator": "none",,'))
    const line = readFileSync(path, 'utf8').split('\n').findIndex((text) => text.includes(',,')) + 1
    const result = await run({ 'working-directory': 'json' })
    expect(result.exitCode).toBe(1)
    expect(result.errors).toHaveLength(1)
    expect(result.errors[0].properties).toMatchObject({ file: 'json/packer-template.json', line: String(line) })
    expect(result.stdout).not.toContain('::group::Install Packer')
    expect(endpoint.calls).toEqual([])
  })

  it('a JSON template Packer refuses fails in validate with an annotation on the line of each key it names', async () => {
    const path = join(workspace, 'json', 'packer-template.json')
    const template = JSON.parse(readFileSync(path, 'utf8'))
    template.builders[0].instance_typo = 't3.micro'
    template['post-processors'] = [{ type: 'manifest', strip_paht: true }]
    writeFileSync(path, JSON.stringify(template, null, 2))
    const lineOf = (key: string): string =>
      String(readFileSync(path, 'utf8').split('\n').findIndex((text) => text.includes(`"${key}"`)) + 1)
    const result = await run({ 'working-directory': 'json' })
    expect(result.exitCode).toBe(1)
    const build = template.builders[0].name ?? template.builders[0].type
    expect(result.errors.slice(0, -1)).toEqual([
      {
        message: `Build "${build}": unknown configuration key: '"instance_typo"'`,
        properties: expect.objectContaining({ title: 'Packer', file: 'json/packer-template.json', line: lineOf('instance_typo') })
      }
    ])
    expect(result.errors.at(-1)?.message).toBe('packer validate found problems in json/packer-template.json (see the errors above); nothing was built.')
    // Fixed, the next problem Packer finds is pointed at in turn.
    delete template.builders[0].instance_typo
    writeFileSync(path, JSON.stringify(template, null, 2))
    const again = await run({ 'working-directory': 'json' })
    expect(again.errors[0]).toEqual({
      message: `Build "${build}": unknown configuration key: '"strip_paht"'`,
      properties: expect.objectContaining({ file: 'json/packer-template.json', line: lineOf('strip_paht') })
    })
    expect(endpoint.calls).toEqual([])
  })

  it("Packer's warnings about a JSON template are annotated once each, on the key they name, and the build goes on", async () => {
    const path = join(workspace, 'json', 'packer-template.json')
    const template = JSON.parse(readFileSync(path, 'utf8'))
    template.builders[0].spot_price_auto_product = 'Linux/UNIX'
    writeFileSync(path, JSON.stringify(template, null, 2))
    const line = String(readFileSync(path, 'utf8').split('\n').findIndex((text) => text.includes('"spot_price_auto_product"')) + 1)
    const result = await run({ 'working-directory': 'json' })
    expect(result.errors).toEqual([])
    expect(result.exitCode).toBe(0)
    // Validate and the build both say it: it is annotated once.
    expect(parseCommands(result.stdout, 'warning')).toEqual([
      {
        message: expect.stringMatching(/^Build "[^"]+": spot_price_auto_product is deprecated and no longer necessary for Packer builds\./),
        properties: expect.objectContaining({ title: 'Packer', file: 'json/packer-template.json', line })
      }
    ])
    expect(Object.keys(JSON.parse(result.outputs['ami-ids'])).sort()).toEqual([...regions].sort())
  })

  it('an input variable a JSON template neither declares nor uses is a warning, as Packer ignores it', async () => {
    const result = await run({ 'working-directory': 'json', variables: 'instance_tpye=t3.small\nami_name_prefix=web', command: 'validate' })
    expect(result.errors).toEqual([])
    expect(result.exitCode).toBe(0)
    expect(parseCommands(result.stdout, 'warning')).toEqual([
      {
        message:
          'variables: "instance_tpye" is neither declared nor used by packer-template.json (did you mean "instance_type"?): Packer ignores it, ' +
          "and the template's own value stays",
        properties: { title: 'Unused variable' }
      }
    ])
  })

  it("a JSON variable Packer cannot work out fails in validate, annotated where its value is set: the variables file's line", async () => {
    const varFile = join(workspace, 'json', 'packer-vars.json')
    const vars = JSON.parse(readFileSync(varFile, 'utf8'))
    vars.ami_name_prefix = '{{ vault `secret/data/ci` `prefix` }}'
    writeFileSync(varFile, JSON.stringify(vars, null, 2))
    const line = String(readFileSync(varFile, 'utf8').split('\n').findIndex((text) => text.includes('"ami_name_prefix"')) + 1)
    // No Vault answers: Packer names the call that failed, not the variable.
    const result = await run({ 'working-directory': 'json' }, { env: { VAULT_ADDR: 'http://127.0.0.1:1' } })
    expect(result.exitCode).toBe(1)
    expect(result.errors[0]).toEqual({
      message: expect.stringMatching(/^Variable "ami_name_prefix": template: root:1:3: executing "root" at <vault `secret\/data\/ci` `prefix`>: error\s+calling vault/),
      properties: expect.objectContaining({ title: 'Packer', file: 'json/packer-vars.json', line, col: '22' })
    })
    expect(result.errors).toHaveLength(2)
    expect(endpoint.calls).toEqual([])
  })

  it("a JSON template's problem that quotes a value set by the variables input is annotated where the template uses it", async () => {
    const path = join(workspace, 'json', 'packer-template.json')
    const template = JSON.parse(readFileSync(path, 'utf8'))
    template.variables.bundle = 'app.tar.gz'
    template.provisioners = [{ type: 'file', source: '{{user `bundle`}}', destination: '/tmp/app.tar.gz' }]
    // Through a variable: a literal "none" with a file provisioner is refused before Packer validates.
    template.variables.communicator = 'none'
    template.builders[0].communicator = '{{user `communicator`}}'
    writeFileSync(path, JSON.stringify(template, null, 2))
    const line = String(readFileSync(path, 'utf8').split('\n').findIndex((text) => text.includes('"source": "{{user `bundle`}}"')) + 1)
    const result = await run({ 'working-directory': 'json', variables: 'bundle=release-1.4.2.tar.gz', command: 'validate' })
    expect(result.exitCode).toBe(1)
    expect(result.errors[0]).toEqual({
      message: expect.stringMatching(/^Build "[^"]+": Bad source 'release-1\.4\.2\.tar\.gz': /),
      properties: expect.objectContaining({ title: 'Packer', file: 'json/packer-template.json', line })
    })
  })

  it("a JSON template's problem that quotes a value a variables file's null emptied is annotated where the template uses it", async () => {
    const path = join(workspace, 'json', 'packer-template.json')
    const template = JSON.parse(readFileSync(path, 'utf8'))
    // Required (null), and a default: a variables file's null sets each to an empty string.
    template.variables.channel = null
    template.variables.bundle_prefix = 'v1-'
    template.provisioners = [{ type: 'file', source: 'files/{{user `bundle_prefix`}}app{{user `channel`}}.tar.gz', destination: '/tmp/app.tar.gz' }]
    // Through a variable: a literal "none" with a file provisioner is refused before Packer validates.
    template.variables.communicator = 'none'
    template.builders[0].communicator = '{{user `communicator`}}'
    writeFileSync(path, JSON.stringify(template, null, 2))
    const varFile = join(workspace, 'json', 'packer-vars.json')
    writeFileSync(varFile, JSON.stringify({ ...JSON.parse(readFileSync(varFile, 'utf8')), channel: null, bundle_prefix: null }, null, 2))
    const line = String(readFileSync(path, 'utf8').split('\n').findIndex((text) => text.includes('"source": "files/')) + 1)
    const result = await run({ 'working-directory': 'json', command: 'validate' })
    expect(result.exitCode).toBe(1)
    expect(result.errors[0]).toEqual({
      message: expect.stringMatching(/^Build "[^"]+": Bad source 'files\/app\.tar\.gz': /),
      properties: expect.objectContaining({ title: 'Packer', file: 'json/packer-template.json', line })
    })
  })

  it('a variable a JSON template uses but nothing sets is a warning on the line that uses it, as Packer makes it empty', async () => {
    const path = join(workspace, 'json', 'packer-template.json')
    const template = JSON.parse(readFileSync(path, 'utf8'))
    template.builders[0].tags.Team = '{{user `team_name`}}'
    writeFileSync(path, JSON.stringify(template, null, 2))
    const line = String(readFileSync(path, 'utf8').split('\n').findIndex((text) => text.includes('"Team"')) + 1)
    const result = await run({ 'working-directory': 'json', variables: 'team=images' })
    expect(result.errors).toEqual([])
    expect(result.exitCode).toBe(0)
    expect(parseCommands(result.stdout, 'warning')).toContainEqual({
      message:
        '{{user `team_name`}} in builders[0].tags.Team: packer-template.json does not declare "team_name", and no variables file or input ' +
        'sets it, so Packer puts an empty string there.',
      properties: { title: 'Undeclared variable', file: 'json/packer-template.json', line, col: '9' }
    })
    // What Packer did with it: the tag is there, empty.
    const amiIds = JSON.parse(result.outputs['ami-ids']) as Record<string, string>
    expect(endpoint.tagsOf('us-east-1', amiIds['us-east-1'])).toMatchObject({ Team: '' })
  })

  it('the summary lists every error and warning on the template, past the ten GitHub shows, each linked to its line', async () => {
    const path = join(workspace, 'json', 'packer-template.json')
    const template = JSON.parse(readFileSync(path, 'utf8'))
    const teams = Array.from({ length: 12 }, (_, i) => `team_${i + 1}`)
    for (const team of teams) template.builders[0].tags[`Owner ${team}`] = `{{user \`${team}\`}}`
    template.builders[0].instance_typo = 't3.micro'
    writeFileSync(path, JSON.stringify(template, null, 2))
    const lineOf = (text: string): string =>
      String(readFileSync(path, 'utf8').split('\n').findIndex((written) => written.includes(text)) + 1)
    const result = await run({ 'working-directory': 'json', command: 'validate' })
    expect(result.exitCode).toBe(1)
    // GitHub shows ten warnings a step: six on their lines, one naming the other six, and room
    // for the job's own; the summary has every one.
    const warnings = parseCommands(result.stdout, 'warning')
    expect(warnings.map(({ properties }) => properties.line)).toEqual(teams.slice(0, 7).map((team) => lineOf(`"Owner ${team}"`)))
    expect(warnings[6].properties.title).toBe('6 more warnings')
    const blob = `https://github.com/acme/images/blob/${runner.GITHUB_SHA}/json/packer-template.json`
    const rows = tableRows(result.summary, ['', 'Where', 'Message'])
    expect(rows).toEqual([
      [':x:', `json/packer-template.json:${lineOf('instance_typo')}`, expect.stringMatching(/^Build "[^"]+": unknown configuration key: '"instance_typo"'$/)],
      ...teams.map((team) => [
        ':warning:',
        `json/packer-template.json:${lineOf(`"Owner ${team}"`)}`,
        `{{user \`${team}\`}} in builders[0].tags.Owner ${team}: packer-template.json does not declare "${team}", and no variables file or ` +
          'input sets it, so Packer puts an empty string there.'
      ])
    ])
    for (const [, where] of rows) expect(linksOf(result.summary, where)).toEqual([`${blob}#L${where.split(':')[1]}`])
    expect(result.summary).toContain('#### 1 error and 12 warnings')
    expect(endpoint.calls).toEqual([])
  })

  it("Packer's warnings about an HCL2 template are annotated on the attribute, or the variables file's line, they name", async () => {
    const path = join(workspace, 'hcl2', 'ami.pkr.hcl')
    writeFileSync(path, readFileSync(path, 'utf8').replace('  instance_type          = var.instance_type\n', '$&  spot_price_auto_product = "Linux/UNIX"\n'))
    const line = String(readFileSync(path, 'utf8').split('\n').findIndex((text) => text.includes('spot_price_auto_product')) + 1)
    const varFile = join(workspace, 'hcl2', 'loopback.pkrvars.hcl')
    writeFileSync(varFile, `${readFileSync(varFile, 'utf8')}\ninstance_tpye = "t3.small"\n`)
    const result = await run({ 'working-directory': 'hcl2', template: 'ami.pkr.hcl', 'var-file': 'loopback.pkrvars.hcl', command: 'validate' })
    expect(result.errors).toEqual([])
    expect(result.exitCode).toBe(0)
    const warnings = parseCommands(result.stdout, 'warning')
    expect(warnings).toContainEqual({
      message: expect.stringMatching(/^spot_price_auto_product is deprecated and no longer necessary for Packer builds\. .*Spot instances\.$/),
      properties: expect.objectContaining({ title: 'Packer', file: 'hcl2/ami.pkr.hcl', line, col: '3' })
    })
    // Packer names the variable set but not declared, not the file: on the line that sets it.
    const varLine = String(readFileSync(varFile, 'utf8').split('\n').findIndex((text) => text.startsWith('instance_tpye')) + 1)
    expect(warnings).toContainEqual({
      message: expect.stringMatching(/^Undefined variable\n\n.*"instance_tpye"/s),
      properties: expect.objectContaining({ title: 'Packer', file: 'hcl2/loopback.pkrvars.hcl', line: varLine, col: '1' })
    })
    expect(warnings).toHaveLength(2)
    expect(endpoint.calls).toEqual([])
  })

  it("Packer's error about a value in variables is annotated on the variable's declaration, apart from its errors about the template", async () => {
    const path = join(workspace, 'hcl2', 'ami.pkr.hcl')
    writeFileSync(path, `${readFileSync(path, 'utf8')}\nsorce "null" "spare" {}\n`)
    const lineOf = (text: string): string => String(readFileSync(path, 'utf8').split('\n').indexOf(text) + 1)
    const result = await run({
      'working-directory': 'hcl2',
      template: 'ami.pkr.hcl',
      'var-file': 'loopback.pkrvars.hcl',
      variables: 'ami_regions=us-west-2',
      command: 'validate'
    })
    expect(result.exitCode).toBe(1)
    const errors = parseCommands(result.stdout, 'error').filter(({ properties }) => properties.title === 'Packer')
    // In the file's order of lines.
    expect(errors).toEqual([
      {
        message: expect.stringMatching(
          /^Packer refused the value given for "ami_regions" in the input `variables`\. Unless a variable is a string, Packer reads its value as HCL, .*a list \["a", "b"\].*\n\nError: Variables not allowed\n+ {2}on <value for var\.ami_regions from arguments> line 1:/s
        ),
        properties: { title: 'Packer', file: 'hcl2/ami.pkr.hcl', line: lineOf('variable "ami_regions" {'), col: '1' }
      },
      {
        message: expect.stringMatching(/^Error: Unsupported block type\n.*"sorce" are not expected here/s),
        properties: { title: 'Packer', file: 'hcl2/ami.pkr.hcl', line: lineOf('sorce "null" "spare" {}') }
      }
    ])
    expect(endpoint.calls).toEqual([])
  })

  it("Packer's error about a PKR_VAR_ value in the step's env is annotated on the variable's declaration", async () => {
    const path = join(workspace, 'hcl2', 'ami.pkr.hcl')
    const result = await run(
      { 'working-directory': 'hcl2', template: 'ami.pkr.hcl', 'var-file': 'loopback.pkrvars.hcl', command: 'validate' },
      { env: { PKR_VAR_ami_regions: '3' } }
    )
    expect(result.exitCode).toBe(1)
    const errors = parseCommands(result.stdout, 'error').filter(({ properties }) => properties.title === 'Packer')
    expect(errors).toEqual([
      {
        message: expect.stringMatching(
          /^Packer refused the value given for "ami_regions" as PKR_VAR_ami_regions in the step's env\. .*\n\nError: Invalid value for variable\n/s
        ),
        properties: { title: 'Packer', file: 'hcl2/ami.pkr.hcl', line: String(readFileSync(path, 'utf8').split('\n').indexOf('variable "ami_regions" {') + 1), col: '1' }
      }
    ])
    expect(endpoint.calls).toEqual([])
  })

  it("a value in variables or a PKR_VAR_ that fails a variable's validation rule is an error on the rule, naming the variable", async () => {
    const path = join(workspace, 'hcl2', 'ami.pkr.hcl')
    const rule = '  validation {'
    writeFileSync(
      path,
      `${readFileSync(path, 'utf8')}\nvariable "stage" {\n  type    = string\n  default = "dev"\n${rule}\n` +
        '    condition     = contains(["dev", "prod"], var.stage)\n    error_message = "The stage must be dev or prod."\n  }\n}\n'
    )
    const line = String(readFileSync(path, 'utf8').split('\n').indexOf(rule) + 1)
    const inputs = { 'working-directory': 'hcl2', template: 'ami.pkr.hcl', 'var-file': 'loopback.pkrvars.hcl', command: 'validate' }
    const given = await run({ ...inputs, variables: 'stage=qa' })
    const fromEnv = await run(inputs, { env: { PKR_VAR_stage: 'qa' } })
    for (const [result, from] of [
      [given, 'in the input `variables`'],
      [fromEnv, "as PKR_VAR_stage in the step's env"]
    ] as const) {
      expect(result.exitCode).toBe(1)
      expect(parseCommands(result.stdout, 'error').filter(({ properties }) => properties.title === 'Packer')).toEqual([
        {
          message: `The value given for "stage" ${from} fails the variable's validation rule: The stage must be dev or prod.`,
          properties: { title: 'Packer', file: 'hcl2/ami.pkr.hcl', line, col: '3' }
        }
      ])
    }
    expect(endpoint.calls).toEqual([])
  })

  it('a build that uses a source no block declares is an error on the entry of its sources that names it', async () => {
    const path = join(workspace, 'hcl2', 'ami.pkr.hcl')
    const text = readFileSync(path, 'utf8').replace('sources = ["source.amazon-ebs.demo"]', 'sources = [\n    "source.amazon-ebs.demo",\n    "source.amazon-ebs.demo2",\n  ]')
    writeFileSync(path, text)
    const result = await run({ 'working-directory': 'hcl2', template: 'ami.pkr.hcl', 'var-file': 'loopback.pkrvars.hcl', command: 'validate' })
    expect(result.exitCode).toBe(1)
    const errors = parseCommands(result.stdout, 'error').filter(({ properties }) => properties.title === 'Packer')
    expect(errors).toEqual([
      {
        message: expect.stringMatching(/^Unknown source amazon-ebs\.demo2\n\nKnown: /),
        properties: { title: 'Packer', file: 'hcl2/ami.pkr.hcl', line: String(text.split('\n').indexOf('    "source.amazon-ebs.demo2",') + 1), col: '5' }
      }
    ])
    expect(endpoint.calls).toEqual([])
  })

  it('a variable declared again in another file of the folder is an error on the declaration Packer reads second', async () => {
    // Packer reads a folder's files by name: 00-region.pkr.hcl's declaration first, then ami.pkr.hcl's.
    writeFileSync(join(workspace, 'hcl2', '00-region.pkr.hcl'), '# Where to build.\n\nvariable "aws_region" {\n  type = string\n}\n')
    const result = await run({ 'working-directory': 'hcl2', template: '.', 'var-file': 'loopback.pkrvars.hcl', command: 'validate' })
    expect(result.exitCode).toBe(1)
    const line = String(readFileSync(join(workspace, 'hcl2', 'ami.pkr.hcl'), 'utf8').split('\n').indexOf('variable "aws_region" {') + 1)
    const errors = parseCommands(result.stdout, 'error').filter(({ properties }) => properties.title === 'Packer')
    expect(errors).toEqual([
      {
        message: 'Duplicate variable\n\nDuplicate aws_region variable definition found. Declared first at 00-region.pkr.hcl line 3.',
        properties: { title: 'Packer', file: 'hcl2/ami.pkr.hcl', line, col: '1' }
      }
    ])
    expect(endpoint.calls).toEqual([])
  })

  it('each variable of an HCL2 template left without a value is an error on its declaration, in whichever file', async () => {
    writeFileSync(join(workspace, 'hcl2', 'team.pkr.hcl'), '# Who owns the image.\n\nvariable "team" {\n  type = string\n}\n')
    const result = await run({ 'working-directory': 'hcl2', template: '.', command: 'validate' })
    expect(result.exitCode).toBe(1)
    const lineIn = (file: string, name: string): string =>
      String(readFileSync(join(workspace, 'hcl2', file), 'utf8').split('\n').indexOf(`variable "${name}" {`) + 1)
    const unset = (file: string, name: string): unknown => ({
      message: `Unset variable "${name}": it has no default and was given no value. Set it in the input \`variables\`, in a file of the input \`var-file\`, or as PKR_VAR_${name} in the step's env.`,
      properties: { title: 'Packer', file: `hcl2/${file}`, line: lineIn(file, name), col: '1' }
    })
    const errors = parseCommands(result.stdout, 'error').filter(({ properties }) => properties.title === 'Packer')
    expect(errors).toEqual(
      expect.arrayContaining([unset('ami.pkr.hcl', 'aws_region'), unset('ami.pkr.hcl', 'source_ami'), unset('team.pkr.hcl', 'team')])
    )
    expect(errors).toHaveLength(3)
    const rows = tableRows(result.summary, ['', 'Where', 'Message']).map(([, where]) => where)
    // Packer lists them in no set order; the summary down the files and their lines.
    expect(rows).toEqual([`hcl2/ami.pkr.hcl:${lineIn('ami.pkr.hcl', 'aws_region')}`, `hcl2/ami.pkr.hcl:${lineIn('ami.pkr.hcl', 'source_ami')}`, 'hcl2/team.pkr.hcl:3'])
    expect(endpoint.calls).toEqual([])
  })

  it("when Packer fails, its warnings about variables are placed too, and a problem it tells twice is annotated once", async () => {
    const path = join(workspace, 'hcl2', 'ami.pkr.hcl')
    writeFileSync(path, `${readFileSync(path, 'utf8')}\ndata "amazon-ami" "base" {\n  most_recent = true\n}\n`)
    const varFile = join(workspace, 'hcl2', 'loopback.pkrvars.hcl')
    writeFileSync(varFile, `${readFileSync(varFile, 'utf8')}\ninstance_tpye = "t3.small"\n`)
    const result = await run({ 'working-directory': 'hcl2', template: 'ami.pkr.hcl', 'var-file': 'loopback.pkrvars.hcl', command: 'validate' })
    expect(result.exitCode).toBe(1)
    const lineOf = (file: string, text: string): string => String(readFileSync(file, 'utf8').split('\n').findIndex((written) => written.startsWith(text)) + 1)
    const annotations = [...parseCommands(result.stdout, 'error'), ...parseCommands(result.stdout, 'warning')].filter(
      ({ properties }) => properties.title === 'Packer'
    )
    expect(annotations).toEqual(
      expect.arrayContaining([
        { message: expect.stringMatching(/^Undefined variable\n\n.*"instance_tpye"/s), properties: expect.objectContaining({ file: 'hcl2/loopback.pkrvars.hcl', line: lineOf(varFile, 'instance_tpye') }) }
      ])
    )
    const dataLine = lineOf(path, 'data "amazon-ami"')
    expect(annotations.filter(({ properties }) => properties.line === dataLine)).toHaveLength(1)
    expect(new Set(annotations.map((annotation) => JSON.stringify(annotation))).size).toBe(annotations.length)
    expect(endpoint.calls).toEqual([])
  })

  it('two builds in one template: every AMI of both is tagged, ami-ids is the first build', async () => {
    withTwoBuilds(workspace)
    const result = await run({ 'working-directory': 'json' })
    expect(result.errors).toEqual([])
    const artifacts = JSON.parse(result.outputs.artifacts) as Array<{ build: string; region: string; amiId: string }>
    expect(artifacts.map((a) => a.build)).toEqual(['web', 'web', 'web', 'api'])
    expect(Object.keys(JSON.parse(result.outputs['ami-ids'])).sort()).toEqual([...regions].sort())
    const home = artifacts.filter((a) => a.region === 'us-east-1').map((a) => a.amiId)
    expect(home).toHaveLength(2)
    for (const artifact of artifacts) {
      expect(endpoint.tagsOf(artifact.region, artifact.amiId)).toMatchObject(provenance)
    }
    expect(headingsOf(result.summary, 3)).toEqual(expect.arrayContaining(['web (amazon-ebs)', 'api (amazon-ebs)']))
  })

  it("two builds with their own tags: one DescribeImages per region, then one CreateTags per build's tags, all the tags on every AMI and snapshot", async () => {
    withTwoBuilds(workspace)
    const result = await run({ 'working-directory': 'json', tags: 'Team=platform' })
    expect(result.errors).toEqual([])
    const artifacts = JSON.parse(result.outputs.artifacts) as Array<{ build: string; region: string; amiId: string }>
    // The action's calls come after Packer's last, which cleans up the builds' instances.
    const packersLast = endpoint.calls.findLastIndex((call) => ['TerminateInstances', 'DeleteSecurityGroup', 'DeleteKeyPair'].includes(call.action))
    const tagging = (region: string) =>
      endpoint.calls
        .slice(packersLast + 1)
        .filter((call) => call.region === region && ['DescribeImages', 'CreateTags'].includes(call.action))
        .map((call) => call.action)
    // us-east-1 holds both builds' AMIs: one CreateTags for each build's set of tags.
    expect(tagging('us-east-1')).toEqual(['DescribeImages', 'CreateTags', 'CreateTags'])
    // A region holding one build's AMI: its own tags go in the one CreateTags.
    for (const region of ['eu-west-1', 'us-west-2']) expect(tagging(region)).toEqual(['DescribeImages', 'CreateTags'])
    for (const call of actionCreateTags()) expect(Object.values(call.params)).toContain('PackerBuild')
    for (const { build, region, amiId } of artifacts) {
      const own = { PackerBuild: `amazon-ebs ${build}`, ImageFamily: expect.stringContaining(build) }
      expect(endpoint.tagsOf(region, amiId)).toMatchObject({ ...provenance, Team: 'platform', ...own })
      const image = endpoint.images(region).find((candidate) => candidate.imageId === amiId)
      for (const { snapshotId } of image?.blockDeviceMappings ?? []) {
        expect(endpoint.tagsOf(region, snapshotId as string)).toMatchObject({ ...provenance, Team: 'platform', ...own })
      }
      expect(result.stdout).toContain(`${region}: tagged ${amiId} with build ${build}'s own tags (ImageFamily, PackerBuild).`)
    }
  })

  it("one build's CreateTags refused in a region: the error names its AMI and snapshots, the other build's AMI there is tagged", async () => {
    withTwoBuilds(workspace)
    // The first of the action's two CreateTags in us-east-1 (one per build) is refused.
    endpoint.faults.fail('CreateTags', { code: 'UnauthorizedOperation', region: 'us-east-1', userAgent: 'aws-sdk-js', firstCalls: 1 })
    const result = await run({ 'working-directory': 'json' })
    expect(result.exitCode).toBe(1)
    const builds = JSON.parse(result.outputs.builds) as Record<string, Record<string, string>>
    const home = Object.entries(builds).map(([build, amiIds]) => ({ build, amiId: amiIds['us-east-1'] }))
    const isRefused = ({ amiId }: { amiId: string }) => !('SourceCommit' in endpoint.tagsOf('us-east-1', amiId))
    const refused = home.filter(isRefused)
    const tagged = home.filter((ami) => !isRefused(ami))
    expect(refused).toHaveLength(1)
    expect(tagged).toHaveLength(1)
    const image = (amiId: string) => endpoint.images('us-east-1').find((candidate) => candidate.imageId === amiId)
    const snapshotsOf = (amiId: string) => image(amiId)?.blockDeviceMappings.map((device) => device.snapshotId as string) ?? []
    const messages = result.errors.map((error) => error.message)
    expect(messages).toContainEqual(
      expect.stringMatching(new RegExp(`^Tagging in us-east-1 failed for ${[refused[0].amiId, ...snapshotsOf(refused[0].amiId)].join(', ')}: UnauthorizedOperation — the credentials lack ec2:CreateTags`))
    )
    expect(messages.join('\n')).not.toContain(`failed for ${tagged[0].amiId}`)
    expect(messages.at(-1)).toMatch(/^Tagging failed in us-east-1; the AMIs exist and are in the outputs/)
    const own = { PackerBuild: `amazon-ebs ${tagged[0].build}` }
    expect(endpoint.tagsOf('us-east-1', tagged[0].amiId)).toMatchObject({ ...provenance, ...own })
    for (const snapshotId of snapshotsOf(tagged[0].amiId)) expect(endpoint.tagsOf('us-east-1', snapshotId)).toMatchObject({ ...provenance, ...own })
    for (const snapshotId of snapshotsOf(refused[0].amiId)) expect(endpoint.tagsOf('us-east-1', snapshotId)).not.toHaveProperty('SourceCommit')
    expect(result.stdout).toContain(`us-east-1: tagged ${tagged[0].amiId} with build ${tagged[0].build}'s own tags (ImageFamily, PackerBuild).`)
    const tagsColumn = (amiId: string) => new RegExp(`${amiId}\\)[^|\\n]*\\|[^|\\n]*\\| ([^|\\n]*) \\|`).exec(result.summary)?.[1]
    // The error is told once, under Problems, and the row points there.
    expect(tagsColumn(refused[0].amiId)).toBe('failed: see Problems below')
    const error = messages.find((message) => message.startsWith('Tagging in us-east-1 failed for ')) as string
    expect(result.summary.split(`#### Problems\n\n\`\`\`text\n${error}\n`)).toHaveLength(2)
    expect(result.summary.split(error)).toHaveLength(2)
    expect(tagsColumn(tagged[0].amiId)).toMatch(/^\d+ added, \d+ in all$/)
    expect(builds.web['eu-west-1'] && endpoint.tagsOf('eu-west-1', builds.web['eu-west-1'])).toMatchObject({ ...provenance, PackerBuild: 'amazon-ebs web' })
  })

  it("a build whose template's tags leave no room: its AMI is named, untagged, and the other build's AMIs are tagged", async () => {
    withTwoBuilds(workspace)
    // Build api's template gives its AMI 4 tags; the action adds 36 from tags, 7 provenance tags,
    // BuildFingerprint and BuildSet (49 so far), then each build's ImageFamily and PackerBuild in
    // a pass of their own, which take it over 50: it is left out before any tag goes on. Two of
    // the template's keys only Packer works out, with a function of its own, so the input check cannot count them.
    const path = join(workspace, 'json', 'packer-template.json')
    const template = JSON.parse(readFileSync(path, 'utf8'))
    template.variables = { ...template.variables, owner: 'Owner' }
    template.builders[1].tags = { ...template.builders[1].tags, ...Object.fromEntries(Array.from({ length: 2 }, (_, i) => [`{{ split (user \`owner\`) "," 0 }}${i}`, 'api'])) }
    writeFileSync(path, JSON.stringify(template, null, 2))
    const tags = Array.from({ length: 36 }, (_, i) => `Team${i}=platform`).join('\n')

    const result = await run({ 'working-directory': 'json', tags })

    expect(result.exitCode).toBe(1)
    const artifacts = JSON.parse(result.outputs.artifacts) as Array<{ build: string; region: string; amiId: string }>
    const api = artifacts.find((a) => a.build === 'api') as { region: string; amiId: string }
    expect(api.region).toBe('us-east-1')
    expect(result.errors.map((error) => error.message)).toContainEqual(
      `Tagging in us-east-1 left out ${api.amiId} and its snapshots: EC2 allows at most 50 tags on an AMI (those of AWS, aws:…, aside), ` +
        `and ${api.amiId} has 4 of its own (the template's tags) and would get 47 more, 51 in all. Set provenance-tags: false, or give fewer tags.`
    )
    expect(Object.keys(endpoint.tagsOf('us-east-1', api.amiId)).sort()).toEqual(['Name', 'Owner0', 'Owner1', 'SourceAMI'])
    for (const web of artifacts.filter((a) => a.build === 'web')) {
      expect(endpoint.tagsOf(web.region, web.amiId)).toMatchObject({ ...provenance, Team35: 'platform', PackerBuild: 'amazon-ebs web', ImageFamily: expect.any(String) })
      expect(Object.keys(endpoint.tagsOf(web.region, web.amiId))).toHaveLength(49)
    }
    // The summary marks the AMI left out as failed, and the others of its region as tagged.
    const tagsColumn = (amiId: string) => new RegExp(`${amiId}\\)[^|\\n]*\\|[^|\\n]*\\| ([^|\\n]*) \\|`).exec(result.summary)?.[1]
    expect(tagsColumn(api.amiId)).toBe('failed: see Problems below')
    expect(result.summary.split(`Tagging in us-east-1 left out ${api.amiId} and its snapshots:`)).toHaveLength(2)
    // The tags every AMI gets, and each build's own two; with the template's Name and SourceAMI, 49.
    for (const web of artifacts.filter((a) => a.build === 'web')) expect(tagsColumn(web.amiId)).toBe('47 added, 49 in all')
  })

  it('a manifest that already holds older runs: only this run is read and tagged', async () => {
    writeFileSync(
      join(workspace, 'json', 'packer-manifest.json'),
      JSON.stringify({
        builds: [
          { name: 'amazon-ebs', builder_type: 'amazon-ebs', artifact_id: 'us-east-1:ami-0123456789abcdef0', packer_run_uuid: 'older' }
        ],
        last_run_uuid: 'older'
      })
    )
    const result = await run({ 'working-directory': 'json' })
    expect(result.exitCode).toBe(0)
    expect(result.outputs.artifacts).not.toContain('ami-0123456789abcdef0')
    expect(Object.keys(JSON.parse(result.outputs['ami-ids']))).toHaveLength(3)
    const manifest = JSON.parse(readFileSync(join(workspace, 'json', 'packer-manifest.json'), 'utf8'))
    expect(manifest.builds).toHaveLength(2)
    for (const call of actionCreateTags()) expect(Object.values(call.params)).not.toContain('ami-0123456789abcdef0')
  })

  it('a cancelled run leaves no instance running, no key pair and no security group', async () => {
    await endpoint.close()
    endpoint = await startEc2Endpoint({ regions, autoAdvance: { describes: 0 } })
    endpoint.faults.holdInstancesPending()
    const loopback = endpoint
    const result = await runAction({
      workspace,
      inputs: { 'packer-version': version, 'working-directory': 'json' },
      env: {
        ...runner,
        HOME: join(workspace, '.home'),
        AWS_ACCESS_KEY_ID: 'AKIDLOOPBACK',
        AWS_SECRET_ACCESS_KEY: 'loopback-secret',
        AWS_POLL_DELAY_SECONDS: '1',
        AWS_MAX_ATTEMPTS: '1000',
        AWS_ENDPOINT_URL_EC2: endpoint.url
      },
      onStart: (child) => {
        void until(() => loopback.callsOf('DescribeInstances').length >= 2, 'Packer to wait for its instance').then(() =>
          child.kill('SIGINT')
        )
      }
    })
    expect(result.exitCode).toBe(1)
    expect(result.errors.at(-1)?.message).toMatch(/^The build was cancelled/)
    expect(endpoint.instances('us-east-1').map((instance) => instance.state)).toEqual(['terminated'])
    expect(endpoint.keyPairs('us-east-1')).toEqual([])
    expect(endpoint.securityGroups('us-east-1').map((group) => group.groupName)).toEqual(['default'])
    expect(result.summary).toContain('Cancelled')
  })
})
