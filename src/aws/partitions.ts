// The partition of a region (aws, aws-cn, aws-us-gov, aws-iso…), as the AWS SDK's endpoint rules
// tell it: an AMI is never copied out of its partition. A stage of its own, loaded only by a run
// whose template copies its AMIs, as the rules' data comes with the SDK.
import { partition } from '@aws-sdk/core/client'

/**
 * The partition of `region`, where the SDK's rules know it for sure: a region they list, or one
 * that the pattern of a partition's names other than aws matches (a newer cn-… region). Undefined
 * for a name they do not list that would only fall to aws, their default: a newer aws region, or
 * a misspelt one.
 */
export function partitionOf(region: string): string | undefined {
  const found = partition(region) as { name: string; description?: string }
  return found.description !== undefined || found.name !== 'aws' ? found.name : undefined
}
