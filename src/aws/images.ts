// What an AMI's description from DescribeImages tells of it.
import { paginateDescribeImages, type DescribeImagesCommandInput, type EC2Client, type Image } from '@aws-sdk/client-ec2'

/** Every AMI a DescribeImages of `input` gives, page after page. */
export async function describeAllImages(ec2: EC2Client, input: DescribeImagesCommandInput): Promise<Image[]> {
  const images: Image[] = []
  for await (const page of paginateDescribeImages({ client: ec2 }, input)) images.push(...(page.Images ?? []))
  return images
}

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

/**
 * The AMIs of `amiIds` that an answer of DescribeImages naming them shows gone: EC2 shows a
 * recently deregistered AMI `deregistered`, then leaves it out of the answer ("Recently
 * deregistered images appear in the returned results for a short interval and then return empty
 * results", DescribeImages in the EC2 API reference). An AMI EC2 does not know yet (a fresh copy)
 * fails the call with InvalidAMIID.NotFound instead.
 */
export function goneFrom(amiIds: string[], images: Image[]): string[] {
  const byId = new Map(images.map((image) => [image.ImageId, image]))
  return amiIds.filter((amiId) => byId.get(amiId) === undefined || byId.get(amiId)?.State === 'deregistered')
}

/**
 * The AMIs of `amiIds` that an answer of DescribeImages naming them, with `IncludeDisabled`, shows
 * disabled (DisableImage): still there, but no instance can be launched from them.
 */
export function disabledAmong(amiIds: string[], images: Image[]): string[] {
  const disabled = new Set(images.flatMap((image) => (image.State === 'disabled' && image.ImageId ? [image.ImageId] : [])))
  return amiIds.filter((amiId) => disabled.has(amiId))
}
