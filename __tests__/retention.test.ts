// keep-images against the loopback endpoint over real HTTP, for what one demo build cannot
// show: several AMIs of one family built in one run, a family whose name holds EC2's filter
// wildcards, an AMI whose snapshots cannot all be deleted, one whose snapshot another AMI
// shares, and a disabled AMI.
import { afterEach, describe, expect, it } from '@jest/globals'
import {
  CreateSnapshotCommand,
  CreateTagsCommand,
  DescribeInstancesCommand,
  DisableImageCommand,
  EC2Client,
  RegisterImageCommand,
  RunInstancesCommand
} from '@aws-sdk/client-ec2'
import { SELF_ACCOUNT_ID, SOURCE_AMI_ID, startEc2Endpoint, type Ec2Endpoint } from '../test-support/ec2-endpoint/index.js'
import { retainImages, type RetainedImage, type RetentionResult } from '../src/aws/retention.js'
import { tagAmis } from '../src/aws/tagging.js'
import { familyTagging } from '../src/aws/families.js'
import { reportRetention, reportRetentionCutShort } from '../src/report/retention.js'
import type { SummaryModel } from '../src/report/index.js'

const opened: Array<{ endpoint: Ec2Endpoint; ec2: EC2Client }> = []

afterEach(async () => {
  for (const { endpoint, ec2 } of opened.splice(0)) {
    ec2.destroy()
    await endpoint.close()
  }
})

/** AMIs of this account in us-east-1, each with its own snapshot, tagged with their family. */
async function endpointWith(images: Array<{ id: string; created: string; family: string }>): Promise<{ endpoint: Ec2Endpoint; ec2: EC2Client }> {
  const endpoint = await startEc2Endpoint({
    seedImages: [
      { imageId: SOURCE_AMI_ID, name: 'source' },
      ...images.map(({ id, created, family }) => ({
        imageId: id,
        snapshotId: id.replace('ami-', 'snap-'),
        name: `web-${id}`,
        ownerId: SELF_ACCOUNT_ID,
        regions: ['us-east-1'],
        creationDate: created,
        tags: { ImageFamily: family }
      }))
    ]
  })
  const ec2 = new EC2Client({ region: 'us-east-1', endpoint: endpoint.url, credentials: { accessKeyId: 'AKIDLOOPBACK', secretAccessKey: 'x' } })
  opened.push({ endpoint, ec2 })
  return { endpoint, ec2 }
}

const imageIds = (endpoint: Ec2Endpoint) => endpoint.images('us-east-1').map((image) => image.imageId)

