// Tagging against the loopback EC2 endpoint, where EC2's limit of 50 tags a resource is kept:
// the AMIs of a region share one CreateTags call, which EC2 refuses whole if one of them would
// go over.
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals'
import { EC2Client } from '@aws-sdk/client-ec2'
import { SELF_ACCOUNT_ID, startEc2Endpoint, type Ec2Endpoint } from '../test-support/ec2-endpoint/index.js'
import { tagAmis } from '../src/aws/tagging.js'

const region = 'us-east-1'
const crowded = 'ami-0000000000000c001'
const roomy = 'ami-0000000000000c002'
const crowdedSnapshot = 'snap-0000000000000c001'
const roomySnapshot = 'snap-0000000000000c002'
const brim = 'ami-0000000000000c003'
const brimSnapshot = 'snap-0000000000000c003'

/** 45 tags, as a template's `tags` block can give its AMI, and one that EC2 adds and does not count. */
const templateTags = {
  ...Object.fromEntries(Array.from({ length: 45 }, (_, i) => [`Team${i}`, 'platform'])),
  'aws:backup:source-resource': 'i-0123456789abcdef0'
}
/** 41 tags of its own and one of AWS's: the action's 9 new keys fill it to exactly 50. */
const brimTags = {
  ...Object.fromEntries(Array.from({ length: 41 }, (_, i) => [`Team${i}`, 'platform'])),
  'aws:backup:source-resource': 'i-0123456789abcdef0'
}
/** 10 tags, one of them a key the crowded AMI has already. */
const actionTags = { ...Object.fromEntries(Array.from({ length: 9 }, (_, i) => [`Run${i}`, 'x'])), Team0: 'web' }

let endpoint: Ec2Endpoint

beforeEach(async () => {
  endpoint = await startEc2Endpoint({
    regions: [region],
    seedImages: [
      { name: 'crowded', imageId: crowded, ownerId: SELF_ACCOUNT_ID, snapshotId: crowdedSnapshot, tags: templateTags },
      { name: 'brim', imageId: brim, ownerId: SELF_ACCOUNT_ID, snapshotId: brimSnapshot, tags: brimTags },
      { name: 'roomy', imageId: roomy, ownerId: SELF_ACCOUNT_ID, snapshotId: roomySnapshot, tags: { Name: 'roomy' } }
    ]
  })
})

afterEach(async () => {
  await endpoint.close()
})

function ec2For(forRegion: string): EC2Client {
  return new EC2Client({
    region: forRegion,
    endpoint: endpoint.url,
    credentials: { accessKeyId: 'AKIDLOOPBACK', secretAccessKey: 'x' },
    maxAttempts: 1
  })
}

describe('an AMI that the tags would take over 50', () => {
  it('is left out, named with its count, and the other AMIs of the region and their snapshots are tagged', async () => {
    const [result] = await tagAmis({
      amis: [
        { region, amiId: crowded },
        { region, amiId: brim },
        { region, amiId: roomy }
      ],
      tags: actionTags,
      tagSnapshots: true,
      ec2For,
      sleep: async () => undefined
    })

    expect(endpoint.tagsOf(region, roomy)).toEqual({ Name: 'roomy', ...actionTags })
    expect(endpoint.tagsOf(region, roomySnapshot)).toEqual(actionTags)
    expect(endpoint.tagsOf(region, brim)).toEqual({ ...brimTags, ...actionTags })
    expect(endpoint.tagsOf(region, brimSnapshot)).toEqual(actionTags)
    expect(endpoint.tagsOf(region, crowded)).toEqual(templateTags)
    expect(endpoint.tagsOf(region, crowdedSnapshot)).toEqual({})
    expect(result.tagged).toBe(true)
    expect(result.amisNotTagged).toEqual([crowded])
    expect(result.error).toBe(
      `Tagging in ${region} left out ${crowded} and its snapshots: EC2 allows at most 50 tags on an AMI (those of AWS, ` +
        `aws:…, aside), and ${crowded} has 45 of its own (the template's tags) and would get 9 more, 54 in all. ` +
        'Set provenance-tags: false, or give fewer tags.'
    )
    // One CreateTags, for the AMIs that have room and their snapshots: EC2 refuses a call whole.
    const calls = endpoint.callsOf('CreateTags')
    expect(calls).toHaveLength(1)
    expect(Object.entries(calls[0].params).filter(([name]) => name.startsWith('ResourceId.'))).toEqual([
      ['ResourceId.1', brim],
      ['ResourceId.2', roomy],
      ['ResourceId.3', brimSnapshot],
      ['ResourceId.4', roomySnapshot]
    ])
    expect(calls[0].error).toBeUndefined()
    // What each has once tagged, as DescribeImages showed its tags, AWS's own aside: for the summary.
    expect(result.tagsInAll).toEqual({ [crowded]: 54, [brim]: 50, [roomy]: 11 })
    expect(Object.keys(endpoint.tagsOf(region, roomy))).toHaveLength(11)
  })

  it('makes no CreateTags call when no AMI of the region has room', async () => {
    const [result] = await tagAmis({
      amis: [{ region, amiId: crowded }],
      tags: actionTags,
      tagSnapshots: false,
      ec2For,
      sleep: async () => undefined
    })

    expect(endpoint.callsOf('CreateTags')).toEqual([])
    expect(result.tagged).toBe(false)
    expect(result.amisNotTagged).toEqual([crowded])
    expect(result.error).toMatch(new RegExp(`^Tagging in ${region} left out ${crowded}: EC2 allows at most 50 tags on an AMI`))
  })
})
