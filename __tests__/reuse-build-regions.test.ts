// The look-up hands a set on only where each build's AMIs are in the regions it makes them in,
// as far as those are known before the build: against the loopback EC2 endpoint, seeded with
// tagged images.
import { afterEach, describe, expect, it } from '@jest/globals'
import { EC2Client } from '@aws-sdk/client-ec2'
import { SELF_ACCOUNT_ID, startEc2Endpoint, type Ec2Endpoint } from '../test-support/ec2-endpoint/index.js'
import { loopbackClientConfig } from './support/endpoint-per-test.js'
import { findReusableSet } from '../src/aws/reuse.js'
import type { BuildOfRun } from '../src/inputs/ami-builds.js'

const runUuid = '3d0f7a52-6c1e-4be4-9a55-0d2f5b1c8e77'
const fingerprint = 'e'.repeat(64)

describe("a set's AMIs and the regions the run's builds make theirs in", () => {
  let endpoint: Ec2Endpoint

  afterEach(async () => {
    await endpoint.close()
  })

  /** A set of one AMI in each region of `amis`, each with its PackerBuild value, then the look-up with `builds`. */
  async function lookup(amis: Array<[region: string, packerBuild: string]>, builds: BuildOfRun[]) {
    const regions = [...new Set(amis.map(([region]) => region))].sort()
    const set = `${runUuid} ${amis.length} ${regions.join(',')}`
    endpoint = await startEc2Endpoint({
      regions: ['us-east-1', 'eu-west-1', 'us-west-2'],
      seedImages: amis.map(([region, packerBuild], index) => ({
        name: `set-${index}`,
        ownerId: SELF_ACCOUNT_ID,
        regions: [region],
        tags: { BuildFingerprint: fingerprint, BuildSet: set, PackerBuild: packerBuild }
      }))
    })
    return findReusableSet({ fingerprint, homeRegion: 'us-east-1', builds, ec2For: (region) => new EC2Client(loopbackClientConfig(endpoint, region)) })
  }

  const web: BuildOfRun = { type: 'amazon-ebs', names: ['web'], shown: 'web', regions: ['us-east-1', 'us-west-2'], inEachRegion: true }
  const api: BuildOfRun = { type: 'amazon-ebs', names: ['api'], shown: 'api', regions: ['eu-west-1'], inEachRegion: true }

  it('is reused where each build has its AMI in each of its regions, and none elsewhere', async () => {
    const found = await lookup([['us-east-1', 'amazon-ebs web'], ['us-west-2', 'amazon-ebs web'], ['eu-west-1', 'amazon-ebs api']], [web, api])
    expect(found.found?.amis.map(({ build, region }) => `${build} ${region}`).sort()).toEqual(['api eu-west-1', 'web us-east-1', 'web us-west-2'])
  })

  it("is not reused where one build's PackerBuild is on another's AMI, in a region it makes none in", async () => {
    const found = await lookup([['us-east-1', 'amazon-ebs web'], ['us-west-2', 'amazon-ebs web'], ['eu-west-1', 'amazon-ebs web']], [web, api])
    expect(found.found).toBeUndefined()
    expect(found).toEqual({
      why: expect.stringMatching(
        new RegExp(`^the AMIs built by Packer run ${runUuid} are not where this run's builds make theirs \\(build web makes AMIs in us-east-1, us-west-2 only, and PackerBuild gives it "amazon-ebs web" on ami-\\w+ in eu-west-1; build api makes one in eu-west-1, where the set has "amazon-ebs web" on ami-\\w+ in eu-west-1\\)`)
      )
    })
  })

  it('is reused as before where the regions are not known (a variable the action cannot resolve): by PackerBuild alone', async () => {
    const unknown = (build: BuildOfRun): BuildOfRun => ({ ...build, regions: undefined, inEachRegion: undefined })
    const found = await lookup([['us-east-1', 'amazon-ebs web'], ['us-west-2', 'amazon-ebs web'], ['eu-west-1', 'amazon-ebs web']], [unknown(web), unknown(api)])
    expect(found.found?.amis).toHaveLength(3)
  })

  it('lacks an AMI of a region without reason where a build of the run may deregister it (force_deregister)', async () => {
    const mayLack = (build: BuildOfRun): BuildOfRun => ({ ...build, inEachRegion: false })
    expect((await lookup([['us-east-1', 'amazon-ebs web'], ['eu-west-1', 'amazon-ebs api']], [mayLack(web), mayLack(api)])).found?.amis).toHaveLength(2)
    await endpoint.close()
    const found = await lookup([['us-east-1', 'amazon-ebs web'], ['eu-west-1', 'amazon-ebs api']], [web, api])
    expect(found).toEqual({ why: expect.stringContaining('(build web makes one in us-west-2, where the set has none)') })
  })

  it('tells apart by PackerBuild alone the AMIs whose PackerBuild may be two builds\' (a build whose name only Packer knows)', async () => {
    const anyName: BuildOfRun = { type: 'amazon-ebs', shown: 'the amazon-ebs build whose name only Packer knows' }
    const found = await lookup([['us-east-1', 'amazon-ebs web'], ['us-west-2', 'amazon-ebs web'], ['eu-west-1', 'amazon-ebs web']], [web, anyName])
    expect(found.found?.amis).toHaveLength(3)
  })
})
