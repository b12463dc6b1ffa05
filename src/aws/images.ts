// What an AMI's description from DescribeImages tells of it.
import type { Image } from '@aws-sdk/client-ec2'

/** The EBS snapshots behind an AMI, in the order of its block devices. */
export function snapshotIdsOf(image: Image): string[] {
  return (image.BlockDeviceMappings ?? []).flatMap((mapping) => (mapping.Ebs?.SnapshotId ? [mapping.Ebs.SnapshotId] : []))
}

/**
 * A filter value that matches `value` only: EC2 reads `*` and `?` in filter values as wildcards,
 * and a backslash before one of them, or before another backslash, as the character itself.
 */
export function exactFilterValue(value: string): string {
  return value.replace(/[*?\\]/g, '\\$&')
}
