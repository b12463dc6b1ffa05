// The partition of a region, as the AWS SDK's endpoint rules tell it (us-gov-west-1 is in
// aws-us-gov, cn-north-1 in aws-cn, us-iso-east-1 in aws-iso): the second part of every ARN
// the endpoint answers, and the domain of the region's endpoints. A region the rules do not
// know is in aws, as the SDK takes it.
import { partition } from '@aws-sdk/core/client'

/** `aws`, `aws-us-gov`, `aws-cn`, `aws-iso`…: the partition in the ARNs of `region`'s resources. */
export function partitionOf(region: string): string {
  return partition(region).name
}

/** The domain of `region`'s endpoints: amazonaws.com, amazonaws.com.cn, c2s.ic.gov… */
export function dnsSuffixOf(region: string): string {
  return partition(region).dnsSuffix
}
