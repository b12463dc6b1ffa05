// Where the AMIs of builds that finished before a cancelled or killed Packer are: Packer's log
// names such an AMI (`AMI: ami-…`) but not its region, and the regions it copied it to
// (`Copying to: …`) but not the copies; a cancelled Packer announces no artifact, so without a
// manifest nothing else says where they are.
//
// Where the log wrote a build's scripts' lines as its builder's (Packer 1.13 and later), its
// `AMI:` line may be a script's, naming another's AMI (a build that makes none, with
// skip_create_ami or amazon-ebsvolume): such an AMI counts only where EC2 says it was made from
// the build's own instance (SourceInstanceId), or, made from none, registered since Packer
// started; so do its copies only if made since then. The same DescribeImages call tells.
import { DescribeImagesCommand, type Image } from '@aws-sdk/client-ec2'
import type { FinishedImage } from '../packer/machine-readable.js'
import { ec2Client } from './client.js'
import { describeAwsFailure } from './failures.js'
import { madeSincePackerStarted } from './leftovers.js'

/** How long the look-up may take: a cancelled step has seconds left before the runner kills it. */
export const findRegionsDeadlineMs = 5_000

export interface FoundRegions {
  /** The region of each AMI found, by AMI ID. */
  regionOf: Map<string, string>
  /**
   * The AMIs found that EC2 ties to nothing of their build's (`instances`): a script printed
   * another's. Region by AMI ID; neither they nor their copies are the build's.
   */
  notTheBuilds?: Map<string, string>
  /** Why a region could not be asked. */
  problems: string[]
}

/**
 * Whether EC2 shows `image` as made by a build that announced `instances`: from one of them, or,
 * made from no instance, registered since Packer started.
 */
function madeByTheBuild(image: Image, instances: string[], packerStarted: string | undefined): boolean {
  if (image.SourceInstanceId !== undefined) return instances.includes(image.SourceInstanceId)
  return madeSincePackerStarted(madeAt(image), packerStarted)
}

function madeAt(image: Image): Date | undefined {
  const made = Date.parse(image.CreationDate ?? '')
  return Number.isNaN(made) ? undefined : new Date(made)
}

/**
 * Looks for the AMIs of `finished` in each of `regions` at once; those in none of them are left
 * out, and those EC2 ties to nothing of their build's set apart (notTheBuilds).
 */
export async function findImageRegions(
  finished: FinishedImage[],
  regions: string[],
  deadlineMs = findRegionsDeadlineMs,
  packerStarted?: string
): Promise<FoundRegions> {
  const found: FoundRegions = { regionOf: new Map(), problems: [] }
  const amiIds = finished.map(({ ami }) => ami)
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
        for (const image of images) {
          if (!image.ImageId) continue
          const instances = finished.find(({ ami }) => ami === image.ImageId)?.instances
          if (instances === undefined || madeByTheBuild(image, instances, packerStarted)) found.regionOf.set(image.ImageId, region)
          else (found.notTheBuilds ??= new Map()).set(image.ImageId, region)
        }
      } catch (error) {
        found.problems.push(`${region}: ${describeAwsFailure(error, 'ec2:DescribeImages')}`)
      } finally {
        ec2.destroy()
      }
    })
  )
  return found
}

/** The copies of one AMI to look for, in the regions Packer's log says it copied it to. */
export interface CopySearch {
  ami: string
  regions: string[]
  /** Only copies made since Packer started count: the log may have named another's AMI. */
  sinceStarted?: boolean
}

/** What to look for of the copies of `finished`: those of the builds that copied their AMI. */
export function copySearches(finished: FinishedImage[]): CopySearch[] {
  return finished.flatMap(({ ami, copyRegions = [], instances }) =>
    copyRegions.length > 0 ? [{ ami, regions: copyRegions, ...(instances === undefined ? {} : { sinceStarted: true }) }] : []
  )
}

export interface FoundCopies {
  /** Each copy found, with the AMI it was copied from and, when EC2 says, that AMI's region. */
  copies: Array<{ source: string; region: string; amiId: string; sourceRegion?: string }>
  /** Why a region could not be asked. */
  problems: Array<{ region: string; problem: string }>
}

/**
 * Looks for the account's own copies of each AMI in the regions it was copied to, every region
 * at once, within the same bound as findImageRegions (they run side by side).
 */
export async function findCopies(searches: CopySearch[], deadlineMs = findRegionsDeadlineMs, packerStarted?: string): Promise<FoundCopies> {
  const found: FoundCopies = { copies: [], problems: [] }
  const abortSignal = AbortSignal.timeout(deadlineMs)
  const regions = [...new Set(searches.flatMap((search) => search.regions))]
  await Promise.all(
    regions.map(async (region) => {
      const sources = searches.filter((search) => search.regions.includes(region)).map((search) => search.ami)
      const ec2 = ec2Client(region, 3)
      try {
        // AMI IDs are unique across regions: the source's ID alone tells its copies.
        const { Images: images = [] } = await ec2.send(
          new DescribeImagesCommand({ Owners: ['self'], Filters: [{ Name: 'source-image-id', Values: sources }] }),
          { abortSignal }
        )
        for (const image of images) {
          const search = searches.find((one) => one.ami === image.SourceImageId)
          if (search?.sinceStarted === true && !madeSincePackerStarted(madeAt(image), packerStarted)) continue
          if (image.ImageId && image.SourceImageId && sources.includes(image.SourceImageId)) {
            const sourceRegion = image.SourceImageRegion ? { sourceRegion: image.SourceImageRegion } : {}
            found.copies.push({ source: image.SourceImageId, region, amiId: image.ImageId, ...sourceRegion })
          }
        }
      } catch (error) {
        found.problems.push({ region, problem: describeAwsFailure(error, 'ec2:DescribeImages') })
      } finally {
        ec2.destroy()
      }
    })
  )
  return found
}

/** Where the AMIs of finished builds are: each one's own region, and its copies. */
export interface FoundImages {
  regions: FoundRegions
  copies: FoundCopies
}

/**
 * Looks for each of `finished` in `regions`, and for its copies where its build copied it, all
 * at once, within `deadlineMs`: the main step after a cancel, the post step after it was killed.
 */
export async function findFinishedImages(
  finished: FinishedImage[],
  regions: string[],
  deadlineMs = findRegionsDeadlineMs,
  packerStarted?: string
): Promise<FoundImages> {
  const searches = copySearches(finished)
  const [found, copies] = await Promise.all([
    regions.length > 0 && finished.length > 0 ? findImageRegions(finished, regions, deadlineMs, packerStarted) : { regionOf: new Map<string, string>(), problems: [] },
    searches.length > 0 ? findCopies(searches, deadlineMs, packerStarted) : { copies: [], problems: [] }
  ])
  return { regions: found, copies }
}