describe('keep-images', () => {
  it('keeps every AMI built now, even when one family has more of them than it keeps', async () => {
    const { endpoint, ec2 } = await endpointWith([
      { id: 'ami-0000000000000a001', created: '2025-01-01T00:00:00.000Z', family: 'acme/images' },
      { id: 'ami-0000000000000a00a', created: '2026-12-01T00:00:00.000Z', family: 'acme/images' },
      { id: 'ami-0000000000000a00b', created: '2026-12-01T00:01:00.000Z', family: 'acme/images' }
    ])
    const builtNow = ['ami-0000000000000a00a', 'ami-0000000000000a00b']
    const finished: RetentionResult[] = []
    const [result] = await retainImages({
      families: new Map([['acme/images', new Map([['us-east-1', builtNow]])]]),
      keep: 1,
      dryRun: false,
      ec2For: () => ec2,
      onResult: (final) => finished.push(final)
    })
    expect(result.error).toBeUndefined()
    // Told once, when final: what the stage returns.
    expect(finished).toEqual([result])
    expect(result.images.map(({ amiId, action }) => [amiId, action])).toEqual([
      ['ami-0000000000000a00b', 'kept: newest'],
      ['ami-0000000000000a00a', 'kept: newest'],
      ['ami-0000000000000a001', 'deregistered']
    ])
    expect(imageIds(endpoint)).toEqual(expect.arrayContaining(builtNow))
    expect(endpoint.callsOf('DeregisterImage').map((call) => call.params.ImageId)).toEqual(['ami-0000000000000a001'])
  })

  it('reads a family with * or ? as its own name, never as a pattern', async () => {
    const { endpoint, ec2 } = await endpointWith([
      { id: 'ami-0000000000000b001', created: '2025-01-01T00:00:00.000Z', family: 'team-x/api' },
      { id: 'ami-0000000000000b002', created: '2025-01-02T00:00:00.000Z', family: 'team-*/api' },
      { id: 'ami-0000000000000b003', created: '2025-01-03T00:00:00.000Z', family: 'team-?/api' },
      { id: 'ami-0000000000000b00a', created: '2026-12-01T00:00:00.000Z', family: 'team-?/api' }
    ])
    const [result] = await retainImages({
      families: new Map([['team-?/api', new Map([['us-east-1', ['ami-0000000000000b00a']]])]]),
      keep: 1,
      dryRun: false,
      ec2For: () => ec2
    })
    expect(result.images.map(({ amiId, action }) => [amiId, action])).toEqual([
      ['ami-0000000000000b00a', 'kept: newest'],
      ['ami-0000000000000b003', 'deregistered']
    ])
    expect(imageIds(endpoint)).toEqual(expect.arrayContaining(['ami-0000000000000b001', 'ami-0000000000000b002']))
  })

  it('finds exactly its own AMIs for a family made only of * ? and \\, and none of a family its name would match as a pattern', async () => {
    const { endpoint, ec2 } = await endpointWith([
      { id: 'ami-0000000000000d001', created: '2025-01-01T00:00:00.000Z', family: '*?\\' },
      { id: 'ami-0000000000000d002', created: '2025-01-02T00:00:00.000Z', family: 'ab\\' },
      { id: 'ami-0000000000000d003', created: '2025-01-03T00:00:00.000Z', family: '**\\' },
      { id: 'ami-0000000000000d004', created: '2025-01-01T00:00:00.000Z', family: 'app*' },
      { id: 'ami-0000000000000d005', created: '2025-01-02T00:00:00.000Z', family: 'app-2' },
      { id: 'ami-0000000000000d00a', created: '2026-12-01T00:00:00.000Z', family: '*?\\' },
      { id: 'ami-0000000000000d00b', created: '2026-12-01T00:00:00.000Z', family: 'app*' }
    ])
    const results = await retainImages({
      families: new Map([
        ['*?\\', new Map([['us-east-1', ['ami-0000000000000d00a']]])],
        ['app*', new Map([['us-east-1', ['ami-0000000000000d00b']]])]
      ]),
      keep: 1,
      dryRun: false,
      ec2For: () => ec2
    })
    expect(results.map(({ family, images }) => [family, images.map(({ amiId, action }) => [amiId, action])])).toEqual([
      ['*?\\', [['ami-0000000000000d00a', 'kept: newest'], ['ami-0000000000000d001', 'deregistered']]],
      ['app*', [['ami-0000000000000d00b', 'kept: newest'], ['ami-0000000000000d004', 'deregistered']]]
    ])
    // EC2 was asked for each family's own AMIs, not for a pattern that its neighbours match.
    const asked = endpoint.callsOf('DescribeImages').map((call) => call.params['Filter.1.Value.1'])
    expect(asked).toEqual(expect.arrayContaining(['\\*\\?\\\\', 'app\\*']))
    const ids = imageIds(endpoint)
    expect(ids).toEqual(expect.arrayContaining(['ami-0000000000000d002', 'ami-0000000000000d003', 'ami-0000000000000d005']))
    expect(ids).not.toContain('ami-0000000000000d001')
    expect(ids).not.toContain('ami-0000000000000d004')
  })

  it('tags a default family cut to 256 characters inside emoji whole, and finds its AMIs by it', async () => {
    // The repository and template path fill 254 characters: the build's emoji stand across the 256th.
    const familyPrefix = `acme/${'🐧'.repeat(249)}`
    const [old, built] = ['ami-0000000000000e001', 'ami-0000000000000e00a']
    const { endpoint, ec2 } = await endpointWith([
      { id: old, created: '2025-01-01T00:00:00.000Z', family: 'not yet' },
      { id: built, created: '2026-12-01T00:00:00.000Z', family: 'not yet' }
    ])
    const amis = [old, built].map((amiId) => ({ region: 'us-east-1', amiId, build: '🚀🚀🚀', builderType: 'amazon-ebs' }))
    const { sharedTags } = familyTagging(amis, { familyPrefix })
    const family = `${familyPrefix}/🚀`
    expect(sharedTags).toEqual({ ImageFamily: family })
    const [tagged] = await tagAmis({ amis, tags: sharedTags, tagSnapshots: false, ec2For: () => ec2, sleep: async () => undefined })
    expect(tagged.error).toBeUndefined()
    expect(endpoint.tagsOf('us-east-1', built)).toEqual({ ImageFamily: family })

    const [result] = await retainImages({
      families: new Map([[family, new Map([['us-east-1', [built]]])]]),
      keep: 1,
      dryRun: true,
      ec2For: () => ec2
    })
    expect(result.images.map(({ amiId, action }) => [amiId, action])).toEqual([
      [built, 'kept: newest'],
      [old, 'would deregister']
    ])
  })

  it("tries each snapshot of a retired AMI, and names the ones that could not be deleted", async () => {
    const { endpoint, ec2 } = await endpointWith([{ id: 'ami-0000000000000c00a', created: '2026-12-01T00:00:00.000Z', family: 'acme/images' }])
    const run = await ec2.send(new RunInstancesCommand({ ImageId: SOURCE_AMI_ID, InstanceType: 't3.micro', MinCount: 1, MaxCount: 1 }))
    const instanceId = run.Instances?.[0]?.InstanceId as string
    for (let i = 0; i < 2; i++) await ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }))
    const [volume] = endpoint.instances('us-east-1').find((one) => one.instanceId === instanceId)?.volumeIds ?? []
    const snapshots: string[] = []
    for (let i = 0; i < 2; i++) snapshots.push((await ec2.send(new CreateSnapshotCommand({ VolumeId: volume }))).SnapshotId as string)
    const { ImageId: old } = await ec2.send(
      new RegisterImageCommand({
        Name: 'web-old',
        RootDeviceName: '/dev/xvda',
        BlockDeviceMappings: [
          { DeviceName: '/dev/xvda', Ebs: { SnapshotId: snapshots[0] } },
          { DeviceName: '/dev/xvdb', Ebs: { SnapshotId: snapshots[1] } }
        ]
      })
    )
    await ec2.send(new CreateTagsCommand({ Resources: [old as string], Tags: [{ Key: 'ImageFamily', Value: 'acme/images' }] }))
    endpoint.faults.fail('DeleteSnapshot', { code: 'UnauthorizedOperation', firstCalls: 1 })

    const [result] = await retainImages({
      families: new Map([['acme/images', new Map([['us-east-1', ['ami-0000000000000c00a']]])]]),
      keep: 1,
      dryRun: false,
      ec2For: () => ec2
    })
    const retired = result.images.find((image) => image.amiId === old)
    expect(retired?.action).toBe('deregistered')
    expect(retired?.error).toMatch(new RegExp(`^Deleting the snapshots of ${old} \\(deregistered\\) failed: ${snapshots[0]}: `))
    expect(endpoint.callsOf('DeleteSnapshot').map((call) => call.params.SnapshotId)).toEqual(snapshots)
    const left = endpoint.snapshots('us-east-1').map((snapshot) => snapshot.snapshotId)
    expect(left).toContain(snapshots[0])
    expect(left).not.toContain(snapshots[1])
  })

  it('leaves a snapshot another AMI still uses, names that AMI, and fails nothing', async () => {
    const { endpoint, ec2 } = await endpointWith([
      { id: 'ami-0000000000000d001', created: '2025-01-01T00:00:00.000Z', family: 'acme/images' },
      { id: 'ami-0000000000000d00a', created: '2026-12-01T00:00:00.000Z', family: 'acme/images' }
    ])
    // An AMI of another family registered from the old AMI's snapshot, as RegisterImage allows.
    const { ImageId: sharer } = await ec2.send(
      new RegisterImageCommand({
        Name: 'web-sharer',
        RootDeviceName: '/dev/xvda',
        BlockDeviceMappings: [{ DeviceName: '/dev/xvda', Ebs: { SnapshotId: 'snap-0000000000000d001' } }]
      })
    )
    const [result] = await retainImages({
      families: new Map([['acme/images', new Map([['us-east-1', ['ami-0000000000000d00a']]])]]),
      keep: 1,
      dryRun: false,
      ec2For: () => ec2
    })
    const retired = result.images.find((image) => image.amiId === 'ami-0000000000000d001')
    expect(retired?.action).toBe('deregistered')
    expect(retired?.error).toBeUndefined()
    expect(retired?.snapshotsLeft).toEqual([{ snapshotId: 'snap-0000000000000d001', usedBy: sharer }])
    expect(endpoint.callsOf('DeleteSnapshot').map((call) => [call.params.SnapshotId, call.error])).toEqual([
      ['snap-0000000000000d001', 'InvalidSnapshot.InUse']
    ])
    expect(endpoint.snapshots('us-east-1').map((snapshot) => snapshot.snapshotId)).toContain('snap-0000000000000d001')
  })

  it('sees a disabled AMI of the family, which still costs its snapshots, and retires it', async () => {
    const { endpoint, ec2 } = await endpointWith([
      { id: 'ami-0000000000000e001', created: '2025-01-01T00:00:00.000Z', family: 'acme/images' },
      { id: 'ami-0000000000000e002', created: '2025-02-01T00:00:00.000Z', family: 'acme/images' },
      { id: 'ami-0000000000000e00a', created: '2026-12-01T00:00:00.000Z', family: 'acme/images' }
    ])
    await ec2.send(new DisableImageCommand({ ImageId: 'ami-0000000000000e001' }))
    const [result] = await retainImages({
      families: new Map([['acme/images', new Map([['us-east-1', ['ami-0000000000000e00a']]])]]),
      keep: 1,
      dryRun: false,
      ec2For: () => ec2
    })
    expect(result.images.map(({ amiId, action, error }) => [amiId, action, error])).toEqual([
      ['ami-0000000000000e00a', 'kept: newest', undefined],
      ['ami-0000000000000e002', 'deregistered', undefined],
      ['ami-0000000000000e001', 'deregistered', undefined]
    ])
    expect(endpoint.callsOf('DescribeImages').map((call) => call.params.IncludeDisabled)).toEqual(['true'])
    expect(imageIds(endpoint)).not.toContain('ami-0000000000000e001')
    expect(endpoint.snapshots('us-east-1').map((snapshot) => snapshot.snapshotId)).not.toContain('snap-0000000000000e001')
  })

  it('tells each step of a retirement as it goes: a cancel while a snapshot is deleted names the AMI gone and the snapshots left', async () => {
    const { endpoint, ec2 } = await endpointWith([
      { id: 'ami-0000000000000f001', created: '2025-01-01T00:00:00.000Z', family: 'acme/images' },
      { id: 'ami-0000000000000f00a', created: '2026-12-01T00:00:00.000Z', family: 'acme/images' }
    ])
    endpoint.faults.hang('DeleteSnapshot')
    const told: RetentionResult[] = []
    const finished: RetentionResult[] = []
    const planned = [{ region: 'us-east-1', family: 'acme/images' }]
    // Never settles: the endpoint holds DeleteSnapshot until it closes.
    retainImages({
      families: new Map([['acme/images', new Map([['us-east-1', ['ami-0000000000000f00a']]])]]),
      keep: 1,
      dryRun: false,
      ec2For: () => ec2,
      onProgress: (result) => told.push(result),
      onResult: (result) => finished.push(result)
    }).catch(() => undefined)
    while (!endpoint.callsOf('DeleteSnapshot').some((call) => call.error === 'NoAnswer')) await new Promise((resolve) => setTimeout(resolve, 10))
    expect(imageIds(endpoint)).not.toContain('ami-0000000000000f001')
    // Sorted out, then the AMI's DeregisterImage sent and answered, then its snapshot's DeleteSnapshot sent.
    expect(told.map((result) => result.images.map(({ action, underWay }) => `${action}${underWay ? ` (${underWay})` : ''}`)[1])).toEqual([
      'would deregister',
      'would deregister (ec2:DeregisterImage)',
      'deregistered',
      'deregistered (ec2:DeleteSnapshot)'
    ])
    const summary: SummaryModel = { outcome: 'cancelled', template: 't.json', amis: [], problems: [], annotations: [], provenance: {} as SummaryModel['provenance'] }
    // Under way, not final: the log has not said it yet, and the cut-short report says it.
    expect(finished).toEqual([])
    const said = reportRetentionCutShort(planned, [told.at(-1) as RetentionResult], finished, { keep: 1, dryRun: false }, 'cancelled', summary)
    expect(said).toBe('deregistered ami-0000000000000f001 (us-east-1); snapshots of ami-0000000000000f001 (us-east-1) may be left')
    expect(summary.sections?.[0]).toContain(
      '| us-east-1 | `ami-0000000000000f001` | 2025-01-01T00:00:00.000Z | deregistered; snapshots deleted: none; ' +
        'cancelled before AWS answered: snap-0000000000000f001 may be left, and no later run finds them |'
    )
    // One family: named once above the table, not on each row.
    expect(summary.sections?.[0]).toEqual(expect.arrayContaining(['Image family: acme/images', '| Region | AMI | Created | Outcome |']))
  })
})

