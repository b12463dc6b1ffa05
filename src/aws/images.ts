// What an AMI's description from DescribeImages tells of it.
import type { Image } from '@aws-sdk/client-ec2'

/** The EBS snapshots behind an AMI, in the order of its block devices. */
export function snapshotIdsOf(image: Image): string[] {
  return (image.BlockDeviceMappings ?? []).flatMap((mapping) => (mapping.Ebs?.SnapshotId ? [mapping.Ebs.SnapshotId] : []))
}
