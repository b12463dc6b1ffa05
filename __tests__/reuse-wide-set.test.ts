// A set of AMIs in more regions than a BuildSet tag value (256 characters) can name: tagged
// without its regions, and found again in whichever regions of the account hold it.
import { afterEach, describe, expect, it } from '@jest/globals'
import { EC2Client } from '@aws-sdk/client-ec2'
import { SELF_ACCOUNT_ID, startEc2Endpoint, type Ec2Endpoint } from '../test-support/ec2-endpoint/index.js'
import { loopbackClientConfig } from './support/endpoint-per-test.js'
import { buildTag, findReusableSet, reuseTags } from '../src/aws/reuse.js'

const runUuid = '8168059b-9ef9-4493-82d8-8d9887aa5692'
const fingerprint = 'f'.repeat(64)
/** The 17 regions an account has enabled unless it opts in to more. */
const defaultRegions = [
  'ap-northeast-1', 'ap-northeast-2', 'ap-northeast-3', 'ap-south-1', 'ap-southeast-1', 'ap-southeast-2', 'ca-central-1',
  'eu-central-1', 'eu-north-1', 'eu-west-1', 'eu-west-2', 'eu-west-3', 'sa-east-1', 'us-east-1', 'us-east-2', 'us-west-1', 'us-west-2'
]
const amisIn = (regions: string[]) => regions.map((region, i) => ({ build: 'web', builderType: 'amazon-ebs', region, amiId: `ami-${String(i).padStart(17, '0')}` }))

describe('the PackerBuild tag', () => {
  it('is cut to 256 characters as EC2 counts them, never inside one', () => {
    // 'amazon-ebs ' is 11 characters: the 245th emoji is the last that fits, and each is two UTF-16 units.
    const tag = buildTag({ builderType: 'amazon-ebs', build: '🐧'.repeat(300) }).PackerBuild
    expect([...tag]).toHaveLength(256)
    expect(tag).toBe(`amazon-ebs ${'🐧'.repeat(245)}`)
  })
})

describe('the BuildSet tag', () => {
  it('names the regions of a set in the 17 default regions, as before', () => {
    const set = reuseTags(fingerprint, runUuid, amisIn(defaultRegions)).BuildSet
    expect(set).toBe(`${runUuid} 17 ${[...defaultRegions].sort().join(',')}`)
    expect(set.length).toBe(242)
  })

  it('names none when they would make it longer than 256 characters', () => {
    const wide = [...defaultRegions, 'me-south-1', 'af-south-1']
    expect(reuseTags(fingerprint, runUuid, amisIn(wide)).BuildSet).toBe(`${runUuid} 19`)
    // 256 characters exactly still fit.
    const filler = `x-${'y'.repeat(256 - `${runUuid} 18 ${[...defaultRegions].sort().join(',')},x-`.length)}`
    const fits = reuseTags(fingerprint, runUuid, amisIn([...defaultRegions, filler])).BuildSet
    expect(fits.length).toBe(256)
    expect(fits.split(' ')[2].split(',')).toHaveLength(18)
    expect(reuseTags(fingerprint, runUuid, amisIn([...defaultRegions, `${filler}z`])).BuildSet).toBe(`${runUuid} 18`)
  })
})

describe('looking for a set whose tag names no region', () => {
  const regions = ['us-east-1', 'eu-west-1', 'us-west-2', 'ap-south-1']
  let endpoint: Ec2Endpoint

  afterEach(async () => {
    await endpoint.close()
  })

  /** An endpoint whose account holds one AMI of a two-AMI set in each of `holding`. */
  async function withSetIn(holding: string[]): Promise<void> {
    const tags = { BuildFingerprint: fingerprint, BuildSet: `${runUuid} 2`, PackerBuild: 'amazon-ebs web' }
    endpoint = await startEc2Endpoint({
      regions,
      seedImages: holding.map((region) => ({ name: `web-${region}`, ownerId: SELF_ACCOUNT_ID, regions: [region], tags }))
    })
  }

  const lookup = () =>
    findReusableSet({
      fingerprint,
      homeRegion: 'us-east-1',
      ec2For: (region) => new EC2Client(loopbackClientConfig(endpoint, region))
    })

  it('is complete once the regions searched hold as many AMIs as it made, though one region could not be searched', async () => {
    await withSetIn(['us-east-1', 'us-west-2'])
    endpoint.faults.fail('DescribeImages', { code: 'UnauthorizedOperation', region: 'ap-south-1' })
    const found = await lookup()
    expect(found.found?.amis.map((ami) => ami.region).sort()).toEqual(['us-east-1', 'us-west-2'])
    expect(endpoint.callsOf('DescribeRegions')).toHaveLength(1)
  })

  it('is not complete when a region that could not be searched may hold the rest: the failure is the reason', async () => {
    await withSetIn(['us-east-1'])
    endpoint.faults.fail('DescribeImages', { code: 'UnauthorizedOperation', region: 'ap-south-1' })
    expect(await lookup()).toEqual({
      why: expect.stringMatching(/^looking for AMIs to reuse failed: UnauthorizedOperation — the credentials lack ec2:DescribeImages\./),
      failed: true
    })
  })

  it('says which permission is missing when the account’s regions cannot be listed', async () => {
    await withSetIn(['us-east-1', 'us-west-2'])
    endpoint.faults.fail('DescribeRegions', { code: 'UnauthorizedOperation' })
    expect(await lookup()).toEqual({
      why: expect.stringMatching(
        new RegExp(`^the AMIs built by Packer run ${runUuid} may be in any region, and listing the account's regions failed: UnauthorizedOperation — the credentials lack ec2:DescribeRegions\\.`)
      )
    })
  })
})
