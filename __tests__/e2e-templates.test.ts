// Templates as users write them, run through the bundled action with the real Packer against the
// loopback EC2 endpoint: our own fixtures (one feature each), and, when ../shared/fixtures/realworld
// is there, templates from public repositories with the inputs their users build them with.
// Every output is checked against what the endpoint holds.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { SOURCE_AMI_ID, SOURCE_AMI_NAME, startEc2Endpoint, type Ec2Endpoint } from '../test-support/ec2-endpoint/index.js'
import { startVault } from '../test-support/vault-stand-in/index.js'
import { readInputs } from '../src/inputs/index.js'
import { actionDefaults, asTheRunnerShowsIt, jobOutputs, loopbackEnvironment, parseCommands, projectRoot, pushToMain, registeredMasks, runAction, type ActionRun } from './support/action-process.js'
import { headingsOf, renderedText, tableRows } from './support/markdown.js'
import { describeWithPacker, packerVersion, until } from './support/runtimes.js'

const fixtures = join(projectRoot, '__tests__', 'fixtures', 'templates')
const realworld = join(projectRoot, '..', 'shared', 'fixtures', 'realworld')
// kubernetes-sigs/image-builder copies its AMI to all of these.
const regions = [
  'ap-south-1', 'eu-west-3', 'eu-west-2', 'eu-west-1', 'ap-northeast-2', 'ap-northeast-1', 'sa-east-1',
  'ca-central-1', 'ap-southeast-1', 'ap-southeast-2', 'eu-central-1', 'us-east-1', 'us-east-2', 'us-west-1', 'us-west-2'
]
// The public templates look their source image up by this name and owner, or name this id.
const seedImages = [
  { imageId: SOURCE_AMI_ID, name: SOURCE_AMI_NAME },
  { imageId: 'ami-0123456789abcdef0', name: 'acceptance-seed-source', ownerId: '099720109477' }
]

type Builds = Record<string, Record<string, string>>

