// The partition of a region by its name, as the AWS SDK's endpoint rules tell it: what the check of
// a template's copies across partitions (crossPartitionProblems) and the summary's console links go by.
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { describe, expect, it } from '@jest/globals'
import { partitionOf, partitionPatterns } from '../src/common/partitions.js'

interface SdkPartition {
  id: string
  regionRegex: string
  regions: Record<string, unknown>
}

async function sdkPartitions(): Promise<SdkPartition[]> {
  const core = dirname(createRequire(import.meta.url).resolve('@aws-sdk/core/package.json'))
  const { partitionsInfo } = (await import(join(core, 'dist-es/submodules/client/util-endpoints/lib/aws/partitions.js'))) as {
    partitionsInfo: { partitions: SdkPartition[] }
  }
  return partitionsInfo.partitions
}

describe('partitionOf', () => {
  it("has the SDK's partitions, each with the pattern of its regions' names", async () => {
    const sdk = await sdkPartitions()
    expect(partitionPatterns.map(({ name, regions }) => ({ name, pattern: regions.source }))).toEqual(
      sdk.map(({ id, regionRegex }) => ({ name: id, pattern: regionRegex.replace(/\\-/g, '-') }))
    )
  })

  it('names the partition of each region the SDK lists', async () => {
    const listed = (await sdkPartitions()).flatMap(({ id, regions }) =>
      Object.keys(regions)
        .filter((region) => !region.endsWith('-global'))
        .map((region) => ({ region, partition: id }))
    )
    expect(listed.length).toBeGreaterThan(40)
    for (const { region, partition } of listed) expect({ region, partition: partitionOf(region) }).toEqual({ region, partition })
  })

  it('names the partition of a region newer than the SDK by its pattern', () => {
    expect(partitionOf('cn-south-9')).toBe('aws-cn')
    expect(partitionOf('us-gov-north-9')).toBe('aws-us-gov')
    expect(partitionOf('us-west-9')).toBe('aws')
  })

  it('tells none for a name of no partition, which the SDK would take for aws', () => {
    expect(partitionOf('cn-north1')).toBeUndefined()
    expect(partitionOf(' eu-west-1')).toBeUndefined()
    expect(partitionOf('xx-nowhere-1')).toBeUndefined()
  })
})
