// From AMI to fleet, as a user gets it: the bundled action, the real Packer building the demo
// template into three regions, and then the stages after tagging (launch templates, SSM
// parameters, retention) through real HTTP against the loopback EC2 and SSM endpoint.
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals'
import { CreateLaunchTemplateCommand, EC2Client } from '@aws-sdk/client-ec2'
import { GetParameterCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm'
import { cpSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { SOURCE_AMI_ID, startEc2Endpoint, type Ec2Endpoint } from '../test-support/ec2-endpoint/index.js'
import { projectRoot, pushToMain, runAction, type ActionRun } from './support/action-process.js'
import { readmeInputPermissions, readmePolicyActions } from './support/iam.js'
import { describeWithPacker, packerVersion } from './support/runtimes.js'

const regions = ['us-east-1', 'eu-west-1', 'us-west-2']
const credentials = { accessKeyId: 'AKIDLOOPBACK', secretAccessKey: 'loopback-secret' }

describeWithPacker('from AMI to fleet, through the bundled action', () => {
  let endpoint: Ec2Endpoint
  let workspace: string
  /** Calls made before the action ran (the test's own set-up), left out of the IAM checks. */
  let setUpCalls = 0

  beforeEach(async () => {
    endpoint = await startEc2Endpoint({ regions })
    workspace = mkdtempSync(join(tmpdir(), 'e2e-fleet-'))
    cpSync(join(projectRoot, 'demo'), workspace, { recursive: true })
    setUpCalls = 0
  })
  afterEach(async () => {
    await endpoint.close()
    rmSync(workspace, { recursive: true, force: true })
  })

  function ec2(region: string): EC2Client {
    return new EC2Client({ region, endpoint: endpoint.url, credentials, maxAttempts: 1 })
  }

  async function run(inputs: Record<string, string>): Promise<ActionRun> {
    setUpCalls = endpoint.calls.length
    return runAction({
      workspace,
      inputs: { 'packer-version': packerVersion(), 'working-directory': 'json', ...inputs },
      env: {
        ...pushToMain,
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

  async function createTemplate(region: string, name: string): Promise<string> {
    const created = await ec2(region).send(
      new CreateLaunchTemplateCommand({
        LaunchTemplateName: name,
        LaunchTemplateData: { ImageId: SOURCE_AMI_ID, InstanceType: 't3.small' }
      })
    )
    return created.LaunchTemplate?.LaunchTemplateId as string
  }

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

      expect(result.stdout).toContain('us-west-2: there is no launch template web in this region; nothing to update.')
      expect(result.summary).toContain('### Launch template `web`')
      expect(result.summary).toContain(`| us-east-1 | \`${amiIds['us-east-1']}\` | 2 | yes |`)
      expect(result.summary).toContain(`| us-west-2 | \`${amiIds['us-west-2']}\` | no such template in this region | — |`)
      expect(extraPermissions()).toEqual(readmeInputPermissions('launch-template'))
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
      return new SSMClient({ region, endpoint: endpoint.url, credentials, maxAttempts: 1 })
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
          '/images/web/latest': { value: amiIds[region], version: region === 'eu-west-1' ? 2 : 1, dataType: 'aws:ec2:image' }
        })
        const { Parameter } = await ssm(region).send(new GetParameterCommand({ Name: '/images/web/latest' }))
        expect(Parameter?.Value).toBe(amiIds[region])
      }
      expect(endpoint.callsOf('PutParameter').slice(1).map((call) => call.params.Type)).toEqual(['String', 'String', 'String'])
      expect(result.summary).toContain('### SSM parameter `/images/web/latest`')
      expect(result.summary).toContain(`| eu-west-1 | \`${amiIds['eu-west-1']}\` | 2 |`)
      expect(extraPermissions()).toEqual(readmeInputPermissions('ssm-parameter'))
    })

    it('a region where the put is denied fails the step; the others are published', async () => {
      endpoint.faults.fail('PutParameter', { code: 'AccessDeniedException', message: 'User: loopback is not authorized to perform: ssm:PutParameter', region: 'us-west-2' })
      const result = await run({ 'ssm-parameter': 'web-ami' })
      expect(result.exitCode).toBe(1)
      expect(result.errors.map((error) => error.message)).toEqual([
        'SSM parameter web-ami in us-west-2: AccessDeniedException — the credentials lack ssm:PutParameter. User: loopback is not authorized to perform: ssm:PutParameter',
        '1 step(s) after the build failed (see the errors above); the AMIs are built, tagged and in the outputs.'
      ])
      expect(Object.keys(endpoint.parameters('us-east-1'))).toEqual(['web-ami'])
      expect(endpoint.parameters('us-west-2')).toEqual({})
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
    expect(endpoint.callsOf('GetParameter', 'eu-west-1')).toHaveLength(4)
    expect(endpoint.callsOf('GetParameter', 'us-east-1')).toHaveLength(1)
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
