// The post step's clean-up of a build's temporary IAM instance profile and role, against the
// loopback endpoint's IAM over real HTTP, for what Packer itself does not produce: a profile or
// role of that name that is not the build's. Those are left, and named.
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals'
import { AddRoleToInstanceProfileCommand, CreateInstanceProfileCommand, CreateRoleCommand, IAMClient, PutRolePolicyCommand } from '@aws-sdk/client-iam'
import { startEc2Endpoint, type Ec2Endpoint } from '../test-support/ec2-endpoint/index.js'
import { cleanUpIam, type IamCleanupOptions } from '../src/aws/leftover-iam.js'

describe("the clean-up of a build's temporary instance profile and role", () => {
  const name = 'packer-6b133811-040e-de2f-43a3-72dab3c1b6a6'
  let endpoint: Ec2Endpoint
  let iam: IAMClient
  beforeEach(async () => {
    endpoint = await startEc2Endpoint()
    iam = new IAMClient({ region: 'us-east-1', endpoint: endpoint.url, credentials: { accessKeyId: 'AKIDLOOPBACK', secretAccessKey: 'x' } })
  })
  afterEach(async () => {
    iam.destroy()
    await endpoint.close()
  })

  /** A profile holding `role`, with the role's inline policy, as Packer makes them. */
  async function asPackerMakesThem(profile: string, role: string): Promise<void> {
    await iam.send(new CreateInstanceProfileCommand({ InstanceProfileName: profile }))
    await iam.send(new CreateRoleCommand({ RoleName: role, AssumeRolePolicyDocument: '{}' }))
    await iam.send(new PutRolePolicyCommand({ RoleName: role, PolicyName: role, PolicyDocument: '{}' }))
    await iam.send(new AddRoleToInstanceProfileCommand({ InstanceProfileName: profile, RoleName: role }))
  }

  async function cleanUp(options: Partial<IamCleanupOptions>): Promise<{ logged: string[]; warned: string[]; leftBehind: string[] }> {
    const logged: string[] = []
    const warned: string[] = []
    const report = await cleanUpIam({
      instanceProfiles: [name],
      roles: [name],
      region: 'us-east-1',
      iam,
      abortSignal: new AbortController().signal,
      log: (line) => logged.push(line),
      warn: (line) => warned.push(line),
      ...options
    })
    return { logged, warned, leftBehind: report.leftBehind }
  }

  it('leaves a role and profile of that name made before Packer started, and says so', async () => {
    await asPackerMakesThem(name, name)
    const { warned, leftBehind } = await cleanUp({ packerStarted: new Date(Date.now() + 10 * 60_000).toISOString() })
    expect(warned).toEqual([
      expect.stringMatching(new RegExp(`^The instance profile ${name} was made before Packer started`)),
      expect.stringMatching(new RegExp(`^The role ${name} was made before Packer started`))
    ])
    expect(leftBehind).toEqual([])
    expect(endpoint.iamInstanceProfiles()).toEqual([{ instanceProfileName: name, roles: [name] }])
    expect(endpoint.iamRoles()).toEqual([{ roleName: name, policies: [name] }])
  })

  it('leaves a profile that holds a role Packer did not announce, and that role', async () => {
    await asPackerMakesThem(name, 'deploy-admin')
    const { warned, leftBehind } = await cleanUp({ packerStarted: new Date(Date.now() - 60_000).toISOString() })
    expect(warned).toEqual([`The instance profile ${name} holds deploy-admin, which Packer did not announce: it is left as it is.`])
    expect(leftBehind).toEqual([name])
    expect(endpoint.iamInstanceProfiles()).toEqual([{ instanceProfileName: name, roles: ['deploy-admin'] }])
    expect(endpoint.iamRoles()).toEqual([{ roleName: 'deploy-admin', policies: ['deploy-admin'] }])
  })

  it('deletes a role Packer made before it attached its policy, and says what Packer deleted already', async () => {
    // Killed between CreateRole and PutRolePolicy: the profile holds nothing yet.
    await iam.send(new CreateInstanceProfileCommand({ InstanceProfileName: name }))
    await iam.send(new CreateRoleCommand({ RoleName: name, AssumeRolePolicyDocument: '{}' }))
    const { logged, warned } = await cleanUp({ packerStarted: new Date(Date.now() - 60_000).toISOString() })
    expect(warned).toEqual([])
    expect(logged).toEqual([`IAM: deleted instance profile ${name}.`, `IAM: deleted role ${name} and its policy.`])
    expect(endpoint.iamInstanceProfiles()).toEqual([])
    expect(endpoint.iamRoles()).toEqual([])

    const again = await cleanUp({})
    expect(again.warned).toEqual([])
    expect(again.logged).toEqual([`IAM: the instance profile ${name} is already gone.`, `IAM: the role ${name} is already gone.`])
  })
})