describeWithPacker('templates as users write them, through the bundled action', () => {
  let version = ''
  let endpoint: Ec2Endpoint
  const workspaces: string[] = []

  beforeAll(async () => {
    version = packerVersion()
    endpoint = await startEc2Endpoint({
      regions,
      seedImages,
      seedNetworks: [{ vpcId: 'vpc-7e02c203', subnetId: 'subnet-1703b248' }],
      autoAdvance: { describes: 0 }
    })
  })
  afterAll(async () => {
    await endpoint.close()
    for (const workspace of workspaces) rmSync(workspace, { recursive: true, force: true })
  })

  /** A copy of a folder, with @MOCK_URL@ replaced by the endpoint's URL. */
  function workspaceFrom(folder: string): string {
    const workspace = mkdtempSync(join(tmpdir(), 'templates-'))
    workspaces.push(workspace)
    cpSync(folder, workspace, { recursive: true })
    const replace = (directory: string): void => {
      for (const name of readdirSync(directory)) {
        const path = join(directory, name)
        if (statSync(path).isDirectory()) replace(path)
        else writeFileSync(path, readFileSync(path, 'utf8').replaceAll('@MOCK_URL@', endpoint.url))
      }
    }
    replace(workspace)
    return workspace
  }

  function run(workspace: string, inputs: Record<string, string>, env: Record<string, string> = {}): Promise<ActionRun> {
    return runAction({
      workspace,
      inputs: { 'packer-version': version, ...inputs },
      env: {
        ...pushToMain,
        ...loopbackEnvironment(endpoint.url, workspace),
        ...env
      }
    })
  }

  const consoleLink = (region: string, amiId: string): string =>
    `https://${region}.console.aws.amazon.com/ec2/home?region=${region}#ImageDetails:imageId=${amiId}`

  function imagesNow(): Set<string> {
    return new Set(regions.flatMap((region) => endpoint.images(region).map((image) => `${region}:${image.imageId}`)))
  }

  /**
   * Runs a build and checks every output against the endpoint: each AMI the run made is in
   * `builds` under its build, `ami-id`/`ami-ids` are the first build's, `artifacts` lists the
   * same AMIs, `manifest` is the file Packer wrote and `run-uuid` its last run.
   */
  async function expectBuilt(
    workspace: string,
    inputs: Record<string, string>,
    expected: { builds: string[]; manifest?: string },
    env: Record<string, string> = {}
  ): Promise<{ result: ActionRun; builds: Builds }> {
    const before = imagesNow()
    const result = await run(workspace, inputs, env)
    expect(result.errors).toEqual([])
    expect(result.exitCode).toBe(0)

    const builds = JSON.parse(result.outputs.builds) as Builds
    expect(Object.keys(builds)).toEqual(expected.builds)
    const made = [...imagesNow()].filter((image) => !before.has(image)).sort()
    const reported = Object.values(builds).flatMap((byRegion) => Object.entries(byRegion).map(([region, id]) => `${region}:${id}`))
    expect(reported.sort()).toEqual(made)

    // The summary lists each AMI with its own snapshots, though several builds share a region.
    for (const made of reported) {
      const [region, amiId] = made.split(':')
      const image = endpoint.images(region).find((candidate) => candidate.imageId === amiId)
      const snapshots = (image?.blockDeviceMappings ?? []).map((device) => `\`${device.snapshotId}\``).join(', ')
      expect(result.summary).toContain(`| ${region} | [\`${amiId}\`](${consoleLink(region, amiId)}) | ${snapshots} |`)
    }

    const first = builds[expected.builds[0]]
    expect(JSON.parse(result.outputs['ami-ids'])).toEqual(first)
    expect(result.outputs['ami-id']).toBe(first['us-east-1'] ?? Object.values(first)[0])
    const artifacts = JSON.parse(result.outputs.artifacts) as Array<{ build: string; region: string; amiId: string }>
    expect(artifacts.map(({ build, region, amiId }) => `${build}/${region}:${amiId}`).sort()).toEqual(
      Object.entries(builds).flatMap(([build, byRegion]) => Object.entries(byRegion).map(([region, id]) => `${build}/${region}:${id}`)).sort()
    )
    if (expected.builds.length > 1) {
      expect(result.stdout).toContain(`ami-id and ami-ids are build ${expected.builds[0]}'s`)
      expect(renderedText(result.summary)).toContain(`ami-id and ami-ids are build ${expected.builds[0]}'s`)
    }

    if (expected.manifest === undefined) {
      // Read from Packer's output: no manifest, and no run UUID, which only the manifest holds.
      expect(result.outputs.manifest).toBe('')
      expect(result.outputs['run-uuid']).toBe('')
      // Nor a notice of builds a manifest does not list: the log says where the AMIs come from.
      expect(parseCommands(result.stdout, 'notice').filter(({ properties }) => properties.title === 'Manifest')).toEqual([])
    } else {
      expect(result.outputs.manifest).toBe(join(workspace, expected.manifest))
      const manifest = JSON.parse(readFileSync(result.outputs.manifest, 'utf8')) as { last_run_uuid: string }
      expect(result.outputs['run-uuid']).toBe(manifest.last_run_uuid)
      expect(result.outputs['run-uuid']).toMatch(/^[0-9a-f-]{36}$/)
    }
    return { result, builds }
  }

  describe('our fixtures', () => {
    it('JSON: names and manifest path from user variables, nulls in variables files, a null builder among AMI builders', async () => {
      const workspace = workspaceFrom(join(fixtures, 'json-named'))
      const { result } = await expectBuilt(
        workspace,
        { template: 'images.json', 'var-file': 'ubuntu.json', only: 'ubuntu-web,ubuntu-arm,smoke-test' },
        { builds: ['ubuntu-web', 'ubuntu-arm'], manifest: 'images-manifest.json' }
      )
      expect(Object.keys(JSON.parse(result.outputs['ami-ids'])).sort()).toEqual(['eu-west-1', 'us-east-1', 'us-west-2'])
      const manifest = JSON.parse(readFileSync(join(workspace, 'images-manifest.json'), 'utf8'))
      expect(manifest.builds.map((build: { name: string }) => build.name).sort()).toEqual(['smoke-test', 'ubuntu-arm', 'ubuntu-web'])
    })

    it('except naming the manifest post-processor: Packer skips it, and the AMIs come from its output (JSON and HCL2)', async () => {
      const json = workspaceFrom(join(fixtures, 'json-named'))
      const skipped = await expectBuilt(json, { template: 'images.json', 'var-file': 'ubuntu.json', only: 'ubuntu-web', except: 'manifest' }, { builds: ['ubuntu-web'] })
      expect(existsSync(join(json, 'images-manifest.json'))).toBe(false)
      expect(skipped.result.stdout).toContain("reading the AMIs from Packer's output")
      const hcl = workspaceFrom(join(fixtures, 'hcl-path-root'))
      await expectBuilt(hcl, { template: 'packer', except: 'manifest' }, { builds: ['amazon-ebs.web'] })
      expect(existsSync(join(hcl, 'artifacts', 'ubuntu-manifest.json'))).toBe(false)
      // Neither a build nor a post-processor: refused before anything is built, as before.
      const refused = await run(hcl, { template: 'packer', except: 'checksum' })
      expect(refused.exitCode).toBe(1)
      expect(refused.errors.map((error) => error.message)).toEqual([
        expect.stringMatching(/^except: "checksum" matches none of the template's builds \(amazon-ebs\.web\) nor its post-processors \(manifest\)/)
      ])
    })

    it('except naming every build is refused before anything is built (JSON before the install, HCL2 once listed); validate is left alone', async () => {
      const calls = endpoint.calls.length
      const leftNone = (builds: string): string =>
        `except: leaves none of the template's builds (${builds}) to run: Packer would build nothing and end as a success, ` +
        'and the job would fail after it, finding no AMI. Name in except only the builds to leave out, or leave it empty to build them all'
      const json = workspaceFrom(join(fixtures, 'json-named'))
      const everyJson = await run(json, { template: 'images.json', 'var-file': 'ubuntu.json', except: 'ubuntu-web,ubuntu-arm,smoke-test,windows' })
      expect(everyJson.exitCode).toBe(1)
      expect(everyJson.errors.map((error) => error.message)).toEqual([leftNone('ubuntu-web, ubuntu-arm, smoke-test, windows')])
      expect(everyJson.stdout).not.toContain('::group::Install Packer')
      const hcl = workspaceFrom(join(fixtures, 'hcl-named-sources'))
      const everyHcl = await run(hcl, { template: '.', except: 'amazon-ebs.*' })
      expect(everyHcl.exitCode).toBe(1)
      expect(everyHcl.errors.map((error) => error.message)).toEqual([leftNone('amazon-ebs.noble, amazon-ebs.jammy')])
      expect(everyHcl.stdout).not.toContain('::group::Validate')
      expect(endpoint.calls.length).toBe(calls)
      // packer validate of no build passes, as it did.
      const validated = await run(hcl, { template: '.', except: 'amazon-ebs.*', command: 'validate' })
      expect(validated.errors).toEqual([])
      expect(validated.exitCode).toBe(0)
    })

    it('JSON: a glob in except is refused before anything runs, naming the input', async () => {
      const calls = endpoint.calls.length
      const result = await run(workspaceFrom(join(fixtures, 'json-named')), {
        template: 'images.json',
        'var-file': 'ubuntu.json',
        except: 'ubuntu*'
      })
      expect(result.exitCode).toBe(1)
      expect(result.errors.map((error) => error.message)).toEqual([
        expect.stringMatching(/^except: "ubuntu\*" is a pattern, and Packer matches only exact build and post-processor names in a JSON template/)
      ])
      expect(result.stdout).not.toContain('::group::Install Packer')
      expect(endpoint.calls.length).toBe(calls)
    })

    it('HCL2 directory: several sources and build blocks, custom_data manifest at a path from a variable, ami-id from the first build', async () => {
      const workspace = workspaceFrom(join(fixtures, 'hcl-directory'))
      const { result } = await expectBuilt(
        workspace,
        { template: '.', variables: 'manifest_file=release-images.json' },
        { builds: ['amazon-ebs.web', 'amazon-ebs.arm', 'release.amazon-ebs.gpu'], manifest: 'release-images.json' }
      )
      expect(Object.keys(JSON.parse(result.outputs['ami-ids'])).sort()).toEqual(['eu-west-1', 'us-east-1', 'us-west-2'])
      expect(headingsOf(result.summary, 3)).toContain('release.amazon-ebs.gpu (amazon-ebs)')
    })

    /**
     * The fixture's build, whose sources list an entry with text after TYPE.NAME in `file`: warned
     * of at `place` before the install, and each AMI it builds in the outputs; then, once the entry
     * is one Packer refuses, refused there before anything is installed or sent to AWS.
     */
    async function expectSourceReferenceTail(fixture: string, file: string, place: { line: string; col: string }): Promise<{ result: ActionRun; builds: Builds }> {
      const workspace = workspaceFrom(join(fixtures, fixture))
      const built = await expectBuilt(workspace, { template: '.' }, { builds: ['amazon-ebs.base', 'amazon-ebs.base#2'], manifest: 'manifest.json' })
      const shown = file.replaceAll('.', '\\.')
      const warned = parseCommands(built.result.stdout, 'warning').filter(({ properties }) => properties.title === 'Source read otherwise')
      expect(warned).toEqual([
        {
          message: expect.stringMatching(
            new RegExp(`^template: ${shown}: "source\\.amazon-ebs\\.base\\.var\\.list\\[0\\]" in the build block's sources: Packer reads it as source\\.amazon-ebs\\.base and passes over "\\.var\\.list\\[0\\]" after it`)
          ),
          properties: { title: 'Source read otherwise', file, ...place }
        }
      ])
      expect(built.result.stdout.indexOf('title=Source read otherwise')).toBeLessThan(built.result.stdout.indexOf('::group::Install Packer'))

      const calls = endpoint.calls.length
      const refusedTemplate = join(workspace, file)
      writeFileSync(refusedTemplate, readFileSync(refusedTemplate, 'utf8').replace('"source.amazon-ebs.base.var.list[0]"', '"source.amazon-ebs.base[0]"'))
      const refused = await run(workspace, { template: '.' })
      expect(refused.exitCode).toBe(1)
      expect(refused.errors).toEqual([
        {
          message: expect.stringMatching(
            new RegExp(`^template: ${shown}: "source\\.amazon-ebs\\.base\\[0\\]" in the build block's sources names no source Packer can build: Packer expects source\\.TYPE\\.NAME`)
          ),
          properties: { title: 'Invalid input', file, ...place }
        },
        { message: expect.stringContaining('nothing was installed or built'), properties: {} }
      ])
      expect(refused.stdout).not.toContain('::group::Install Packer')
      expect(endpoint.calls.length).toBe(calls)
      return built
    }

    it('HCL2: a sources entry with text after TYPE.NAME is warned of on its line before the install, and each AMI it builds is in the outputs and tagged', async () => {
      const { result, builds } = await expectSourceReferenceTail('hcl-source-reference-tail', 'image.pkr.hcl', { line: '25', col: '5' })
      for (const byRegion of Object.values(builds)) expect(endpoint.tagsOf('us-east-1', byRegion['us-east-1'])).toMatchObject({ SourceCommit: pushToMain.GITHUB_SHA })
      expect(result.summary).toContain('passes over')
    })

    it("HCL2's JSON syntax: a sources entry with text after TYPE.NAME is warned of on its line before the install, and each AMI it builds is in the outputs", async () => {
      await expectSourceReferenceTail('hcl-json-source-reference-tail', 'image.pkr.json', { line: '23', col: '7' })
    })

    it('HCL2: one source block built twice under names a build block gives, each AMI under its own name, and only takes those names', async () => {
      const workspace = workspaceFrom(join(fixtures, 'hcl-named-sources'))
      const before = imagesNow()
      const result = await run(workspace, { template: '.' })
      expect(result.errors).toEqual([])
      expect(result.exitCode).toBe(0)
      const builds = JSON.parse(result.outputs.builds) as Builds
      expect(Object.keys(builds).sort()).toEqual(['amazon-ebs.jammy', 'amazon-ebs.noble'])
      // Each build's AMI is the one made with its own settings, though Packer 1.6.6's manifest
      // names both builds "ubuntu".
      for (const [build, byRegion] of Object.entries(builds)) {
        const image = endpoint.images('us-east-1').find((candidate) => candidate.imageId === byRegion['us-east-1'])
        expect(image?.name).toMatch(new RegExp(`^ubuntu-${build.slice('amazon-ebs.'.length)}-\\d+$`))
      }
      expect([...imagesNow()].filter((image) => !before.has(image))).toHaveLength(2)
      expect(result.outputs['ami-id']).toBe(builds['amazon-ebs.noble']['us-east-1'])
      // Packer before 1.7 lists such a build by its source block's name (amazon-ebs.ubuntu): the
      // template's own names for the builds give their order.
      const note = "ami-id and ami-ids are build amazon-ebs.noble's: the first, in the template's order,"
      expect(result.stdout).toContain(note)
      expect(renderedText(result.summary)).toContain(note)

      // only takes the name the build block gives, which Packer 1.6.6's inspect does not list:
      // checked against the template's own names for the builds.
      const noble = await run(workspace, { template: '.', only: 'amazon-ebs.noble', variables: 'suffix=-only' })
      expect(noble.errors).toEqual([])
      expect(noble.exitCode).toBe(0)
      expect(Object.keys(JSON.parse(noble.outputs.builds))).toEqual(['amazon-ebs.noble'])
      expect(noble.stdout).not.toContain('only/except are left to Packer')
    })

    it('HCL2: builds that give their AMIs one name with force_deregister: the AMI the later one deregistered is in no output', async () => {
      const workspace = workspaceFrom(join(fixtures, 'hcl-force-deregister-alike'))
      const before = imagesNow()
      // tagging-timeout bounds the wait for an AMI that is gone, were it still listed.
      const result = await run(workspace, { template: 'release.pkr.hcl', 'tagging-timeout': '20' })
      expect(result.errors).toEqual([])
      expect(result.exitCode).toBe(0)
      // The manifest lists both builds' AMIs; EC2 keeps only the second's.
      const manifest = JSON.parse(readFileSync(join(workspace, 'release-manifest.json'), 'utf8')) as { builds: Array<{ name: string; artifact_id: string }> }
      const listed = Object.fromEntries(manifest.builds.map((build) => [build.name, build.artifact_id.replace('us-east-1:', '')]))
      const made = [...imagesNow()].filter((image) => !before.has(image))
      expect(made).toEqual([`us-east-1:${listed.second}`])
      expect(JSON.parse(result.outputs.builds)).toEqual({ 'amazon-ebs.second': { 'us-east-1': listed.second } })
      expect(result.outputs['ami-id']).toBe(listed.second)
      const warning = `Packer deregistered build amazon-ebs.first's ${listed.first} (us-east-1) later in the run: with force_deregister`
      expect(result.warnings).toEqual([expect.stringContaining(warning)])
      expect(renderedText(result.summary)).toContain(warning)
      expect(result.summary).not.toContain(listed.first + '](')
      const image = endpoint.images('us-east-1').find((candidate) => candidate.imageId === listed.second)
      expect(image?.tags).toMatchObject({ SourceCommit: pushToMain.GITHUB_SHA })
    })

    it('JSON: a build that fails once it made its AMI, though Packer exits 0, fails the job, not told as force_deregister', async () => {
      const workspace = workspaceFrom(join(fixtures, 'json-description-unrendered'))
      // A description Packer renders as a template, and cannot: the api build deregisters its AMI.
      const broken = 'api_description=Release {{ .Name }}'
      const before = imagesNow()
      const both = await run(workspace, { template: 'release.json', variables: broken })
      const manifest = JSON.parse(readFileSync(join(workspace, 'release-manifest.json'), 'utf8')) as { builds: Array<{ name: string; artifact_id: string }> }
      const listed = Object.fromEntries(manifest.builds.map((build) => [build.name, build.artifact_id.replace('us-east-1:', '')]))
      expect([...imagesNow()].filter((image) => !before.has(image))).toEqual([`us-east-1:${listed.web}`])
      // The job fails as for a failed build, with the other build's AMI in the outputs, tagged,
      // but not as a set that reuse may take.
      const error =
        `Packer exited 0, but build api failed once it had made ${listed.api} (us-east-1) ("Error interpolating AMI description: ` +
        'template: root:1:11: executing "root" at <.Name>: can\'t evaluate field Name in type *common.BuildInfoTemplate"), ' +
        "and deregistered it as it cleaned up; the other builds' 1 AMI is in the outputs."
      expect(both.errors.map((annotation) => annotation.message)).toEqual([error])
      expect(both.warnings).toEqual([])
      expect(both.exitCode).toBe(1)
      expect(JSON.parse(both.outputs.builds)).toEqual({ web: { 'us-east-1': listed.web } })
      expect(renderedText(both.summary)).toContain(error.slice(0, error.indexOf('; the other builds')))
      const webImage = endpoint.images('us-east-1').find((image) => image.imageId === listed.web)
      expect(webImage?.tags).toMatchObject({ SourceCommit: pushToMain.GITHUB_SHA })
      expect(webImage?.tags).not.toHaveProperty('BuildFingerprint')

      // The only build fails so: the job fails, saying why, and blames no force_deregister.
      const api = await run(workspaceFrom(join(fixtures, 'json-description-unrendered')), { template: 'release.json', only: 'api', variables: broken })
      expect(api.exitCode).toBe(1)
      expect(api.warnings).toEqual([])
      expect(api.errors.map((error) => error.message)).toEqual([
        expect.stringMatching(
          /^Packer exited 0, but build api failed once it had made ami-[0-9a-f]+ \(us-east-1\) \("Error interpolating AMI description: .*"\), and deregistered it as it cleaned up: no AMI was built\.$/
        )
      ])
      expect(renderedText(api.summary)).toContain('Packer exited 0, but build api failed once it had made')

      // The first build fails so: ami-id is the next one's, which a warning says, as after a failed build.
      const web = await run(workspaceFrom(join(fixtures, 'json-description-unrendered')), { template: 'release.json', variables: 'web_description=Release {{ .Name }}' })
      expect(web.exitCode).toBe(1)
      expect(web.warnings).toEqual([
        "ami-id and ami-ids are build api's: build web, before it in the template's order, made no AMI, and packer build failed. Output builds has every build that made AMIs."
      ])
    })

    it('HCL2: builds a build block renames keep the template\'s order in the outputs when the last of them finishes first', async () => {
      const workspace = workspaceFrom(join(fixtures, 'hcl-named-sources'))
      // The first build waits until the manifest holds the second's AMI: they finish in the
      // opposite of the template's order.
      const template = join(workspace, 'image.pkr.hcl')
      const waitForManifest =
        '  provisioner "shell-local" {\n' +
        '    only   = ["amazon-ebs.noble"]\n' +
        '    inline = ["i=0; while [ ! -s packer-manifest.json ] && [ $i -lt 1200 ]; do sleep 0.1; i=$((i+1)); done"]\n' +
        '  }\n\n'
      writeFileSync(template, readFileSync(template, 'utf8').replace('  post-processor "manifest"', `${waitForManifest}  post-processor "manifest"`))
      const { result, builds } = await expectBuilt(
        workspace,
        { template: '.', variables: 'suffix=-order' },
        { builds: ['amazon-ebs.noble', 'amazon-ebs.jammy'], manifest: 'packer-manifest.json' }
      )
      const manifest = JSON.parse(readFileSync(join(workspace, 'packer-manifest.json'), 'utf8')) as { builds: Array<{ artifact_id: string }> }
      expect(manifest.builds.map((build) => build.artifact_id)).toEqual([
        `us-east-1:${builds['amazon-ebs.jammy']['us-east-1']}`,
        `us-east-1:${builds['amazon-ebs.noble']['us-east-1']}`
      ])
      const artifacts = JSON.parse(result.outputs.artifacts) as Array<{ build: string }>
      expect(artifacts.map((artifact) => artifact.build)).toEqual(['amazon-ebs.noble', 'amazon-ebs.jammy'])
      const note = "ami-id and ami-ids are build amazon-ebs.noble's: the first, in the template's order,"
      expect(result.stdout).toContain(note)
      expect(renderedText(result.summary)).toContain(note)
      expect(headingsOf(result.summary, 3).filter((heading) => heading.startsWith('amazon-ebs.'))).toEqual([
        'amazon-ebs.noble (amazon-ebs)',
        'amazon-ebs.jammy (amazon-ebs)'
      ])
      expect(result.stdout).not.toContain('ordered as they finish')
    })

    it("HCL2: only/except naming the source block a build block renames are refused before anything is built, naming the builds", async () => {
      const workspace = workspaceFrom(join(fixtures, 'hcl-named-sources'))
      const howNamed = 'HCL2 builds are named SOURCE_TYPE.SOURCE_NAME, with BUILD. in front for a named build block'
      const calls = endpoint.calls.length
      const excepted = await run(workspace, { template: '.', except: 'amazon-ebs.ubuntu' })
      expect(excepted.exitCode).toBe(1)
      expect(excepted.errors.map((error) => error.message)).toEqual([
        `except: "amazon-ebs.ubuntu" matches none of the template's builds (amazon-ebs.noble, amazon-ebs.jammy) nor its post-processors (manifest); ${howNamed}`
      ])
      const only = await run(workspace, { template: '.', only: 'amazon-ebs.ubuntu' })
      expect(only.exitCode).toBe(1)
      expect(only.errors.map((error) => error.message)).toEqual([
        `only: "amazon-ebs.ubuntu" matches none of the template's builds (amazon-ebs.noble, amazon-ebs.jammy); ${howNamed}`
      ])
      expect(endpoint.calls.length).toBe(calls)

      // A build block of its own name puts it in front, as Packer 1.6.6 does too.
      const template = join(workspace, 'image.pkr.hcl')
      writeFileSync(template, readFileSync(template, 'utf8').replace('build {\n', 'build {\n  name = "release"\n'))
      const bare = await run(workspace, { template: '.', except: 'amazon-ebs.noble' })
      expect(bare.errors.map((error) => error.message)).toEqual([
        `except: "amazon-ebs.noble" matches none of the template's builds (release.amazon-ebs.noble, release.amazon-ebs.jammy) nor its post-processors (manifest); ${howNamed}`
      ])
      const result = await run(workspace, { template: '.', except: 'release.amazon-ebs.noble', variables: 'suffix=-except' })
      expect(result.errors).toEqual([])
      expect(Object.keys(JSON.parse(result.outputs.builds))).toEqual(['release.amazon-ebs.jammy'])
      expect(result.stdout).not.toContain('only/except are left to Packer')
    })

    it('HCL2: only takes the name a build block gives its source though the parser cannot read that file, as Packer builds it', async () => {
      const workspace = workspaceFrom(join(fixtures, 'hcl-named-sources'))
      // A string the parser cannot read and Packer can, in the file whose build block renames the source.
      const template = join(workspace, 'image.pkr.hcl')
      writeFileSync(template, `${readFileSync(template, 'utf8')}\nlocals {\n  unused = "$$\${"\n}\n`)
      const result = await run(workspace, { template: '.', only: 'amazon-ebs.noble', variables: 'suffix=-unread' })
      expect(result.errors).toEqual([])
      expect(result.exitCode).toBe(0)
      expect(Object.keys(JSON.parse(result.outputs.builds))).toEqual(['amazon-ebs.noble'])
      if (version === '1.6.6') expect(result.stdout).toContain('only/except are left to Packer: Packer 1.6.6 lists a build that a build block names')
    })

    it('HCL2: a manifest path from path.root and locals, in a folder the build creates, for a folder or a file', async () => {
      const workspace = workspaceFrom(join(fixtures, 'hcl-path-root'))
      const { result } = await expectBuilt(workspace, { template: 'packer' }, {
        builds: ['amazon-ebs.web'],
        manifest: 'artifacts/ubuntu-manifest.json'
      })
      expect(result.stdout).toContain(`Created ${join(workspace, 'packer', '..', 'artifacts')} for the manifest`)
      await expectBuilt(workspace, { template: 'packer/image.pkr.hcl', variables: 'distro=debian' }, {
        builds: ['amazon-ebs.web'],
        manifest: 'artifacts/debian-manifest.json'
      })
    })

    it('HCL2: an auto variables file is read for a template directory, and not for a file in it, as Packer reads them', async () => {
      const workspace = workspaceFrom(join(fixtures, 'hcl-path-root'))
      writeFileSync(join(workspace, 'packer', 'release.auto.pkrvars.hcl'), 'distro = "fedora"\n')
      const folder = await expectBuilt(workspace, { template: 'packer' }, {
        builds: ['amazon-ebs.web'],
        manifest: 'artifacts/fedora-manifest.json'
      })
      expect(folder.result.warnings.filter((warning) => warning.includes('auto.pkrvars'))).toEqual([])
      // Packer takes the default: the AMI is read from the manifest at the default's path.
      const file = await expectBuilt(workspace, { template: 'packer/image.pkr.hcl' }, {
        builds: ['amazon-ebs.web'],
        manifest: 'artifacts/ubuntu-manifest.json'
      })
      expect(file.result.stdout).toContain(
        '::warning title=Variables file not read,file=packer/release.auto.pkrvars.hcl::packer/release.auto.pkrvars.hcl is not ' +
          'read: Packer reads *.auto.pkrvars files only from a template directory, and template is the file ' +
          'packer/image.pkr.hcl. Set template to its directory ("packer") or list the file in var-file to use its values.'
      )
      const listed = await expectBuilt(workspace, { template: 'packer/image.pkr.hcl', 'var-file': 'packer/release.auto.pkrvars.hcl' }, {
        builds: ['amazon-ebs.web'],
        manifest: 'artifacts/fedora-manifest.json'
      })
      expect(listed.result.stdout).not.toContain('Variables file not read')
    })

    it('HCL2: a manifest for each build block, each in a folder of its own not there before: only picks the second', async () => {
      const workspace = workspaceFrom(join(fixtures, 'hcl-manifest-per-build'))
      const { result } = await expectBuilt(workspace, { template: 'image.pkr.hcl', only: 'release.*' }, {
        builds: ['release.amazon-ebs.web'],
        manifest: 'manifests/release/images.json'
      })
      expect(result.stdout).toContain(`Created ${join(workspace, 'manifests', 'release')} for the manifest`)
      expect(existsSync(join(workspace, 'manifests', 'staging', 'images.json'))).toBe(false)
      // Then the first block alone: its own manifest is read, in the folder made the first time.
      const both = await expectBuilt(workspace, { template: 'image.pkr.hcl', only: 'staging.*' }, {
        builds: ['staging.amazon-ebs.web'],
        manifest: 'manifests/staging/images.json'
      })
      expect(both.result.stdout).not.toContain('Created')
    })

    it("HCL2: a broken packer-manifest.json is no reason to stop a template that writes its manifest elsewhere", async () => {
      const workspace = workspaceFrom(join(fixtures, 'hcl-path-root'))
      writeFileSync(join(workspace, 'packer-manifest.json'), '<<<<<<< HEAD\n{"builds": []}\n')
      await expectBuilt(workspace, { template: 'packer' }, {
        builds: ['amazon-ebs.web'],
        manifest: 'artifacts/ubuntu-manifest.json'
      })
    })

    it("HCL2: a file Packer's manifest post-processor would fail on at the template's path stops the run before the build", async () => {
      const workspace = workspaceFrom(join(fixtures, 'hcl-path-root'))
      mkdirSync(join(workspace, 'artifacts'))
      writeFileSync(join(workspace, 'artifacts', 'ubuntu-manifest.json'), '{"builds": [')
      const calls = endpoint.calls.length
      const result = await run(workspace, { template: 'packer' })
      expect(result.exitCode).toBe(1)
      expect(result.errors.map((error) => [error.properties.title, error.properties.file, error.message])).toEqual([
        ['Invalid input', 'artifacts/ubuntu-manifest.json', expect.stringMatching(/^manifest: artifacts\/ubuntu-manifest\.json is not valid JSON at line 1, column 13/)],
        [undefined, undefined, expect.stringMatching(/^Packer's manifest post-processor would fail on the file .*nothing was built\.$/)]
      ])
      expect(result.stdout).not.toContain('::group::Build')
      expect(endpoint.calls.slice(calls).map((call) => call.action)).not.toContain('RunInstances')
      expect(tableRows(result.summary, ['', 'Where', 'Message'])).toEqual([
        [':x:', 'artifacts/ubuntu-manifest.json:1', expect.stringMatching(/^manifest: artifacts\/ubuntu-manifest\.json is not valid JSON at line 1, column 13/)]
      ])
    })

    /**
     * The fixture's template, stopped by the action after packer validate and before any build,
     * with `message` on line 21 of image.pkr.hcl (a string, or an asymmetric matcher).
     */
    async function stoppedBeforeTheBuild(fixture: string, message: unknown): Promise<void> {
      const workspace = workspaceFrom(join(fixtures, fixture))
      const calls = endpoint.calls.length
      const result = await run(workspace, { template: 'image.pkr.hcl' })
      expect(result.exitCode).toBe(1)
      expect(result.errors.map((error) => [error.properties.title, error.properties.file, error.properties.line, error.message])).toEqual([
        ['Invalid input', 'image.pkr.hcl', '21', message],
        [undefined, undefined, undefined, `Packer ${version} would fail the template's post-processors after the build and delete the AMIs (see the errors above); nothing was built.`]
      ])
      expect(result.stdout).toContain('packer validate: image.pkr.hcl is valid.')
      expect(result.stdout).not.toContain('::group::Build')
      expect(endpoint.calls.slice(calls).map((call) => call.action)).not.toContain('RunInstances')
    }

    it('HCL2: build.name in a post-processor stops a Packer before 1.7.7 before the build, on its line, rather than losing the AMIs', async () => {
      await stoppedBeforeTheBuild(
        'hcl-build-name-manifest',
        expect.stringMatching(new RegExp(`^post-processor "manifest" reads build\\.name, which Packer ${version.replaceAll('.', '\\.')} does not give .* set packer-version: ">=1\\.7\\.7", or do not use build\\.name in this post-processor\\.$`))
      )
    })

    it('HCL2: build.Host in a post-processor of a build with communicator "none" stops a Packer before 1.7.7 before the build, on its line', async () => {
      await stoppedBeforeTheBuild(
        'hcl-no-communicator-host',
        `post-processor "shell-local" reads build.Host, which Packer ${version} does not give a post-processor of a build that ` +
          'connects no communicator (amazon-ebs.web has communicator = "none"): packer validate accepts it, but the post-processor ' +
          'fails after the build ("Unsupported attribute") and Packer deletes the AMIs it made. From Packer 1.7.7 it no longer ' +
          'fails, and reads "<unknown>" there: set packer-version: ">=1.7.7", give the source a communicator, or do not use ' +
          'build.Host in this post-processor.'
      )
    })

    it('HCL2: build.Host in a post-processor that only/except leave out of the run is no reason to stop it (its build, or the post-processor itself)', async () => {
      const workspace = workspaceFrom(join(fixtures, 'hcl-no-communicator-host'))
      const template = join(workspace, 'image.pkr.hcl')
      // A second build of the same source, without the post-processor; each AMI named afresh, as the runs may share a second.
      const text = readFileSync(template, 'utf8').replace('web-{{timestamp}}', 'web-{{uuid}}')
      writeFileSync(template, `${text}\nbuild {\n  name    = "quiet"\n  sources = ["source.amazon-ebs.web"]\n}\n`)
      for (const selection of [{ only: 'quiet.*' }, { except: 'amazon-ebs.web' }] as Array<Record<string, string>>) {
        const { result } = await expectBuilt(workspace, { template: 'image.pkr.hcl', ...selection }, { builds: ['quiet.amazon-ebs.web'] })
        expect(result.stdout).not.toContain('shell-local')
      }
      // Packer skips a post-processor that except names (by its type when it has no name), and the build keeps its AMI.
      const calls = endpoint.calls.length
      const { result } = await expectBuilt(workspace, { template: 'image.pkr.hcl', only: 'amazon-ebs.web', except: 'shell-local' }, { builds: ['amazon-ebs.web'] })
      expect(result.stdout).not.toContain('built on')
      const actions = endpoint.calls.slice(calls).map((call) => call.action)
      expect(actions).toContain('CreateImage')
      expect(actions).not.toContain('DeregisterImage')
    })

    it('HCL2: a post-processor of a build with communicator "none" that reads what Packer gives it builds (build.ID, build.PackerRunUUID)', async () => {
      const workspace = workspaceFrom(join(fixtures, 'hcl-no-communicator-host'))
      const template = join(workspace, 'image.pkr.hcl')
      writeFileSync(template, readFileSync(template, 'utf8').replace('${build.Host}', '${build.ID}'))
      const { result } = await expectBuilt(workspace, { template: 'image.pkr.hcl' }, { builds: ['amazon-ebs.web'] })
      expect(result.stdout).toMatch(/built on i-[0-9a-f]{17}/)
    })

    it('HCL2: a manifest path only Packer knows: the AMIs come from its output, and an old file at the default path is not read', async () => {
      const workspace = workspaceFrom(join(fixtures, 'hcl-source-manifests'))
      const earlier = { builds: [{ name: 'web', builder_type: 'amazon-ebs', artifact_id: 'us-east-1:ami-0fedcba9876543210', packer_run_uuid: 'earlier' }], last_run_uuid: 'earlier' }
      writeFileSync(join(workspace, 'packer-manifest.json'), JSON.stringify(earlier))
      const { result } = await expectBuilt(workspace, { template: 'image.pkr.hcl' }, { builds: ['amazon-ebs.web', 'amazon-ebs.worker'] })
      expect(result.stdout).toContain(
        'The template\'s manifest post-processor writes to "manifests/${source.name}.json", a path Packer fills in for each build as it ' +
          `builds it; the folders of such manifests (${join(workspace, 'manifests')}) were made before the build where missing. ` +
          "Reading the AMIs from Packer's output, not those files."
      )
      expect(result.stdout).not.toContain('only Packer knows')
      expect(readdirSync(join(workspace, 'manifests')).sort()).toEqual(['.keep', 'web.json', 'worker.json'])
    })

    it('a manifest per build, named by a build-time field, in folders not there before: every AMI kept, tagged and listed (JSON and HCL2)', async () => {
      const json = workspaceFrom(join(fixtures, 'json-build-manifests'))
      const perBuild = await expectBuilt(json, { template: 'image.json', tags: 'team=images' }, { builds: ['web', 'worker'] })
      for (const folder of ['manifests', 'images/web', 'images/worker']) {
        expect(perBuild.result.stdout).toContain(`Created ${join(json, folder)} for the manifest`)
      }
      expect(readdirSync(join(json, 'manifests')).sort()).toEqual(['web.json', 'worker.json'])
      expect(readdirSync(join(json, 'images', 'web'))).toEqual(['manifest.json'])
      const folders = ['manifests', 'images/web', 'images/worker'].map((folder) => join(json, folder)).join(', ')
      expect(perBuild.result.stdout).toContain(
        'The template\'s manifest post-processor writes to "manifests/{{build_name}}.json", a path Packer fills in for each build as it ' +
          `builds it; the folders of such manifests (${folders}) were made before the build where missing.`
      )

      const hcl = workspaceFrom(join(fixtures, 'hcl-source-manifests'))
      rmSync(join(hcl, 'manifests'), { recursive: true })
      const perSource = await expectBuilt(hcl, { template: 'image.pkr.hcl', tags: 'team=images' }, { builds: ['amazon-ebs.web', 'amazon-ebs.worker'] })
      expect(perSource.result.stdout).toContain(`Created ${join(hcl, 'manifests')} for the manifest`)
      expect(readdirSync(join(hcl, 'manifests')).sort()).toEqual(['web.json', 'worker.json'])

      const named = workspaceFrom(join(fixtures, 'hcl-build-manifests'))
      const perBlock = await expectBuilt(named, { template: 'image.pkr.hcl', tags: 'team=images' }, {
        builds: ['release.amazon-ebs.web', 'release.amazon-ebs.worker']
      })
      for (const source of ['web', 'worker']) expect(readdirSync(join(named, 'builds', 'amazon-ebs', source))).toEqual(['manifest.json'])

      for (const { builds } of [perBuild, perSource, perBlock]) {
        for (const byRegion of Object.values(builds)) {
          for (const [region, amiId] of Object.entries(byRegion)) {
            const image = endpoint.images(region).find((candidate) => candidate.imageId === amiId)
            expect(image?.tags).toMatchObject({ team: 'images' })
          }
        }
      }
    })

    it("a manifest post-processor in some builds only: every build's AMIs in the outputs, tagged with their snapshots, and in the summary (HCL2 and JSON); a notice names the builds the manifest does not list", async () => {
      /** Each AMI of the run tagged, its snapshots as it, every one read from Packer's output rather than found afterwards in EC2. */
      const expectTagged = ({ result, builds }: { result: ActionRun; builds: Builds }): void => {
        expect(result.warnings).toEqual([])
        expect(result.stdout).not.toContain('Found in EC2 the AMIs of builds that finished')
        for (const byRegion of Object.values(builds)) {
          for (const [region, amiId] of Object.entries(byRegion)) {
            const image = endpoint.images(region).find((candidate) => candidate.imageId === amiId)
            expect(image?.tags).toMatchObject({ team: 'images', SourceCommit: pushToMain.GITHUB_SHA })
            const snapshots = (image?.blockDeviceMappings ?? []).flatMap((device) => (device.snapshotId ? [device.snapshotId] : []))
            expect(snapshots).not.toEqual([])
            for (const snapshot of snapshots) expect(endpoint.tagsOf(region, snapshot)).toEqual(image?.tags)
          }
        }
      }
      /**
       * The one notice (no warning: nothing went wrong) and the summary's line, naming the builds
       * the manifest read does not list, the file, and what gives them an entry; none given none.
       */
      const expectNoted = ({ result }: { result: ActionRun }, note?: { builds: string; manifest: string; fix: string }): void => {
        const notices = parseCommands(result.stdout, 'notice').filter(({ properties }) => properties.title === 'Manifest')
        if (note === undefined) {
          expect(notices).toEqual([])
          expect(renderedText(result.summary)).not.toContain('wrote no entry in')
          return
        }
        const message =
          `${note.builds} wrote no entry in ${note.manifest}, the manifest the AMIs were read from: its AMIs came from Packer's output, and are in the outputs. ` +
          "Were Packer cancelled or killed, it would announce no artifact, and the copies in other regions of a finished build's AMI would be found only by asking EC2. " +
          `To have the manifest list it, ${note.fix}.`
        expect(notices.map(({ message }) => message)).toEqual([message])
        expect(renderedText(result.summary)).toContain(message)
      }
      const hcl = workspaceFrom(join(fixtures, 'hcl-manifest-one-build'))
      const hclBuilds = { builds: ['staging.amazon-ebs.web', 'release.amazon-ebs.web'], manifest: 'staging-manifest.json' }
      const hclNote = {
        builds: 'Build release.amazon-ebs.web',
        manifest: 'staging-manifest.json',
        fix: 'give its build block a post-processor "manifest" that writes to that file'
      }
      let built = await expectBuilt(hcl, { template: 'image.pkr.hcl', tags: 'team=images' }, hclBuilds)
      expectTagged(built)
      expectNoted(built, hclNote)
      // Again: the manifest now holds the earlier run's entry too, and only this run's AMIs are listed.
      built = await expectBuilt(hcl, { template: 'image.pkr.hcl', tags: 'team=images' }, hclBuilds)
      expectTagged(built)
      expectNoted(built, hclNote)
      const manifest = JSON.parse(readFileSync(join(hcl, 'staging-manifest.json'), 'utf8')) as { builds: Array<{ name: string }> }
      expect(manifest.builds.map((build) => build.name)).toEqual(['web', 'web'])

      const jsonBuilds = { builds: ['web', 'worker'], manifest: 'out/web-manifest.json' }
      const jsonNote = {
        builds: 'Build worker',
        manifest: 'out/web-manifest.json',
        fix: 'have the manifest post-processor that writes it run for that build: no only or except of its own that leaves it out'
      }
      const json = workspaceFrom(join(fixtures, 'json-manifest-only'))
      built = await expectBuilt(json, { template: 'image.json', tags: 'team=images' }, jsonBuilds)
      expectTagged(built)
      expectNoted(built, jsonNote)
      const written = JSON.parse(readFileSync(join(json, 'out', 'web-manifest.json'), 'utf8')) as { builds: Array<{ name: string }> }
      expect(written.builds.map((build) => build.name)).toEqual(['web'])
      const excepting = workspaceFrom(join(fixtures, 'json-manifest-only'))
      const template = join(excepting, 'image.json')
      writeFileSync(template, readFileSync(template, 'utf8').replace('"only": ["web"]', '"except": ["worker", "smoke-test"]'))
      built = await expectBuilt(excepting, { template: 'image.json', tags: 'team=images' }, jsonBuilds)
      expectTagged(built)
      expectNoted(built, jsonNote)

      // A manifest post-processor of worker's own that input except leaves out: the user's choice, no notice.
      const skipping = workspaceFrom(join(fixtures, 'json-manifest-only'))
      const skippingTemplate = join(skipping, 'image.json')
      const parsed = JSON.parse(readFileSync(skippingTemplate, 'utf8')) as { 'post-processors': object[] }
      parsed['post-processors'].push({ type: 'manifest', name: 'worker-manifest', only: ['worker'], output: 'out/web-manifest.json' })
      writeFileSync(skippingTemplate, JSON.stringify(parsed, null, 2))
      built = await expectBuilt(skipping, { template: 'image.json', tags: 'team=images', except: 'worker-manifest' }, jsonBuilds)
      expectTagged(built)
      expectNoted(built)
      const skipped = JSON.parse(readFileSync(join(skipping, 'out', 'web-manifest.json'), 'utf8')) as { builds: Array<{ name: string }> }
      expect(skipped.builds.map((build) => build.name)).toEqual(['web'])
    })

    it('JSON: encrypt_boot with a KMS key per region: every encrypted AMI tagged, and the unencrypted one Packer deregisters is no problem', async () => {
      const workspace = workspaceFrom(join(fixtures, 'json-encrypted-copies'))
      const deregisteredBefore = endpoint.callsOf('DeregisterImage').length
      const { result, builds } = await expectBuilt(
        workspace,
        { template: 'image.json', tags: 'team=images' },
        { builds: ['amazon-ebs'], manifest: 'out/manifest.json' }
      )
      expect(Object.keys(builds['amazon-ebs']).sort()).toEqual(['eu-west-1', 'us-east-1', 'us-west-2'])
      // Packer made an unencrypted AMI first and removed it once its encrypted copy was there.
      const deregistered = endpoint.callsOf('DeregisterImage').slice(deregisteredBefore).map((call) => call.params.ImageId)
      expect(deregistered).toHaveLength(1)
      expect(result.stdout).toContain(`AMI: ${deregistered[0]}`)
      expect(Object.values(builds['amazon-ebs'])).not.toContain(deregistered[0])
      expect(result.warnings).toEqual([])
      expect(headingsOf(result.summary, 4)).not.toContain('Problems')
      for (const [region, amiId] of Object.entries(builds['amazon-ebs'])) {
        const image = endpoint.images(region).find((candidate) => candidate.imageId === amiId)
        expect(image?.tags).toMatchObject({ team: 'images' })
        for (const device of image?.blockDeviceMappings ?? []) {
          if (device.snapshotId) expect(endpoint.tagsOf(region, device.snapshotId)).toMatchObject({ team: 'images' })
        }
      }
    })

    it("two builds: each AMI's snapshots carry the same tags as the AMI, its build's ImageFamily and PackerBuild included", async () => {
      const workspace = workspaceFrom(join(fixtures, 'json-build-manifests'))
      const { builds } = await expectBuilt(workspace, { template: 'image.json', tags: 'team=images' }, { builds: ['web', 'worker'] })
      for (const [build, byRegion] of Object.entries(builds)) {
        for (const [region, amiId] of Object.entries(byRegion)) {
          const image = endpoint.images(region).find((candidate) => candidate.imageId === amiId)
          expect(image?.tags).toMatchObject({ team: 'images', ImageFamily: `acme/images/image.json/${build}`, PackerBuild: expect.stringContaining(build) })
          const snapshots = (image?.blockDeviceMappings ?? []).flatMap((device) => (device.snapshotId ? [device.snapshotId] : []))
          expect(snapshots).not.toEqual([])
          for (const snapshot of snapshots) expect(endpoint.tagsOf(region, snapshot)).toEqual(image?.tags)
        }
      }
    })

    it('JSON: a manifest path from {{template_dir}} in a user variable, in a folder the build creates', async () => {
      const workspace = workspaceFrom(join(fixtures, 'json-template-dir'))
      await expectBuilt(workspace, { template: 'packer/image.json' }, { builds: ['amazon-ebs'], manifest: 'packer/out/manifest.json' })
    })

    /** A workspace of the fixture whose root keys are in other cases, its template edited: `from` replaced by `to`. */
    function rootCaseWith(from: string, to: string): string {
      const workspace = workspaceFrom(join(fixtures, 'json-root-case'))
      const path = join(workspace, 'image.json')
      writeFileSync(path, readFileSync(path, 'utf8').replace(from, to))
      return workspace
    }

    it('JSON: root keys in other cases (Builders, Post-Processors), which Packer matches without regard to case', async () => {
      const workspace = workspaceFrom(join(fixtures, 'json-root-case'))
      await expectBuilt(workspace, { template: 'image.json' }, { builds: ['web'], manifest: 'out/root-case.json' })
    })

    it('JSON: a misspelt "builders" is refused on its line, before Packer is installed, naming the key meant', async () => {
      const workspace = rootCaseWith('"Builders"', '"buildes"')
      const refused = await run(workspace, { template: 'image.json' })
      expect(refused.exitCode).toBe(1)
      expect(refused.errors).toEqual([
        {
          message:
            'template: image.json is not a Packer JSON template: expected "builders" to be a non-empty array; ' +
            'Packer does not know its key "buildes": did you mean "builders"?',
          properties: expect.objectContaining({ file: 'image.json', line: '7' })
        }
      ])
      expect(refused.stdout).not.toContain('::group::Install Packer')
    })

    /** Runs the root-case fixture edited so (rootCaseWith), which fails with its first error, `message`, on `line` of the template. */
    async function expectFailedOnLine(from: string, to: string, message: unknown, line: string): Promise<void> {
      const failed = await run(rootCaseWith(from, to), { template: 'image.json' })
      expect(failed.exitCode).toBe(1)
      expect(failed.errors[0]).toEqual({ message, properties: expect.objectContaining({ file: 'image.json', line }) })
    }

    it("JSON: Packer's refusal of a setting in such a template is annotated on the setting's line", async () => {
      await expectFailedOnLine('"instance_type"', '"instance_typo"', expect.stringContaining('instance_typo'), '16')
    })

    it('JSON: clean_ami_name, which Packer no longer has, is refused on its line with the name Packer has now', async () => {
      const launched = endpoint.callsOf('RunInstances').length
      await expectFailedOnLine(
        '"{{user `name`}}-{{timestamp}}"',
        '"{{user `name`}}-{{isotime | clean_ami_name}}"',
        expect.stringMatching(
          /function "clean_ami_name" not defined[\s\S]*Packer names it clean_resource_name now: `packer fix image\.json` rewrites the template so\.$/
        ),
        '17'
      )
      expect(endpoint.callsOf('RunInstances').length).toBe(launched)
    })

    it('JSON: a problem found before the build in such a template is annotated on its line', async () => {
      const workspace = rootCaseWith('["eu-west-1"]', '["eu-west-1 "]')
      const refused = await run(workspace, { template: 'image.json' })
      expect(refused.exitCode).toBe(1)
      expect(refused.errors).toEqual([
        expect.objectContaining({
          message: expect.stringContaining('ami_regions of builder "web" expected AWS regions without spaces, found "eu-west-1 "'),
          properties: expect.objectContaining({ file: 'image.json', line: '14' })
        })
      ])
    })

    it("JSON: a failing script's error in such a template is on its provisioner's line", async () => {
      const provisioners = '  "Provisioners": [\n    { "type": "shell-local", "inline": ["echo one"] },\n    { "type": "shell-local", "inline": ["exit 2"] }\n  ],\n'
      const failing = expect.stringMatching(/^web: Script exited with non-zero exit status: 2/)
      await expectFailedOnLine('  "Post-Processors": [', `${provisioners}  "Post-Processors": [`, failing, '22')
    })

    it('JSON: reuse of such a template notices a change to a script its Provisioners name, and Sensitive-Variables stay out of the log', async () => {
      const provisioners =
        '  "Sensitive-Variables": ["db_password"],\n' +
        '  "Provisioners": [\n    { "type": "shell-local", "script": "scripts/setup.sh" },\n' +
        '    { "type": "shell-local", "inline": ["echo secret={{user `db_password`}}"] }\n  ],\n'
      const workspace = rootCaseWith('  "Post-Processors": [', `${provisioners}  "Post-Processors": [`)
      mkdirSync(join(workspace, 'scripts'))
      writeFileSync(join(workspace, 'scripts', 'setup.sh'), '#!/bin/sh\necho setting up\n', { mode: 0o755 })
      // Only the template itself: the script counts because the template names it.
      const inputs = { template: 'image.json', reuse: 'true', 'aws-region': 'us-east-1', 'fingerprint-paths': 'image.json', variables: 'db_password=S3cr3tRootCase' }
      const first = await run(workspace, inputs)
      expect(first.errors).toEqual([])
      expect(first.stdout).toContain("Fingerprint of the build's inputs (2 files)")
      expect(first.stdout).toContain('secret=S3cr3tRootCase')
      expect(asTheRunnerShowsIt(first).log).toContain('secret=***')
      expect(asTheRunnerShowsIt(first).log).not.toContain('S3cr3t')

      const unchanged = await run(workspace, inputs)
      expect(unchanged.exitCode).toBe(0)
      expect(unchanged.outputs['ami-id']).toBe(first.outputs['ami-id'])
      expect(unchanged.summary).toContain(':white_check_mark: AMIs reused')

      writeFileSync(join(workspace, 'scripts', 'setup.sh'), '#!/bin/sh\necho setting up anew\n')
      const changed = await run(workspace, inputs)
      expect(changed.errors).toEqual([])
      expect(changed.stdout).toContain('setting up anew')
      expect(changed.outputs['ami-id']).not.toBe(first.outputs['ami-id'])
    })

    it.each([
      ['a required variable left unset', '"owner": null', 'required variable not set: owner'],
      ["a variable's value it cannot work out", '"when": "{{nope}}"', "error interpolating default value for 'when'"]
    ])("JSON: Packer's refusal of %s in such a template is on the variable's line", async (_, variable, message) => {
      await expectFailedOnLine('"name": "root-case"', `"name": "root-case",\n    ${variable}`, expect.stringContaining(message), '6')
    })

    it.each([
      ['JSON: {{env `PWD`}}', 'image.json', 'amazon-ebs'],
      ['HCL2: env("PWD")', 'image.pkr.hcl', 'amazon-ebs.web']
    ])('%s names the working directory, where Packer runs, as a shell would, whatever PWD the runner had', async (_, template, build) => {
      const workspace = workspaceFrom(join(fixtures, 'pwd'))
      const runnerFolder = mkdtempSync(join(tmpdir(), 'runner-'))
      await expectBuilt(
        workspace,
        { template, 'working-directory': 'images' },
        { builds: [build], manifest: 'images/out/manifest.json' },
        { PWD: runnerFolder }
      )
      expect(readdirSync(runnerFolder)).toEqual([])
    })

    it('HCL2: only takes Packer\'s globs, and an entry matching no build is refused before anything is built', async () => {
      const workspace = workspaceFrom(join(fixtures, 'hcl-directory'))
      await expectBuilt(workspace, { template: '.', only: '*.gpu,amazon-ebs.a*' }, {
        builds: ['amazon-ebs.arm', 'release.amazon-ebs.gpu'],
        manifest: 'images.json'
      })
      const calls = endpoint.calls.length
      const refused = await run(workspaceFrom(join(fixtures, 'hcl-directory')), { template: '.', only: 'gpu' })
      expect(refused.exitCode).toBe(1)
      expect(refused.errors.map((error) => error.message)).toEqual([
        'only: "gpu" matches none of the template\'s builds (amazon-ebs.web, amazon-ebs.arm, release.amazon-ebs.gpu); ' +
          'HCL2 builds are named SOURCE_TYPE.SOURCE_NAME, with BUILD. in front for a named build block'
      ])
      expect(endpoint.calls.length).toBe(calls)
    })
  })

  describe('sensitive variables', () => {
    /**
     * Packer printed each of `printed` in clear, so the masking is the action's: the log as the
     * runner shows it has each of `shown` instead, and `secret` neither there nor in the summary
     * as GitHub renders it.
     */
    function expectMasked(result: ActionRun, printed: string[], shown: string[], secret: RegExp, runnerSecrets: string[] = []): void {
      for (const text of printed) expect(result.stdout).toContain(text)
      const asShown = asTheRunnerShowsIt(result, runnerSecrets)
      for (const text of shown) expect(asShown.log).toContain(text)
      expect(asShown.log).not.toMatch(secret)
      expect(asShown.summary).not.toMatch(secret)
      expect(renderedText(asShown.summary)).not.toMatch(secret)
    }

    it('JSON: values from variables, a variables file (multi-line) and defaults print as ***', async () => {
      const workspace = workspaceFrom(join(fixtures, 'sensitive-json'))
      // Lines apart, then as a key kept on one line: a backslash and an n, which the log shows as a line break.
      writeFileSync(join(workspace, 'secrets.json'), JSON.stringify({ signing_key: 'K3yLineOne\nK3yLineTwo\\nK3yLineThree' }))
      const fromVar = await run(workspace, { template: 'template.json', 'var-file': 'secrets.json', variables: 'db_password=S3cr3tFromVar' })
      expect(fromVar.exitCode).toBe(0)
      expectMasked(fromVar, ['secret=S3cr3tFromVar', 'K3yLineTwo'], ['secret=***', 'key=***'], /S3cr3t|K3yLine/)

      // force: the AMI name is from {{timestamp}}, and both runs may fall in the same second.
      const fromDefault = await run(workspace, { template: 'template.json', force: 'true' })
      expect(fromDefault.stdout).toContain('secret=S3cr3tFromDefault')
      expect(asTheRunnerShowsIt(fromDefault).log).toContain('secret=***')
      expect(asTheRunnerShowsIt(fromDefault).log).not.toContain('S3cr3t')
    })

    it('JSON: values only Packer fetches ({{vault}}, one of them multi-line) print as ***', async () => {
      const vault = await startVault('ci-token', {
        'secret/data/ci': { api_token: 'V4ultT0ken', deploy_key: 'V4ultKeyOne\nV4ultKeyTwo' }
      })
      try {
        const workspace = workspaceFrom(join(fixtures, 'sensitive-vault'))
        const result = await run(workspace, { template: 'template.json' }, { VAULT_ADDR: vault.url, VAULT_TOKEN: 'ci-token' })
        expect(result.exitCode).toBe(0)
        expect(result.errors).toEqual([])
        expectMasked(result, ['token=V4ultT0ken', 'V4ultKeyTwo'], ['token=***', 'key=***'], /V4ult/)
        // Asked of Packer by the action, then read again by packer validate and packer build.
        expect(vault.reads.length).toBeGreaterThanOrEqual(3 * 2)
        expect(new Set(vault.reads.map((read) => `${read.path} ${read.token}`))).toEqual(new Set(['secret/data/ci ci-token']))
      } finally {
        await vault.close()
      }
    })

    it('JSON: a {{vault}} variable that sensitive-variables does not list prints as *** all the same', async () => {
      const vault = await startVault('ci-token', { 'secret/data/ci': { api_token: 'V4ultT0ken', deploy_key: 'V4ultKeyOne\nV4ultKeyTwo' } })
      try {
        const workspace = workspaceFrom(join(fixtures, 'sensitive-vault'))
        const template = JSON.parse(readFileSync(join(workspace, 'template.json'), 'utf8')) as Record<string, unknown>
        delete template['sensitive-variables']
        writeFileSync(join(workspace, 'template.json'), JSON.stringify(template, null, 2))
        const result = await run(workspace, { template: 'template.json' }, { VAULT_ADDR: vault.url, VAULT_TOKEN: 'ci-token' })
        expect(result.exitCode).toBe(0)
        expect(result.errors).toEqual([])
        expect(result.warnings).toEqual([])
        expectMasked(result, ['token=V4ultT0ken', 'V4ultKeyTwo'], ['token=***', 'key=***'], /V4ult/)
      } finally {
        await vault.close()
      }
    })

    it('HCL2: a secret read with vault(), in a local and in a setting, prints as *** though nothing declares it sensitive', async () => {
      const vault = await startVault('ci-token', { 'secret/data/ci': { api_token: 'V4ultT0ken', deploy_key: 'V4ultDeployKey' } })
      try {
        const workspace = workspaceFrom(join(fixtures, 'sensitive-hcl'))
        const template = readFileSync(join(workspace, 'template.pkr.hcl'), 'utf8')
          .replace('build {\n', 'locals {\n  token = vault("secret/data/ci", "api_token")\n}\n\nbuild {\n')
          .replace('      "echo secret=${var.db_password}",\n', '      "echo vault=${local.token} key=${vault("secret/data/ci", "deploy_key")}",\n')
        writeFileSync(join(workspace, 'template.pkr.hcl'), template)
        const result = await run(workspace, { template: 'template.pkr.hcl', force: 'true' }, { VAULT_ADDR: vault.url, VAULT_TOKEN: 'ci-token' })
        expect(result.errors).toEqual([])
        expect(result.exitCode).toBe(0)
        expectMasked(result, ['vault=V4ultT0ken key=V4ultDeployKey'], ['vault=*** key=***'], /V4ult/)
      } finally {
        await vault.close()
      }
    })

    it('HCL2: values from variables, a variables file and defaults print as ***', async () => {
      const workspace = workspaceFrom(join(fixtures, 'sensitive-hcl'))
      writeFileSync(join(workspace, 'prod.pkrvars.hcl'), 'db_password = "S3cr3tFromFile"\n')
      for (const [inputs, secret] of [
        [{ variables: 'db_password=S3cr3tFromVar' }, 'S3cr3tFromVar'],
        [{ 'var-file': 'prod.pkrvars.hcl' }, 'S3cr3tFromFile'],
        [{}, 'S3cr3tFromDefault']
      ] as const) {
        // force: the AMI name is from {{timestamp}}, and runs may fall in the same second.
        const result = await run(workspace, { template: 'template.pkr.hcl', force: 'true', ...inputs })
        expect(result.exitCode).toBe(0)
        // No manifest here: the AMIs come from Packer's output, under the same build name.
        expect(result.outputs.manifest).toBe('')
        expect(Object.keys(JSON.parse(result.outputs.builds))).toEqual(['amazon-ebs.app'])
        expectMasked(result, [`secret=${secret}`], ['secret=***'], /S3cr3t/)
      }
    })

    it('HCL2: each string of a sensitive map or list given as text (variables, PKR_VAR_), typed or typed by its default, prints as ***', async () => {
      const workspace = workspaceFrom(join(fixtures, 'sensitive-hcl'))
      // force: the AMI name is from {{timestamp}}, and runs may fall in the same second.
      const result = await run(
        workspace,
        { template: 'template.pkr.hcl', force: 'true', variables: 'api_keys={prod = "K3yProd", dev = "K3yDev"}\nuntyped_keys={prod = "K3yUntyped"}' },
        { PKR_VAR_tokens: '["T0kOne", "T0kTwo"]' }
      )
      expect(result.exitCode).toBe(0)
      // Packer printed them in clear, each on its own.
      expectMasked(
        result,
        ['key=K3yProd tokens=T0kOne+T0kTwo', 'untyped=K3yUntyped'],
        ['key=*** tokens=***+***', 'untyped=***'],
        /K3y|T0k/
      )
    })

    it('HCL2: a sensitive default read from the environment with env() prints as ***', async () => {
      const workspace = workspaceFrom(join(fixtures, 'sensitive-hcl'))
      const result = await run(workspace, { template: 'template.pkr.hcl', force: 'true' }, { API_TOKEN: 'T0kenFromEnv' })
      expect(result.exitCode).toBe(0)
      expectMasked(result, ['token=T0kenFromEnv'], ['token=***'], /T0kenFromEnv/)
    })

    it('HCL2: a sensitive value that packer validate quotes in its error prints as ***', async () => {
      // Packer validates while the template is still being read, before the values are known.
      const workspace = workspaceFrom(join(fixtures, 'sensitive-hcl'))
      writeFileSync(join(workspace, 'wrong.pkrvars.hcl'), 'db_password = ["S3cr3tInAList"]\n')
      const result = await run(workspace, { template: 'template.pkr.hcl', 'var-file': 'wrong.pkrvars.hcl' })
      expect(result.exitCode).toBe(1)
      // Packer quoted the file's line in clear.
      expectMasked(
        result,
        ['db_password = ["S3cr3tInAList"]'],
        ['db_password = ["***"]', 'packer validate found problems in template.pkr.hcl'],
        /S3cr3t/
      )
    })

    it("a value Packer quotes in its error is *** in the summary's table too, when the template marks it sensitive and when only the runner knows it is a secret", async () => {
      const workspace = workspaceFrom(join(fixtures, 'sensitive-json'))
      // Packer quotes a setting it cannot read, here a duration. The value has Markdown's
      // punctuation in it, which the summary's table must not reshape past the runner's masking.
      const secret = 'W4it-P@ss_w*rd!'
      const template = (sensitive: string[]): string =>
        JSON.stringify({
          variables: { wait: '' },
          'sensitive-variables': sensitive,
          builders: [
            { type: 'amazon-ebs', region: 'us-east-1', source_ami: 'ami-0abcdef1234567890', instance_type: 't3.micro', ami_name: 'timeout', ssh_username: 'ec2-user', ssh_timeout: '{{user `wait`}}' }
          ]
        })
      writeFileSync(join(workspace, 'marked.json'), template(['wait']))
      writeFileSync(join(workspace, 'unmarked.json'), template([]))
      for (const [file, runnerSecrets] of [['marked.json', []], ['unmarked.json', [secret]]] as const) {
        const result = await run(workspace, { template: file, command: 'validate', variables: `wait=${secret}` })
        expect(result.exitCode).toBe(1)
        expectMasked(result, [`invalid duration "${secret}"`], ['invalid duration "***"'], /W4it|P@ss/, [...runnerSecrets])
        const [row] = tableRows(asTheRunnerShowsIt(result, [...runnerSecrets]).summary, ['', 'Where', 'Message'])
        expect(row).toEqual([':x:', `${file}:1`, expect.stringContaining('invalid duration "***"')])
      }
    })

    it("a secret only the runner knows that holds a `|` is *** in the summary's tables, which escape the `|` the runner looks for", async () => {
      const workspace = workspaceFrom(join(fixtures, 'sensitive-json'))
      writeFileSync(
        join(workspace, 'unmarked.json'),
        JSON.stringify({
          variables: { wait: '' },
          builders: [
            { type: 'amazon-ebs', region: 'us-east-1', source_ami: 'ami-0abcdef1234567890', instance_type: 't3.micro', ami_name: 'timeout', ssh_username: 'ec2-user', ssh_timeout: '{{user `wait`}}' }
          ]
        })
      )
      // Quoted by Packer as it is, and with its `\` escaped, as the runner masks a secret too (JSON's escapes).
      for (const secret of ['P1pe s3cr|et', 'B4ck\\|sl4sh']) {
        const runnerSecrets = [secret, JSON.stringify(secret).slice(1, -1)]
        const validated = await run(workspace, { template: 'unmarked.json', command: 'validate', variables: `wait=${secret}` })
        expect(validated.exitCode).toBe(1)
        expectMasked(validated, ['invalid duration "'], ['invalid duration "***"'], /P1pe|s3cr|B4ck|sl4sh/, runnerSecrets)
        const [row] = tableRows(asTheRunnerShowsIt(validated, runnerSecrets).summary, ['', 'Where', 'Message'])
        expect(row).toEqual([':x:', 'unmarked.json:1', expect.stringContaining('invalid duration "***"')])
      }

      // EC2 quotes a tag value it refuses; the summary has the error under Problems, and the AMI's row points there.
      const tag = 'T4g s3cr|et'
      endpoint.faults.fail('CreateTags', { code: 'InvalidParameterValue', message: `Value (${tag}) for parameter value is invalid.` })
      try {
        const built = await run(workspace, { template: 'template.json', force: 'true', tags: `Owner=${tag}` })
        expect(built.exitCode).toBe(1)
        expectMasked(built, [`Value (${tag})`], ['Value (***)'], /T4g|s3cr/, [tag])
        const shown = asTheRunnerShowsIt(built, [tag]).summary
        const [row] = tableRows(shown, ['Region', 'AMI', 'Snapshots', 'Tags'])
        expect(row[3]).toBe('failed: see Problems below')
        expect(renderedText(shown)).toContain('Value (***)')
      } finally {
        endpoint.faults.clear()
      }
    })

    it('a sensitive value with a quote, a backslash or a tab is *** where Packer quotes it escaped', async () => {
      const workspace = workspaceFrom(join(fixtures, 'sensitive-json'))
      writeFileSync(
        join(workspace, 'quoted.json'),
        JSON.stringify({
          variables: { wait: '' },
          'sensitive-variables': ['wait'],
          builders: [
            { type: 'amazon-ebs', region: 'us-east-1', source_ami: 'ami-0abcdef1234567890', instance_type: 't3.micro', ami_name: 'quoted', ssh_username: 'ec2-user', ssh_timeout: '{{user `wait`}}' }
          ]
        })
      )
      const json = await run(workspace, { template: 'quoted.json', command: 'validate', variables: 'wait=Qu0te"Back\\sl4sh\tT4b' })
      expect(json.exitCode).toBe(1)
      // Go's time package quotes it: `"` and `\` escaped, the tab as \x09.
      expectMasked(json, ['"Qu0te\\"Back\\\\sl4sh\\x09T4b"'], ['invalid duration\n"***"'], /Qu0te|sl4sh|T4b/)

      const hcl = workspaceFrom(join(fixtures, 'sensitive-hcl'))
      // The file's line as Packer quotes it, the string escaped as written.
      writeFileSync(join(hcl, 'wrong.pkrvars.hcl'), 'db_password = ["Qu0te\\"InAList"]\n')
      const quoted = await run(hcl, { template: 'template.pkr.hcl', 'var-file': 'wrong.pkrvars.hcl' })
      expect(quoted.exitCode).toBe(1)
      expectMasked(quoted, ['db_password = ["Qu0te\\"InAList"]'], ['db_password = ["***"]'], /Qu0te|InAList/)
    })

    it("a region that is a secret is in no annotation's title, which the runner shows as given: sensitive in the template, or a secret only the runner knows", async () => {
      const workspace = workspaceFrom(join(fixtures, 'sensitive-json'))
      const template = (sensitive: string[]): string =>
        JSON.stringify({
          variables: { ec2_endpoint: '{{env `AWS_ENDPOINT_URL_EC2`}}', build_region: '' },
          'sensitive-variables': sensitive,
          builders: [
            {
              type: 'amazon-ebs',
              custom_endpoint_ec2: '{{user `ec2_endpoint`}}',
              communicator: 'none',
              region: '{{user `build_region`}}',
              source_ami: 'ami-0abcdef1234567890',
              instance_type: 't3.micro',
              ami_name: 'secret-region-{{timestamp}}'
            }
          ]
        })
      writeFileSync(join(workspace, 'marked.json'), template(['build_region']))
      writeFileSync(join(workspace, 'unmarked.json'), template([]))
      // The action's own tagging is refused: its error is of the region it tagged in.
      endpoint.faults.fail('CreateTags', { code: 'UnauthorizedOperation', userAgent: 'aws-sdk-js' })
      try {
        for (const [file, region, runnerSecrets] of [
          ['marked.json', 'eu-west-3', []],
          ['unmarked.json', 'eu-west-2', ['eu-west-2']]
        ] as const) {
          const result = await run(workspace, { template: file, variables: `build_region=${region}` })
          expect(result.exitCode).toBe(1)
          const annotations = ['error', 'warning', 'notice'].flatMap((kind) => parseCommands(result.stdout, kind))
          expect(annotations.filter(({ properties }) => Object.values(properties).some((value) => value.includes(region)))).toEqual([])
          const tagging = result.errors.filter(({ message }) => message.startsWith(`Tagging in ${region} failed`))
          expect(tagging.map(({ properties }) => properties.title)).toEqual(['Tagging'])
          // The message names the region, which the runner masks there.
          expect(asTheRunnerShowsIt(result, [...runnerSecrets]).log).toContain('Tagging in *** failed for ami-')
        }
      } finally {
        endpoint.faults.clear()
      }
    })
  })

  describe('a sensitive value that is a JSON document', () => {
    const document = JSON.stringify({ user: 'admin', password: 'S3cr3tInJson', hosts: ['db1', 'db2'], pool: { min: 1 } }, null, 2)

    /** A template with a sensitive JSON document and a sensitive region, from a variables file. */
    function workspaceWithDocument(region: string): string {
      const workspace = workspaceFrom(join(fixtures, 'sensitive-hcl'))
      writeFileSync(
        join(workspace, 'document.pkr.hcl'),
        [
          'variable "ec2_endpoint" {\n  type    = string\n  default = env("AWS_ENDPOINT_URL_EC2")\n}',
          'variable "db_config" {\n  type      = string\n  sensitive = true\n}',
          'variable "audit_region" {\n  type      = string\n  sensitive = true\n}',
          'source "amazon-ebs" "app" {',
          '  custom_endpoint_ec2 = var.ec2_endpoint',
          '  communicator        = "none"',
          '  region              = "us-east-1"',
          '  source_ami          = "ami-0abcdef1234567890"',
          '  instance_type       = "t3.micro"',
          '  ami_name            = "document-{{timestamp}}"',
          '}',
          'build {\n  sources = ["source.amazon-ebs.app"]\n  post-processor "manifest" {}\n}',
          ''
        ].join('\n')
      )
      writeFileSync(join(workspace, 'secrets.pkrvars.hcl'), `db_config = <<EOF\n${document}\nEOF\naudit_region = "${region}"\n`)
      return workspace
    }

    it('registers each line that holds some of it, not a line of brackets alone: the JSON outputs stay job outputs', async () => {
      const result = await run(workspaceWithDocument('eu-north-1'), { template: 'document.pkr.hcl', 'var-file': 'secrets.pkrvars.hcl', force: 'true' })
      expect(result.exitCode).toBe(0)
      const masks = registeredMasks(result)
      // The whole document (a heredoc ends in a line break) and each line with some of it in, however
      // short; no line of brackets alone.
      expect(masks).toEqual(expect.arrayContaining([`${document}\n`, ...document.split('\n').filter((line) => /\w/.test(line)), 'eu-north-1']))
      expect(masks.filter((mask) => /^[\s[\]{}(),;]*$/.test(mask))).toEqual([])
      expect(Object.keys(JSON.parse(result.outputs.builds) as Builds)).toEqual(['amazon-ebs.app'])
      // The runner hands a later job every output: none holds a secret it knows.
      expect(jobOutputs(result)).toEqual(result.outputs)
      expect(result.warnings.filter((warning) => warning.includes('another job'))).toEqual([])
      expect(asTheRunnerShowsIt(result).log).not.toMatch(/S3cr3tInJson/)
    })

    /** The warning of the outputs a later job gets empty, naming `sensitive` (the variables whose values they hold). */
    const warningOfSecrets = (sensitive: string): string =>
      `Outputs ami-ids, builds, artifacts hold a sensitive value of the template (${sensitive}), ` +
      'which the action registers as a secret: the runner masks it, and does not hand an output that holds a secret to another job ' +
      '(jobs.<job_id>.outputs), which gets them empty. Read them in this job (steps.<step_id>.outputs), or keep that text out of ' +
      'the sensitive value, or that value out of sensitive ones.'

    /** A JSON template with two sensitive variables, db_password and audit_region, and its region us-east-1. */
    function jsonWorkspace(): string {
      const workspace = workspaceFrom(join(fixtures, 'sensitive-json'))
      writeFileSync(
        join(workspace, 'two.json'),
        JSON.stringify({
          variables: { ec2_endpoint: '{{env `AWS_ENDPOINT_URL_EC2`}}', db_password: 'S3cr3tFromDefault', audit_region: '' },
          'sensitive-variables': ['db_password', 'audit_region'],
          builders: [
            {
              type: 'amazon-ebs',
              custom_endpoint_ec2: '{{user `ec2_endpoint`}}',
              communicator: 'none',
              region: 'us-east-1',
              source_ami: 'ami-0abcdef1234567890',
              instance_type: 't3.micro',
              ami_name: 'two-sensitive-{{timestamp}}'
            }
          ],
          'post-processors': [{ type: 'manifest' }]
        })
      )
      return workspace
    }

    it('warns of the outputs that hold a sensitive value, naming the variable that holds it, in the log and the summary', async () => {
      // The region every output names, marked sensitive; db_config is not in any output.
      const result = await run(workspaceWithDocument('us-east-1'), { template: 'document.pkr.hcl', 'var-file': 'secrets.pkrvars.hcl', force: 'true' })
      expect(result.exitCode).toBe(0)
      const dropped = Object.keys(result.outputs).filter((output) => !(output in jobOutputs(result)))
      expect(dropped.sort()).toEqual(['ami-ids', 'artifacts', 'builds'])
      const warning = warningOfSecrets('sensitive variable audit_region')
      expect(result.warnings.filter((shown) => shown.includes('another job'))).toEqual([warning])
      expect(tableRows(result.summary, ['', 'Where', 'Message'])).toContainEqual([':warning:', '—', warning])

      const json = await run(jsonWorkspace(), { template: 'two.json', variables: 'audit_region=us-east-1', force: 'true' })
      expect(json.exitCode).toBe(0)
      expect(json.warnings.filter((shown) => shown.includes('another job'))).toEqual([warning])
      expect(tableRows(json.summary, ['', 'Where', 'Message'])).toContainEqual([':warning:', '—', warning])
      expect(asTheRunnerShowsIt(json).log).not.toContain('S3cr3tFromDefault')
    })

    it('warns of them once when the run is cancelled after the build, the outputs set, and the step exits at once', async () => {
      // The action's calls to EC2 get no answer: the run is cancelled while it tags.
      endpoint.faults.hang(undefined, { userAgent: 'aws-sdk-js' })
      const loopback = endpoint
      const callsBefore = endpoint.calls.length
      const workspace = workspaceWithDocument('us-east-1')
      try {
        const result = await runAction({
          workspace,
          inputs: { 'packer-version': version, template: 'document.pkr.hcl', 'var-file': 'secrets.pkrvars.hcl', force: 'true' },
          env: { ...pushToMain, ...loopbackEnvironment(endpoint.url, workspace) },
          onStart: (child) => {
            const unanswered = () => loopback.calls.slice(callsBefore).some((call) => call.error === 'NoAnswer')
            void until(unanswered, 'the action to call EC2').then(() => child.kill('SIGINT'))
          }
        })
        expect(result.exitCode).toBe(1)
        expect(result.errors.at(-1)?.message).toMatch(/^The run was cancelled \(SIGINT\) after the build, while tagging: the 1 AMI is built and in the outputs/)
        const warning = warningOfSecrets('sensitive variable audit_region')
        expect(result.warnings.filter((shown) => shown.includes('another job'))).toEqual([warning])
        expect(result.summary).toContain(':no_entry_sign: Cancelled')
        expect(tableRows(result.summary, ['', 'Where', 'Message'])).toContainEqual([':warning:', '—', warning])
      } finally {
        endpoint.faults.clear()
      }
    })
  })

  const describeRealworld = existsSync(realworld) ? describe : describe.skip
  if (!existsSync(realworld)) console.log(`Skipping the public templates: ${realworld} is not there.`)

  describeRealworld('public templates (../shared/fixtures/realworld)', () => {
    const folder = (path: string): string => workspaceFrom(join(realworld, path))
    const imageBuilderVarFiles = [
      'packer/config/kubernetes.json',
      'packer/config/cni.json',
      'packer/config/containerd.json',
      'packer/config/ansible-args.json',
      'packer/config/goss-args.json',
      'packer/config/common.json',
      'packer/ami/ubuntu-2004.json',
      'packer/mock.json'
    ].join('\n')

    it('01 csye6225: packer-vars.json found beside the template', async () => {
      const { result } = await expectBuilt(
        folder('01-csye6225-devmanej/mod-manifest'),
        { template: 'packer-template.json', variables: `source_ami=${SOURCE_AMI_ID}` },
        { builds: ['amazon-ebs'], manifest: 'manifest.json' }
      )
      expect(result.stdout).toContain('var-file is empty: using packer-vars.json')
    })

    it('02 amazon-eks-ami al2023: nulls in the variables files, validate and build', async () => {
      const inputs = {
        template: 'templates/al2023/template.json',
        'var-file': 'templates/al2023/variables-default.json\ntemplates/al2023/variables-1.33.json\nmock.json',
        variables: 'ami_name=eks-al2023\narch=x86_64\ninstance_type=m5.large\nkubernetes_version=1.33\nkubernetes_build_date=2025-06-01'
      }
      const workspace = folder('02-eks-al2023/mod')
      const validated = await run(workspace, { ...inputs, command: 'validate' })
      expect(validated.errors).toEqual([])
      expect(validated.exitCode).toBe(0)
      await expectBuilt(workspace, inputs, { builds: ['amazon-ebs'], manifest: 'manifest.json' })
    })

    it('02 amazon-eks-ami al2023 as published: its variables files pass; Packer 1.6.6 itself refuses newer keys', async () => {
      const result = await run(folder('02-eks-al2023/orig'), {
        command: 'validate',
        template: 'templates/al2023/template.json',
        'var-file': 'templates/al2023/variables-default.json\ntemplates/al2023/variables-1.33.json',
        variables: 'ami_name=eks-al2023\narch=x86_64\ninstance_type=m5.large\nkubernetes_version=1.33\nkubernetes_build_date=2025-06-01'
      })
      expect(result.errors.filter((error) => error.properties.title === 'Invalid input')).toEqual([])
      expect(result.stdout).toContain('::group::Validate')
      if (version === '1.6.6') expect(result.errors[0].message).toContain('unknown configuration key')
    })

    it("02 amazon-eks-ami al2023 as published: reuse's fingerprint covers the folders it uploads from beside the template", async () => {
      // Its file provisioners upload {{template_dir}}/../../nodeadm/ and ../../log-collector-script/linux/,
      // outside templates/al2023/, which is all the default fingerprint-paths covers.
      const workspace = folder('02-eks-al2023/orig')
      const given: Record<string, string> = {
        ...actionDefaults(),
        template: 'templates/al2023/template.json',
        'var-file': 'templates/al2023/variables-default.json\ntemplates/al2023/variables-1.33.json',
        variables: 'ami_name=eks-al2023\narch=x86_64\ninstance_type=m5.large\nkubernetes_version=1.33\nkubernetes_build_date=2025-06-01',
        reuse: 'true',
        'aws-region': 'us-west-2'
      }
      const inputs = await readInputs((name) => given[name] ?? '', { GITHUB_WORKSPACE: workspace })
      expect(inputs.referencedPaths).toEqual(expect.arrayContaining([join(workspace, 'nodeadm'), join(workspace, 'log-collector-script/linux')]))
      expect(inputs.referencedPaths).toContain(join(workspace, 'templates/al2023/provisioners/install-worker.sh'))
      // Its download of version-info.json is no input, and nothing it names is out of sight.
      expect(inputs.referencedPaths.filter((path) => path.endsWith('version-info.json'))).toEqual([])
      expect(inputs.unseenReferences).toEqual([])
    })

    it('03 terraform-aws-consul: two of four named builders, in template order', async () => {
      await expectBuilt(
        folder('03-consul-ami/mod-manifest'),
        { template: 'examples/consul-ami/consul.json', only: 'amazon-linux-2-ami,ubuntu18-ami' },
        { builds: ['ubuntu18-ami', 'amazon-linux-2-ami'], manifest: 'manifest.json' }
      )
    })

    it('04 image-builder: builder name and manifest path from variables, 15 regions', async () => {
      const { builds } = await expectBuilt(
        folder('04-image-builder/mod'),
        { template: 'packer/ami/packer.json', 'var-file': imageBuilderVarFiles, only: 'ubuntu-20.04' },
        { builds: ['ubuntu-20.04'], manifest: 'manifest.json' }
      )
      expect(Object.keys(builds['ubuntu-20.04']).sort()).toEqual([...regions].sort())
    })

    it('04 image-builder with its published variables files, nulls and all', async () => {
      const workspace = folder('04-image-builder/mod')
      cpSync(join(realworld, '04-image-builder/orig/packer/config'), join(workspace, 'packer/config'), { recursive: true })
      await expectBuilt(
        workspace,
        { template: 'packer/ami/packer.json', 'var-file': imageBuilderVarFiles, only: 'ubuntu-20.04' },
        { builds: ['ubuntu-20.04'], manifest: 'manifest.json' }
      )
    })

    it('04 image-builder with a misspelt setting: annotated on its line, in the builder whose name is a variable', async () => {
      const workspace = folder('04-image-builder/mod')
      const path = join(workspace, 'packer/ami/packer.json')
      const text = readFileSync(path, 'utf8')
      // The builder's first setting, with a typo added before it, indented as the file is.
      const typed = text.replace(/("builders": \[\s*\{\n)(\s*)/, '$1$2"ami_descripton": "typo",\n$2')
      expect(typed).not.toBe(text)
      writeFileSync(path, typed)
      const line = typed.split('\n').findIndex((row) => row.includes('"ami_descripton"')) + 1
      const calls = endpoint.calls.length
      const result = await run(workspace, { template: 'packer/ami/packer.json', 'var-file': imageBuilderVarFiles, only: 'ubuntu-20.04' })
      expect(result.exitCode).toBe(1)
      expect(result.errors.slice(0, -1)).toEqual([
        {
          message: `Build "ubuntu-20.04": unknown configuration key: '"ami_descripton"'`,
          properties: expect.objectContaining({ file: 'packer/ami/packer.json', line: String(line) })
        }
      ])
      expect(endpoint.calls.length).toBe(calls)
    })

    it('05 amazon-ecs-ami: an HCL2 directory of 5 sources in 4 build blocks, ami-id from the first', async () => {
      const seed = 'acceptance-seed-source'
      await expectBuilt(
        folder('05-ecs-ami-hcl/mod'),
        { template: '.', variables: `region=us-east-1\nsource_ami_al2=${seed}\nsource_ami_al2arm=${seed}\nsource_ami_al1=${seed}` },
        {
          builds: ['amazon-ebs.al1', 'amazon-ebs.al2', 'amazon-ebs.al2arm', 'amazon-ebs.al2inf', 'amazon-ebs.al2gpu'],
          manifest: 'manifest.json'
        }
      )
    })

    it('06 learn-packer-github-actions: an HCL2 manifest with custom_data', async () => {
      const { result } = await expectBuilt(folder('06-learn-packer-gha/mod'), { template: '.' }, {
        builds: ['amazon-ebs.ubuntu-lts'],
        manifest: 'packer_manifest.json'
      })
      expect(JSON.parse(result.outputs.artifacts)[0]).toMatchObject({ build: 'amazon-ebs.ubuntu-lts', region: 'us-west-1' })
    })

    it('07 Packer getting started: amazon-ebs beside digitalocean', async () => {
      await expectBuilt(folder('07-packer-getting-started/mod-manifest'), { template: 'example.json', only: 'amazon-ebs' }, {
        builds: ['amazon-ebs'],
        manifest: 'manifest.json'
      })
    })
  })
})
