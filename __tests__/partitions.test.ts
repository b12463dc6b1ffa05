// The partition of a region as the AWS SDK's rules tell it, where they tell it for sure: what the
// check of a template's copies across partitions goes by (crossPartitionProblems).
import { describe, expect, it } from '@jest/globals'
import { partitionOf } from '../src/aws/partitions.js'

describe('partitionOf', () => {
  it('names the partition of each region the SDK lists', () => {
    expect(['us-east-1', 'eu-west-1', 'cn-north-1', 'us-gov-west-1', 'us-iso-east-1', 'us-isob-east-1', 'eu-isoe-west-1', 'eusc-de-east-1'].map(partitionOf)).toEqual([
      'aws',
      'aws',
      'aws-cn',
      'aws-us-gov',
      'aws-iso',
      'aws-iso-b',
      'aws-iso-e',
      'aws-eusc'
    ])
  })

  it('names a partition other than aws by its pattern, for a region newer than the SDK', () => {
    expect(partitionOf('cn-south-9')).toBe('aws-cn')
    expect(partitionOf('us-gov-north-9')).toBe('aws-us-gov')
  })

  it('tells none for a name the SDK does not list that would only fall to aws: a newer aws region, a misspelt one', () => {
    expect(partitionOf('us-west-9')).toBeUndefined()
    expect(partitionOf('cn-north1')).toBeUndefined()
    expect(partitionOf(' eu-west-1')).toBeUndefined()
  })
})
