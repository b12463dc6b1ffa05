import { beforeEach, describe, expect, it, jest } from '@jest/globals'
import {
  CreateTagsCommand,
  DescribeImagesCommand,
  DescribeSnapshotsCommand,
  EC2Client,
  EC2ServiceException,
  type CreateTagsCommandInput,
  type DescribeImagesCommandInput,
  type DescribeImagesCommandOutput,
  type DescribeSnapshotsCommandInput,
  type Image,
  type Tag
} from '@aws-sdk/client-ec2'
import { mockClient } from 'aws-sdk-client-mock'
import { tagAmis, type TagOptions } from '../src/aws/tagging.js'
import { combineTags, templateKeeps } from '../src/inputs/tags.js'

// Every EC2Client, including the ones tagAmis makes itself, answers from this mock.
const ec2Mock = mockClient(EC2Client)

const tags = { Name: 'web', 'git:sha': '0123abc' }
const tagList = [
  { Key: 'Name', Value: 'web' },
  { Key: 'git:sha', Value: '0123abc' }
]

/** An EBS-backed AMI whose root volume and any extra volumes come from these snapshots. */
function image(amiId: string, ...snapshotIds: string[]): Image {
  return {
    ImageId: amiId,
    RootDeviceType: 'ebs',
    RootDeviceName: '/dev/xvda',
    BlockDeviceMappings: snapshotIds.map((snapshotId, index) => ({
      DeviceName: index === 0 ? '/dev/xvda' : `/dev/xvd${String.fromCharCode(98 + index - 1)}`,
      Ebs: { SnapshotId: snapshotId, VolumeSize: 8 }
    }))
  }
}

function ec2Error(name: string, message: string, httpStatusCode = 400): EC2ServiceException {
  return new EC2ServiceException({
    name,
    $fault: httpStatusCode >= 500 ? 'server' : 'client',
    message,
    $metadata: { httpStatusCode, requestId: 'req-1' }
  })
}

const notAuthorized = ec2Error(
  'UnauthorizedOperation',
  'You are not authorized to perform this operation.',
  403
)

const imagesByRegion: Record<string, Image[]> = {
  'us-east-1': [image('ami-east1', 'snap-east1'), image('ami-east2', 'snap-east2', 'snap-east2b')],
  'us-west-2': [image('ami-west', 'snap-west')],
  'eu-west-1': [image('ami-eu', 'snap-eu')]
}

const amis = [
  { region: 'us-east-1', amiId: 'ami-east1' },
  { region: 'us-west-2', amiId: 'ami-west' },
  { region: 'us-east-1', amiId: 'ami-east2' },
  { region: 'eu-west-1', amiId: 'ami-eu' },
  { region: 'us-east-1', amiId: 'ami-east1' }
]

/**
 * Answers DescribeImages with the images the region holds among those asked for. The mock's
 * getClient() gives the client of the latest call, whichever it is, so a fake that awaits
 * anything must take its client first.
 */
async function describeFromRegion(
  input: DescribeImagesCommandInput,
  getClient: () => EC2Client
): Promise<Partial<DescribeImagesCommandOutput>> {
  const region = await getClient().config.region()
  const images = imagesByRegion[region] ?? []
  return { Images: images.filter((candidate) => input.ImageIds?.includes(candidate.ImageId!)) }
}

function describeCalls(): DescribeImagesCommandInput[] {
  return ec2Mock.commandCalls(DescribeImagesCommand).map((call) => call.args[0].input)
}

function createTagsCalls(): CreateTagsCommandInput[] {
  return ec2Mock.commandCalls(CreateTagsCommand).map((call) => call.args[0].input)
}

let sleep: jest.Mock<(ms: number) => Promise<void>>
let log: jest.Mock<(message: string) => void>

function options(overrides: Partial<TagOptions> = {}): TagOptions {
  return { amis, tags, tagSnapshots: true, sleep, log, random: () => 0.5, ...overrides }
}

beforeEach(() => {
  ec2Mock.reset()
  ec2Mock.on(DescribeImagesCommand).callsFake(describeFromRegion)
  ec2Mock.on(CreateTagsCommand).resolves({})
  sleep = jest.fn<(ms: number) => Promise<void>>().mockResolvedValue(undefined)
  log = jest.fn<(message: string) => void>()
})

