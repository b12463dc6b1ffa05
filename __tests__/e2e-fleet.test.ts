// From AMI to fleet, as a user gets it: the bundled action, the real Packer building the demo
// template into three regions, and then the stages after tagging (launch templates, SSM
// parameters, retention) through real HTTP against the loopback EC2 and SSM endpoint.
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals'
import {
  CreateLaunchTemplateCommand,
  CreateLaunchTemplateVersionCommand,
  CreateTagsCommand,
  DeleteTagsCommand,
  DeregisterImageCommand,
  DescribeInstancesCommand,
  DisableImageDeregistrationProtectionCommand,
  EnableImageDeprecationCommand,
  EnableImageDeregistrationProtectionCommand,
  DescribeLaunchTemplateVersionsCommand,
  EC2Client,
  ModifyLaunchTemplateCommand,
  RegisterImageCommand,
  RunInstancesCommand,
  StopInstancesCommand,
  TerminateInstancesCommand
} from '@aws-sdk/client-ec2'
import { GetParameterCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  SELF_ACCOUNT_ID,
  SOURCE_AMI_ID,
  SOURCE_AMI_NAME,
  SOURCE_SNAPSHOT_ID,
  startEc2Endpoint,
  type Ec2Call,
  type Ec2Endpoint
} from '../test-support/ec2-endpoint/index.js'
import { loopbackClientConfig } from './support/endpoint-per-test.js'
import { retainImages } from '../src/aws/retention.js'
import { parseCommands, pushToMain, runAction, type ActionRun } from './support/action-process.js'
import { demoWorkspace, withTwoBuilds } from './support/demo.js'
import { readmeInputPermissions, readmePolicyActions } from './support/iam.js'
import { groupLines } from './support/workflow-commands.js'
import { describeWithPacker, packerVersion } from './support/runtimes.js'

/** Polls an SDK condition; a bound on the wait, not a measurement. */
async function until(condition: () => Promise<boolean>, attempts = 50): Promise<void> {
  for (let attempt = 0; attempt < attempts; attempt++) if (await condition()) return
  throw new Error('the condition never held')
}

const regions = ['us-east-1', 'eu-west-1', 'us-west-2']
const credentials = { accessKeyId: 'AKIDLOOPBACK', secretAccessKey: 'loopback-secret' }

