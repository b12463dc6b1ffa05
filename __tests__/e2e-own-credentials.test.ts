// Templates whose builders bring their own AWS credentials, through the bundled action with the
// real Packer and the loopback EC2 endpoint, which records the access key ID each call is signed
// with: a profile of a credentials file, keys given through the variables input. The action's own
// calls (the tagging, and the post step's clean-up after a killed build) are made with the
// credentials Packer built with, not the step's.
import { afterEach, beforeEach, expect, it } from '@jest/globals'
import type { ChildProcess } from 'node:child_process'
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { startEc2Endpoint, type Ec2Endpoint } from '../test-support/ec2-endpoint/index.js'
import { asTheRunnerShowsIt, loopbackEnvironment, pushToMain, runAction, runPostStep, type ActionRun, type RunActionOptions } from './support/action-process.js'
import { demoWorkspace } from './support/demo.js'
import { describeWithPacker, packerVersion, until } from './support/runtimes.js'

const regions = ['us-east-1', 'eu-west-1', 'us-west-2']
const noKeys = { AWS_ACCESS_KEY_ID: undefined, AWS_SECRET_ACCESS_KEY: undefined, AWS_SESSION_TOKEN: undefined, AWS_PROFILE: undefined }

describeWithPacker('a template that brings its own AWS credentials, through the bundled action', () => {
  let endpoint: Ec2Endpoint
  let workspace: string
  beforeEach(async () => {
    endpoint = await startEc2Endpoint({ regions, autoAdvance: { describes: 0 } })
    workspace = demoWorkspace('own-credentials-')
  })
  afterEach(async () => {
    await endpoint.close()
    rmSync(workspace, { recursive: true, force: true })
  })

  function step(template: 'hcl2' | 'json', env: Record<string, string | undefined>, inputs: Record<string, string> = {}): RunActionOptions {
    const files = template === 'hcl2' ? { template: 'ami.pkr.hcl', 'var-file': 'loopback.pkrvars.hcl' } : { template: 'packer-template.json', 'var-file': 'packer-vars.json' }
    return {
      workspace,
      inputs: { 'packer-version': packerVersion(), 'working-directory': template, ...files, ...inputs },
      env: { ...pushToMain, ...loopbackEnvironment(endpoint.url, workspace), AWS_EC2_METADATA_DISABLED: 'true', ...env }
    }
  }

  function run(template: 'hcl2' | 'json', env: Record<string, string | undefined>, inputs: Record<string, string> = {}): Promise<ActionRun> {
    return runAction(step(template, env, inputs))
  }

  /** The JSON template's builder given keys of its own from the variables input, the secret a sensitive variable. */
  function jsonBuilderKeys(): void {
    const path = join(workspace, 'json', 'packer-template.json')
    const template = JSON.parse(readFileSync(path, 'utf8'))
    template.variables = { ...template.variables, images_key_id: '', images_secret: '' }
    template['sensitive-variables'] = ['images_secret']
    Object.assign(template.builders[0], { access_key: '{{user `images_key_id`}}', secret_key: '{{user `images_secret`}}' })
    writeFileSync(path, JSON.stringify(template, null, 2))
  }
  const imagesKeys = { variables: 'images_key_id=AKIDIMAGESKEYS\nimages_secret=images-keys-secret' }

  /**
   * `options` run while the endpoint holds the build's instance pending, Packer's waiter polling
   * once a second; `atWait` acts on the step once Packer has asked for its instance twice.
   */
  function whileTheInstanceWaits(options: RunActionOptions, atWait: (child: ChildProcess) => void): Promise<ActionRun> {
    endpoint.faults.holdInstancesPending()
    const loopback = endpoint
    return runAction({
      ...options,
      env: { ...options.env, AWS_POLL_DELAY_SECONDS: '1', AWS_MAX_ATTEMPTS: '1000' },
      onStart: (child) => {
        void until(() => loopback.callsOf('DescribeInstances').length >= 2, 'Packer to wait for its instance').then(() => atWait(child))
      }
    })
  }

  /** Packer's process: the step's only child. */
  function packerOf(child: ChildProcess): number {
    return Number(readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8').trim().split(/\s+/)[0])
  }

  /**
   * What the post step did with what Packer left: terminated its instance, deleted its security
   * group and key pair, with calls signed by `accessKeyId` alone; no warning but `warnings`.
   */
  function expectCleanedUpWith(post: ActionRun, callsBefore: number, accessKeyId: string, warnings: string[] = []): void {
    const instance = endpoint.instances('us-east-1')[0]
    expect(post.exitCode).toBe(0)
    expect(post.warnings).toEqual(warnings)
    expect(post.stdout).toContain(`us-east-1: terminating ${instance.instanceId} (pending)`)
    expect(instance.state).toBe('terminated')
    expect(endpoint.securityGroups('us-east-1').map((group) => group.groupName)).toEqual(['default'])
    expect(endpoint.keyPairs('us-east-1')).toEqual([])
    const postCalls = endpoint.calls.slice(callsBefore)
    expect(postCalls.map((call) => call.action)).toEqual(expect.arrayContaining(['TerminateInstances', 'DeleteSecurityGroup', 'DeleteKeyPair']))
    expect([...new Set(postCalls.map((call) => call.accessKeyId))]).toEqual([accessKeyId])
  }

  /** Adds `settings` (HCL2 lines) to the demo HCL2 source block. */
  function hclSource(settings: string): void {
    const path = join(workspace, 'hcl2', 'ami.pkr.hcl')
    writeFileSync(path, readFileSync(path, 'utf8').replace('  skip_region_validation = true\n', `  skip_region_validation = true\n${settings}\n`))
  }

  /** The access key IDs the calls were signed with, as the endpoint recorded them, each once. */
  function signers(): string[] {
    return [...new Set(endpoint.calls.map((call) => call.accessKeyId))]
  }

  /** Built and tagged: the action's tags on each region's AMI. */
  function expectTagged(result: ActionRun): void {
    expect(result.errors).toEqual([])
    expect(result.exitCode).toBe(0)
    const amiIds = JSON.parse(result.outputs['ami-ids']) as Record<string, string>
    expect(Object.keys(amiIds).sort()).toEqual(regions.slice().sort())
    for (const [region, amiId] of Object.entries(amiIds)) expect(endpoint.tagsOf(region, amiId)).toMatchObject({ SourceRepository: 'acme/images' })
  }

  it("a profile of the runner's credentials file, and no keys in the step: Packer builds with it, and the action tags with it", async () => {
    const credentials = join(workspace, 'aws-credentials')
    writeFileSync(credentials, '[images]\naws_access_key_id = AKIDIMAGESPROFILE\naws_secret_access_key = images-profile-secret\n')
    hclSource('  profile = "images"')
    const result = await run('hcl2', { ...noKeys, AWS_SHARED_CREDENTIALS_FILE: credentials })
    expectTagged(result)
    expect(endpoint.callsOf('CreateTags').length).toBeGreaterThan(3)
    expect(signers()).toEqual(['AKIDIMAGESPROFILE'])
    expect(result.stdout).toContain('The action\'s AWS calls use the credentials the template\'s builds use: the profile "images" its builders name.')
  })

  it('a shared_credentials_file relative to the working directory: Packer reads it there, and so does the action, which tags with its profile', async () => {
    // Packer runs in working-directory, and opens the file as the builder names it.
    mkdirSync(join(workspace, 'hcl2', 'aws'))
    writeFileSync(join(workspace, 'hcl2', 'aws', 'credentials'), '[images]\naws_access_key_id = AKIDIMAGESFILE\naws_secret_access_key = images-file-secret\n')
    hclSource('  profile = "images"\n  shared_credentials_file = "aws/credentials"')
    const result = await run('hcl2', noKeys)
    expectTagged(result)
    expect(endpoint.callsOf('CreateTags').length).toBeGreaterThan(3)
    expect(signers()).toEqual(['AKIDIMAGESFILE'])
    expect(result.stdout).not.toContain('images-file-secret')
  })

  it('keys given through the variables input (JSON template): the action tags with them, not the step\'s, and the secret stays masked', async () => {
    jsonBuilderKeys()
    const result = await run('json', {}, imagesKeys)
    expectTagged(result)
    expect(signers()).toEqual(['AKIDIMAGESKEYS'])
    expect(result.stdout).toContain('::add-mask::images-keys-secret')
    expect(result.stdout.replaceAll('::add-mask::images-keys-secret', '')).not.toContain('images-keys-secret')
  })

  it('a profile while the step has keys too: says that the action tags with the step\'s, on the source block, before the install', async () => {
    const credentials = join(workspace, 'aws-credentials')
    writeFileSync(credentials, '[images]\naws_access_key_id = AKIDIMAGESPROFILE\naws_secret_access_key = images-profile-secret\n')
    hclSource('  profile = "images"')
    const result = await run('hcl2', { AWS_SHARED_CREDENTIALS_FILE: credentials })
    expect(result.exitCode).toBe(0)
    const warning = result.stdout.split('\n').find((line) => line.startsWith('::warning') && line.includes('AWS credentials of the template')) ?? ''
    expect(warning).toMatch(/^::warning title=AWS credentials of the template,file=hcl2\/ami\.pkr\.hcl,line=\d+.*::The action makes its own AWS calls \(the tagging, .*\) with the step's credentials, not with build amazon-ebs\.demo's: its builder names the profile "images" while the step has AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY: Packer 1\.6\.6 builds with the step's keys, later versions of the Amazon plugin with the profile\. .*role-to-assume/)
    expect(result.stdout.indexOf(warning)).toBeLessThan(result.stdout.indexOf('::group::Install Packer'))
    // Packer 1.6.6 took the step's keys, as the action did.
    expect(signers()).toEqual(['AKIDLOOPBACK'])
  })

  it("Packer killed while its instance starts, with a profile and no keys in the step: the post step terminates the instance with the profile", async () => {
    const credentials = join(workspace, 'aws-credentials')
    writeFileSync(credentials, '[images]\naws_access_key_id = AKIDIMAGESPROFILE\naws_secret_access_key = images-profile-secret\n')
    hclSource('  profile = "images"')
    const options = step('hcl2', { ...noKeys, AWS_SHARED_CREDENTIALS_FILE: credentials })
    const main = await whileTheInstanceWaits(options, (child) => process.kill(packerOf(child), 'SIGKILL'))
    expect(main.exitCode).toBe(1)
    expect(main.summary).toContain('Packer was killed (SIGKILL) before it could clean up')
    expect(endpoint.instances('us-east-1').map((instance) => instance.state)).toEqual(['pending'])
    const callsBefore = endpoint.calls.length
    const post = await runPostStep(main, options)
    expectCleanedUpWith(post, callsBefore, 'AKIDIMAGESPROFILE')
    expect(signers()).toEqual(['AKIDIMAGESPROFILE'])
  })

  it("the main step killed after a cancel, with keys from the variables input: the post step stops Packer and cleans up with those keys, the secret masked in both steps' logs", async () => {
    jsonBuilderKeys()
    const options = step('json', {}, imagesKeys)
    // The runner's last resort after a cancel: SIGKILL to the step's process alone; Packer, in a group of its own, outlives it.
    let packerPid = 0
    const main = await whileTheInstanceWaits(options, (child) => {
      packerPid = packerOf(child)
      child.kill('SIGKILL')
    })
    expect(main.signal).toBe('SIGKILL')
    expect(endpoint.instances('us-east-1').map((instance) => instance.state)).toEqual(['pending'])
    const callsBefore = endpoint.calls.length
    const post = await runPostStep(main, options)
    expectCleanedUpWith(post, callsBefore, 'AKIDIMAGESKEYS', [
      `Packer (process group ${packerPid}) was still running after the main step was killed: stopped it, so that it makes nothing more.`
    ])
    expect(signers()).toEqual(['AKIDIMAGESKEYS'])
    // The post step registers the secret before anything it does, and neither step's log shows it.
    expect(post.stdout.split('\n')[0]).toBe('::add-mask::images-keys-secret')
    for (const log of [main, post]) expect(asTheRunnerShowsIt(log).log).not.toContain('images-keys-secret')
    // The state the main step saved, as a debug run's runner logs it after the step, through the masks the step registered.
    const stateLines = Object.entries(main.state).map(([name, value]) => `##[debug]Save intra-action state ${name} = ${value}`)
    expect(stateLines.join('\n')).toContain('images-keys-secret')
    expect(asTheRunnerShowsIt({ stdout: [main.stdout, ...stateLines].join('\n'), summary: '' }).log).not.toContain('images-keys-secret')
    expect(main.state['packer-leftovers']).not.toContain('images-keys-secret')
  })
})