describe('tagAmis', () => {
  it('makes one DescribeImages and one CreateTags a region, for all AMIs and snapshots', async () => {
    const results = await tagAmis(options())

    expect(results).toEqual([
      {
        region: 'us-east-1',
        amiIds: ['ami-east1', 'ami-east2'],
        snapshotIds: ['snap-east1', 'snap-east2', 'snap-east2b'],
        snapshotsOf: { 'ami-east1': ['snap-east1'], 'ami-east2': ['snap-east2', 'snap-east2b'] },
        tagged: true
      },
      { region: 'us-west-2', amiIds: ['ami-west'], snapshotIds: ['snap-west'], snapshotsOf: { 'ami-west': ['snap-west'] }, tagged: true },
      { region: 'eu-west-1', amiIds: ['ami-eu'], snapshotIds: ['snap-eu'], snapshotsOf: { 'ami-eu': ['snap-eu'] }, tagged: true }
    ])
    expect(describeCalls()).toHaveLength(3)
    expect(describeCalls().map((input) => input.ImageIds)).toEqual(
      expect.arrayContaining([['ami-east1', 'ami-east2'], ['ami-west'], ['ami-eu']])
    )
    expect(createTagsCalls()).toHaveLength(3)
    expect(createTagsCalls()).toEqual(
      expect.arrayContaining([
        {
          Resources: ['ami-east1', 'ami-east2', 'snap-east1', 'snap-east2', 'snap-east2b'],
          Tags: tagList
        },
        { Resources: ['ami-west', 'snap-west'], Tags: tagList },
        { Resources: ['ami-eu', 'snap-eu'], Tags: tagList }
      ])
    )
    expect(sleep).not.toHaveBeenCalled()
  })

  it('sends each region its own calls through a client without SDK retries', async () => {
    const seen: { command: string; region: string; maxAttempts: number }[] = []
    ec2Mock.on(DescribeImagesCommand).callsFake(async (input, getClient) => {
      const client = getClient()
      seen.push({
        command: 'DescribeImages',
        region: await client.config.region(),
        maxAttempts: await client.config.maxAttempts()
      })
      return describeFromRegion(input, () => client)
    })
    ec2Mock.on(CreateTagsCommand).callsFake(async (input: CreateTagsCommandInput, getClient) => {
      const client = getClient()
      const region = await client.config.region()
      seen.push({ command: 'CreateTags', region, maxAttempts: await client.config.maxAttempts() })
      const regionHolds = (id: string) =>
        imagesByRegion[region].some(
          (candidate) => id === candidate.ImageId || snapshotIdsIn(candidate).includes(id)
        )
      if (!input.Resources?.every(regionHolds)) throw new Error(`wrong region ${region}`)
      return {}
    })

    const results = await tagAmis(options())

    expect(results.every((result) => result.tagged)).toBe(true)
    expect(sleep).not.toHaveBeenCalled()
    expect(seen).toHaveLength(6)
    expect(seen.every((call) => call.maxAttempts === 1)).toBe(true)
    expect(seen.map((call) => `${call.command} ${call.region}`).sort()).toEqual([
      'CreateTags eu-west-1',
      'CreateTags us-east-1',
      'CreateTags us-west-2',
      'DescribeImages eu-west-1',
      'DescribeImages us-east-1',
      'DescribeImages us-west-2'
    ])
  })

  it('uses the clients that ec2For gives, one per region', async () => {
    const ec2For = jest.fn((region: string) => new EC2Client({ region, maxAttempts: 1 }))
    const results = await tagAmis(options({ ec2For }))
    expect(ec2For.mock.calls.map(([region]) => region)).toEqual([
      'us-east-1',
      'us-west-2',
      'eu-west-1'
    ])
    expect(results.every((result) => result.tagged)).toBe(true)
  })

  it('tags only the AMIs when tagSnapshots is false, yet reports their snapshots', async () => {
    const results = await tagAmis(options({ tagSnapshots: false }))

    expect(createTagsCalls()).toEqual(
      expect.arrayContaining([
        { Resources: ['ami-east1', 'ami-east2'], Tags: tagList },
        { Resources: ['ami-west'], Tags: tagList },
        { Resources: ['ami-eu'], Tags: tagList }
      ])
    )
    expect(createTagsCalls()).toHaveLength(3)
    expect(results.map((result) => result.snapshotIds)).toEqual([
      ['snap-east1', 'snap-east2', 'snap-east2b'],
      ['snap-west'],
      ['snap-eu']
    ])
  })

  it('retries throttling with waits inside the backoff ceiling, then tags', async () => {
    ec2Mock
      .on(DescribeImagesCommand)
      .rejectsOnce(ec2Error('RequestLimitExceeded', 'Request limit exceeded.', 503))
      .rejectsOnce(ec2Error('Throttling', 'Rate exceeded', 400))
      .callsFake(describeFromRegion)
    ec2Mock
      .on(CreateTagsCommand)
      .rejectsOnce(ec2Error('ThrottlingException', 'Rate exceeded', 400))
      .rejectsOnce(ec2Error('ServiceUnavailable', 'Please try again', 503))
      .resolves({})

    const results = await tagAmis(
      options({
        amis: [{ region: 'us-west-2', amiId: 'ami-west' }],
        random: () => 0.9999,
        baseDelayMs: 400,
        maxDelayMs: 500
      })
    )

    expect(results).toEqual([
      { region: 'us-west-2', amiIds: ['ami-west'], snapshotIds: ['snap-west'], snapshotsOf: { 'ami-west': ['snap-west'] }, tagged: true }
    ])
    expect(describeCalls()).toHaveLength(3)
    expect(createTagsCalls()).toHaveLength(3)
    // Retry 1 may wait up to the base, retry 2 up to twice the base, but never past the cap.
    expect(sleep.mock.calls.map(([ms]) => ms)).toEqual([399, 499, 399, 499])
    expect(log).toHaveBeenCalledWith(
      expect.stringContaining(
        'DescribeImages in us-west-2: attempt 1 of 12 failed (RequestLimitExceeded)'
      )
    )
  })

  it('never asks for a wait longer than the cap, whatever the random source gives', async () => {
    ec2Mock.on(CreateTagsCommand).rejects(ec2Error('RequestLimitExceeded', 'Slow down', 503))
    await tagAmis(
      options({
        amis: [{ region: 'eu-west-1', amiId: 'ami-eu' }],
        random: Math.random,
        maxAttempts: 8,
        baseDelayMs: 100,
        maxDelayMs: 700
      })
    )
    expect(sleep).toHaveBeenCalledTimes(7)
    sleep.mock.calls.forEach(([ms], index) => {
      expect(ms).toBeGreaterThanOrEqual(0)
      expect(ms).toBeLessThan(Math.min(700, 100 * 2 ** index))
    })
  })

  it('says what throttling is when the attempts run out on it', async () => {
    ec2Mock.on(CreateTagsCommand).rejects(ec2Error('RequestLimitExceeded', 'Request limit exceeded.', 503))
    const [result] = await tagAmis(options({ amis: [{ region: 'eu-west-1', amiId: 'ami-eu' }], maxAttempts: 3 }))
    expect(result.tagged).toBe(false)
    expect(result.error).toBe(
      'Tagging in eu-west-1 failed for ami-eu, snap-eu: RequestLimitExceeded — ' +
        "EC2 throttled the account's calls in the region (it counts every caller using the account there, other jobs and tools too): " +
        'Request limit exceeded. Gave up after 3 attempts. (Request ID req-1.)'
    )
  })

  it('retries network errors and server errors', async () => {
    const reset = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })
    ec2Mock
      .on(DescribeImagesCommand)
      .rejectsOnce(reset)
      .rejectsOnce(ec2Error('InternalError', 'An internal error has occurred', 500))
      .callsFake(describeFromRegion)

    const [result] = await tagAmis(options({ amis: [{ region: 'eu-west-1', amiId: 'ami-eu' }] }))

    expect(result.tagged).toBe(true)
    expect(describeCalls()).toHaveLength(3)
    expect(sleep).toHaveBeenCalledTimes(2)
  })

  it('waits for an AMI that is not yet visible right after the copy', async () => {
    ec2Mock
      .on(DescribeImagesCommand)
      .rejectsOnce(
        ec2Error('InvalidAMIID.NotFound', "The image id '[ami-eu]' does not exist")
      )
      .callsFake(describeFromRegion)
    ec2Mock
      .on(CreateTagsCommand)
      .rejectsOnce(ec2Error('InvalidAMIID.NotFound', "The image id '[ami-eu]' does not exist"))
      .resolves({})

    const [result] = await tagAmis(options({ amis: [{ region: 'eu-west-1', amiId: 'ami-eu' }] }))

    expect(result).toEqual({
      region: 'eu-west-1',
      amiIds: ['ami-eu'],
      snapshotIds: ['snap-eu'],
      snapshotsOf: { 'ami-eu': ['snap-eu'] },
      tagged: true
    })
    // The refused CreateTags has the AMI looked at once more: there, so it is waited for.
    expect(describeCalls()).toHaveLength(3)
    expect(createTagsCalls()).toHaveLength(2)
    expect(sleep).toHaveBeenCalledTimes(2)
  })

  it('asks again while DescribeImages lists an AMI without its snapshots', async () => {
    const east1 = image('ami-east1', 'snap-east1')
    const east2 = image('ami-east2', 'snap-east2')
    ec2Mock
      .on(DescribeImagesCommand)
      .resolvesOnce({ Images: [east1, { ...east2, BlockDeviceMappings: [] }] })
      .resolvesOnce({ Images: [east1, { ...east2, BlockDeviceMappings: [] }] })
      .resolves({ Images: [east2, east1] })

    const [result] = await tagAmis(
      options({
        amis: [
          { region: 'us-east-1', amiId: 'ami-east1' },
          { region: 'us-east-1', amiId: 'ami-east2' }
        ]
      })
    )

    expect(describeCalls()).toHaveLength(3)
    expect(sleep).toHaveBeenCalledTimes(2)
    expect(result.snapshotIds).toEqual(['snap-east1', 'snap-east2'])
    expect(createTagsCalls()).toEqual([
      { Resources: ['ami-east1', 'ami-east2', 'snap-east1', 'snap-east2'], Tags: tagList }
    ])
    expect(log).toHaveBeenCalledWith(
      expect.stringContaining('no EBS snapshot is listed yet for ami-east2')
    )
  })

  it('does not wait for snapshots of instance-store AMIs or empty extra volumes', async () => {
    ec2Mock.on(DescribeImagesCommand).resolves({
      Images: [
        { ImageId: 'ami-store', RootDeviceType: 'instance-store', BlockDeviceMappings: [] },
        {
          ...image('ami-ebs', 'snap-root'),
          BlockDeviceMappings: [
            { DeviceName: '/dev/xvda', Ebs: { SnapshotId: 'snap-root' } },
            { DeviceName: '/dev/xvdf', Ebs: { VolumeSize: 100 } }
          ]
        }
      ]
    })

    const [result] = await tagAmis(
      options({
        amis: [
          { region: 'us-east-1', amiId: 'ami-store' },
          { region: 'us-east-1', amiId: 'ami-ebs' }
        ]
      })
    )

    expect(sleep).not.toHaveBeenCalled()
    expect(result.tagged).toBe(true)
    expect(createTagsCalls()).toEqual([
      { Resources: ['ami-store', 'ami-ebs', 'snap-root'], Tags: tagList }
    ])
  })

  it('does not wait for snapshots it will not tag', async () => {
    ec2Mock.on(DescribeImagesCommand).resolves({ Images: [{ ImageId: 'ami-west', State: 'available', BlockDeviceMappings: [] }] })

    const [result] = await tagAmis(
      options({ amis: [{ region: 'us-west-2', amiId: 'ami-west' }], tagSnapshots: false })
    )

    expect(describeCalls()).toHaveLength(1)
    expect(sleep).not.toHaveBeenCalled()
    expect(result).toEqual({
      region: 'us-west-2',
      amiIds: ['ami-west'],
      snapshotIds: [],
      snapshotsOf: { 'ami-west': [] },
      tagged: true
    })
  })

  it('reports a region that keeps failing and still tags the others', async () => {
    ec2Mock.on(CreateTagsCommand).callsFake(async (_input, getClient) => {
      if ((await getClient().config.region()) === 'us-west-2') {
        throw ec2Error('InternalError', 'An internal error has occurred', 500)
      }
      return {}
    })

    const results = await tagAmis(options({ maxAttempts: 4 }))

    expect(results.map((result) => [result.region, result.tagged])).toEqual([
      ['us-east-1', true],
      ['us-west-2', false],
      ['eu-west-1', true]
    ])
    const west = results[1]
    expect(west.snapshotIds).toEqual(['snap-west'])
    expect(west.error).toBe(
      'Tagging in us-west-2 failed for ami-west, snap-west: InternalError — An internal error ' +
        'has occurred. Gave up after 4 attempts. (Request ID req-1.)'
    )
    expect(results[0].error).toBeUndefined()
    const westCreateTags = ec2Mock
      .commandCalls(CreateTagsCommand)
      .filter((call) => call.args[0].input.Resources?.includes('ami-west'))
    expect(westCreateTags).toHaveLength(4)
  })

  it('names the missing permission and how to decode the reason, without retrying', async () => {
    const blob = 'AbC-123_xyz'
    ec2Mock
      .on(CreateTagsCommand)
      .rejects(
        ec2Error(
          'UnauthorizedOperation',
          'You are not authorized to perform this operation. User: arn:aws:sts::111122223333:' +
            'assumed-role/ci/build is not authorized to perform: ec2:CreateTags on resource: ' +
            'arn:aws:ec2:us-west-2::image/ami-west because no identity-based policy allows the ' +
            `ec2:CreateTags action. Encoded authorization failure message: ${blob}`,
          403
        )
      )

    const [result] = await tagAmis(options({ amis: [{ region: 'us-west-2', amiId: 'ami-west' }] }))

    expect(result.tagged).toBe(false)
    expect(result.snapshotIds).toEqual(['snap-west'])
    expect(result.error).toMatch(
      new RegExp(
        '^Tagging in us-west-2 failed for ami-west, snap-west: UnauthorizedOperation — ' +
          'the credentials lack ec2:CreateTags\\. You are not authorized'
      )
    )
    expect(result.error).toContain(
      'because no identity-based policy allows the ec2:CreateTags action.'
    )
    expect(result.error).toMatch(
      new RegExp(`aws sts decode-authorization-message --encoded-message ${blob}$`)
    )
    expect(result.error?.split(blob)).toHaveLength(2)
    expect(createTagsCalls()).toHaveLength(1)
    expect(sleep).not.toHaveBeenCalled()
  })

  it('tags nothing in a region whose snapshots cannot be listed, and says so', async () => {
    ec2Mock.on(DescribeImagesCommand).rejects(notAuthorized)

    const [result] = await tagAmis(options({ amis: [{ region: 'us-west-2', amiId: 'ami-west' }] }))

    expect(result).toEqual({
      region: 'us-west-2',
      amiIds: ['ami-west'],
      snapshotIds: [],
      snapshotsOf: {},
      tagged: false,
      error:
        'Finding the snapshots of ami-west in us-west-2 failed: UnauthorizedOperation — the ' +
        'credentials lack ec2:DescribeImages. You are not authorized to perform this operation. ' +
        '(Request ID req-1.) Nothing was tagged in us-west-2.'
    })
    expect(createTagsCalls()).toHaveLength(0)
  })

  it('tags the AMIs when the snapshot lookup fails and snapshots are not wanted', async () => {
    ec2Mock.on(DescribeImagesCommand).rejects(notAuthorized)

    const [result] = await tagAmis(
      options({ amis: [{ region: 'us-west-2', amiId: 'ami-west' }], tagSnapshots: false })
    )

    expect(result.tagged).toBe(true)
    expect(result.error).toBeUndefined()
    expect(result.warnings).toEqual([
      expect.stringContaining('the credentials lack ec2:DescribeImages')
    ])
    expect(createTagsCalls()).toEqual([{ Resources: ['ami-west'], Tags: tagList }])
  })

  it('takes an AMI that DescribeImages shows deregistered, or leaves out of its answer, as gone: not waited for, not tagged, no error', async () => {
    // EC2 shows a recently deregistered AMI as such for a short interval, then leaves it out.
    ec2Mock.on(DescribeImagesCommand).resolves({
      Images: [image('ami-east1', 'snap-east1'), { ...image('ami-dereg', 'snap-dereg'), State: 'deregistered' }]
    })

    const [result] = await tagAmis(
      options({
        amis: [
          { region: 'us-east-1', amiId: 'ami-east1' },
          { region: 'us-east-1', amiId: 'ami-dereg' },
          { region: 'us-east-1', amiId: 'ami-gone' }
        ]
      })
    )

    expect(result).toEqual({
      region: 'us-east-1',
      amiIds: ['ami-east1', 'ami-dereg', 'ami-gone'],
      snapshotIds: ['snap-east1'],
      snapshotsOf: { 'ami-east1': ['snap-east1'] },
      tagged: true,
      gone: ['ami-dereg', 'ami-gone']
    })
    expect(describeCalls()).toEqual([{ ImageIds: ['ami-east1', 'ami-dereg', 'ami-gone'], IncludeDisabled: true }])
    expect(createTagsCalls()).toEqual([{ Resources: ['ami-east1', 'snap-east1'], Tags: tagList }])
    expect(sleep).not.toHaveBeenCalled()
  })

  it('names an AMI that DescribeImages shows disabled, and tags it with its snapshots as any other: it is still there', async () => {
    ec2Mock.on(DescribeImagesCommand).resolves({
      Images: [image('ami-east1', 'snap-east1'), { ...image('ami-off', 'snap-off'), State: 'disabled' }]
    })

    const [result] = await tagAmis(
      options({
        amis: [
          { region: 'us-east-1', amiId: 'ami-east1' },
          { region: 'us-east-1', amiId: 'ami-off' }
        ]
      })
    )

    expect(result).toEqual({
      region: 'us-east-1',
      amiIds: ['ami-east1', 'ami-off'],
      snapshotIds: ['snap-east1', 'snap-off'],
      snapshotsOf: { 'ami-east1': ['snap-east1'], 'ami-off': ['snap-off'] },
      tagged: true,
      disabled: ['ami-off']
    })
    expect(createTagsCalls()).toEqual([{ Resources: ['ami-east1', 'ami-off', 'snap-east1', 'snap-off'], Tags: tagList }])
  })

  it('looks once when CreateTags says an AMI is not found: one shown deregistered is gone, and the others are tagged at once', async () => {
    ec2Mock
      .on(DescribeImagesCommand)
      .resolvesOnce({ Images: [image('ami-east1', 'snap-east1'), image('ami-east2', 'snap-east2')] })
      .resolves({ Images: [image('ami-east1', 'snap-east1'), { ...image('ami-east2', 'snap-east2'), State: 'deregistered' }] })
    ec2Mock
      .on(CreateTagsCommand)
      .rejectsOnce(ec2Error('InvalidAMIID.NotFound', "The image id '[ami-east2]' does not exist"))
      .resolves({})

    const [result] = await tagAmis(
      options({
        amis: [
          { region: 'us-east-1', amiId: 'ami-east1' },
          { region: 'us-east-1', amiId: 'ami-east2' }
        ]
      })
    )

    expect(result).toMatchObject({ tagged: true, gone: ['ami-east2'] })
    expect(result.error).toBeUndefined()
    expect(describeCalls()).toHaveLength(2)
    expect(createTagsCalls()).toEqual([
      { Resources: ['ami-east1', 'ami-east2', 'snap-east1', 'snap-east2'], Tags: tagList },
      { Resources: ['ami-east1', 'snap-east1'], Tags: tagList }
    ])
    expect(sleep).not.toHaveBeenCalled()
  })

  it('does not retry an error that waiting cannot fix', async () => {
    ec2Mock
      .on(CreateTagsCommand)
      .rejects(ec2Error('InvalidParameterValue', 'Tag value exceeds the maximum length'))

    const [result] = await tagAmis(options({ amis: [{ region: 'eu-west-1', amiId: 'ami-eu' }] }))

    expect(result.error).toBe(
      'Tagging in eu-west-1 failed for ami-eu, snap-eu: InvalidParameterValue — Tag value ' +
        'exceeds the maximum length. (Request ID req-1.)'
    )
    expect(createTagsCalls()).toHaveLength(1)
    expect(sleep).not.toHaveBeenCalled()
  })

  it('explains missing credentials', async () => {
    const noCredentials = Object.assign(
      new Error('Could not load credentials from any providers'),
      { name: 'CredentialsProviderError' }
    )
    ec2Mock.on(DescribeImagesCommand).rejects(noCredentials)

    const [result] = await tagAmis(options({ amis: [{ region: 'eu-west-1', amiId: 'ami-eu' }] }))

    expect(result.error).toContain('no AWS credentials were found')
    expect(result.error).toContain('Could not load credentials from any providers')
    expect(sleep).not.toHaveBeenCalled()
  })

  it('works on all regions at once', async () => {
    const regionsSeen = new Set<string>()
    // us-east-1 is asked first, and only answers once the other regions have been asked too:
    // tagging one region after another would leave it waiting and seeing no one else.
    ec2Mock.on(DescribeImagesCommand).callsFake(async (input, getClient) => {
      const client = getClient()
      const region = await client.config.region()
      regionsSeen.add(region)
      if (region === 'us-east-1') {
        for (let turn = 0; turn < 100 && regionsSeen.size < 3; turn++) {
          await new Promise((resolve) => setImmediate(resolve))
        }
        if (regionsSeen.size < 3) throw ec2Error('InvalidParameterValue', 'asked alone')
      }
      return describeFromRegion(input, () => client)
    })

    const results = await tagAmis(options())

    expect(results.map((result) => result.error)).toEqual([undefined, undefined, undefined])
    expect(results.every((result) => result.tagged)).toBe(true)
    expect(sleep).not.toHaveBeenCalled()
  })

  it('tells each region once, as soon as it is done: one whose CreateTags never ends is told last, cut short at the deadline', async () => {
    let releaseWest: () => void = () => undefined
    ec2Mock.on(CreateTagsCommand).callsFake(async (_input: CreateTagsCommandInput, getClient: () => EC2Client) => {
      const client = getClient()
      if ((await client.config.region()) !== 'us-west-2') return {}
      // Answered only after the deadline: too late to be told again.
      return new Promise((resolve) => (releaseWest = () => resolve({})))
    })
    const told: Array<{ region: string; tagged: boolean; error?: string }> = []
    const results = await tagAmis(
      options({ deadlineMs: 100, onResult: ({ region, tagged, error }) => told.push({ region, tagged, ...(error ? { error } : {}) }) })
    )
    releaseWest()
    await new Promise((resolve) => setImmediate(resolve))
    expect(told.slice(0, 2).map(({ region }) => region).sort()).toEqual(['eu-west-1', 'us-east-1'])
    expect(told.slice(0, 2).every(({ tagged }) => tagged)).toBe(true)
    expect(told.slice(2)).toEqual([{ region: 'us-west-2', tagged: false, error: expect.stringMatching(/^Tagging in us-west-2 did not finish within 0 s/) }])
    // What the stage returns is what it told, in the order of the AMIs.
    expect(results.map(({ region, error }) => ({ region, error }))).toEqual([
      { region: 'us-east-1', error: undefined },
      { region: 'us-west-2', error: told[2].error },
      { region: 'eu-west-1', error: undefined }
    ])
  })

  it("puts each AMI's own tags in the same call as the others: one CreateTags per set of tags in a region, after one DescribeImages", async () => {
    const ownTags = {
      'ami-east1': { ImageFamily: 'web', Name: 'web-own' },
      'ami-west': { ImageFamily: 'web', Name: 'web-own' },
      'ami-east2': { ImageFamily: 'api' },
      'ami-eu': { ImageFamily: 'web', Name: 'web-own' }
    }
    const results = await tagAmis(options({ ownTags }))
    expect(results.map(({ region, tagged, amisNotTagged, error }) => ({ region, tagged, amisNotTagged, error }))).toEqual([
      { region: 'us-east-1', tagged: true, amisNotTagged: undefined, error: undefined },
      { region: 'us-west-2', tagged: true, amisNotTagged: undefined, error: undefined },
      { region: 'eu-west-1', tagged: true, amisNotTagged: undefined, error: undefined }
    ])
    expect(describeCalls()).toHaveLength(3)
    // The build's own value of a key the run also gives wins, as it did in a call after the run's.
    const web = [{ Key: 'git:sha', Value: '0123abc' }, { Key: 'ImageFamily', Value: 'web' }, { Key: 'Name', Value: 'web-own' }]
    expect(createTagsCalls()).toHaveLength(4)
    expect(createTagsCalls()).toEqual(
      expect.arrayContaining([
        { Resources: ['ami-east1', 'snap-east1'], Tags: web },
        { Resources: ['ami-east2', 'snap-east2', 'snap-east2b'], Tags: [...tagList, { Key: 'ImageFamily', Value: 'api' }] },
        { Resources: ['ami-west', 'snap-west'], Tags: web },
        { Resources: ['ami-eu', 'snap-eu'], Tags: web }
      ])
    )
  })

  it("names, at the deadline, only the AMIs of a region whose CreateTags had not answered; the others are tagged", async () => {
    ec2Mock.on(CreateTagsCommand).callsFake(async (input: CreateTagsCommandInput) =>
      input.Resources?.includes('ami-east2') ? new Promise(() => undefined) : {}
    )
    const ownTags = { 'ami-east1': { ImageFamily: 'web' }, 'ami-east2': { ImageFamily: 'api' } }
    const [east] = await tagAmis(options({ amis: amis.filter(({ region }) => region === 'us-east-1'), ownTags, deadlineMs: 100 }))
    expect(east).toMatchObject({
      tagged: true,
      amisNotTagged: ['ami-east2'],
      error: 'Tagging in us-east-1 did not finish within 0 s, the tagging deadline: EC2 did not answer in time. Not tagged: ami-east2, snap-east2, snap-east2b.'
    })
  })

  it('does nothing for no AMIs, and skips CreateTags when there are no tags', async () => {
    await expect(tagAmis(options({ amis: [] }))).resolves.toEqual([])
    expect(describeCalls()).toHaveLength(0)

    const [result] = await tagAmis(options({ amis: [amis[1]], tags: {} }))
    expect(result).toEqual({
      region: 'us-west-2',
      amiIds: ['ami-west'],
      snapshotIds: ['snap-west'],
      snapshotsOf: { 'ami-west': ['snap-west'] },
      tagged: false
    })
    expect(createTagsCalls()).toHaveLength(0)
  })
})

