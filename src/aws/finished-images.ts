// Where the AMIs of builds that finished before a cancelled or killed Packer are: Packer's log
// names such an AMI (`AMI: ami-…`) but not its region, and a cancelled Packer announces no
// artifact, so without a manifest nothing else says where it is.
import { DescribeImagesCommand } from '@aws-sdk/client-ec2'
import { ec2Client } from './client.js'
import { describeAwsFailure } from './failures.js'

/** How long the look-up may take: a cancelled step has seconds left before the runner kills it. */
export const findRegionsDeadlineMs = 5_000

export interface FoundRegions {
  /** The region of each AMI found, by AMI ID. */
  regionOf: Map<string, string>
  /** Why a region could not be asked. */
  problems: string[]
}

/** Looks for `amiIds` in each of `regions` at once; those in none of them are left out. */
export async function findImageRegions(amiIds: string[], regions: string[], deadlineMs = findRegionsDeadlineMs): Promise<FoundRegions> {
  const found: FoundRegions = { regionOf: new Map(), problems: [] }
  const abortSignal = AbortSignal.timeout(deadlineMs)
  await Promise.all(
    regions.map(async (region) => {
      const ec2 = ec2Client(region, 3)
      try {
        // A filter, not ImageIds: EC2 fails an ImageIds call whole when one AMI is not in the region.
        const { Images: images = [] } = await ec2.send(
          new DescribeImagesCommand({ Filters: [{ Name: 'image-id', Values: amiIds }] }),
          { abortSignal }
        )
        for (const image of images) if (image.ImageId) found.regionOf.set(image.ImageId, region)
      } catch (error) {
        found.problems.push(`${region}: ${describeAwsFailure(error, 'ec2:DescribeImages')}`)
      } finally {
        ec2.destroy()
      }
    })
  )
  return found
}