describeWithPacker('from AMI to fleet, through the bundled action', () => {
  let endpoint: Ec2Endpoint
  let workspace: string
  /** Calls made before the action ran (the test's own set-up), left out of the IAM checks. */
  let setUpCalls = 0

  beforeEach(async () => {
    endpoint = await startEc2Endpoint({ regions })
    workspace = demoWorkspace('e2e-fleet-')
    setUpCalls = 0
  })
  afterEach(async () => {
    await endpoint.close()
    rmSync(workspace, { recursive: true, force: true })
  })

  function ec2(region: string): EC2Client {
    return new EC2Client(loopbackClientConfig(endpoint, region))
  }

  /** The second in which the last run ended. */
  let lastRunSecond = 0

  async function run(inputs: Record<string, string>, runner: Record<string, string> = {}): Promise<ActionRun> {
    // The demo's AMI name ends in {{timestamp}}: a second build in the same second would find
    // the first one's name taken, as it would on AWS.
    if (Math.floor(Date.now() / 1000) === lastRunSecond) {
      await new Promise((resolve) => setTimeout(resolve, 1000 - (Date.now() % 1000) + 20))
    }
    setUpCalls = endpoint.calls.length
    const result = await runAction({
      workspace,
      inputs: { 'packer-version': packerVersion(), 'working-directory': 'json', ...inputs },
      env: {
        ...pushToMain,
        ...runner,
        HOME: join(workspace, '.home'),
        CHECKPOINT_DISABLE: '1',
        AWS_ACCESS_KEY_ID: credentials.accessKeyId,
        AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
        AWS_REGION: 'us-east-1',
        AWS_POLL_DELAY_SECONDS: '0',
        AWS_ENDPOINT_URL_EC2: endpoint.url,
        AWS_ENDPOINT_URL_SSM: endpoint.url
      }
    })
    lastRunSecond = Math.floor(Date.now() / 1000)
    return result
  }

  /** What the run called beyond the base policy, as IAM actions: what its input must add. */
  function extraPermissions(): string[] {
    const base = new Set(readmePolicyActions())
    const called = endpoint.calls
      .slice(setUpCalls)
      .map((call) => `${call.service ?? 'ec2'}:${call.action}`)
      .filter((action) => !base.has(action))
    return [...new Set(called)].sort()
  }

  async function createTemplate(region: string, name: string, imageId = SOURCE_AMI_ID): Promise<string> {
    const created = await ec2(region).send(
      new CreateLaunchTemplateCommand({
        LaunchTemplateName: name,
        LaunchTemplateData: { ImageId: imageId, InstanceType: 't3.small' }
      })
    )
    return created.LaunchTemplate?.LaunchTemplateId as string
  }

  describe('reuse', () => {
    const runUrl = 'https://github.com/acme/images/actions/runs/4242/attempts/1'
    const amiOutputs = (result: ActionRun) => ({
      'ami-id': result.outputs['ami-id'],
      'ami-ids': result.outputs['ami-ids'],
      artifacts: result.outputs.artifacts,
      'run-uuid': result.outputs['run-uuid']
    })
    const launched = () => endpoint.callsOf('RunInstances').length

    /** The demo template with a provisioning script beside it, which shell-local runs. */
    function withProvisioningScript(): string {
      const path = join(workspace, 'json', 'packer-template.json')
      const template = JSON.parse(readFileSync(path, 'utf8'))
      template.provisioners = [{ type: 'shell-local', script: 'scripts/setup.sh' }]
      writeFileSync(path, JSON.stringify(template, null, 2))
      mkdirSync(join(workspace, 'json', 'scripts'))
      const script = join(workspace, 'json', 'scripts', 'setup.sh')
      writeFileSync(script, '#!/bin/sh\necho setting up\n', { mode: 0o755 })
      return script
    }

    /**
     * The run's only calls: the look-up's DescribeImages, by tag, in each region; then, with no tags
     * to apply, one DescribeImages per region that names its AMI of the set, which tells whether
     * someone deregistered it since.
     */
    function expectLookUpAndCheck(built: ActionRun): void {
      const calls = endpoint.calls.slice(setUpCalls)
      expect(calls.map((call) => call.action)).toEqual(Array(6).fill('DescribeImages'))
      expect(calls.slice(0, 3).every((call) => call.params['Filter.1.Name'] === 'tag:BuildFingerprint')).toBe(true)
      const named = calls.slice(3).map((call) => `${call.region} ${call.params['ImageId.1']} ${call.params['ImageId.2']}`)
      const amiIds = JSON.parse(built.outputs['ami-ids']) as Record<string, string>
      expect(named.sort()).toEqual(regions.map((region) => `${region} ${amiIds[region]} undefined`).sort())
    }

    /** The action's own CreateTags calls that wrote a fingerprint (Packer's never do). */
    const fingerprintTagging = () =>
      endpoint.callsOf('CreateTags').filter((call) => Object.values(call.params).includes('BuildFingerprint'))

    it('a build without reuse tags its fingerprint in every region, so the first run with reuse reuses it', async () => {
      const first = await run({})
      expect(first.errors).toEqual([])
      expect(first.warnings).toEqual([])
      // Globbed and hashed once the inputs were valid: the glob library logs the path it walked.
      expect(first.stdout).toContain(`::debug::Search path '${join(workspace, 'json')}'`)
      const logged = /Fingerprint of the build's inputs \(2 files\): ([0-9a-f]{64})/.exec(first.stdout)?.[1]
      expect(logged).toBeDefined()
      const amiIds = JSON.parse(first.outputs['ami-ids']) as Record<string, string>
      for (const region of regions) {
        const image = endpoint.images(region).find((candidate) => candidate.imageId === amiIds[region])
        expect(image?.tags).toMatchObject({
          BuildFingerprint: logged,
          BuildSet: `${first.outputs['run-uuid']} 3 eu-west-1,us-east-1,us-west-2`,
          PackerBuild: 'amazon-ebs amazon-ebs',
          SourceCommit: pushToMain.GITHUB_SHA
        })
      }
      // With the other tags, in the one CreateTags per region the action makes anyway.
      expect(fingerprintTagging()).toHaveLength(3)

      const second = await run({ reuse: 'true' })
      expect(second.errors).toEqual([])
      expect(second.exitCode).toBe(0)
      expect(launched()).toBe(1)
      expectLookUpAndCheck(first)
      expect(second.stdout).toContain(`Fingerprint of the build's inputs (2 files): ${logged}`)
      expect(amiOutputs(second)).toEqual(amiOutputs(first))
      expect(second.summary).toContain(`Nothing changed since the last build: reused, built by ${runUrl}.`)
    })

    it('provenance-tags: false without reuse writes no fingerprint, and reads no file for it', async () => {
      const result = await run({ 'provenance-tags': 'false', tags: 'Team=web' })
      expect(result.errors).toEqual([])
      const amiId = JSON.parse(result.outputs['ami-ids'])['us-east-1'] as string
      const tags = endpoint.images('us-east-1').find((image) => image.imageId === amiId)?.tags
      expect(tags).toMatchObject({ Team: 'web' })
      expect(tags).not.toHaveProperty('BuildFingerprint')
      expect(fingerprintTagging()).toEqual([])
      expect(result.stdout).not.toContain('::debug::Search path')
      expect(result.stdout).not.toContain("Fingerprint of the build's inputs")
    })

    it('a fingerprint that cannot be computed: without reuse a warning and tags without it; with reuse a failure before the build', async () => {
      // A link to itself: the glob library stops there (ELOOP).
      symlinkSync('loop', join(workspace, 'json', 'loop'))
      const first = await run({})
      expect(first.errors).toEqual([])
      expect(first.exitCode).toBe(0)
      expect(first.warnings).toEqual([
        expect.stringMatching(
          /^Cannot compute the fingerprint of the build's inputs \(template, variables files, fingerprint-paths\): ELOOP: .*loop'\. The AMIs are tagged without BuildFingerprint, BuildSet and PackerBuild, so a run with reuse: true will not find them and will build\.$/
        )
      ])
      const amiId = JSON.parse(first.outputs['ami-ids'])['eu-west-1'] as string
      const tags = endpoint.images('eu-west-1').find((image) => image.imageId === amiId)?.tags
      expect(tags).toMatchObject({ SourceCommit: pushToMain.GITHUB_SHA })
      expect(tags).not.toHaveProperty('BuildFingerprint')
      expect(launched()).toBe(1)

      const second = await run({ reuse: 'true' })
      expect(second.exitCode).toBe(1)
      expect(second.errors.map((error) => error.message)).toEqual([expect.stringMatching(/^Cannot compute the fingerprint .*ELOOP/)])
      expect(launched()).toBe(1)
      expect(second.outputs['ami-id']).toBeUndefined()
    })

    it('an unchanged second run builds nothing and sets the same outputs', async () => {
      withProvisioningScript()
      const first = await run({ reuse: 'true' })
      expect(first.errors).toEqual([])
      expect(launched()).toBe(1)
      expect(groupLines(first.stdout, 'Look for AMIs to reuse')).toContainEqual(expect.stringContaining('Building: no AMI in us-east-1 has fingerprint'))
      expect(first.stdout).toContain('setting up')

      const second = await run({ reuse: 'true' })
      expect(second.errors).toEqual([])
      expect(second.exitCode).toBe(0)
      expect(launched()).toBe(1)
      expectLookUpAndCheck(first)
      expect(amiOutputs(second)).toEqual(amiOutputs(first))
      expect(second.summary).toContain(`Nothing changed since the last build: reused, built by ${runUrl}.`)
      // Nothing was built, and the look-up knows each reused AMI's snapshots.
      expect(second.summary).toContain('## Packer AMI build: :white_check_mark: AMIs reused\n')
      for (const { region, amiId } of JSON.parse(second.outputs.artifacts) as Array<{ region: string; amiId: string }>) {
        const snapshots = endpoint.images(region).find((image) => image.imageId === amiId)?.blockDeviceMappings.map((device) => `\`${device.snapshotId}\``)
        expect(snapshots?.length).toBeGreaterThan(0)
        expect(second.summary).toContain(`${amiId}) | ${snapshots?.join(', ')} | reused |`)
      }
      expect(groupLines(second.stdout, 'Look for AMIs to reuse')).toContain(`Nothing changed since ${runUrl}: reusing its 3 AMIs, nothing is built.`)
      // The log names each reused AMI, as it names those a build made.
      const reused = JSON.parse(second.outputs['ami-ids']) as Record<string, string>
      const listed = Object.keys(reused).sort().map((region) => `${region} ${reused[region]}`).join(', ')
      expect(second.stdout).toContain(`\nReused 3 AMIs: ${listed}\n`)
      expect(extraPermissions()).toEqual(readmeInputPermissions('reuse'))
    })

    it("a set built without a manifest: the run that reuses it gives the UUID its BuildSet names as run-uuid, as the README says", async () => {
      const path = join(workspace, 'json', 'packer-template.json')
      const template = JSON.parse(readFileSync(path, 'utf8'))
      delete template['post-processors']
      writeFileSync(path, JSON.stringify(template, null, 2))
      const first = await run({ reuse: 'true' })
      expect(first.exitCode).toBe(0)
      expect(first.outputs['run-uuid']).toBe('')
      const [setUuid] = endpoint.tagsOf('us-east-1', first.outputs['ami-id']).BuildSet.split(' ')
      expect(setUuid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/)

      const second = await run({ reuse: 'true' })
      expect(second.exitCode).toBe(0)
      expect(launched()).toBe(1)
      expect(second.outputs['run-uuid']).toBe(setUuid)
      expect(second.outputs.manifest).toBe('')
      expect({ ...amiOutputs(second), 'run-uuid': '' }).toEqual(amiOutputs(first))
    })

    it('builds again after a one-byte change to a provisioning script', async () => {
      const script = withProvisioningScript()
      const first = await run({ reuse: 'true' })
      expect(first.exitCode).toBe(0)
      writeFileSync(script, '#!/bin/sh\necho setting up!\n')
      const second = await run({ reuse: 'true' })
      expect(second.errors).toEqual([])
      expect(launched()).toBe(2)
      expect(second.outputs['ami-id']).not.toBe(first.outputs['ami-id'])
      expect(second.summary).not.toContain('reused')
    })

    // The amazon plugin's deprecate_at (often timeadd(timestamp(), …)) leaves the template's
    // text, and so its fingerprint, as it was: the set is found again once it is deprecated.
    it('builds anew once an AMI of the set is deprecated, and reuses a set whose deprecation is still to come', async () => {
      const first = await run({ reuse: 'true' })
      expect(first.errors).toEqual([])
      const deprecating = (JSON.parse(first.outputs['ami-ids']) as Record<string, string>)['eu-west-1']
      await ec2('eu-west-1').send(new EnableImageDeprecationCommand({ ImageId: deprecating, DeprecateAt: new Date(Date.now() + 3_600_000) }))

      const second = await run({ reuse: 'true' })
      expect(second.errors).toEqual([])
      expect(launched()).toBe(1)
      expect(amiOutputs(second)).toEqual(amiOutputs(first))

      // As if the hour had passed.
      endpoint.backdate('eu-west-1', deprecating, 2 * 3_600_000)
      const third = await run({ reuse: 'true' })
      expect(third.errors).toEqual([])
      expect(third.exitCode).toBe(0)
      expect(launched()).toBe(2)
      expect(third.outputs['ami-id']).not.toBe(first.outputs['ami-id'])
      expect(third.summary).not.toContain('reused')
      const since = endpoint.images('eu-west-1').find((image) => image.imageId === deprecating)?.deprecationTime
      expect(groupLines(third.stdout, 'Look for AMIs to reuse')).toContain(
        `Building: the AMIs built by Packer run ${first.outputs['run-uuid']} are deprecated (${deprecating} in eu-west-1 since ${since}).`
      )
    })

    /**
     * A script in `scripts/`, a sibling of the template's directory that the default
     * fingerprint-paths (the template's directory) does not cover, which the template runs
     * with shell-local, naming it as `reference` does.
     */
    function withScriptBesideTheTemplateDirectory(): string {
      mkdirSync(join(workspace, 'scripts'))
      const script = join(workspace, 'scripts', 'setup.sh')
      writeFileSync(script, '#!/bin/sh\necho setting up from the sibling directory\n', { mode: 0o755 })
      return script
    }

    /** Three runs with reuse: the first builds, the second reuses, and after a one-byte change to `script` the third builds. */
    async function rebuildsAfterTheScriptChanged(script: string, inputs: Record<string, string>): Promise<void> {
      const first = await run({ ...inputs, reuse: 'true' })
      expect(first.errors).toEqual([])
      expect(first.warnings).toEqual([])
      expect(first.stdout).toContain('setting up from the sibling directory')
      expect(launched()).toBe(1)

      const second = await run({ ...inputs, reuse: 'true' })
      expect(second.errors).toEqual([])
      expect(launched()).toBe(1)
      expect(amiOutputs(second)).toEqual(amiOutputs(first))

      writeFileSync(script, '#!/bin/sh\necho setting up from the sibling directory!\n')
      const third = await run({ ...inputs, reuse: 'true' })
      expect(third.errors).toEqual([])
      expect(launched()).toBe(2)
      expect(third.outputs['ami-id']).not.toBe(first.outputs['ami-id'])
      expect(third.summary).not.toContain('reused')
      // The log says which paths the fingerprint covers because the template names them.
      expect(first.stdout).toContain('Fingerprinted too, as the template names them: scripts/setup.sh\n')
    }

    it('JSON: builds again after a one-byte change to a script the template names outside its directory ({{template_dir}}/..)', async () => {
      const script = withScriptBesideTheTemplateDirectory()
      const path = join(workspace, 'json', 'packer-template.json')
      const template = JSON.parse(readFileSync(path, 'utf8'))
      template.provisioners = [{ type: 'shell-local', script: '{{template_dir}}/../scripts/setup.sh' }]
      writeFileSync(path, JSON.stringify(template, null, 2))
      await rebuildsAfterTheScriptChanged(script, {})
    })

    it('HCL2: builds again after a one-byte change to a script the template names outside its directory (${path.root}/..)', async () => {
      const script = withScriptBesideTheTemplateDirectory()
      const path = join(workspace, 'hcl2', 'ami.pkr.hcl')
      const provisioner = '  provisioner "shell-local" {\n    script = "${path.root}/../scripts/setup.sh"\n  }\n'
      writeFileSync(path, readFileSync(path, 'utf8').replace('  post-processor "manifest" {}', `${provisioner}\n  post-processor "manifest" {}`))
      await rebuildsAfterTheScriptChanged(script, { 'working-directory': 'hcl2', template: 'ami.pkr.hcl', 'var-file': 'loopback.pkrvars.hcl' })
    })

    it('warns, with reuse only, on the line of a script the template names outside the workspace', async () => {
      const outside = mkdtempSync(join(tmpdir(), 'e2e-outside-'))
      try {
        const script = join(outside, 'setup.sh')
        writeFileSync(script, '#!/bin/sh\necho setting up from outside\n', { mode: 0o755 })
        const path = join(workspace, 'json', 'packer-template.json')
        const template = JSON.parse(readFileSync(path, 'utf8'))
        template.provisioners = [{ type: 'shell-local', script }]
        writeFileSync(path, JSON.stringify(template, null, 2))
        const line = readFileSync(path, 'utf8').split('\n').findIndex((text) => text.includes('"script"')) + 1

        const first = await run({})
        expect(first.errors).toEqual([])
        expect(first.warnings).toEqual([])
        const second = await run({ reuse: 'true' })
        expect(second.errors).toEqual([])
        expect(parseCommands(second.stdout, 'warning')).toEqual([
          {
            message:
              `provisioners[0].script names ${script}, outside the workspace: reuse does not see changes to it, so a changed ` +
              'file would reuse AMIs built from the old one. Keep it in the workspace, where the fingerprint covers it, or ' +
              'list the files it is made from in fingerprint-paths.',
            properties: { title: 'Not fingerprinted', file: 'json/packer-template.json', line: String(line), col: expect.any(String) }
          }
        ])
        expect(second.summary).toContain('provisioners[0].script names')
        // Reused all the same: nothing else changed.
        expect(launched()).toBe(1)
      } finally {
        rmSync(outside, { recursive: true, force: true })
      }
    })

    /** The fingerprint the run logged. */
    const loggedFingerprint = (result: ActionRun) => /Fingerprint of the build's inputs \(\d+ files\): ([0-9a-f]{64})/.exec(result.stdout)?.[1]
    /** The BuildFingerprint tag of the AMI the run put out in `region`. */
    const fingerprintTag = (result: ActionRun, region: string) =>
      endpoint.images(region).find((image) => image.imageId === JSON.parse(result.outputs['ami-ids'])[region])?.tags.BuildFingerprint

    it("JSON: a sensitive variable's value is not fingerprinted, its name is: a new secret reuses, one more sensitive variable builds", async () => {
      const path = join(workspace, 'json', 'packer-template.json')
      const template = JSON.parse(readFileSync(path, 'utf8'))
      template.variables = { ...template.variables, db_password: '', api_key: '' }
      template['sensitive-variables'] = ['db_password', 'api_key']
      writeFileSync(path, JSON.stringify(template, null, 2))

      // Without reuse, the fingerprint is tagged beside the build.
      const first = await run({ variables: 'db_password=hunter2' })
      expect(first.errors).toEqual([])
      const fingerprint = loggedFingerprint(first)
      expect(fingerprint).toMatch(/^[0-9a-f]{64}$/)
      for (const region of regions) expect(fingerprintTag(first, region)).toBe(fingerprint)

      const second = await run({ reuse: 'true', variables: 'db_password=correct-horse-battery-staple' })
      expect(second.errors).toEqual([])
      expect(launched()).toBe(1)
      expect(loggedFingerprint(second)).toBe(fingerprint)
      expect(amiOutputs(second)).toEqual(amiOutputs(first))

      const third = await run({ reuse: 'true', variables: 'db_password=hunter2\napi_key=k3y' })
      expect(third.errors).toEqual([])
      expect(launched()).toBe(2)
      expect(loggedFingerprint(third)).not.toBe(fingerprint)
    })

    it("HCL2: a variable declared sensitive = true is fingerprinted by its name, not its value", async () => {
      const path = join(workspace, 'hcl2', 'ami.pkr.hcl')
      writeFileSync(path, `${readFileSync(path, 'utf8')}\nvariable "db_password" {\n  type      = string\n  default   = ""\n  sensitive = true\n}\n`)
      const hcl = { 'working-directory': 'hcl2', template: 'ami.pkr.hcl', 'var-file': 'loopback.pkrvars.hcl' }
      const first = await run({ ...hcl, variables: 'db_password=hunter2' })
      expect(first.errors).toEqual([])
      const fingerprint = loggedFingerprint(first)
      expect(fingerprintTag(first, 'us-east-1')).toBe(fingerprint)

      const second = await run({ ...hcl, reuse: 'true', variables: 'db_password=correct-horse-battery-staple' })
      expect(second.errors).toEqual([])
      expect(launched()).toBe(1)
      expect(loggedFingerprint(second)).toBe(fingerprint)

      const third = await run({ ...hcl, reuse: 'true' })
      expect(launched()).toBe(2)
      expect(loggedFingerprint(third)).not.toBe(fingerprint)
    })

    it("applies the current tags to the reused AMIs and their snapshots in every region, and keeps who built them", async () => {
      const first = await run({ reuse: 'true', tags: 'Team=alpha' })
      expect(first.errors).toEqual([])
      const amiIds = JSON.parse(first.outputs['ami-ids']) as Record<string, string>
      const snapshotsOf = (region: string) =>
        endpoint.images(region).find((image) => image.imageId === amiIds[region])?.blockDeviceMappings.map((device) => device.snapshotId as string) ?? []
      const builtWith = Object.fromEntries(regions.map((region) => [region, endpoint.tagsOf(region, amiIds[region])]))
      expect(builtWith['us-east-1']).toMatchObject({ Team: 'alpha', SourceCommit: pushToMain.GITHUB_SHA })

      // Another commit, another workflow run: tags do not change the image, so nothing is built.
      const later = { GITHUB_SHA: 'feedface0123456789abcdef0123456789abcdef', GITHUB_RUN_ID: '4343', GITHUB_ACTOR: 'hubot' }
      const second = await run({ reuse: 'true', tags: 'Team=beta\nNew=1' }, later)
      expect(second.errors).toEqual([])
      expect(second.exitCode).toBe(0)
      expect(launched()).toBe(1)
      expect(amiOutputs(second)).toEqual(amiOutputs(first))
      for (const region of regions) {
        // The provenance tags still name the run that built them; the input tags are the new ones.
        expect(endpoint.tagsOf(region, amiIds[region])).toEqual({ ...builtWith[region], Team: 'beta', New: '1' })
        expect(snapshotsOf(region).length).toBeGreaterThan(0)
        for (const snapshot of snapshotsOf(region)) expect(endpoint.tagsOf(region, snapshot)).toMatchObject({ Team: 'beta', New: '1' })
      }
      const tagging = endpoint.callsOf('CreateTags').slice(-3)
      expect(tagging.map((call) => call.region).sort()).toEqual([...regions].sort())
      for (const call of tagging) {
        const keys = Object.entries(call.params).filter(([name]) => /^Tag\.\d+\.Key$/.test(name)).map(([, key]) => key)
        expect(keys.sort()).toEqual(['New', 'Team'])
      }
      expect(second.stdout).toContain(`Nothing changed since ${runUrl}: reusing its 3 AMIs, nothing is built.`)
      expect(second.stdout).toContain(
        'Input tags applied to the reused AMIs and their snapshots (New, Team): tags do not change the image, so they are not in the fingerprint.'
      )
      expect(second.summary).toContain(
        `Nothing changed since the last build: reused, built by ${runUrl}. Input tags (2 tags) applied to the reused AMIs and their snapshots.`
      )
      expect(second.summary).toContain('| reused; 2 input tags applied |')
      expect(second.summary).toContain('## Packer AMI build: :white_check_mark: AMIs reused and tagged\n')
    })

    it('a reused set whose new tags could not be applied fails the step, with its outputs set', async () => {
      const first = await run({ reuse: 'true', tags: 'Team=alpha' })
      expect(first.errors).toEqual([])
      endpoint.faults.fail('CreateTags', { code: 'UnauthorizedOperation', region: 'eu-west-1' })
      const second = await run({ reuse: 'true', tags: 'Team=beta', 'tag-snapshots': 'false' })
      expect(launched()).toBe(1)
      expect(second.exitCode).toBe(1)
      expect(amiOutputs(second)).toEqual(amiOutputs(first))
      expect(second.errors.map((error) => error.message)).toEqual([
        expect.stringContaining('ec2:CreateTags'),
        'Tagging failed in eu-west-1; the AMIs exist and are in the outputs.'
      ])
      const amiIds = JSON.parse(first.outputs['ami-ids']) as Record<string, string>
      expect(endpoint.tagsOf('us-east-1', amiIds['us-east-1'])).toMatchObject({ Team: 'beta' })
      expect(endpoint.tagsOf('eu-west-1', amiIds['eu-west-1'])).toMatchObject({ Team: 'alpha' })
    })

    it('a look-up that EC2 refuses builds, with a warning that says reuse did not look', async () => {
      const first = await run({ reuse: 'true' })
      expect(first.errors).toEqual([])
      // After validate, which calls no AWS API, the home region's first DescribeImages is the look-up.
      endpoint.faults.fail('DescribeImages', { code: 'UnauthorizedOperation', region: 'us-east-1', firstCalls: 1 })
      const second = await run({ reuse: 'true' })
      expect(second.errors).toEqual([])
      expect(second.exitCode).toBe(0)
      expect(launched()).toBe(2)
      expect(second.warnings).toEqual([
        expect.stringMatching(
          /^reuse: looking for AMIs to reuse failed: UnauthorizedOperation — the credentials lack ec2:DescribeImages\..* Building instead, as when no earlier build is found\.$/s
        )
      ])
    })

    it("builds again when one region's AMI of the set was deregistered", async () => {
      const first = await run({ reuse: 'true' })
      const amiIds = JSON.parse(first.outputs['ami-ids']) as Record<string, string>
      await ec2('us-west-2').send(new DeregisterImageCommand({ ImageId: amiIds['us-west-2'] }))
      const second = await run({ reuse: 'true' })
      expect(second.errors).toEqual([])
      expect(launched()).toBe(2)
      expect(second.stdout).toContain(`are not all there (2 of 3 found; none in us-west-2)`)
      expect(JSON.parse(second.outputs['ami-ids'])['us-west-2']).not.toBe(amiIds['us-west-2'])
    })

    it('a re-run of a failed job that had already built reuses its AMIs and finishes the job', async () => {
      endpoint.faults.fail('PutParameter', { code: 'ThrottlingException', message: 'Rate exceeded', region: 'eu-west-1', status: 400 })
      const first = await run({ reuse: 'true', 'ssm-parameter': '/images/web/latest' })
      expect(first.exitCode).toBe(1)
      endpoint.faults.clear()
      const second = await run({ reuse: 'true', 'ssm-parameter': '/images/web/latest' })
      expect(second.errors).toEqual([])
      expect(second.exitCode).toBe(0)
      expect(launched()).toBe(1)
      const amiIds = JSON.parse(first.outputs['ami-ids']) as Record<string, string>
      expect(JSON.parse(second.outputs['ami-ids'])).toEqual(amiIds)
      for (const region of regions) expect(endpoint.parameters(region)['/images/web/latest']?.value).toBe(amiIds[region])
    })

    it('a build in 20 regions is tagged in every one, and an unchanged second run reuses all 20 AMIs', async () => {
      // 20 regions are more than a 256-character BuildSet value can name; the account has a 21st.
      const wide = ['us-east-1', 'us-east-2', 'us-west-1', 'us-west-2', 'ca-central-1', 'sa-east-1', 'eu-west-1', 'eu-west-2', 'eu-west-3',
        'eu-central-1', 'eu-north-1', 'eu-south-1', 'ap-south-1', 'ap-northeast-1', 'ap-northeast-2', 'ap-northeast-3', 'ap-southeast-1',
        'ap-southeast-2', 'me-south-1', 'af-south-1']
      await endpoint.close()
      endpoint = await startEc2Endpoint({ regions: [...wide, 'ap-east-1'] })
      const variables = `ami_regions=${wide.filter((region) => region !== 'us-east-1').join(',')}`

      const first = await run({ reuse: 'true', variables })
      expect(first.errors).toEqual([])
      expect(first.exitCode).toBe(0)
      const amiIds = JSON.parse(first.outputs['ami-ids']) as Record<string, string>
      expect(Object.keys(amiIds).sort()).toEqual([...wide].sort())
      const fingerprint = loggedFingerprint(first)
      for (const region of wide) {
        expect(endpoint.tagsOf(region, amiIds[region])).toMatchObject({
          BuildFingerprint: fingerprint,
          BuildSet: `${first.outputs['run-uuid']} 20`,
          PackerBuild: 'amazon-ebs amazon-ebs',
          BuildRunUrl: runUrl
        })
      }

      const second = await run({ reuse: 'true', variables })
      expect(second.errors).toEqual([])
      expect(second.exitCode).toBe(0)
      expect(launched()).toBe(1)
      expect(amiOutputs(second)).toEqual(amiOutputs(first))
      expect(groupLines(second.stdout, 'Look for AMIs to reuse')).toContain(`Nothing changed since ${runUrl}: reusing its 20 AMIs, nothing is built.`)
      // The set names no region: the look-up asked EC2 for the account's and searched each once;
      // then one DescribeImages in each region of the set named its AMI, to see it still there.
      const described = endpoint.calls.slice(setUpCalls).filter((call) => call.action === 'DescribeImages')
      const searched = described.filter((call) => call.params['Filter.1.Name'] !== undefined).map((call) => call.region)
      expect(searched.sort()).toEqual([...wide, 'ap-east-1'].sort())
      const checked = described.filter((call) => call.params['ImageId.1'] !== undefined).map((call) => `${call.region} ${call.params['ImageId.1']}`)
      expect(checked.sort()).toEqual(wide.map((region) => `${region} ${amiIds[region]}`).sort())
      expect(described).toHaveLength(searched.length + checked.length)
      expect(endpoint.calls.slice(setUpCalls).filter((call) => call.action === 'DescribeRegions')).toHaveLength(1)
      expect(extraPermissions()).toEqual(readmeInputPermissions('reuse'))

      await ec2('af-south-1').send(new DeregisterImageCommand({ ImageId: amiIds['af-south-1'] }))
      const third = await run({ reuse: 'true', variables })
      expect(third.exitCode).toBe(0)
      expect(launched()).toBe(2)
      expect(groupLines(third.stdout, 'Look for AMIs to reuse')).toContain(
        `Building: the AMIs built by Packer run ${first.outputs['run-uuid']} are not all there (19 of 20 found in the account's 21 regions).`
      )
    })

    it("a reused set whose first build made no AMI in the home region: ami-id is that of the region it built in, and a notice says so, as after a build", async () => {
      withTwoBuilds(workspace)
      const path = join(workspace, 'json', 'packer-template.json')
      const template = JSON.parse(readFileSync(path, 'utf8'))
      // It builds in us-west-2 and copies to eu-west-1, the first of the two alphabetically.
      Object.assign(template.builders[0], { region: 'us-west-2', ami_regions: 'eu-west-1' })
      writeFileSync(path, JSON.stringify(template, null, 2))
      const note = (amiId: string) =>
        `ami-id is ${amiId} in us-west-2, the region build web made its AMI in (its region setting), of which its AMIs in its other regions are copies: ` +
        "it made no AMI in us-east-1, the home region. Output ami-ids has each region's."

      const first = await run({ reuse: 'true' })
      expect(first.exitCode).toBe(0)
      const amiId = first.outputs['ami-id']
      expect(amiId).toBe((JSON.parse(first.outputs['ami-ids']) as Record<string, string>)['us-west-2'])
      expect(parseCommands(first.stdout, 'notice').map(({ message }) => message)).toContainEqual(note(amiId))
      const second = await run({ reuse: 'true' })
      expect(second.exitCode).toBe(0)
      expect(launched()).toBe(2)
      expect(second.outputs['ami-id']).toBe(amiId)
      expect(parseCommands(second.stdout, 'notice').map(({ message }) => message)).toContainEqual(note(amiId))
    })

    it('a set whose tagging failed in one region is not complete: the next run builds', async () => {
      endpoint.faults.fail('CreateTags', { code: 'UnauthorizedOperation', region: 'us-west-2' })
      const first = await run({ reuse: 'true' })
      expect(first.exitCode).toBe(1)
      endpoint.faults.clear()
      const second = await run({ reuse: 'true' })
      expect(second.exitCode).toBe(0)
      expect(launched()).toBe(2)
    })

    it('an AMI a failed tagging left without its tags is named with the commands that tag or deregister it; tagged as told, reuse and keep-images find it', async () => {
      // Packer's own tags go on; the action's CreateTags is refused in us-west-2.
      endpoint.faults.fail('CreateTags', { code: 'UnauthorizedOperation', region: 'us-west-2', userAgent: 'aws-sdk-js' })
      const first = await run({ reuse: 'true', 'keep-images': '1' })
      expect(first.exitCode).toBe(1)
      const amiId = (JSON.parse(first.outputs['ami-ids']) as Record<string, string>)['us-west-2']
      const [snapshotId] = endpoint.images('us-west-2').find((image) => image.imageId === amiId)?.blockDeviceMappings.map((device) => device.snapshotId) ?? []
      expect(first.errors.at(-1)?.message).toContain(
        `; the AMIs exist and are in the outputs. ${amiId} in us-west-2 is left without the run's tags, which keep-images (ImageFamily) ` +
          'and reuse (BuildFingerprint, BuildSet, PackerBuild) find AMIs by: this run and later ones will never find it. ' +
          'It costs, with its snapshots, until it is tagged or deregistered; the log and the summary give the commands for it'
      )
      const deregister = `aws ec2 deregister-image --region us-west-2 --image-id ${amiId} --delete-associated-snapshots`
      const tagCommand = new RegExp(`^aws ec2 create-tags --region us-west-2 --resources ${amiId} ${snapshotId} --tags '(.+)'$`, 'm')
      const section = first.summary.slice(first.summary.indexOf("#### AMIs left without the run's tags"))
      expect(section).toContain(deregister)
      expect(section).toMatch(tagCommand)
      expect(first.stdout).toContain(`\n${deregister}\n`)
      expect(first.stdout).toMatch(tagCommand)
      // Nothing is deregistered on the user's behalf.
      expect(endpoint.callsOf('DeregisterImage')).toEqual([])
      expect(endpoint.tagsOf('us-west-2', amiId)).not.toHaveProperty('ImageFamily')

      // Tagged as the summary says, the set is whole: the next run reuses it, and keep-images counts it.
      endpoint.faults.clear()
      const tags = JSON.parse(tagCommand.exec(section)?.[1] as string) as Array<{ Key: string; Value: string }>
      await ec2('us-west-2').send(new CreateTagsCommand({ Resources: [amiId, snapshotId as string], Tags: tags }))
      const second = await run({ reuse: 'true', 'keep-images': '1' })
      expect(second.exitCode).toBe(0)
      expect(launched()).toBe(1)
      expect(second.outputs['ami-ids']).toBe(first.outputs['ami-ids'])
      expect(groupLines(second.stdout, 'Retention')).toContainEqual(expect.stringMatching(new RegExp(`^us-west-2: ${amiId} .*: kept: newest$`)))
    })

    it("a set whose builds' own tags are not on in one region is not complete: the next run builds, and says why", async () => {
      withTwoBuilds(workspace)
      const first = await run({ reuse: 'true' })
      expect(first.exitCode).toBe(0)
      const built = JSON.parse(first.outputs.builds) as Record<string, Record<string, string>>
      expect(Object.keys(built)).toEqual(['web', 'api'])
      // Each build's own tags go on in the same call as the set's; a set tagged by an earlier
      // release, which added them in a call of its own after the set's, can lack them.
      for (const amiId of [built.web['us-east-1'], built.api['us-east-1']]) {
        expect(endpoint.tagsOf('us-east-1', amiId)).toHaveProperty('PackerBuild')
        await ec2('us-east-1').send(new DeleteTagsCommand({ Resources: [amiId], Tags: [{ Key: 'PackerBuild' }, { Key: 'ImageFamily' }] }))
      }
      expect(endpoint.tagsOf('us-east-1', built.api['us-east-1'])).toHaveProperty('BuildSet')

      const second = await run({ reuse: 'true' })
      expect(second.errors).toEqual([])
      expect(second.exitCode).toBe(0)
      expect(launched()).toBe(4)
      expect(second.summary).not.toContain('reused')
      const rebuilt = JSON.parse(second.outputs.builds) as Record<string, Record<string, string>>
      expect(Object.keys(rebuilt)).toEqual(['web', 'api'])
      expect(second.outputs['ami-id']).toBe(rebuilt.web['us-east-1'])
      expect(second.outputs['run-uuid']).not.toBe(first.outputs['run-uuid'])
      expect(endpoint.tagsOf('us-east-1', rebuilt.api['us-east-1'])).toMatchObject({ PackerBuild: 'amazon-ebs api' })
      const lacking = [built.api['us-east-1'], built.web['us-east-1']].sort().map((amiId) => `${amiId} in us-east-1`)
      expect(groupLines(second.stdout, 'Look for AMIs to reuse')).toContain(
        `Building: the AMIs built by Packer run ${first.outputs['run-uuid']} are not all tagged ` +
          `(their builds' own tags are not on ${lacking.join(', ')}).`
      )
    })
  })

  describe('launch-template', () => {
    it('adds a new default version per region where the template is, and reports the region without it', async () => {
      await createTemplate('us-east-1', 'web')
      await createTemplate('eu-west-1', 'web')
      await createTemplate('us-east-1', 'api')

      const result = await run({ 'launch-template': 'web' })
      expect(result.errors).toEqual([])
      expect(result.exitCode).toBe(0)
      const amiIds = JSON.parse(result.outputs['ami-ids']) as Record<string, string>
      expect(JSON.parse(result.outputs['launch-template-versions'])).toEqual({ 'us-east-1': 2, 'eu-west-1': 2 })

      for (const region of ['us-east-1', 'eu-west-1']) {
        const web = endpoint.launchTemplates(region).find((template) => template.launchTemplateName === 'web')
        expect(web?.defaultVersion).toBe(2)
        // Made from the default: the instance type stays, only the AMI changes.
        expect(web?.versions[1].data).toEqual({ ImageId: amiIds[region], InstanceType: 't3.small' })
        expect(web?.versions[1].description).toBe(
          `AMI ${amiIds[region]} built by https://github.com/acme/images/actions/runs/4242/attempts/1`
        )
      }
      // No other launch template is touched.
      const api = endpoint.launchTemplates('us-east-1').find((template) => template.launchTemplateName === 'api')
      expect(api).toMatchObject({ defaultVersion: 1, versions: [{ data: { ImageId: SOURCE_AMI_ID } }] })
      expect(endpoint.launchTemplates('us-west-2')).toEqual([])

      expect(groupLines(result.stdout, 'Launch templates')).toContain('us-west-2: there is no launch template web in this region; nothing to update.')
      expect(result.summary).toContain('### Launch template `web`')
      expect(result.summary).toContain(`| us-east-1 | \`${amiIds['us-east-1']}\` | 2 | yes |`)
      expect(result.summary).toContain(`| us-west-2 | \`${amiIds['us-west-2']}\` | no such template in this region | — |`)
      expect(extraPermissions()).toEqual(readmeInputPermissions('launch-template'))
    })

    it('warns, naming the input and its value, when the template is in none of the regions', async () => {
      // A typo: the template is web-servers, and the input names web-server.
      await createTemplate('us-east-1', 'web-servers')

      const result = await run({ 'launch-template': 'web-server' })
      expect(result.errors).toEqual([])
      expect(result.exitCode).toBe(0)
      expect(JSON.parse(result.outputs['launch-template-versions'])).toEqual({})
      const missing =
        'launch-template: there is no launch template web-server in any region the AMIs were built in ' +
        '(eu-west-1, us-east-1, us-west-2), so no version was made. Check the name or ID.'
      expect(result.warnings).toContain(missing)
      expect(parseCommands(result.stdout, 'warning').find((warning) => warning.message === missing)?.properties).toEqual({
        title: 'Launch template'
      })
      expect(result.summary).toContain(
        '| us-west-2 | `' + JSON.parse(result.outputs['ami-ids'])['us-west-2'] + '` | no such template in this region | — |\n\n' +
          'No region the AMIs were built in has this launch template, so no version was made. Check the name or ID.'
      )
      expect(endpoint.launchTemplates('us-east-1')[0]).toMatchObject({ launchTemplateName: 'web-servers', defaultVersion: 1 })
    })

    it('by ID, with launch-template-default: false: a new version that is not the default', async () => {
      const id = await createTemplate('eu-west-1', 'web')
      const result = await run({ 'launch-template': id, 'launch-template-default': 'false' })
      expect(result.errors).toEqual([])
      expect(result.exitCode).toBe(0)
      expect(JSON.parse(result.outputs['launch-template-versions'])).toEqual({ 'eu-west-1': 2 })
      const [web] = endpoint.launchTemplates('eu-west-1')
      expect(web.defaultVersion).toBe(1)
      expect(web.versions).toHaveLength(2)
      expect(endpoint.callsOf('ModifyLaunchTemplate')).toEqual([])
      expect(result.summary).toContain('| 2 | no |')
    })

    it('a reuse with launch-template-default: false finds the version it made when EC2 answers the default and the latest in separate pages', async () => {
      // EC2 pages DescribeLaunchTemplateVersions even without MaxResults; a page of one
      // version puts the latest, made by the first run, on the second page.
      await endpoint.close()
      endpoint = await startEc2Endpoint({ regions, pageSize: 1 })
      const id = await createTemplate('eu-west-1', 'web')
      const first = await run({ reuse: 'true', 'launch-template': id, 'launch-template-default': 'false' })
      expect(first.errors).toEqual([])
      expect(JSON.parse(first.outputs['launch-template-versions'])).toEqual({ 'eu-west-1': 2 })

      const second = await run({ reuse: 'true', 'launch-template': id, 'launch-template-default': 'false' })
      expect(second.errors).toEqual([])
      expect(second.exitCode).toBe(0)
      expect(second.outputs['ami-ids']).toBe(first.outputs['ami-ids'])
      const [web] = endpoint.launchTemplates('eu-west-1')
      expect(web.defaultVersion).toBe(1)
      expect(web.versions).toHaveLength(2)
      expect(endpoint.callsOf('CreateLaunchTemplateVersion')).toHaveLength(1)
      expect(endpoint.callsOf('DescribeLaunchTemplateVersions').some((call) => call.params.NextToken !== undefined)).toBe(true)
    })

    it("keeps a data volume's snapshot in the new version, and lets the new AMI fill its own devices", async () => {
      // A template made from a running instance names the image's root snapshot too, as the
      // console does; the data volume comes from a snapshot of its own.
      const dataSnapshot = 'snap-0d47a0000000000d1'
      await ec2('eu-west-1').send(
        new CreateLaunchTemplateCommand({
          LaunchTemplateName: 'web',
          LaunchTemplateData: {
            ImageId: SOURCE_AMI_ID,
            InstanceType: 't3.small',
            BlockDeviceMappings: [
              { DeviceName: '/dev/xvda', Ebs: { SnapshotId: SOURCE_SNAPSHOT_ID, VolumeSize: 8, VolumeType: 'gp3' } },
              { DeviceName: '/dev/sdf', Ebs: { SnapshotId: dataSnapshot, VolumeType: 'gp3', DeleteOnTermination: true } },
              { DeviceName: '/dev/sdg', NoDevice: '' }
            ]
          }
        })
      )
      const result = await run({ 'launch-template': 'web' })
      expect(result.errors).toEqual([])
      expect(result.exitCode).toBe(0)
      const amiId = (JSON.parse(result.outputs['ami-ids']) as Record<string, string>)['eu-west-1']

      const [rolled] =
        (await ec2('eu-west-1').send(new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateName: 'web', Versions: ['$Default'] })))
          .LaunchTemplateVersions ?? []
      expect(rolled.VersionNumber).toBe(2)
      expect(rolled.LaunchTemplateData?.ImageId).toBe(amiId)
      expect(rolled.LaunchTemplateData?.BlockDeviceMappings).toEqual([
        { DeviceName: '/dev/xvda', Ebs: { VolumeSize: 8, VolumeType: 'gp3' } },
        { DeviceName: '/dev/sdf', Ebs: { SnapshotId: dataSnapshot, VolumeType: 'gp3', DeleteOnTermination: true } },
        { DeviceName: '/dev/sdg', NoDevice: '' }
      ])
      expect(extraPermissions()).toEqual(readmeInputPermissions('launch-template'))
    })

    /** The launch template calls of the last run that change a template, as "Action region". */
    const templateChanges = () =>
      endpoint.calls
        .slice(setUpCalls)
        .filter((call) => ['CreateLaunchTemplateVersion', 'ModifyLaunchTemplate'].includes(call.action))
        .map((call) => `${call.action} ${call.region}`)
        .sort()

    it('a reuse whose AMI the default already launches makes no version and leaves the fleet alone', async () => {
      await createTemplate('us-east-1', 'web')
      await createTemplate('eu-west-1', 'web')
      const first = await run({ reuse: 'true', 'launch-template': 'web' })
      expect(first.errors).toEqual([])
      expect(JSON.parse(first.outputs['launch-template-versions'])).toEqual({ 'us-east-1': 2, 'eu-west-1': 2 })
      // Made after the build: its default launches another AMI, so the reusing run rolls it.
      await createTemplate('us-west-2', 'web')

      // Retention still counts the AMIs reused, which no new version names, as the run's own.
      const second = await run({ reuse: 'true', 'launch-template': 'web', 'keep-images': '1' })
      expect(second.errors).toEqual([])
      expect(second.exitCode).toBe(0)
      expect(second.outputs['ami-ids']).toBe(first.outputs['ami-ids'])
      expect(endpoint.callsOf('DeregisterImage')).toEqual([])
      expect(JSON.parse(second.outputs.deregistered)).toEqual([])
      const amiIds = JSON.parse(second.outputs['ami-ids']) as Record<string, string>
      expect(templateChanges()).toEqual(['CreateLaunchTemplateVersion us-west-2', 'ModifyLaunchTemplate us-west-2'])
      expect(JSON.parse(second.outputs['launch-template-versions'])).toEqual({ 'us-west-2': 2 })
      for (const region of ['us-east-1', 'eu-west-1']) {
        const [web] = endpoint.launchTemplates(region)
        expect(web.defaultVersion).toBe(2)
        expect(web.versions).toHaveLength(2)
        expect(groupLines(second.stdout, 'Launch templates')).toContain(
          `${region}: launch template web (${web.launchTemplateId}) version 2, its default, already launches ${amiIds[region]}; no version made.`
        )
        expect(second.summary).toContain(`| ${region} | \`${amiIds[region]}\` | none: version 2, the default, already launches \`${amiIds[region]}\` | yes |`)
      }
      expect(second.summary).toContain(`| us-west-2 | \`${amiIds['us-west-2']}\` | 2 | yes |`)
      for (const region of regions) expect(second.stdout).toMatch(new RegExp(`^${region}: ${amiIds[region]} \\(.*\\): kept: newest$`, 'm'))
      expect(second.warnings).toEqual([])
    })

    it('with launch-template-default: false, a reuse whose AMI the latest version launches makes no version', async () => {
      await createTemplate('eu-west-1', 'web')
      const inputs = { reuse: 'true', 'launch-template': 'web', 'launch-template-default': 'false' }
      const first = await run(inputs)
      expect(first.errors).toEqual([])
      expect(JSON.parse(first.outputs['launch-template-versions'])).toEqual({ 'eu-west-1': 2 })

      const second = await run(inputs)
      expect(second.errors).toEqual([])
      expect(second.exitCode).toBe(0)
      const amiId = (JSON.parse(second.outputs['ami-ids']) as Record<string, string>)['eu-west-1']
      expect(templateChanges()).toEqual([])
      expect(JSON.parse(second.outputs['launch-template-versions'])).toEqual({})
      const [web] = endpoint.launchTemplates('eu-west-1')
      expect(web).toMatchObject({ defaultVersion: 1, versions: [{ data: { ImageId: SOURCE_AMI_ID } }, { data: { ImageId: amiId } }] })
      expect(groupLines(second.stdout, 'Launch templates')).toContain(
        `eu-west-1: launch template web (${web.launchTemplateId}) version 2, its latest, already launches ${amiId}; no version made.`
      )
      expect(second.summary).toContain(`| eu-west-1 | \`${amiId}\` | none: version 2, the latest, already launches \`${amiId}\` | no |`)
    })

    /** A run that publishes /images/web/latest and rolls web, where no version is made: the run and its AMI IDs. */
    async function runPublishingWithoutVersions(): Promise<{ result: ActionRun; amiIds: Record<string, string> }> {
      const result = await run({ 'launch-template': 'web', 'ssm-parameter': '/images/web/latest' })
      expect(templateChanges()).toEqual([])
      expect(JSON.parse(result.outputs['launch-template-versions'])).toEqual({})
      return { result, amiIds: JSON.parse(result.outputs['ami-ids']) as Record<string, string> }
    }

    it('a default that resolves through the SSM parameter the run publishes is left to follow it; one through another parameter is left too, with a warning', async () => {
      const followed = await createTemplate('eu-west-1', 'web', 'resolve:ssm:/images/web/latest')
      const other = await createTemplate('us-east-1', 'web', 'resolve:ssm:/images/base/latest')
      const { result, amiIds } = await runPublishingWithoutVersions()
      expect(result.errors).toEqual([])
      expect(result.exitCode).toBe(0)
      expect(endpoint.parameters('eu-west-1')['/images/web/latest'].value).toBe(amiIds['eu-west-1'])
      for (const region of ['eu-west-1', 'us-east-1']) {
        expect(endpoint.launchTemplates(region)[0]).toMatchObject({ defaultVersion: 1, versions: [{ versionNumber: 1 }] })
      }

      const log = groupLines(result.stdout, 'Launch templates')
      expect(log).toContain(
        `eu-west-1: launch template web (${followed}) version 1, its default, launches the AMI that SSM parameter /images/web/latest ` +
          `resolves to, which this run sets to ${amiIds['eu-west-1']}; no version made.`
      )
      expect(log).toContain(
        `us-east-1: launch template web (${other}) version 1, its default, launches the AMI that resolve:ssm:/images/base/latest ` +
          'resolves to, which this run does not set; no version made.'
      )
      expect(result.summary).toContain(
        `| eu-west-1 | \`${amiIds['eu-west-1']}\` | none: version 1, the default, follows SSM parameter \`/images/web/latest\` | yes |`
      )
      expect(result.summary).toContain(
        `| us-east-1 | \`${amiIds['us-east-1']}\` | none: version 1, the default, follows \`resolve:ssm:/images/base/latest\`, which this run does not set | yes |`
      )
      expect(result.warnings).toEqual([
        'launch-template: the default version of web launches the AMI that an SSM parameter resolves to, and this run does not ' +
          'set that parameter, in us-east-1 (resolve:ssm:/images/base/latest), so no version was made there: a version naming the ' +
          'new AMI would stop the template following the parameter. To roll the AMIs out through the parameter, set ssm-parameter ' +
          'to its name; to roll them out as AMI IDs, make the default version name an AMI ID.'
      ])
    })

    it("a default that resolves the published parameter by its ARN in the account's own region is left to follow it; any other ARN is warned of", async () => {
      const arn = (region: string, account = SELF_ACCOUNT_ID) => `resolve:ssm:arn:aws:ssm:${region}:${account}:parameter/images/web/latest`
      const followed = await createTemplate('eu-west-1', 'web', arn('eu-west-1'))
      await createTemplate('us-east-1', 'web', arn('us-west-2'))
      await createTemplate('us-west-2', 'web', `${arn('us-west-2')}:1`)
      const { result, amiIds } = await runPublishingWithoutVersions()
      expect(result.errors).toEqual([])
      expect(result.exitCode).toBe(0)
      expect(groupLines(result.stdout, 'Launch templates')).toContain(
        `eu-west-1: launch template web (${followed}) version 1, its default, launches the AMI that SSM parameter ` +
          `${arn('eu-west-1').slice('resolve:ssm:'.length)} resolves to, which this run sets to ${amiIds['eu-west-1']}; no version made.`
      )
      expect(result.summary).toContain(
        `| eu-west-1 | \`${amiIds['eu-west-1']}\` | none: version 1, the default, follows SSM parameter \`${arn('eu-west-1').slice('resolve:ssm:'.length)}\` | yes |`
      )
      expect(result.warnings).toEqual([
        expect.stringContaining(`this run does not set that parameter, in us-east-1 (${arn('us-west-2')}), us-west-2 (${arn('us-west-2')}:1), so no version`)
      ])
    })

    it('a default that follows the published parameter where SSM did not take the new AMI is said to launch the one it holds', async () => {
      const followed = await createTemplate('eu-west-1', 'web', 'resolve:ssm:/images/web/latest')
      await createTemplate('us-east-1', 'web', 'resolve:ssm:/images/web/latest')
      endpoint.faults.fail('PutParameter', { code: 'AccessDeniedException', message: 'User: loopback is not authorized to perform: ssm:PutParameter', region: 'eu-west-1' })
      const { result, amiIds } = await runPublishingWithoutVersions()
      expect(result.exitCode).toBe(1)
      expect(result.errors.map((error) => error.message)).toEqual([
        'SSM parameter /images/web/latest in eu-west-1: AccessDeniedException — the credentials lack ssm:PutParameter. User: loopback is not authorized to perform: ssm:PutParameter',
        'ssm-parameter failed after the build (see the errors above); the AMIs are built, tagged and in the outputs.'
      ])
      const log = groupLines(result.stdout, 'Launch templates')
      expect(log).toContain(
        `eu-west-1: launch template web (${followed}) version 1, its default, launches the AMI that SSM parameter /images/web/latest ` +
          'resolves to, which this run did not set there (see the SSM parameter\'s line for the region), so it launches the AMI the parameter holds, if any; no version made.'
      )
      expect(log).toContainEqual(expect.stringMatching(new RegExp(`^us-east-1: .* which this run sets to ${amiIds['us-east-1']}; no version made\\.$`)))
      expect(result.summary).toContain(
        `| eu-west-1 | \`${amiIds['eu-west-1']}\` | none: version 1, the default, follows SSM parameter \`/images/web/latest\`, ` +
          'which this run did not set there: it launches the AMI the parameter holds, if any | yes |'
      )
      // The parameter's stage comes first, so what the launch template stage says is already so.
      expect(result.stdout.indexOf('::group::SSM parameters')).toBeLessThan(result.stdout.indexOf('::group::Launch templates'))
      expect(result.warnings).toEqual([])
    })

    it('a rerun after the default could not be moved makes the version the failed run made the default, instead of another', async () => {
      await createTemplate('us-east-1', 'web')
      await createTemplate('eu-west-1', 'web')
      endpoint.faults.fail('ModifyLaunchTemplate', { code: 'UnauthorizedOperation', region: 'eu-west-1' })
      const first = await run({ reuse: 'true', 'launch-template': 'web' })
      expect(first.exitCode).toBe(1)
      expect(first.errors[0].message).toMatch(/^Launch template in eu-west-1: UnauthorizedOperation — the credentials lack ec2:ModifyLaunchTemplate\./)
      expect(JSON.parse(first.outputs['launch-template-versions'])).toEqual({ 'us-east-1': 2 })
      expect(endpoint.launchTemplates('eu-west-1')[0]).toMatchObject({ defaultVersion: 1, versions: [{}, {}] })
      endpoint.faults.clear()

      const second = await run({ reuse: 'true', 'launch-template': 'web' })
      expect(second.errors).toEqual([])
      expect(second.exitCode).toBe(0)
      const amiId = (JSON.parse(second.outputs['ami-ids']) as Record<string, string>)['eu-west-1']
      expect(templateChanges()).toEqual(['ModifyLaunchTemplate eu-west-1'])
      expect(endpoint.callsOf('ModifyLaunchTemplate', 'eu-west-1').at(-1)?.params.SetDefaultVersion).toBe('2')
      expect(JSON.parse(second.outputs['launch-template-versions'])).toEqual({ 'eu-west-1': 2 })
      const [web] = endpoint.launchTemplates('eu-west-1')
      expect(web).toMatchObject({ defaultVersion: 2, versions: [{ data: { ImageId: SOURCE_AMI_ID } }, { data: { ImageId: amiId } }] })
      expect(groupLines(second.stdout, 'Launch templates')).toContain(
        `eu-west-1: launch template web (${web.launchTemplateId}) version 2, made for ${amiId} by an earlier run, is now its default; no version made.`
      )
      expect(second.summary).toContain(`| eu-west-1 | \`${amiId}\` | 2, made by an earlier run | yes |`)
    })

    it('a denied call fails the step after the other regions were updated, naming the permission', async () => {
      await createTemplate('us-east-1', 'web')
      await createTemplate('eu-west-1', 'web')
      endpoint.faults.fail('CreateLaunchTemplateVersion', { code: 'UnauthorizedOperation', region: 'eu-west-1' })
      const result = await run({ 'launch-template': 'web' })
      expect(result.exitCode).toBe(1)
      expect(result.errors[0].message).toMatch(
        /^Launch template in eu-west-1: UnauthorizedOperation — the credentials lack ec2:CreateLaunchTemplateVersion\./
      )
      expect(result.errors[0].message).not.toContain('Encoded authorization failure message')
      expect(JSON.parse(result.outputs['launch-template-versions'])).toEqual({ 'us-east-1': 2 })
      expect(endpoint.launchTemplates('us-east-1')[0].defaultVersion).toBe(2)
    })
  })

  describe('ssm-parameter', () => {
    function ssm(region: string): SSMClient {
      return new SSMClient(loopbackClientConfig(endpoint, region))
    }

    it("puts each region's AMI ID in the parameter, as an aws:ec2:image String, overwriting the old one", async () => {
      await ssm('eu-west-1').send(
        new PutParameterCommand({ Name: '/images/web/latest', Value: SOURCE_AMI_ID, Type: 'String', DataType: 'aws:ec2:image' })
      )
      const result = await run({ 'ssm-parameter': '/images/web/latest' })
      expect(result.errors).toEqual([])
      expect(result.exitCode).toBe(0)
      const amiIds = JSON.parse(result.outputs['ami-ids']) as Record<string, string>
      for (const region of regions) {
        expect(endpoint.parameters(region)).toEqual({
          '/images/web/latest': { value: amiIds[region], version: region === 'eu-west-1' ? 2 : 1, dataType: 'aws:ec2:image', tier: 'Standard' }
        })
        const { Parameter } = await ssm(region).send(new GetParameterCommand({ Name: '/images/web/latest' }))
        expect(Parameter?.Value).toBe(amiIds[region])
      }
      expect(endpoint.callsOf('PutParameter').slice(1).map((call) => call.params.Type)).toEqual(['String', 'String', 'String'])
      expect(groupLines(result.stdout, 'SSM parameters')).toContain(`eu-west-1: SSM parameter /images/web/latest is ${amiIds['eu-west-1']} (version 2).`)
      expect(result.summary).toContain('### SSM parameter `/images/web/latest`')
      expect(result.summary).toContain(`| eu-west-1 | \`${amiIds['eu-west-1']}\` | 2 |`)
      // One build: nothing to tell apart.
      expect(result.summary).not.toContain('The AMIs of build')
      expect(extraPermissions()).toEqual(readmeInputPermissions('ssm-parameter'))
    })

    it('a reuse leaves the parameter where it holds the AMI already, and puts it where it does not', async () => {
      const first = await run({ reuse: 'true', 'ssm-parameter': '/images/web/latest' })
      expect(first.exitCode).toBe(0)
      const amiIds = JSON.parse(first.outputs['ami-ids']) as Record<string, string>
      // Someone pointed eu-west-1's parameter elsewhere meanwhile.
      await ssm('eu-west-1').send(
        new PutParameterCommand({ Name: '/images/web/latest', Value: SOURCE_AMI_ID, Type: 'String', DataType: 'aws:ec2:image', Overwrite: true })
      )

      const second = await run({ reuse: 'true', 'ssm-parameter': '/images/web/latest' })
      expect(second.errors).toEqual([])
      expect(second.exitCode).toBe(0)
      expect(second.summary).toContain('reused, built by')
      expect(endpoint.calls.slice(setUpCalls).filter((call) => call.action === 'PutParameter').map((call) => call.region)).toEqual(['eu-west-1'])
      for (const region of regions) {
        expect(endpoint.parameters(region)['/images/web/latest']).toMatchObject({ value: amiIds[region], version: region === 'eu-west-1' ? 3 : 1 })
      }
      const log = groupLines(second.stdout, 'SSM parameters')
      expect(log).toContain(`us-east-1: SSM parameter /images/web/latest is ${amiIds['us-east-1']} (version 1, as an earlier run set it; not put again).`)
      expect(log).toContain(`eu-west-1: SSM parameter /images/web/latest is ${amiIds['eu-west-1']} (version 3).`)
      expect(second.summary).toContain(`| us-east-1 | \`${amiIds['us-east-1']}\` | 1, set by an earlier run |`)
      expect(second.summary).toContain(`| eu-west-1 | \`${amiIds['eu-west-1']}\` | 3 |`)
    })

    it("a name SSM refuses once its ARN is counted is an input error, before anything is built", async () => {
      // 975 characters: under 1011 alone, but SSM counts the 45 of arn:aws:ssm:us-east-1:123456789012:parameter/ too.
      const name = `/images/${'web'.repeat(320)}/latest`
      expect(name.length).toBe(975)
      const result = await run({ 'ssm-parameter': name })
      expect(result.exitCode).toBe(1)
      expect(result.errors.map((error) => error.message)).toEqual([
        `ssm-parameter: expected a Parameter Store name of at most 955 characters, found 975: ` +
          "SSM's limit of 1011 characters counts the ARN in front of the name, and the parameter goes to every region a build " +
          'makes an AMI in, which only Packer knows; so the name is bounded by the longest ARN in front of a name of any region ' +
          'the AWS SDK knows: arn:aws-iso-f:ssm:us-isof-south-1:111122223333:parameter/ (57 characters; a leading "/" of the name is its last)'
      ])
      expect(result.errors[0].properties.title).toBe('Invalid input')
      expect(endpoint.calls.slice(setUpCalls)).toEqual([])
      expect(result.outputs['ami-id']).toBeUndefined()
    })

    it('a parameter of data type text fails its region, saying what it found and what to do; the others are published', async () => {
      // As one made before the action, by hand or another tool: SSM keeps a parameter's data type.
      await ssm('eu-west-1').send(new PutParameterCommand({ Name: '/images/web/latest', Value: SOURCE_AMI_ID, Type: 'String' }))
      const result = await run({ 'ssm-parameter': '/images/web/latest' })
      expect(result.exitCode).toBe(1)
      const amiIds = JSON.parse(result.outputs['ami-ids']) as Record<string, string>
      const message =
        'SSM parameter /images/web/latest in eu-west-1: expected a String parameter of data type aws:ec2:image (what EC2 ' +
        'checks and launch templates resolve), found a String of data type text, which SSM does not change into one. Delete ' +
        'the parameter in eu-west-1 (aws ssm delete-parameter --name /images/web/latest --region eu-west-1) for the next ' +
        'build to make it anew, or set ssm-parameter to another name. SSM answered: ValidationException — The data type of ' +
        'parameter /images/web/latest is text and can\'t be changed to aws:ec2:image.'
      expect(result.errors.map((error) => error.message)).toEqual([
        message,
        'ssm-parameter failed after the build (see the errors above); the AMIs are built, tagged and in the outputs.'
      ])
      expect(result.errors[0].properties.title).toBe('SSM parameter')
      expect(endpoint.parameters('eu-west-1')).toEqual({
        '/images/web/latest': { value: SOURCE_AMI_ID, version: 1, dataType: 'text', tier: 'Standard' }
      })
      expect(endpoint.callsOf('PutParameter', 'eu-west-1').slice(1)).toHaveLength(1)
      for (const region of ['us-east-1', 'us-west-2']) expect(endpoint.parameters(region)['/images/web/latest']?.value).toBe(amiIds[region])
      expect(result.summary).toContain(`| eu-west-1 | \`${amiIds['eu-west-1']}\` | failed: SSM parameter /images/web/latest in eu-west-1: expected a String parameter`)
      expect(extraPermissions()).toEqual(readmeInputPermissions('ssm-parameter'))
    })

    it('an advanced parameter gets the new AMI and stays advanced', async () => {
      // Advanced for a policy, say, or by the account's default tier; SSM never makes it standard again.
      await ssm('eu-west-1').send(
        new PutParameterCommand({ Name: 'web-ami', Value: SOURCE_AMI_ID, Type: 'String', DataType: 'aws:ec2:image', Tier: 'Advanced' })
      )
      const result = await run({ 'ssm-parameter': 'web-ami' })
      expect(result.errors).toEqual([])
      expect(result.exitCode).toBe(0)
      const amiIds = JSON.parse(result.outputs['ami-ids']) as Record<string, string>
      expect(endpoint.parameters('eu-west-1')).toEqual({
        'web-ami': { value: amiIds['eu-west-1'], version: 2, dataType: 'aws:ec2:image', tier: 'Advanced' }
      })
      expect(endpoint.parameters('us-east-1')['web-ami']).toMatchObject({ value: amiIds['us-east-1'], tier: 'Standard' })
      // The account's default tier first; Advanced only for the parameter that is advanced already.
      const puts = (region: string) => endpoint.callsOf('PutParameter', region).filter((call) => call.params.Value !== SOURCE_AMI_ID)
      expect(puts('eu-west-1').map((call) => [call.params.Tier, call.error])).toEqual([
        [undefined, 'ValidationException'],
        ['Advanced', undefined]
      ])
      expect(puts('us-east-1').map((call) => call.params.Tier)).toEqual([undefined])
      expect(groupLines(result.stdout, 'SSM parameters')).toContain(`eu-west-1: SSM parameter web-ami is ${amiIds['eu-west-1']} (version 2).`)
      expect(result.summary).toContain(`| eu-west-1 | \`${amiIds['eu-west-1']}\` | 2 |`)
    })

    it('a put that meets another update of the parameter (TooManyUpdates) is tried again', async () => {
      endpoint.faults.fail('PutParameter', { code: 'TooManyUpdates', message: '', status: 400, firstCalls: 1, region: 'us-west-2' })
      const result = await run({ 'ssm-parameter': 'web-ami' })
      expect(result.errors).toEqual([])
      expect(result.exitCode).toBe(0)
      const amiIds = JSON.parse(result.outputs['ami-ids']) as Record<string, string>
      expect(endpoint.callsOf('PutParameter', 'us-west-2').map((call) => call.error)).toEqual(['TooManyUpdates', undefined])
      expect(endpoint.parameters('us-west-2')['web-ami']).toMatchObject({ value: amiIds['us-west-2'], version: 1 })
      expect(result.summary).toContain(`| us-west-2 | \`${amiIds['us-west-2']}\` | 1 |`)
    })

    it('a region where the put is denied fails the step; the others are published', async () => {
      endpoint.faults.fail('PutParameter', { code: 'AccessDeniedException', message: 'User: loopback is not authorized to perform: ssm:PutParameter', region: 'us-west-2' })
      const result = await run({ 'ssm-parameter': 'web-ami' })
      expect(result.exitCode).toBe(1)
      expect(result.errors.map((error) => error.message)).toEqual([
        'SSM parameter web-ami in us-west-2: AccessDeniedException — the credentials lack ssm:PutParameter. User: loopback is not authorized to perform: ssm:PutParameter',
        'ssm-parameter failed after the build (see the errors above); the AMIs are built, tagged and in the outputs.'
      ])
      expect(Object.keys(endpoint.parameters('us-east-1'))).toEqual(['web-ami'])
      expect(endpoint.parameters('us-west-2')).toEqual({})
    })

    it("with two builds, the parameter and the launch template get the first build's AMIs, and the summary and the log say whose", async () => {
      withTwoBuilds(workspace, ['ubuntu-arm64', 'ubuntu-x86'])
      await createTemplate('us-east-1', 'web')
      const result = await run({ 'ssm-parameter': '/images/web/latest', 'launch-template': 'web' })
      expect(result.errors).toEqual([])
      expect(result.exitCode).toBe(0)
      const builds = JSON.parse(result.outputs.builds) as Record<string, Record<string, string>>
      expect(Object.keys(builds)).toEqual(['ubuntu-arm64', 'ubuntu-x86'])
      const first = builds['ubuntu-arm64']
      expect(endpoint.parameters('us-east-1')['/images/web/latest'].value).toBe(first['us-east-1'])
      expect(result.summary).toContain(
        ['### SSM parameter `/images/web/latest`', '', "The AMIs of build ubuntu\\-arm64 (those of ami-ids): the parameter gets no other build's.", ''].join('\n')
      )
      expect(result.summary).toContain(
        ['### Launch template `web`', '', "The AMIs of build ubuntu\\-arm64 (those of ami-ids): no version is made for another build's.", ''].join('\n')
      )
      expect(result.summary).toContain(`| us-east-1 | \`${first['us-east-1']}\` | 1 |`)
      expect(groupLines(result.stdout, "SSM parameters (build ubuntu-arm64's AMIs)")).toContain(
        `us-east-1: SSM parameter /images/web/latest is ${first['us-east-1']} (version 1).`
      )
      expect(groupLines(result.stdout, "Launch templates (build ubuntu-arm64's AMIs)")).toContainEqual(
        expect.stringMatching(new RegExp(`^us-east-1: launch template web \\(lt-[0-9a-f]+\\) version 2 launches ${first['us-east-1']}, now its default\\.$`))
      )
    })
  })

  it('ssm-parameter: a put that never shows in the read-back fails its region, after a bounded wait', async () => {
    endpoint.faults.fail('GetParameter', { code: 'ParameterNotFound', message: 'Parameter web-ami not found.', region: 'eu-west-1' })
    const result = await run({ 'ssm-parameter': 'web-ami' })
    expect(result.exitCode).toBe(1)
    const amiIds = JSON.parse(result.outputs['ami-ids']) as Record<string, string>
    expect(result.errors[0].message).toBe(
      `SSM parameter web-ami in eu-west-1: the parameter does not show ${amiIds['eu-west-1']} after it was put: ` +
        'EC2 did not accept it as an AMI of eu-west-1, or is still checking it.'
    )
    // One read before the put (whose AMI the parameter holds: a newer run's is left), then the read-back.
    expect(endpoint.callsOf('GetParameter', 'eu-west-1')).toHaveLength(1 + 4)
    expect(endpoint.callsOf('GetParameter', 'us-east-1')).toHaveLength(1 + 1)
  })

  it('ssm-parameter: a region whose SSM never answers fails after three bounded attempts; the others are published', async () => {
    endpoint.faults.hang('PutParameter', { region: 'us-west-2' })
    const result = await run({ 'ssm-parameter': 'web-ami' })
    expect(result.exitCode).toBe(1)
    const amiIds = JSON.parse(result.outputs['ami-ids']) as Record<string, string>
    expect(Object.keys(amiIds).sort()).toEqual([...regions].sort())
    expect(result.errors.map((error) => error.message)).toEqual([
      'SSM parameter web-ami in us-west-2: TimeoutError — SSM did not answer ssm:PutParameter in time ' +
        '(3 attempts, each given 5 s to connect and 20 s to answer).',
      'ssm-parameter failed after the build (see the errors above); the AMIs are built, tagged and in the outputs.'
    ])
    expect(endpoint.callsOf('PutParameter', 'us-west-2').map((call) => call.error)).toEqual(['NoAnswer', 'NoAnswer', 'NoAnswer'])
    expect(endpoint.parameters('us-west-2')).toEqual({})
    for (const region of ['us-east-1', 'eu-west-1']) {
      expect(endpoint.parameters(region)['web-ami']?.value).toBe(amiIds[region])
    }
    expect(result.summary).toContain(`| us-west-2 | \`${amiIds['us-west-2']}\` | failed: SSM parameter web-ami in us-west-2: TimeoutError`)
  }, 120_000)

  describe('the stages after tagging, when the build or tagging failed', () => {
    const notRun = (why: string) => `ssm-parameter and launch-template and keep-images did not run: they run only ${why}.`

    it('a region where tagging failed: none runs, and the failure and the summary say so', async () => {
      await createTemplate('us-east-1', 'web')
      // Only the action's CreateTags is refused: the demo template tags nothing itself here.
      const path = join(workspace, 'json', 'packer-template.json')
      const template = JSON.parse(readFileSync(path, 'utf8'))
      delete template.builders[0].tags
      writeFileSync(path, JSON.stringify(template, null, 2))
      endpoint.faults.fail('CreateTags', { code: 'UnauthorizedOperation', region: 'eu-west-1' })
      const result = await run({ 'launch-template': 'web', 'ssm-parameter': '/images/web/latest', 'keep-images': '1' })
      expect(result.exitCode).toBe(1)
      expect(Object.keys(JSON.parse(result.outputs['ami-ids'])).sort()).toEqual([...regions].sort())
      const untagged = (JSON.parse(result.outputs['ami-ids']) as Record<string, string>)['eu-west-1']
      expect(result.errors.at(-1)?.message).toBe(
        `Tagging failed in eu-west-1; the AMIs exist and are in the outputs. ${untagged} in eu-west-1 is left without the run's tags, ` +
          'which keep-images (ImageFamily) and reuse (BuildFingerprint, BuildSet, PackerBuild) find AMIs by: this run and later ones will never find it. ' +
          'It costs, with its snapshots, until it is tagged or deregistered; the log and the summary give the commands for it ' +
          `(aws ec2 create-tags with the tags the run meant to give it, or aws ec2 deregister-image --delete-associated-snapshots). ${notRun('once every AMI is tagged')}`
      )
      for (const region of regions) expect(endpoint.parameters(region)).toEqual({})
      expect(endpoint.callsOf('CreateLaunchTemplateVersion')).toEqual([])
      expect(endpoint.callsOf('DeregisterImage')).toEqual([])
      expect(result.summary).toContain(notRun('once every AMI is tagged'))
    })

    it('a failed build that made some AMIs: none runs, and the failure and the summary say so', async () => {
      withTwoBuilds(workspace)
      // The first build copies its AMI to eu-west-1, and fails there; the second builds in us-east-1 only.
      endpoint.faults.fail('CopyImage', { code: 'UnauthorizedOperation', region: 'eu-west-1' })
      const result = await run({ 'ssm-parameter': '/images/web/latest' })
      expect(result.exitCode).toBe(1)
      expect(Object.keys(JSON.parse(result.outputs.builds))).toEqual(['api'])
      expect(result.errors.at(-1)?.message).toBe(
        'packer build failed (exit code 1), after building 1 AMI that is in the outputs. ' +
          'ssm-parameter did not run: it runs only after a successful build.'
      )
      for (const region of regions) expect(endpoint.parameters(region)).toEqual({})
      expect(result.summary).toContain('ssm-parameter did not run: it runs only after a successful build.')
    })
  })

  describe('keep-images', () => {
    const family = 'acme/images/json/packer-template.json/amazon-ebs' // the repository, the template's path and the demo build's name
    const old = (n: number) => `ami-0000000000000a00${n}`
    const snapshotOf = (n: number) => `snap-0000000000000a00${n}`
    const untagged = 'ami-0000000000000b001'
    const otherFamily = 'ami-0000000000000b002'

    interface OlderImage {
      imageId: string
      snapshotId: string
      creationDate: string
      architecture: string
      tags: Record<string, string>
    }

    /** Four older AMIs of the family in us-east-1, one of another family, one with no family, and `more`. */
    async function seededEndpoint(more: OlderImage[] = [], pageSize?: number, onCall?: (call: Ec2Call) => void): Promise<void> {
      await endpoint.close()
      const mine = (imageId: string, snapshotId: string, creationDate: string, tags: Record<string, string>) => ({
        imageId,
        snapshotId,
        name: `web-${imageId}`,
        ownerId: SELF_ACCOUNT_ID,
        regions: ['us-east-1'],
        creationDate,
        tags
      })
      endpoint = await startEc2Endpoint({
        regions,
        pageSize,
        onCall,
        seedImages: [
          { imageId: SOURCE_AMI_ID, name: SOURCE_AMI_NAME, snapshotId: SOURCE_SNAPSHOT_ID },
          ...[1, 2, 3, 4].map((n) => mine(old(n), snapshotOf(n), `2025-0${n}-01T00:00:00.000Z`, { ImageFamily: family })),
          mine(untagged, 'snap-0000000000000b001', '2024-01-01T00:00:00.000Z', { SourceRepository: 'acme/images' }),
          mine(otherFamily, 'snap-0000000000000b002', '2024-01-01T00:00:00.000Z', { ImageFamily: 'acme/images/api' }),
          ...more.map((seed) => ({ ...mine(seed.imageId, seed.snapshotId, seed.creationDate, seed.tags), architecture: seed.architecture }))
        ]
      })
    }

    /** old1 was used by an instance now terminated; old2 is used by a stopped one; old3 by a launch template's old version. */
    async function useSomeImages(): Promise<string> {
      const client = ec2('us-east-1')
      const launch = async (imageId: string) =>
        (await client.send(new RunInstancesCommand({ ImageId: imageId, MinCount: 1, MaxCount: 1, InstanceType: 't3.micro' })))
          .Instances?.[0].InstanceId as string
      const reaches = (instanceId: string, state: string) =>
        until(async () => {
          const { Reservations = [] } = await client.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }))
          return Reservations[0]?.Instances?.[0]?.State?.Name === state
        })
      const gone = await launch(old(1))
      const stopped = await launch(old(2))
      await reaches(stopped, 'running')
      await client.send(new TerminateInstancesCommand({ InstanceIds: [gone] }))
      await client.send(new StopInstancesCommand({ InstanceIds: [stopped] }))
      await reaches(gone, 'terminated')
      await reaches(stopped, 'stopped')
      const id = await createTemplate('us-east-1', 'web', old(3))
      await client.send(new CreateLaunchTemplateVersionCommand({ LaunchTemplateId: id, SourceVersion: '1', LaunchTemplateData: { ImageId: SOURCE_AMI_ID } }))
      await client.send(new ModifyLaunchTemplateCommand({ LaunchTemplateId: id, DefaultVersion: '2' }))
      return stopped
    }

    const imageIds = (region: string) => endpoint.images(region).map((image) => image.imageId)
    const snapshotIds = (region: string) => endpoint.snapshots(region).map((snapshot) => snapshot.snapshotId)

    it('keeps 2 of 5, and the old ones still in use; deletes only the retired AMI\'s snapshots', async () => {
      await seededEndpoint()
      const stopped = await useSomeImages()
      const result = await run({ 'keep-images': '2' })
      expect(result.errors).toEqual([])
      expect(result.exitCode).toBe(0)
      const amiIds = JSON.parse(result.outputs['ami-ids']) as Record<string, string>
      expect(endpoint.tagsOf('us-east-1', amiIds['us-east-1'])).toMatchObject({ ImageFamily: family })

      expect(JSON.parse(result.outputs.deregistered)).toEqual([{ region: 'us-east-1', amiId: old(1) }])
      expect(groupLines(result.stdout, 'Retention')).toContainEqual(expect.stringMatching(new RegExp(`^us-east-1: ${old(1)} \\(.*\\): deregistered`)))
      expect(imageIds('us-east-1').sort()).toEqual(
        [SOURCE_AMI_ID, old(2), old(3), old(4), untagged, otherFamily, amiIds['us-east-1']].sort()
      )
      expect(snapshotIds('us-east-1')).not.toContain(snapshotOf(1))
      expect(snapshotIds('us-east-1')).toEqual(expect.arrayContaining([snapshotOf(2), snapshotOf(3), snapshotOf(4), 'snap-0000000000000b001', 'snap-0000000000000b002']))
      expect(endpoint.callsOf('DeleteSnapshot').map((call) => call.params.SnapshotId)).toEqual([snapshotOf(1)])
      // The regions with only the new AMI keep it.
      for (const region of ['eu-west-1', 'us-west-2']) expect(imageIds(region)).toContain(amiIds[region])

      expect(result.summary).toContain('### Retention: the newest 2 AMIs of the image family are kept')
      expect(result.summary).toContain(`| us-east-1 | \`${old(2)}\` | 2025-02-01T00:00:00.000Z | kept: in use by instance ${stopped} |`)
      expect(result.summary).toMatch(new RegExp(`\\| \`${old(3)}\` \\| [^|]+ \\| kept: in use by launch template lt-`))
      expect(result.summary).toContain(`| \`${old(4)}\` | 2025-04-01T00:00:00.000Z | kept: newest |`)
      expect(result.summary).toContain(`| \`${old(1)}\` | 2025-01-01T00:00:00.000Z | deregistered; snapshots deleted: ${snapshotOf(1)} |`)
      expect(result.summary).not.toContain(untagged)
      expect(result.summary).not.toContain(otherFamily)
      expect(extraPermissions()).toEqual(readmeInputPermissions('keep-images'))
    })

    it('waits out EC2 throttling its DeregisterImage calls: every AMI due is retired, with no error', async () => {
      await seededEndpoint()
      // EC2 throttles a run of calls per account and region; here the first DeregisterImage is
      // refused as often as 3 attempts allow.
      endpoint.faults.throttle('DeregisterImage', { firstCalls: 3, userAgent: 'aws-sdk-js' })
      const result = await run({ 'keep-images': '2' })
      expect(result.errors).toEqual([])
      expect(result.exitCode).toBe(0)
      expect(endpoint.callsOf('DeregisterImage').filter((call) => call.error === 'RequestLimitExceeded')).toHaveLength(3)
      const retired = [old(1), old(2), old(3)]
      expect(JSON.parse(result.outputs.deregistered)).toEqual(expect.arrayContaining(retired.map((amiId) => ({ region: 'us-east-1', amiId }))))
      for (const amiId of retired) expect(imageIds('us-east-1')).not.toContain(amiId)
      for (const n of [1, 2, 3]) expect(snapshotIds('us-east-1')).not.toContain(snapshotOf(n))
      expect(result.summary).not.toContain('RequestLimitExceeded')
    })

    it('a family with over 1000 AMIs: the summary counts those to retire by region and family, and stays within what GitHub shows', async () => {
      const many = Array.from({ length: 1000 }, (_, n) => ({
        imageId: `ami-0000000000001${n.toString(16).padStart(4, '0')}`,
        snapshotId: `snap-0000000000001${n.toString(16).padStart(4, '0')}`,
        creationDate: new Date(Date.UTC(2023, 0, 1) + n * 3_600_000).toISOString(),
        architecture: 'x86_64',
        tags: { ImageFamily: family }
      }))
      await seededEndpoint(many)
      const result = await run({ 'keep-images': '2', 'retention-dry-run': 'true' })
      expect(result.errors).toEqual([])
      expect(result.exitCode).toBe(0)
      // us-east-1: 1000 + old1..old4 + the new AMI, of which the new one and old4 are kept; the other regions' new AMIs.
      expect(result.summary).toContain(
        '1007 AMIs: those that would be deregistered are counted by region and family, as a row for each would take the summary past ' +
          'the 1 MiB GitHub shows (it drops a bigger one whole). The log names each, and so does the output deregistered.'
      )
      expect(result.summary).toContain(
        `| us-east-1 | 1003 AMIs | ${many[0].creationDate} to 2025-03-01T00:00:00.000Z | would be deregistered, with their snapshots |`
      )
      expect(result.summary).toContain(`| \`${old(4)}\` | 2025-04-01T00:00:00.000Z | kept: newest |`)
      expect(result.summary).not.toContain(many[0].imageId)
      expect(Buffer.byteLength(result.summary)).toBeLessThan(64 * 1024)
      // The log still names each.
      const retention = groupLines(result.stdout, 'Retention (dry run)')
      for (const { imageId } of [many[0], many[999]]) expect(retention).toContainEqual(expect.stringMatching(new RegExp(`^us-east-1: ${imageId} \\(.*\\): would be deregistered`)))
      expect(endpoint.callsOf('DeregisterImage')).toEqual([])
    })

    it('keeps an old AMI protected from deregistration, says why, and never asks EC2 to deregister it', async () => {
      await seededEndpoint()
      const client = ec2('us-east-1')
      await client.send(new EnableImageDeregistrationProtectionCommand({ ImageId: old(1) }))
      // Protection with a cooldown, then disabled: EC2 still refuses for 24 hours.
      await client.send(new EnableImageDeregistrationProtectionCommand({ ImageId: old(2), WithCooldown: true }))
      await client.send(new DisableImageDeregistrationProtectionCommand({ ImageId: old(2) }))
      const cooldown = endpoint.images('us-east-1').find((image) => image.imageId === old(2))?.deregistrationProtection
      expect(cooldown).toMatch(/^disabled after /)

      const result = await run({ 'keep-images': '2' })
      expect(result.errors).toEqual([])
      expect(result.exitCode).toBe(0)
      expect(JSON.parse(result.outputs.deregistered)).toEqual([{ region: 'us-east-1', amiId: old(3) }])
      expect(endpoint.callsOf('DeregisterImage').map((call) => call.params.ImageId)).toEqual([old(3)])
      expect(endpoint.callsOf('DeleteSnapshot').map((call) => call.params.SnapshotId)).toEqual([snapshotOf(3)])
      expect(imageIds('us-east-1')).toEqual(expect.arrayContaining([old(1), old(2)]))
      const lift = `aws ec2 disable-image-deregistration-protection --region us-east-1 --image-id ${old(1)}`
      const kept = `kept: protected from deregistration (enabled-without-cooldown); leave it, or lift the protection with ${lift}, and the next run retires it`
      const logged = (groupLines(result.stdout, 'Retention') ?? []).filter((line) => line.startsWith(`us-east-1: ${old(1)} (`))
      expect(logged).toHaveLength(1)
      expect(logged[0].endsWith(`): ${kept}`)).toBe(true)
      expect(result.summary).toContain(`| \`${old(1)}\` | 2025-01-01T00:00:00.000Z | ${kept} |`)
      expect(result.summary).toContain(
        `| \`${old(2)}\` | 2025-02-01T00:00:00.000Z | kept: protected from deregistration (${cooldown}); ` +
          'EC2 refuses to deregister it until the cooldown ends, and a later run retires it then |'
      )
      // Counted apart, above the table.
      expect(result.summary).toContain(
        `Protected from deregistration, so kept: \`${old(2)}\` (us-east-1), \`${old(1)}\` (us-east-1). EC2 refuses to deregister them while protected: ` +
          'leave them, or lift the protection as their rows say, and a later run retires them.'
      )
      expect(extraPermissions()).toEqual(readmeInputPermissions('keep-images'))

      // A dry run says the same of them, and what it would retire.
      const dry = await run({ 'keep-images': '1', 'retention-dry-run': 'true' })
      expect(dry.exitCode).toBe(0)
      expect(dry.summary).toContain(`| \`${old(1)}\` | 2025-01-01T00:00:00.000Z | ${kept} |`)
      expect(dry.summary).toContain(`Protected from deregistration, so kept: \`${old(2)}\` (us-east-1), \`${old(1)}\` (us-east-1).`)
      expect(endpoint.callsOf('DeregisterImage')).toHaveLength(1)
    })

    it('keeps an AMI protected after retention listed it: EC2 refuses to deregister it, and the step does not fail', async () => {
      // Its owner protects old1 while the run retires old3: EC2 then refuses old1's DeregisterImage.
      await seededEndpoint([], undefined, (call) => {
        if (call.action === 'DeregisterImage' && call.params.ImageId === old(3)) endpoint.protect('us-east-1', old(1))
      })
      const result = await run({ 'keep-images': '2' })
      expect(result.errors).toEqual([])
      expect(result.exitCode).toBe(0)
      expect(endpoint.callsOf('DeregisterImage').map((call) => [call.params.ImageId, call.error])).toEqual([
        [old(3), undefined],
        [old(2), undefined],
        [old(1), 'OperationNotPermitted']
      ])
      expect(JSON.parse(result.outputs.deregistered)).toEqual([
        { region: 'us-east-1', amiId: old(3) },
        { region: 'us-east-1', amiId: old(2) }
      ])
      expect(snapshotIds('us-east-1')).toContain(snapshotOf(1))
      expect(result.summary).toContain(`| \`${old(1)}\` | 2025-01-01T00:00:00.000Z | kept: protected from deregistration (enabled-without-cooldown); `)
      expect(result.summary).toContain(`Protected from deregistration, so kept: \`${old(1)}\` (us-east-1).`)
      expect(extraPermissions()).toEqual(readmeInputPermissions('keep-images'))
    })

    it("leaves a retired AMI's snapshot that another AMI was registered from, and says which AMI uses it", async () => {
      await seededEndpoint()
      const { ImageId: sharer } = await ec2('us-east-1').send(
        new RegisterImageCommand({
          Name: 'web-restored',
          RootDeviceName: '/dev/xvda',
          BlockDeviceMappings: [{ DeviceName: '/dev/xvda', Ebs: { SnapshotId: snapshotOf(1) } }]
        })
      )
      const result = await run({ 'keep-images': '4' })
      expect(result.errors).toEqual([])
      expect(result.exitCode).toBe(0)
      expect(JSON.parse(result.outputs.deregistered)).toEqual([{ region: 'us-east-1', amiId: old(1) }])
      expect(snapshotIds('us-east-1')).toContain(snapshotOf(1))
      expect(result.summary).toContain(
        `| \`${old(1)}\` | 2025-01-01T00:00:00.000Z | deregistered; snapshots deleted: none; left: ${snapshotOf(1)} (in use by ${sharer}) |`
      )
    })

    it('finds the same uses where DescribeImageReferences is denied', async () => {
      await seededEndpoint()
      await useSomeImages()
      endpoint.faults.fail('DescribeImageReferences', { code: 'UnauthorizedOperation' })
      const result = await run({ 'keep-images': '2' })
      expect(result.errors).toEqual([])
      expect(JSON.parse(result.outputs.deregistered)).toEqual([{ region: 'us-east-1', amiId: old(1) }])
      expect(imageIds('us-east-1')).toEqual(expect.arrayContaining([old(2), old(3), old(4)]))
      expect(endpoint.callsOf('DescribeLaunchTemplateVersions', 'us-east-1').length).toBeGreaterThan(0)
    })

    describe('where EC2 answers the uses of AMIs one page at a time', () => {
      /** Another launch template before web, so web's versions come on a later page; old4 in a version after the first. */
      async function usedInPages(): Promise<void> {
        await seededEndpoint([], 1)
        const other = await createTemplate('us-east-1', 'api')
        const stopped = await useSomeImages()
        await ec2('us-east-1').send(new CreateLaunchTemplateVersionCommand({ LaunchTemplateId: other, LaunchTemplateData: { ImageId: old(4), InstanceType: 't3.small' } }))
        expect(stopped).toMatch(/^i-/)
      }

      it('keeps every AMI in use, read from every page of DescribeImageReferences', async () => {
        await usedInPages()
        const result = await run({ 'keep-images': '1' })
        expect(result.errors).toEqual([])
        expect(result.exitCode).toBe(0)
        expect(JSON.parse(result.outputs.deregistered)).toEqual([{ region: 'us-east-1', amiId: old(1) }])
        expect(imageIds('us-east-1')).toEqual(expect.arrayContaining([old(2), old(3), old(4)]))
        expect(endpoint.callsOf('DescribeImageReferences').filter((call) => call.params.NextToken !== undefined).length).toBeGreaterThan(0)
      })

      it('keeps every AMI in use, read from every page of launch templates and their versions, where DescribeImageReferences is denied', async () => {
        await usedInPages()
        endpoint.faults.fail('DescribeImageReferences', { code: 'UnauthorizedOperation' })
        const result = await run({ 'keep-images': '1' })
        expect(result.errors).toEqual([])
        expect(result.exitCode).toBe(0)
        expect(JSON.parse(result.outputs.deregistered)).toEqual([{ region: 'us-east-1', amiId: old(1) }])
        expect(imageIds('us-east-1')).toEqual(expect.arrayContaining([old(2), old(3), old(4)]))
        expect(endpoint.callsOf('DescribeLaunchTemplates').filter((call) => call.params.NextToken !== undefined).length).toBeGreaterThan(0)
      })
    })

    it('a dry run changes nothing and reports everything', async () => {
      await seededEndpoint()
      await useSomeImages()
      const imagesBefore = imageIds('us-east-1').length
      const result = await run({ 'keep-images': '1', 'retention-dry-run': 'true' })
      expect(result.errors).toEqual([])
      expect(result.exitCode).toBe(0)
      expect(JSON.parse(result.outputs.deregistered)).toEqual([])
      expect(imageIds('us-east-1')).toHaveLength(imagesBefore + 1)
      expect(endpoint.callsOf('DeregisterImage')).toEqual([])
      expect(endpoint.callsOf('DeleteSnapshot')).toEqual([])
      expect(result.summary).toContain('(dry run: nothing was changed)')
      expect(result.summary).toContain(`| \`${old(4)}\` | 2025-04-01T00:00:00.000Z | would be deregistered, with snapshots ${snapshotOf(4)} |`)
      expect(result.summary).toContain(`| \`${old(1)}\` | 2025-01-01T00:00:00.000Z | would be deregistered, with snapshots ${snapshotOf(1)} |`)
      expect(result.summary).toMatch(new RegExp(`\\| \`${old(3)}\` \\| [^|]+ \\| kept: in use by launch template lt-`))
      expect(extraPermissions()).toEqual(readmeInputPermissions('retention-dry-run'))
    })

    it("keeps each architecture's newest: an arm64 AMI of the family is not retired by an x86_64 build", async () => {
      // As a matrix over architectures builds one template, and so one family, per leg.
      const arm = (n: number): OlderImage => ({
        imageId: `ami-0000000000000c00${n}`,
        snapshotId: `snap-0000000000000c00${n}`,
        creationDate: `2024-0${n}-01T00:00:00.000Z`,
        architecture: 'arm64',
        tags: { ImageFamily: family }
      })
      await seededEndpoint([arm(1), arm(2)])
      const result = await run({ 'keep-images': '1' })
      expect(result.errors).toEqual([])
      expect(result.warnings).toEqual([])
      const amiIds = JSON.parse(result.outputs['ami-ids']) as Record<string, string>
      expect(JSON.parse(result.outputs.deregistered)).toEqual([4, 3, 2, 1].map((n) => ({ region: 'us-east-1', amiId: old(n) })))
      expect(imageIds('us-east-1').sort()).toEqual([SOURCE_AMI_ID, untagged, otherFamily, arm(1).imageId, arm(2).imageId, amiIds['us-east-1']].sort())
      expect(snapshotIds('us-east-1')).toEqual(expect.arrayContaining([arm(1).snapshotId, arm(2).snapshotId]))
      expect(result.summary).not.toContain(arm(1).imageId)
    })

    it('retires nothing in a region where the AMI built now is not listed yet, and says so', async () => {
      await seededEndpoint()
      const client = ec2('us-east-1')
      const results = await retainImages({
        families: new Map([[family, new Map([['us-east-1', ['ami-0ffffffffffffff01']]])]]),
        keep: 1,
        dryRun: false,
        ec2For: () => client
      })
      expect(results).toEqual([
        {
          region: 'us-east-1',
          family,
          images: [],
          warning:
            'ami-0ffffffffffffff01 is not listed with its ImageFamily tag yet, so its architecture is not known: nothing was retired in us-east-1. The next build retires what is due.'
        }
      ])
      expect(imageIds('us-east-1')).toEqual(expect.arrayContaining([1, 2, 3, 4].map(old)))
      expect(endpoint.callsOf('DeregisterImage')).toEqual([])
    })

    it('an image-family as long as a tag value may be (256 characters) tags every new AMI and retires by it', async () => {
      const long = `acme/${'w'.repeat(251)}`
      const older = (n: number) => `ami-0000000000000c00${n}`
      const seed = (n: number) => ({
        imageId: older(n),
        snapshotId: `snap-0000000000000c00${n}`,
        creationDate: `2025-0${n}-01T00:00:00.000Z`,
        architecture: 'x86_64',
        tags: { ImageFamily: long }
      })
      await seededEndpoint([seed(1), seed(2)])
      const result = await run({ 'keep-images': '2', 'image-family': long })
      expect(result.errors).toEqual([])
      expect(result.exitCode).toBe(0)
      const amiIds = JSON.parse(result.outputs['ami-ids']) as Record<string, string>
      for (const region of regions) expect(endpoint.tagsOf(region, amiIds[region]).ImageFamily).toBe(long)
      expect(JSON.parse(result.outputs.deregistered)).toEqual([{ region: 'us-east-1', amiId: older(1) }])
      // The default family's AMIs are another family's.
      expect(imageIds('us-east-1')).toEqual(expect.arrayContaining([older(2), old(1), old(2), old(3), old(4)]))
    })

    it('two builds are two families: each AMI is tagged with its own', async () => {
      withTwoBuilds(workspace)
      const result = await run({})
      expect(result.errors).toEqual([])
      const artifacts = JSON.parse(result.outputs.artifacts) as Array<{ build: string; region: string; amiId: string }>
      expect(artifacts).toHaveLength(4)
      for (const artifact of artifacts) {
        expect(endpoint.tagsOf(artifact.region, artifact.amiId)).toMatchObject({
          ImageFamily: `acme/images/json/packer-template.json/${artifact.build}`,
          SourceCommit: pushToMain.GITHUB_SHA
        })
      }
    })

    it('a failure on one AMI does not stop the others; the step fails at the end', async () => {
      await seededEndpoint()
      endpoint.faults.fail('DeregisterImage', {
        code: 'OperationNotPermitted',
        message: 'The image has deregistration protection enabled.',
        firstCalls: 1
      })
      const result = await run({ 'keep-images': '2' })
      expect(result.exitCode).toBe(1)
      // Newest first: old3 is the first to go, and fails; old2 and old1 go.
      expect(JSON.parse(result.outputs.deregistered)).toEqual([
        { region: 'us-east-1', amiId: old(2) },
        { region: 'us-east-1', amiId: old(1) }
      ])
      expect(result.errors[0].message).toBe(
        `us-east-1: Deregistering ${old(3)} failed: OperationNotPermitted — The image has deregistration protection enabled.`
      )
      expect(imageIds('us-east-1')).toContain(old(3))
      expect(snapshotIds('us-east-1')).toContain(snapshotOf(3))
    })

    it('keeps the AMI the ssm-parameter still holds where the run could not set it, and retires the others', async () => {
      const inputs = { 'ssm-parameter': '/images/web/latest', 'keep-images': '1' }
      const first = await run(inputs)
      expect(first.exitCode).toBe(0)
      const before = JSON.parse(first.outputs['ami-ids']) as Record<string, string>
      endpoint.faults.fail('PutParameter', { code: 'AccessDeniedException', message: 'User: loopback is not authorized to perform: ssm:PutParameter', region: 'eu-west-1' })

      const second = await run(inputs)
      expect(second.exitCode).toBe(1)
      expect(second.errors.map((error) => error.message)).toEqual([
        'SSM parameter /images/web/latest in eu-west-1: AccessDeniedException — the credentials lack ssm:PutParameter. User: loopback is not authorized to perform: ssm:PutParameter',
        'ssm-parameter failed after the build (see the errors above); the AMIs are built, tagged and in the outputs.'
      ])
      // What launches from the parameter in eu-west-1 is still there; elsewhere the parameter moved on.
      expect(endpoint.parameters('eu-west-1')['/images/web/latest'].value).toBe(before['eu-west-1'])
      expect(imageIds('eu-west-1')).toContain(before['eu-west-1'])
      expect(endpoint.callsOf('DeregisterImage', 'eu-west-1')).toEqual([])
      expect(JSON.parse(second.outputs.deregistered)).toEqual(
        expect.arrayContaining([
          { region: 'us-east-1', amiId: before['us-east-1'] },
          { region: 'us-west-2', amiId: before['us-west-2'] }
        ])
      )
      expect(JSON.parse(second.outputs.deregistered)).toHaveLength(2)
      expect(groupLines(second.stdout, 'Retention')).toContainEqual(
        expect.stringMatching(new RegExp(`^eu-west-1: ${before['eu-west-1']} \\(.*\\): kept: in use by SSM parameter /images/web/latest$`))
      )
      expect(second.summary).toMatch(new RegExp(`\\| \`${before['eu-west-1']}\` \\| [^|]+ \\| kept: in use by SSM parameter /images/web/latest \\|`))
      // Each region read before the put; then read back where the put went through, and read once
      // more by retention only where it failed: elsewhere the read-back showed the new AMI.
      const reads = endpoint.calls.slice(setUpCalls).filter((call) => call.action === 'GetParameter').map((call) => call.region)
      expect(reads.sort()).toEqual(['eu-west-1', 'eu-west-1', 'us-east-1', 'us-east-1', 'us-west-2', 'us-west-2'])
      expect(extraPermissions()).toEqual([...new Set([...readmeInputPermissions('keep-images'), ...readmeInputPermissions('ssm-parameter')])].sort())
    })
  })

  it('a bad launch-template value stops the run before Packer or AWS is reached', async () => {
    const result = await run({ 'launch-template': 'lt-xyz' })
    expect(result.exitCode).toBe(1)
    expect(result.errors.map((error) => error.message)).toEqual([
      'launch-template: expected a launch template ID (lt- and 17 hex digits) or a name of 3 to 128 letters, digits and ( ) . - / _, found "lt-xyz"'
    ])
    expect(endpoint.calls.slice(setUpCalls)).toEqual([])
  })
})