describe("tagAmis with the template's own provenance tags", () => {
  const region = 'us-east-1'
  /** The action's tags of a run: some of its provenance keys, and a key of the user's. */
  const runTags = { SourceCommit: 'c0ffee', SourceRef: 'refs/heads/main', BuildActor: 'octocat', BuildTime: '2026-12-06T16:15:39Z', Team: 'web' }
  const provenanceKeys = ['SourceCommit', 'SourceRef', 'BuildActor', 'BuildTime']
  const asTags = (tags: Record<string, string>): Tag[] => Object.entries(tags).map(([Key, Value]) => ({ Key, Value }))
  /** The run's tags less `keys`, in the order CreateTags is given them. */
  const runTagsLess = (...keys: string[]): Tag[] => asTags(runTags).filter(({ Key }) => !keys.includes(Key as string))

  /** The region's AMIs, each with its snapshots and the tags Packer gave it (the template's `tags`). */
  function withImages(images: Array<{ amiId: string; snapshotIds: string[]; tags: Record<string, string> }>): TagOptions['amis'] {
    ec2Mock.on(DescribeImagesCommand).callsFake((input: DescribeImagesCommandInput) => ({
      Images: images.filter(({ amiId }) => input.ImageIds?.includes(amiId)).map(({ amiId, snapshotIds, tags: own }) => ({ ...image(amiId, ...snapshotIds), Tags: asTags(own) }))
    }))
    return images.map(({ amiId }) => ({ region, amiId }))
  }

  /** The snapshots' tags as Packer left them: the template's `tags`, then its `snapshot_tags`. */
  function withSnapshotTags(tagsOf: Record<string, Record<string, string>>): void {
    ec2Mock.on(DescribeSnapshotsCommand).callsFake((input: DescribeSnapshotsCommandInput) => ({
      Snapshots: (input.SnapshotIds ?? []).map((SnapshotId) => ({ SnapshotId, Tags: asTags(tagsOf[SnapshotId] ?? {}) }))
    }))
  }

  function describeSnapshotsCalls(): DescribeSnapshotsCommandInput[] {
    return ec2Mock.commandCalls(DescribeSnapshotsCommand).map((call) => call.args[0].input)
  }

  function keeping(overrides: Partial<TagOptions>): TagOptions {
    return options({ tags: runTags, templateKeeps: provenanceKeys, ...overrides })
  }

  it('leaves a key the template gave the AMI a value of as it is, on the AMI and its snapshots, without reading the snapshots when the template has no snapshot_tags', async () => {
    const amis = withImages([{ amiId: 'ami-1', snapshotIds: ['snap-1'], tags: { Name: 'web', BuildTime: '20261206161539' } }])
    const [result] = await tagAmis(keeping({ amis }))
    expect(createTagsCalls()).toEqual([{ Resources: ['ami-1', 'snap-1'], Tags: runTagsLess('BuildTime') }])
    expect(describeSnapshotsCalls()).toEqual([])
    expect(result).toMatchObject({ tagged: true, kept: { 'ami-1': ['BuildTime'], 'snap-1': ['BuildTime'] } })
    expect(result.error).toBeUndefined()
  })

  it('gives the snapshots what their snapshot_tags leave them, in a CreateTags apart from the AMI', async () => {
    const amis = withImages([{ amiId: 'ami-1', snapshotIds: ['snap-1', 'snap-1b'], tags: { BuildTime: '20261206161539', SourceCommit: 'template-commit' } }])
    // Packer gave the snapshots the AMI's tags, then snapshot_tags: SourceRef, and an empty SourceCommit.
    const snapshotTags = { BuildTime: '20261206161539', SourceCommit: '', SourceRef: 'template-ref' }
    withSnapshotTags({ 'snap-1': snapshotTags, 'snap-1b': snapshotTags })
    const [result] = await tagAmis(keeping({ amis, readSnapshotTags: true }))
    expect(describeSnapshotsCalls()).toEqual([{ SnapshotIds: ['snap-1', 'snap-1b'] }])
    expect(createTagsCalls()).toHaveLength(2)
    expect(createTagsCalls()).toEqual(
      expect.arrayContaining([
        { Resources: ['ami-1'], Tags: runTagsLess('SourceCommit', 'BuildTime') },
        { Resources: ['snap-1', 'snap-1b'], Tags: runTagsLess('SourceRef', 'BuildTime') }
      ])
    )
    expect(result.kept).toEqual({ 'ami-1': ['SourceCommit', 'BuildTime'], 'snap-1': ['SourceRef', 'BuildTime'], 'snap-1b': ['SourceRef', 'BuildTime'] })
  })

  it('keeps on the snapshots only a key every one of them has: one without it gets the action\'s value', async () => {
    const amis = withImages([{ amiId: 'ami-1', snapshotIds: ['snap-1', 'snap-1b'], tags: {} }])
    withSnapshotTags({ 'snap-1': { SourceRef: 'template-ref' }, 'snap-1b': {} })
    const [result] = await tagAmis(keeping({ amis, readSnapshotTags: true }))
    expect(createTagsCalls()).toEqual([{ Resources: ['ami-1', 'snap-1', 'snap-1b'], Tags: runTagsLess() }])
    expect(result.kept).toBeUndefined()
  })

  it("says so when the snapshots' tags cannot be read: they keep what their AMI keeps, and get the action's value of the rest", async () => {
    const amis = withImages([{ amiId: 'ami-1', snapshotIds: ['snap-1'], tags: { BuildTime: '20261206161539' } }])
    ec2Mock.on(DescribeSnapshotsCommand).rejects(notAuthorized)
    const [result] = await tagAmis(keeping({ amis, readSnapshotTags: true }))
    expect(result.warnings).toEqual([
      "Reading the tags the template gave snap-1 in us-east-1 (snapshot_tags) failed: they keep the template's value of the provenance keys " +
        "their AMI keeps, and get the action's of the others. UnauthorizedOperation — the credentials lack ec2:DescribeSnapshots. " +
        'You are not authorized to perform this operation. (Request ID req-1.)'
    ])
    expect(createTagsCalls()).toEqual([{ Resources: ['ami-1', 'snap-1'], Tags: runTagsLess('BuildTime') }])
    expect(result).toMatchObject({ tagged: true, kept: { 'ami-1': ['BuildTime'], 'snap-1': ['BuildTime'] } })
    expect(result.error).toBeUndefined()
  })

  it("writes the action's own keys over the template's all the same, and names the AMIs that had one", async () => {
    const amis = withImages([
      { amiId: 'ami-1', snapshotIds: ['snap-1'], tags: { ImageFamily: 'worked-out', BuildTime: '20261206161539' } },
      { amiId: 'ami-2', snapshotIds: ['snap-2'], tags: {} }
    ])
    const ownTags = { 'ami-1': { ImageFamily: 'acme/web/ami.pkr.hcl/demo' }, 'ami-2': { ImageFamily: 'acme/web/ami.pkr.hcl/demo' } }
    const [result] = await tagAmis(keeping({ amis, ownTags, actionOwnKeys: ['ImageFamily', 'BuildFingerprint'] }))
    expect(result.replaced).toEqual({ 'ami-1': ['ImageFamily'] })
    expect(createTagsCalls()).toEqual(
      expect.arrayContaining([
        { Resources: ['ami-1', 'snap-1'], Tags: [...runTagsLess('BuildTime'), { Key: 'ImageFamily', Value: 'acme/web/ami.pkr.hcl/demo' }] },
        { Resources: ['ami-2', 'snap-2'], Tags: [...runTagsLess(), { Key: 'ImageFamily', Value: 'acme/web/ami.pkr.hcl/demo' }] }
      ])
    )
  })

  it("names the snapshots whose snapshot_tags gave one of the action's own keys their AMI did not have", async () => {
    const amis = withImages([{ amiId: 'ami-1', snapshotIds: ['snap-1'], tags: { BuildSet: 'worked-out' } }])
    withSnapshotTags({ 'snap-1': { BuildSet: 'worked-out', ImageFamily: 'worked-out' } })
    const [result] = await tagAmis(keeping({ amis, readSnapshotTags: true, actionOwnKeys: ['ImageFamily', 'BuildSet'] }))
    expect(result.replaced).toEqual({ 'ami-1': ['BuildSet'], 'snap-1': ['ImageFamily'] })
  })

  it("without provenance keys to keep, reads the snapshots' tags only where their snapshot_tags may give one of the action's own keys", async () => {
    const tags = { BuildSet: 'set-1', Team: 'web' }
    const amis = withImages([{ amiId: 'ami-1', snapshotIds: ['snap-1'], tags: {} }])
    withSnapshotTags({ 'snap-1': { BuildSet: 'worked-out' } })
    const given = { amis, tags, templateKeeps: [], readSnapshotTags: true, actionOwnKeys: ['BuildSet'] }
    const [unread] = await tagAmis(options(given))
    expect(describeSnapshotsCalls()).toEqual([])
    expect(unread.replaced).toBeUndefined()
    const [read] = await tagAmis(options({ ...given, snapshotsMayHaveOwnKeys: true }))
    expect(describeSnapshotsCalls()).toEqual([{ SnapshotIds: ['snap-1'] }])
    expect(read.replaced).toEqual({ 'snap-1': ['BuildSet'] })
  })

  it("says so when the snapshots' tags, read only for the action's own keys, cannot be read", async () => {
    const amis = withImages([{ amiId: 'ami-1', snapshotIds: ['snap-1'], tags: {} }])
    ec2Mock.on(DescribeSnapshotsCommand).rejects(notAuthorized)
    const [result] = await tagAmis(
      options({ amis, tags: { BuildSet: 'set-1' }, templateKeeps: [], readSnapshotTags: true, actionOwnKeys: ['BuildFingerprint', 'BuildSet'], snapshotsMayHaveOwnKeys: true })
    )
    expect(result.warnings).toEqual([
      "Reading the tags the template gave snap-1 in us-east-1 (snapshot_tags) failed: they get the action's value of BuildFingerprint, BuildSet, " +
        'and whether the template gave them one is not known. UnauthorizedOperation — the credentials lack ec2:DescribeSnapshots. ' +
        'You are not authorized to perform this operation. (Request ID req-1.)'
    ])
    expect(createTagsCalls()).toEqual([{ Resources: ['ami-1', 'snap-1'], Tags: [{ Key: 'BuildSet', Value: 'set-1' }] }])
    expect(result.error).toBeUndefined()
  })

  it('writes its own value where the template gave a key an empty one', async () => {
    const amis = withImages([{ amiId: 'ami-1', snapshotIds: ['snap-1'], tags: { BuildActor: '', BuildTime: '20261206161539' } }])
    const [result] = await tagAmis(keeping({ amis }))
    expect(createTagsCalls()).toEqual([{ Resources: ['ami-1', 'snap-1'], Tags: runTagsLess('BuildTime') }])
    expect(createTagsCalls()[0].Tags).toContainEqual({ Key: 'BuildActor', Value: 'octocat' })
    expect(result.kept).toEqual({ 'ami-1': ['BuildTime'], 'snap-1': ['BuildTime'] })
  })

  it("lets a tags input entry of a provenance key replace the template's value", async () => {
    const amis = withImages([{ amiId: 'ami-1', snapshotIds: ['snap-1'], tags: { BuildTime: '20261206161539', SourceCommit: 'template-commit' } }])
    const userTags = { BuildTime: 'from-the-workflow' }
    const tags = combineTags(userTags, { SourceCommit: 'c0ffee', BuildTime: '2026-12-06T16:15:39Z' })
    const [result] = await tagAmis(options({ amis, tags, templateKeeps: templateKeeps(userTags, true) }))
    expect(createTagsCalls()).toEqual([{ Resources: ['ami-1', 'snap-1'], Tags: [{ Key: 'BuildTime', Value: 'from-the-workflow' }] }])
    expect(result.kept).toEqual({ 'ami-1': ['SourceCommit'], 'snap-1': ['SourceCommit'] })
  })

  it('groups the AMIs of a region by what they keep: one CreateTags for those that keep the same keys', async () => {
    const amis = withImages([
      { amiId: 'ami-1', snapshotIds: ['snap-1'], tags: { BuildTime: '20261206161539' } },
      { amiId: 'ami-2', snapshotIds: ['snap-2'], tags: { Name: 'plain' } },
      { amiId: 'ami-3', snapshotIds: ['snap-3'], tags: { BuildTime: '20261206161540' } },
      { amiId: 'ami-4', snapshotIds: ['snap-4'], tags: { BuildTime: '20261206161541', SourceCommit: 'template-commit' } }
    ])
    const results = await tagAmis(keeping({ amis }))
    expect(describeCalls()).toHaveLength(1)
    expect(createTagsCalls()).toHaveLength(3)
    expect(createTagsCalls()).toEqual(
      expect.arrayContaining([
        { Resources: ['ami-1', 'ami-3', 'snap-1', 'snap-3'], Tags: runTagsLess('BuildTime') },
        { Resources: ['ami-2', 'snap-2'], Tags: runTagsLess() },
        { Resources: ['ami-4', 'snap-4'], Tags: runTagsLess('SourceCommit', 'BuildTime') }
      ])
    )
    expect(results).toMatchObject([{ tagged: true, kept: { 'ami-1': ['BuildTime'], 'ami-3': ['BuildTime'], 'ami-4': ['SourceCommit', 'BuildTime'] } }])
  })

  it("counts a kept key once toward EC2's 50: an AMI the action's tags fill to 50 is tagged, one more is left out", async () => {
    const teams = (count: number): Record<string, string> => Object.fromEntries(Array.from({ length: count }, (_, i) => [`Team${i}`, 'platform']))
    const amis = withImages([
      // 42 of its own, BuildTime among them, and the action's 4 other keys: 46. Not over.
      { amiId: 'ami-fits', snapshotIds: ['snap-fits'], tags: { ...teams(41), BuildTime: '20261206161539' } },
      // 46 of its own, and the action's 4 other keys: exactly 50.
      { amiId: 'ami-brim', snapshotIds: ['snap-brim'], tags: { ...teams(45), BuildTime: '20261206161539' } },
      // 47 of its own: 51.
      { amiId: 'ami-over', snapshotIds: ['snap-over'], tags: { ...teams(46), BuildTime: '20261206161539' } },
      // Only the kept key: it has 1, and gets 5 more (Team0 too).
      { amiId: 'ami-one', snapshotIds: ['snap-one'], tags: { BuildTime: '20261206161539' } }
    ])
    // Team0 is both the template's and the run's: written, and counted once.
    const tags = { SourceCommit: 'c0ffee', SourceRef: 'refs/heads/main', BuildActor: 'octocat', BuildEvent: 'push', BuildTime: '2026-12-06T16:15:39Z', Team0: 'web' }
    const [result] = await tagAmis(keeping({ amis, tags, templateKeeps: [...provenanceKeys, 'BuildEvent'] }))
    expect(result.amisNotTagged).toEqual(['ami-over'])
    expect(result.error).toBe(
      `Tagging in ${region} left out ami-over and its snapshots: EC2 allows at most 50 tags on an AMI (those of AWS, aws:…, aside), ` +
        'and ami-over has 47 of its own (the template\'s tags) and would get 4 more, 51 in all. Set provenance-tags: false, or give fewer tags.'
    )
    expect(result.tagsInAll).toEqual({ 'ami-fits': 46, 'ami-brim': 50, 'ami-over': 51, 'ami-one': 6 })
    const written = Object.entries(tags).flatMap(([Key, Value]) => (Key === 'BuildTime' ? [] : [{ Key, Value }]))
    expect(createTagsCalls()).toEqual([{ Resources: ['ami-fits', 'ami-brim', 'ami-one', 'snap-fits', 'snap-brim', 'snap-one'], Tags: written }])
  })
})

function snapshotIdsIn(candidate: Image): string[] {
  return (candidate.BlockDeviceMappings ?? []).flatMap((mapping) =>
    mapping.Ebs?.SnapshotId ? [mapping.Ebs.SnapshotId] : []
  )
}
