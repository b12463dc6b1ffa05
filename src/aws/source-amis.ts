// Which AMI a build's source_ami_filter picks now, asked of EC2 as Packer's amazon plugin asks it
// as it builds (AmiFilterOptions.GetFilteredImage): one DescribeImages in the build's region with
// each filter's one value, the owners, IncludeDeprecated and a source_ami written beside the
// filter; the newest by CreationDate with most_recent, and an error where several match without it.
import type { Image } from '@aws-sdk/client-ec2'
import type { SourceAmiFilter } from '../inputs/ami-builds.js'
import { ec2Client } from './client.js'
import { describeAwsFailure } from './failures.js'
import { describeAllImages } from './images.js'
import { parameterValue } from './ssm.js'

/** The AMI ID the filter picks in `region`, or why the action cannot tell (as Packer would fail, or EC2 refused the call). */
export async function currentSourceAmi(region: string, filter: SourceAmiFilter): Promise<{ amiId: string } | { problem: string }> {
  let images: Image[]
  try {
    images = await describeAllImages(ec2Client(region, 3), {
      ...(filter.imageId === undefined ? {} : { ImageIds: [filter.imageId] }),
      ...(Object.keys(filter.filters).length === 0 ? {} : { Filters: Object.entries(filter.filters).map(([Name, value]) => ({ Name, Values: [value] })) }),
      ...(filter.owners.length === 0 ? {} : { Owners: filter.owners }),
      IncludeDeprecated: filter.includeDeprecated
    })
  } catch (error) {
    return { problem: `DescribeImages in ${region} failed: ${describeAwsFailure(error, 'ec2:DescribeImages')}` }
  }
  if (images.length === 0) return { problem: `no AMI in ${region} matches it now` }
  if (images.length > 1 && !filter.mostRecent) return { problem: `${images.length} AMIs in ${region} match it, and most_recent is not true` }
  const picked = filter.mostRecent ? newest(images) : images[0]
  return picked.ImageId ? { amiId: picked.ImageId } : { problem: `EC2 gave the AMI it matches in ${region} no ID` }
}

/** The image created last, as Packer's mostRecentAmi sorts them (CreationDate, in whole seconds): the last of those created in the same second. */
function newest(images: Image[]): Image {
  const seconds = (image: Image): number => Math.floor(Date.parse(image.CreationDate ?? '') / 1000) || 0
  return images.reduce((latest, image) => (seconds(image) >= seconds(latest) ? image : latest))
}

/**
 * The AMI ID an SSM parameter holds in `region` now, read as Packer's amazon-parameterstore data
 * source reads it (one GetParameter); or why the action cannot tell. A value that is no AMI ID (a
 * SecureString, which Packer may decrypt) is neither logged nor used.
 */
export async function currentParameterAmi(region: string, name: string): Promise<{ amiId: string } | { problem: string }> {
  let value: string | undefined
  try {
    value = await parameterValue(name, region)
  } catch (error) {
    return { problem: `GetParameter in ${region} failed: ${describeAwsFailure(error, 'ssm:GetParameter')}` }
  }
  if (value === undefined) return { problem: `parameter ${name} is not in ${region}` }
  return /^ami-[0-9a-f]{8,17}$/.test(value) ? { amiId: value } : { problem: `parameter ${name} in ${region} holds no AMI ID` }
}
