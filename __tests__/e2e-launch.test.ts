// Builds whose instance needs more than a source AMI, as users run them: an IAM instance profile
// the account already has (`iam_instance_profile`), and a subnet with or without a zone. The
// bundled action and the real Packer against the loopback EC2 endpoint, which checks them as EC2
// does.
import { expect, it } from '@jest/globals'
import { SELF_ACCOUNT_ID, SOURCE_AMI_ID } from '../test-support/ec2-endpoint/index.js'
import { runPostStep } from './support/action-process.js'
import { expectOneTaggedAmi, fixtureBuilds } from './support/fixture-builds.js'
import { describeWithPacker } from './support/runtimes.js'

const HOME = 'us-east-1'

describeWithPacker('what a build launches its instance with, through the bundled action', () => {
  const build = fixtureBuilds()

  const profiles = { seedInstanceProfiles: [{ instanceProfileName: 'packer-build', roleName: 'packer-build' }] }

  it('launches the instance with the instance profile the template names, and tags its AMI', async () => {
    const run = await build('hcl-instance-profile', profiles)
    const { result, loopback, step } = run

    expectOneTaggedAmi(run, 'with-profile')
    // Packer checked with IAM that the profile exists, then named it to RunInstances.
    expect(loopback.callsOf('GetInstanceProfile').map((call) => [call.params.InstanceProfileName, call.error])).toEqual([['packer-build', undefined]])
    expect(loopback.callsOf('RunInstances').map((call) => [call.params['IamInstanceProfile.Name'], call.error])).toEqual([['packer-build', undefined]])
    expect(loopback.instances(HOME)).toEqual([
      expect.objectContaining({
        state: 'terminated',
        iamInstanceProfile: { arn: `arn:aws:iam::${SELF_ACCOUNT_ID}:instance-profile/packer-build`, id: expect.stringMatching(/^AIPA/) }
      })
    ])
    // The user's own profile is left as it was, by the job and by its post step.
    const post = await runPostStep(result, step)
    expect(post.exitCode).toBe(0)
    expect(loopback.iamInstanceProfiles()).toEqual([{ instanceProfileName: 'packer-build', roles: ['packer-build'] }])
    expect(loopback.iamRoles()).toEqual([{ roleName: 'packer-build', policies: [] }])
  })

  it("fails the job with EC2's message when EC2 does not know the profile", async () => {
    // skip_profile_validation: Packer asks IAM nothing, and RunInstances meets the unknown name.
    const { result, loopback } = await build('hcl-instance-profile', {}, { variables: 'skip_profile_validation=true' })

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
    const run = await build('hcl-subnet-zone', subnet)
    const { loopback } = run

    expectOneTaggedAmi(run, 'in-subnet')
    expect(loopback.callsOf('RunInstances').map((call) => [call.params.SubnetId, call.params['Placement.AvailabilityZone']])).toEqual([
      ['subnet-0d10000000000000b', 'us-east-1b']
    ])
    expect(loopback.instances(HOME)).toEqual([expect.objectContaining({ subnetId: 'subnet-0d10000000000000b', availabilityZone: 'us-east-1b' })])
  })

  it("fails the job with EC2's message when the template's zone is not its subnet's", async () => {
    const { result, loopback } = await build('hcl-subnet-zone', subnet, { variables: 'availability_zone=us-east-1a' })

    const message =
      "Value (us-east-1a) for parameter availabilityZone is invalid. Subnet 'subnet-0d10000000000000b' is in the availability zone us-east-1b"
    expect(result.exitCode).toBe(1)
    expect(result.errors.map((error) => error.message)).toContainEqual(expect.stringContaining(message))
    expect(loopback.callsOf('RunInstances').map((call) => call.error)).toEqual(['InvalidParameterValue'])
    expect(loopback.instances(HOME)).toEqual([])
  })
})
