// Where the look-up for a set to reuse searches: the home region is often the workflow's
// (configure-aws-credentials'), not the template's, and a set built elsewhere is not there.
import { afterEach, describe, expect, it } from '@jest/globals'
import { EC2Client } from '@aws-sdk/client-ec2'
import { SELF_ACCOUNT_ID, startEc2Endpoint, type Ec2Endpoint } from '../test-support/ec2-endpoint/index.js'
import { loopbackClientConfig } from './support/endpoint-per-test.js'
import { findReusableSet, lookupRegion } from '../src/aws/reuse.js'
import { regionsMade, type BuildOfRun } from '../src/inputs/ami-builds.js'

const runUuid = '5a3c1e0f-2b7d-4c9e-8f61-7d2e0b9a4c13'
const fingerprint = 'a'.repeat(64)

const build = (name: string, regions?: string[]): BuildOfRun => ({
  type: 'amazon-ebs',
  names: [name],
  shown: name,
  ...(regions === undefined ? {} : { regions, inEachRegion: true })
})

describe('the region the look-up searches', () => {
  it('is the home region where a build of the run makes AMIs there, whatever the others make', () => {
    expect(lookupRegion('us-east-1', [build('api', ['eu-west-1']), build('web', ['us-east-1', 'us-west-2'])])).toEqual({ region: 'us-east-1', sure: true })
  })

  it("is the first known region of the first build whose regions are known, where no build makes one in the home region", () => {
    expect(lookupRegion('us-east-1', [build('web', ['eu-west-1', 'us-west-2'])])).toEqual({ region: 'eu-west-1', sure: true })
    expect(lookupRegion('us-east-1', [build('web', ['us-west-2']), build('api', ['eu-west-1'])])).toEqual({ region: 'us-west-2', sure: true })
    // A build whose regions only Packer knows may or may not make one in the home region: a known region is sure.
    expect(lookupRegion('us-east-1', [build('any'), build('api', ['eu-west-1'])])).toEqual({ region: 'eu-west-1', sure: true })
  })

  it("leaves out the build region that skip_save_build_region deregisters, even the home region", () => {
    const copiedOnly = regionsMade('us-east-1', ['eu-west-1'], { type: 'amazon-ebs', skipCreateAmi: false, skipSaveBuildRegion: true })
    expect(copiedOnly).toEqual(['eu-west-1'])
    expect(lookupRegion('us-east-1', [build('web', copiedOnly)])).toEqual({ region: 'eu-west-1', sure: true })
  })

  it('is the home region, not sure, where no build\'s regions are known, or the builds are not', () => {
    expect(lookupRegion('us-east-1', [build('web'), build('api')])).toEqual({ region: 'us-east-1', sure: false })
    expect(lookupRegion('us-east-1', undefined)).toEqual({ region: 'us-east-1', sure: false })
    expect(lookupRegion('us-east-1', [])).toEqual({ region: 'us-east-1', sure: false })
  })
})

describe('a set built outside the home region', () => {
  let endpoint: Ec2Endpoint

  afterEach(async () => {
    await endpoint.close()
  })

  /** A set of one AMI in each of `regions` (its BuildSet naming them, or not), then the look-up with `builds`. */
  async function lookup(regions: string[], builds: BuildOfRun[] | undefined, named = true) {
    const set = named ? `${runUuid} ${regions.length} ${[...regions].sort().join(',')}` : `${runUuid} ${regions.length}`
    endpoint = await startEc2Endpoint({
      regions: ['us-east-1', 'eu-west-1', 'us-west-2'],
      seedImages: regions.map((region) => ({
        name: `set-${region}`,
        ownerId: SELF_ACCOUNT_ID,
        regions: [region],
        tags: { BuildFingerprint: fingerprint, BuildSet: set, PackerBuild: 'amazon-ebs web', BuildRunUrl: `https://github.com/acme/images/actions/runs/7/${region}` }
      }))
    })
    return findReusableSet({ fingerprint, homeRegion: 'us-east-1', builds, ec2For: (region) => new EC2Client(loopbackClientConfig(endpoint, region)) })
  }

  it('is found where the builds make their AMIs, with the run that built it from the AMIs of the region searched', async () => {
    const found = await lookup(['eu-west-1', 'us-west-2'], [build('web', ['eu-west-1', 'us-west-2'])])
    expect(found.found?.amis.map(({ region }) => region).sort()).toEqual(['eu-west-1', 'us-west-2'])
    expect(found.found?.builtBy).toBe('https://github.com/acme/images/actions/runs/7/eu-west-1')
    expect(endpoint.calls.filter((call) => call.action === 'DescribeImages').map((call) => call.region).sort()).toEqual(['eu-west-1', 'us-west-2'])
  })

  it('is found in the regions the account has enabled where its BuildSet names none (a set too wide)', async () => {
    const found = await lookup(['eu-west-1', 'us-west-2'], [build('web', ['eu-west-1', 'us-west-2'])], false)
    expect(found.found?.amis.map(({ region }) => region).sort()).toEqual(['eu-west-1', 'us-west-2'])
  })

  it('is not found where no build\'s regions are known: the reason says the home region alone was searched, and what to set', async () => {
    const found = await lookup(['eu-west-1'], [build('web')])
    expect(found).toEqual({
      why:
        `no AMI in us-east-1 has fingerprint ${fingerprint}: where only Packer knows the regions the template builds in, ` +
        'reuse looks in the home region (us-east-1) only; if the template builds elsewhere, set aws-region to the region it builds in'
    })
  })
})
