// Builds whose instance needs more than a source AMI, as users run them: an IAM instance profile
// the account already has (`iam_instance_profile`), and a subnet with or without a zone. The
// bundled action and the real Packer against the loopback EC2 endpoint, which checks them as EC2
// does.
import { afterEach, expect, it } from '@jest/globals'
import { cpSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  SELF_ACCOUNT_ID,
  SOURCE_AMI_ID,
  startEc2Endpoint,
  type Ec2Endpoint,
  type Ec2EndpointOptions
} from '../test-support/ec2-endpoint/index.js'
import { loopbackEnvironment, projectRoot, pushToMain, runAction, type ActionRun } from './support/action-process.js'
import { describeWithPacker, nodeRuntimes, packerVersion } from './support/runtimes.js'

const fixtures = join(projectRoot, '__tests__', 'fixtures', 'templates')
const HOME = 'us-east-1'

describeWithPacker('what a build launches its instance with, through the bundled action', () => {
  let endpoint: Ec2Endpoint | undefined
  const workspaces: string[] = []

  afterEach(async () => {
    await endpoint?.close()
    endpoint = undefined
    for (const workspace of workspaces.splice(0)) rmSync(workspace, { recursive: true, force: true })
  })

  async function build(fixture: string, options: Ec2EndpointOptions, variables = ''): Promise<{ result: ActionRun; loopback: Ec2Endpoint }> {
    const loopback = await startEc2Endpoint({ regions: [HOME], ...options })
    endpoint = loopback
    const workspace = mkdtempSync(join(tmpdir(), 'e2e-launch-'))
    workspaces.push(workspace)
    cpSync(join(fixtures, fixture), workspace, { recursive: true })
    const result = await runAction({
      workspace,
      node: (nodeRuntimes().at(-1) as { path: string }).path,
      inputs: { 'packer-version': packerVersion(), template: 'build.pkr.hcl', variables },
      env: { ...pushToMain, ...loopbackEnvironment(loopback.url, workspace) }
    })
    return { result, loopback }
  }

  /** The one AMI the run made: it is the run's output, and came out tagged. */
  function expectOneTaggedAmi(result: ActionRun, loopback: Ec2Endpoint, name: string): void {
    expect(result.errors).toEqual([])
    expect(result.exitCode).toBe(0)
    const made = loopback.images(HOME).filter((image) => image.imageId !== SOURCE_AMI_ID)
    expect(made.map((image) => image.imageId)).toEqual([result.outputs['ami-id']])
    expect(made[0]).toMatchObject({ state: 'available', tags: expect.objectContaining({ Name: name, SourceCommit: expect.any(String) }) })
    for (const device of made[0].blockDeviceMappings) {
      const snapshot = loopback.snapshots(HOME).find((candidate) => candidate.snapshotId === device.snapshotId)
      expect(snapshot?.tags).toHaveProperty('SourceCommit')
    }
  }

  const profiles = { seedInstanceProfiles: [{ instanceProfileName: 'packer-build', roleName: 'packer-build' }] }

  it('launches the instance with the instance profile the template names, and tags its AMI', async () => {
    const { result, loopback } = await build('hcl-instance-profile', profiles)

    expectOneTaggedAmi(result, loopback, 'with-profile')
    // Packer checked with IAM that the profile exists, then named it to RunInstances.
    expect(loopback.callsOf('GetInstanceProfile').map((call) => [call.params.InstanceProfileName, call.error])).toEqual([['packer-build', undefined]])
    expect(loopback.callsOf('RunInstances').map((call) => [call.params['IamInstanceProfile.Name'], call.error])).toEqual([['packer-build', undefined]])
    expect(loopback.instances(HOME)).toEqual([
      expect.objectContaining({
        state: 'terminated',
        iamInstanceProfile: { arn: `arn:aws:iam::${SELF_ACCOUNT_ID}:instance-profile/packer-build`, id: expect.stringMatching(/^AIPA/) }
      })
    ])
    // The user's own profile is left as it was.
    expect(loopback.iamInstanceProfiles()).toEqual([{ instanceProfileName: 'packer-build', roles: ['packer-build'] }])
  })

  it("fails the job with EC2's message when EC2 does not know the profile", async () => {
    // skip_profile_validation: Packer asks IAM nothing, and RunInstances meets the unknown name.
    const { result, loopback } = await build('hcl-instance-profile', {}, 'skip_profile_validation=true')

    const message = 'Value (packer-build) for parameter iamInstanceProfile.name is invalid. Invalid IAM Instance Profile name'
    expect(result.exitCode).toBe(1)
    expect(result.stdout).toContain(`Error launching source instance: retry count exhausted. Last err: InvalidParameterValue: ${message}`)
    expect(result.errors.map((error) => error.message)).toContainEqual(expect.stringContaining(message))
    // Packer retries it (IAM is eventually consistent), then gives up; nothing was launched.
    const launches = loopback.callsOf('RunInstances')
    expect(launches.length).toBeGreaterThan(1)
    expect(launches.every((call) => call.error === 'InvalidParameterValue')).toBe(true)
    expect(loopback.callsOf('GetInstanceProfile')).toEqual([])
    expect(loopback.instances(HOME)).toEqual([])
    expect(loopback.images(HOME).map((image) => image.imageId)).toEqual([SOURCE_AMI_ID])
    // Packer 1.6.6 tries 11 times, waiting 0.2 s, then twice as long each time up to 30 s: ~2 minutes.
  }, 240_000)

  it("fails the job with IAM's message when Packer finds no such profile before launching", async () => {
    const { result, loopback } = await build('hcl-instance-profile', {})

    const message = "Couldn't find specified instance profile: NoSuchEntity: Instance Profile packer-build cannot be found."
    expect(result.exitCode).toBe(1)
    expect(result.errors.map((error) => error.message)).toContainEqual(expect.stringContaining(message))
    expect(loopback.callsOf('RunInstances')).toEqual([])
  })

  const subnet = { seedNetworks: [{ vpcId: 'vpc-0d10000000000000a', subnets: [{ subnetId: 'subnet-0d10000000000000b', zone: 'b' }] }] }

  it("places the instance in its subnet's zone when the template names no zone", async () => {
    const { result, loopback } = await build('hcl-subnet-zone', subnet)

    expectOneTaggedAmi(result, loopback, 'in-subnet')
    expect(loopback.callsOf('RunInstances').map((call) => [call.params.SubnetId, call.params['Placement.AvailabilityZone']])).toEqual([
      ['subnet-0d10000000000000b', 'us-east-1b']
    ])
    expect(loopback.instances(HOME)).toEqual([expect.objectContaining({ subnetId: 'subnet-0d10000000000000b', availabilityZone: 'us-east-1b' })])
  })

  it("fails the job with EC2's message when the template's zone is not its subnet's", async () => {
    const { result, loopback } = await build('hcl-subnet-zone', subnet, 'availability_zone=us-east-1a')

    const message =
      "Value (us-east-1a) for parameter availabilityZone is invalid. Subnet 'subnet-0d10000000000000b' is in the availability zone us-east-1b"
    expect(result.exitCode).toBe(1)
    expect(result.errors.map((error) => error.message)).toContainEqual(expect.stringContaining(message))
    expect(loopback.callsOf('RunInstances').map((call) => call.error)).toEqual(['InvalidParameterValue'])
    expect(loopback.instances(HOME)).toEqual([])
  })
})
