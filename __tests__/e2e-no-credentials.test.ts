// A build step without AWS credentials it can use, through the bundled action with the real Packer
// and the loopback EC2 endpoint: a pull request from a fork (no secrets), a workflow without
// configure-aws-credentials, an AWS_PROFILE the runner has no file for, a key without its secret,
// and keys EC2 refuses. Each fails with what is missing and what to change, before the install
// where that is known without a call, and with nothing launched. A self-hosted runner's instance
// role, served here by a stand-in of the instance metadata service, keeps working.
import { afterEach, beforeEach, expect, it } from '@jest/globals'
import { createServer, type Server } from 'node:http'
import { readFileSync, rmSync, writeFileSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { startEc2Endpoint, type Ec2Endpoint } from '../test-support/ec2-endpoint/index.js'
import { loopbackEnvironment, pushToMain, runAction, type ActionRun } from './support/action-process.js'
import { demoWorkspace } from './support/demo.js'
import { describeWithPacker, packerVersion } from './support/runtimes.js'

const regions = ['us-east-1', 'eu-west-1', 'us-west-2']
const noKeys = { AWS_ACCESS_KEY_ID: undefined, AWS_SECRET_ACCESS_KEY: undefined, AWS_SESSION_TOKEN: undefined, AWS_PROFILE: undefined }

/**
 * A stand-in of the EC2 instance metadata service (IMDSv2, as the AWS SDKs for JavaScript and Go
 * ask it): with `role`, the instance's role and its credentials; without, no role (404).
 */
async function startMetadataService(role?: { name: string; accessKeyId: string }): Promise<{ url: string; asked: string[]; server: Server }> {
  const asked: string[] = []
  const server = createServer((request, response) => {
    const path = request.url ?? ''
    asked.push(`${request.method} ${path}`)
    const credentialsPath = '/latest/meta-data/iam/security-credentials/'
    if (request.method === 'PUT' && path === '/latest/api/token') return void response.end('imds-token')
    if (role && path === credentialsPath) return void response.end(role.name)
    if (role && path === `${credentialsPath}${role.name}`) {
      const expiration = new Date(Date.now() + 6 * 3600_000).toISOString()
      const credentials = { Code: 'Success', Type: 'AWS-HMAC', AccessKeyId: role.accessKeyId, SecretAccessKey: 'instance-secret', Token: 'instance-token', Expiration: expiration, LastUpdated: new Date().toISOString() }
      return void response.end(JSON.stringify(credentials))
    }
    response.statusCode = 404
    response.end()
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, asked, server }
}

describeWithPacker('a build step without AWS credentials it can use, through the bundled action', () => {
  let endpoint: Ec2Endpoint
  let workspace: string
  let metadata: Awaited<ReturnType<typeof startMetadataService>> | undefined
  beforeEach(async () => {
    endpoint = await startEc2Endpoint({ regions, autoAdvance: { describes: 0 } })
    workspace = demoWorkspace('no-credentials-')
  })
  afterEach(async () => {
    await endpoint.close()
    if (metadata) await new Promise((resolve) => metadata?.server.close(resolve))
    metadata = undefined
    rmSync(workspace, { recursive: true, force: true })
  })

  /** The demo's HCL2 build, with `env` over the loopback step's (undefined removes a variable); the metadata service asked is the stand-in's. */
  async function run(env: Record<string, string | undefined>, inputs: Record<string, string> = {}): Promise<ActionRun> {
    metadata ??= await startMetadataService()
    return runAction({
      workspace,
      inputs: { 'packer-version': packerVersion(), 'working-directory': 'hcl2', template: 'ami.pkr.hcl', 'var-file': 'loopback.pkrvars.hcl', ...inputs },
      env: { ...pushToMain, ...loopbackEnvironment(endpoint.url, workspace), AWS_EC2_METADATA_SERVICE_ENDPOINT: metadata.url, ...env }
    })
  }

  /** Failed with `said` as its one error, before Packer was installed, with no call to EC2. */
  function expectRefusedBeforeTheInstall(result: ActionRun, said: RegExp): void {
    expect(result.exitCode).toBe(1)
    expect(result.errors.map((error) => error.message)).toEqual([expect.stringMatching(said)])
    expect(result.stdout).not.toContain('::group::Install Packer')
    expect(result.stdout).not.toContain('packer build')
    expect(endpoint.calls).toEqual([])
  }

  it('no credentials at all: says where it looked and to add configure-aws-credentials, before the install', async () => {
    const result = await run(noKeys)
    expectRefusedBeforeTheInstall(
      result,
      /^No AWS credentials were found for the build: none in the environment \(AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY\), no profile, .*no instance role \(the instance metadata service gave none\)\. Add aws-actions\/configure-aws-credentials before this step .*Nothing was installed or built\.$/
    )
    // The instance's role was looked for, as on a self-hosted runner.
    expect(metadata?.asked).toContain('GET /latest/meta-data/iam/security-credentials/')
  })

  it('a pull request from a fork: says that GitHub gives its workflows no secrets', async () => {
    const event = join(workspace, 'event.json')
    const pullRequest = { number: 7, head: { repo: { full_name: 'someone/images' } }, base: { repo: { full_name: 'acme/images' } } }
    writeFileSync(event, JSON.stringify({ pull_request: pullRequest }))
    const result = await run({ ...noKeys, GITHUB_EVENT_NAME: 'pull_request', GITHUB_EVENT_PATH: event })
    expectRefusedBeforeTheInstall(
      result,
      /^No AWS credentials were found for the build: .*This run is for pull request #7 from a fork \(someone\/images\), and GitHub gives no secrets to workflows run for pull requests from forks: .*command: validate/
    )
  })

  it('an AWS_PROFILE the runner has no file for: names the profile', async () => {
    const result = await run({ ...noKeys, AWS_PROFILE: 'ci-deploy' })
    expectRefusedBeforeTheInstall(result, /none for the profile "ci-deploy" that AWS_PROFILE names .*Unset AWS_PROFILE or give the runner that profile/)
  })

  it('an assume_role alone: the role is assumed with the step\'s credentials, so the build is refused as without any', async () => {
    const template = join(workspace, 'hcl2', 'ami.pkr.hcl')
    const roleBlock = '  assume_role {\n    role_arn = "arn:aws:iam::123456789012:role/builder"\n  }\n'
    writeFileSync(template, readFileSync(template, 'utf8').replace('  communicator           = "none"\n', `  communicator           = "none"\n${roleBlock}`))
    const result = await run(noKeys)
    expectRefusedBeforeTheInstall(result, /^No AWS credentials were found for the build: .*Add aws-actions\/configure-aws-credentials before this step/)
  })

  it('a profile from a variable left at its null default: HCL has it unset, so the build is refused as without any', async () => {
    const template = join(workspace, 'hcl2', 'ami.pkr.hcl')
    const declared = 'variable "aws_profile" {\n  type    = string\n  default = null\n}\n\n'
    const text = readFileSync(template, 'utf8').replace('  communicator           = "none"\n', '  communicator           = "none"\n  profile                = var.aws_profile\n')
    writeFileSync(template, `${declared}${text}`)
    const result = await run(noKeys)
    expectRefusedBeforeTheInstall(result, /^No AWS credentials were found for the build: .*no profile, .*Add aws-actions\/configure-aws-credentials before this step/)
  })

  it('JSON: access_key and secret_key from variables left empty, as Packer has them: refused as without any', async () => {
    const template = join(workspace, 'json', 'packer-template.json')
    const parsed = JSON.parse(readFileSync(template, 'utf8')) as { variables: Record<string, string>; builders: Array<Record<string, unknown>> }
    parsed.variables = { ...parsed.variables, aws_access_key: '', aws_secret_key: '' }
    parsed.builders[0] = { ...parsed.builders[0], access_key: '{{user `aws_access_key`}}', secret_key: '{{user `aws_secret_key`}}' }
    writeFileSync(template, JSON.stringify(parsed, null, 2))
    const result = await run(noKeys, { 'working-directory': 'json', template: 'packer-template.json', 'var-file': 'packer-vars.json' })
    expectRefusedBeforeTheInstall(result, /^No AWS credentials were found for the build: .*Add aws-actions\/configure-aws-credentials before this step/)
  })

  it('an access key ID without its secret: refused as an input, naming both variables, before the install', async () => {
    const result = await run({ AWS_SECRET_ACCESS_KEY: undefined })
    expectRefusedBeforeTheInstall(result, /^AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not set: AWS credentials need both\./)
  })

  it('keys EC2 refuses: the failure says so in the action\'s words, at Packer\'s first call, and nothing is launched', async () => {
    endpoint.faults.fail('DescribeImages', { code: 'AuthFailure', status: 401 })
    const result = await run({})
    expect(result.exitCode).toBe(1)
    const failure = result.errors.at(-1)?.message ?? ''
    expect(failure).toMatch(/^packer build failed \(exit code 1\); no AMI was built\. EC2 refused the AWS credentials \(AuthFailure\): it could not validate them, .*Check the keys the workflow gives the step/)
    expect(result.summary).toContain('EC2 refused the AWS credentials (AuthFailure)')
    expect(endpoint.callsOf('RunInstances')).toEqual([])
    expect(result.stdout).not.toContain('loopback-secret')
  })

  it('reuse, with keys EC2 refuses: the look-up\'s refusal fails the step in the action\'s words, and no build starts', async () => {
    endpoint.faults.refuseCredentials({ reason: 'unknown-key' })
    const result = await run({}, { reuse: 'true' })
    expect(result.exitCode).toBe(1)
    expect(result.errors.map((error) => error.message)).toEqual([
      expect.stringMatching(/^reuse: looking for AMIs to reuse failed; nothing was built\. EC2 refused the AWS credentials \(AuthFailure\): it could not validate them, .*Check the keys the workflow gives the step .*asking again does not help\.$/)
    ])
    expect(result.warnings).toEqual([])
    expect(result.stdout).not.toContain('packer build')
    expect(result.summary).toContain('EC2 refused the AWS credentials (AuthFailure)')
    expect(endpoint.calls.map((call) => call.action)).toEqual(['DescribeImages'])
    expect(endpoint.callsOf('RunInstances')).toEqual([])
    expect(result.stdout).not.toContain('loopback-secret')
  })

  // IAM, like STS, refuses keys it does not take with codes of its own: Packer's first IAM call
  // (its temporary instance profile's role) meets them where EC2 has not been asked with the keys.
  it.each([
    ['unknown-key', 'InvalidClientTokenId', /AWS refused the AWS credentials \(InvalidClientTokenId\): no account has the access key ID, or it is inactive\./],
    ['wrong-secret', 'SignatureDoesNotMatch', /AWS refused the AWS credentials \(SignatureDoesNotMatch\): the secret access key is not the one of the access key ID\./]
  ] as const)('keys IAM refuses (%s): the failure says %s in the action\'s words, and nothing is launched', async (reason, code, said) => {
    const template = join(workspace, 'json', 'packer-template.json')
    const parsed = JSON.parse(readFileSync(template, 'utf8')) as { builders: Array<Record<string, unknown>> }
    const document = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['s3:GetObject'], Resource: ['*'] }] }
    parsed.builders[0] = { ...parsed.builders[0], temporary_iam_instance_profile_policy_document: document }
    writeFileSync(template, JSON.stringify(parsed, null, 2))
    endpoint.faults.refuseCredentials({ reason, services: ['iam'] })
    const result = await run({}, { 'working-directory': 'json', template: 'packer-template.json', 'var-file': 'packer-vars.json' })
    expect(result.exitCode).toBe(1)
    expect(endpoint.calls.filter((call) => call.service === 'iam').map((call) => call.error)).toContain(code)
    const failure = result.errors.at(-1)?.message ?? ''
    expect(failure).toMatch(/^packer build failed \(exit code 1\); no AMI was built\. /)
    expect(failure).toMatch(said)
    expect(failure).toContain('Check the keys the workflow gives the step')
    expect(result.summary).toMatch(said)
    expect(endpoint.callsOf('RunInstances')).toEqual([])
    expect(result.stdout).not.toContain('loopback-secret')
  })

  it('a region EC2 has not: its AuthFailure for the region is not said to be the keys', async () => {
    // EC2 answers a call signed for a region it does not have with AuthFailure too, in words that name the region.
    const result = await run({}, { variables: 'aws_region=ap-northeast-9' })
    expect(result.exitCode).toBe(1)
    const packerError = result.errors.find((error) => error.properties.title === 'Packer')
    expect(packerError?.message).toContain("Credential should be scoped to a valid region, not 'ap-northeast-9'")
    expect(packerError?.properties.file).toBe('hcl2/ami.pkr.hcl')
    expect(result.errors.at(-1)?.message).toBe('packer build failed (exit code 1); no AMI was built.')
    expect(result.stdout).not.toContain('refused the AWS credentials')
    expect(result.summary).not.toContain('refused the AWS credentials')
    expect(result.summary).not.toContain('Check the keys')
  })

  it('a self-hosted runner\'s instance role: found through the metadata service, and the build is tagged with it', async () => {
    metadata = await startMetadataService({ name: 'packer-runner', accessKeyId: 'AKIDINSTANCEROLE' })
    const result = await run(noKeys)
    expect(result.errors).toEqual([])
    expect(result.exitCode).toBe(0)
    const amiIds = JSON.parse(result.outputs['ami-ids']) as Record<string, string>
    expect(Object.keys(amiIds).sort()).toEqual(regions.slice().sort())
    expect(endpoint.tagsOf('us-east-1', amiIds['us-east-1'])).toMatchObject({ SourceRepository: 'acme/images' })
    expect(metadata.asked).toContain('GET /latest/meta-data/iam/security-credentials/packer-runner')
  })

  it('packer validate needs no credentials: a validate run without any passes', async () => {
    const result = await run(noKeys, { command: 'validate' })
    expect(result.errors).toEqual([])
    expect(result.exitCode).toBe(0)
  })
})