describe("the summary's retention table", () => {
  const kept = (amiId: string): RetainedImage => ({ amiId, created: '2025-01-01T00:00:00.000Z', action: 'kept: newest', snapshotIds: [] })
  /** The section reportRetention adds for `results`, of AMIs each kept as its family's newest. */
  const sectionOf = (...results: Array<[region: string, family: string, amiId: string]>): string[] | undefined => {
    const summary: SummaryModel = { outcome: 'built', template: 't.json', amis: [], problems: [], annotations: [], provenance: {} as SummaryModel['provenance'] }
    reportRetention(results.map(([region, family, amiId]) => ({ region, family, images: [kept(amiId)] })), { keep: 1, dryRun: false }, summary)
    return summary.sections?.[0]
  }

  it('names the family once, heading and all, when every row has the same, and gives each row its family when they differ', () => {
    expect(sectionOf(['us-east-1', 'acme/web', 'ami-0000000000000e001'], ['eu-west-1', 'acme/web', 'ami-0000000000000e002'])).toEqual([
      '### Retention: the newest AMI of the image family is kept',
      '',
      'Image family: acme/web',
      '',
      '| Region | AMI | Created | Outcome |',
      '| --- | --- | --- | --- |',
      '| us-east-1 | `ami-0000000000000e001` | 2025-01-01T00:00:00.000Z | kept: newest |',
      '| eu-west-1 | `ami-0000000000000e002` | 2025-01-01T00:00:00.000Z | kept: newest |'
    ])
    expect(sectionOf(['us-east-1', 'acme/web', 'ami-0000000000000e001'], ['us-east-1', 'acme/db', 'ami-0000000000000e003'])).toEqual([
      '### Retention: the newest AMI of each image family is kept',
      '',
      '| Region | Family | AMI | Created | Outcome |',
      '| --- | --- | --- | --- | --- |',
      '| us-east-1 | acme/web | `ami-0000000000000e001` | 2025-01-01T00:00:00.000Z | kept: newest |',
      '| us-east-1 | acme/db | `ami-0000000000000e003` | 2025-01-01T00:00:00.000Z | kept: newest |'
    ])
  })
})
