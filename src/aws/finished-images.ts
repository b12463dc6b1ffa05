// Where the AMIs of builds that finished before a cancelled or killed Packer are: Packer's log
// names such an AMI (`AMI: ami-…`) but not its region, and the regions it copied it to
// (`Copying to: …`) but not the copies; a cancelled Packer announces no artifact, so without a
// manifest nothing else says where they are.
//
// Where the log wrote a build's scripts' lines as its builder's (Packer 1.13 and later), its
// `AMI:` line may be a script's, naming another's AMI (a build that makes none, with
// skip_create_ami or amazon-ebsvolume): such an AMI counts only where EC2 ties it to the build's
// own instance. Made by CreateImage, EC2 names the instance (SourceInstanceId), in the same
// DescribeImages call. Registered from snapshots (amazon-ebssurrogate), each of its snapshots
// must be of a volume EC2 shows attached to the build's instance, or made by CreateImage from
// it (its description, `Created by CreateImage(i-…) for ami-…`): DescribeSnapshots and
// DescribeVolumes, side by side, in a region where such an AMI is found. A copy counts only
// where the AMI it was copied from is the build's: EC2 shows nothing of one that is gone.
import { DescribeImagesCommand, DescribeSnapshotsCommand, DescribeVolumesCommand, type EC2Client, type Image } from '@aws-sdk/client-ec2'
import type { FinishedImage } from '../packer/machine-readable.js'
import { ec2Client } from './client.js'
import { describeAwsFailure } from './failures.js'
import { snapshotIdsOf } from './images.js'
import { errorMessage } from '../common/errors.js'
import { madeSincePackerStarted } from './leftovers.js'

/** How long the look-up may take: a cancelled step has seconds left before the runner kills it. */
export const findRegionsDeadlineMs = 5_000

/** An AMI Packer's log named, or a copy of it, that EC2 does not tie to the build: where it is, and why not. */
export interface NotTheBuilds {
  region: string
  /** In a user's words: what EC2 shows it was made from. */
  why: string
}

export interface FoundRegions {
  /** The region of each AMI found, by AMI ID. */
  regionOf: Map<string, string>
  /**
   * The AMIs found that EC2 ties to nothing of their build's (`instances`): a script printed
   * another's. By AMI ID; neither they nor their copies are the build's.
   */
  notTheBuilds?: Map<string, NotTheBuilds>
  /** Why a region could not be asked. */
  problems: string[]
}

/**
 * Whether EC2 shows `image` as made by a build that announced `instances`: true, or why not, or
 * `snapshots` when only its snapshots can tell (registered from them since Packer started).
 */
function madeByTheBuild(image: Image, instances: string[], packerStarted: string | undefined): true | string | 'snapshots' {
  if (image.SourceInstanceId !== undefined) {
    return instances.includes(image.SourceInstanceId) ? true : `made from ${image.SourceInstanceId}, not from the build's instance`
  }
  if (image.SourceImageId !== undefined) return `a copy of ${image.SourceImageId}, where the build's AMI is made from its instance`
  if (!madeSincePackerStarted(madeAt(image), packerStarted)) return 'registered before Packer started'
  if (snapshotIdsOf(image).length === 0) return "registered from no snapshot of the build's instance"
  return 'snapshots'
}

function madeAt(image: Image): Date | undefined {
  const made = Date.parse(image.CreationDate ?? '')
  return Number.isNaN(made) ? undefined : new Date(made)
}

/** An AMI registered from snapshots since Packer started, and the instances its build announced. */
interface Registered {
  image: Image
  instances: string[]
}

/** `call`'s answer, or an error that says, in a user's words, what the credentials lack. */
function asked<T>(call: Promise<T>, permission: string): Promise<T> {
  return call.catch((error: unknown) => {
    throw new Error(describeAwsFailure(error, permission))
  })
}

/**
 * Whether each of `registered` was registered from its build's instance: every snapshot of a
 * volume EC2 shows attached to one of its instances, or made by CreateImage from one of them.
 * True, or why not; by AMI ID. One DescribeSnapshots and one DescribeVolumes call, side by side.
 */
async function tiedBySnapshots(ec2: EC2Client, registered: Registered[], abortSignal: AbortSignal): Promise<Map<string, true | string>> {
  const snapshotIds = [...new Set(registered.flatMap(({ image }) => snapshotIdsOf(image)))]
  const instances = [...new Set(registered.flatMap((one) => one.instances))]
  const [snapshots, volumes] = await Promise.all([
    asked(ec2.send(new DescribeSnapshotsCommand({ OwnerIds: ['self'], Filters: [{ Name: 'snapshot-id', Values: snapshotIds }] }), { abortSignal }), 'ec2:DescribeSnapshots'),
    instances.length > 0
      ? asked(ec2.send(new DescribeVolumesCommand({ Filters: [{ Name: 'attachment.instance-id', Values: instances }] }), { abortSignal }), 'ec2:DescribeVolumes')
      : { Volumes: [] }
  ])
  // The instance each volume is attached to.
  const attachedTo = new Map(
    (volumes.Volumes ?? []).flatMap((volume) => (volume.Attachments ?? []).flatMap((attachment) => (volume.VolumeId && attachment.InstanceId ? [[volume.VolumeId, attachment.InstanceId] as const] : [])))
  )
  const byId = new Map((snapshots.Snapshots ?? []).map((snapshot) => [snapshot.SnapshotId, snapshot]))
  const verdicts = new Map<string, true | string>()
  for (const { image, instances: own } of registered) {
    const from = snapshotIdsOf(image).map((id) => byId.get(id))
    const ours = from.every((snapshot) => {
      if (snapshot === undefined) return false
      const madeFrom = /^Created by CreateImage\((i-[0-9a-f]+)\)/.exec(snapshot.Description ?? '')?.[1] ?? attachedTo.get(snapshot.VolumeId ?? '')
      return madeFrom !== undefined && own.includes(madeFrom)
    })
    const volumeIds = [...new Set(from.flatMap((snapshot) => (snapshot?.VolumeId ? [snapshot.VolumeId] : [])))]
    const what = volumeIds.length > 0 ? `snapshots of ${volumeIds.join(', ')}` : "snapshots that are not the account's own"
    verdicts.set(image.ImageId as string, ours ? true : `registered from ${what}, which EC2 does not show attached to the build's instance`)
  }
  return verdicts
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
  const notTheBuilds = (region: string, ami: string, why: string): void => void (found.notTheBuilds ??= new Map()).set(ami, { region, why })
  await Promise.all(
    regions.map(async (region) => {
      const ec2 = ec2Client(region, 3)
      try {
        // A filter, not ImageIds: EC2 fails an ImageIds call whole when one AMI is not in the region.
        const { Images: images = [] } = await ec2.send(
          new DescribeImagesCommand({ Filters: [{ Name: 'image-id', Values: amiIds }] }),
          { abortSignal }
        )
        const registered: Registered[] = []
        for (const image of images) {
          if (!image.ImageId) continue
          const instances = finished.find(({ ami }) => ami === image.ImageId)?.instances
          const made = instances === undefined ? true : madeByTheBuild(image, instances, packerStarted)
          if (made === true) found.regionOf.set(image.ImageId, region)
          else if (made === 'snapshots') registered.push({ image, instances: instances ?? [] })
          else notTheBuilds(region, image.ImageId, made)
        }
        if (registered.length === 0) return
        const verdicts = await tiedBySnapshots(ec2, registered, abortSignal).catch((error: unknown) => `registered from snapshots EC2 would not describe: ${errorMessage(error)}`)
        for (const { image } of registered) {
          const id = image.ImageId as string
          const verdict = typeof verdicts === 'string' ? verdicts : (verdicts.get(id) ?? 'not described')
          if (verdict === true) found.regionOf.set(id, region)
          else notTheBuilds(region, id, verdict)
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
  /** The copies found of an AMI EC2 does not tie to its build (CopySearch.sinceStarted), and why they are not the build's. */
  notTheBuilds?: Array<{ source: string; region: string; amiId: string; why: string }>
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
  return { regions: found, copies: copiesOfTheBuilds(searches, found, copies) }
}

/**
 * `copies`, less those of an AMI a log wrote scripts' lines as its builder's named (sinceStarted)
 * that `found` does not show as the build's: a copy of another's AMI, or of one that is gone,
 * which EC2 ties to nothing.
 */
function copiesOfTheBuilds(searches: CopySearch[], found: FoundRegions, copies: FoundCopies): FoundCopies {
  const why = (source: string): string | undefined => {
    if (!searches.some((search) => search.ami === source && search.sinceStarted === true) || found.regionOf.has(source)) return undefined
    if (found.notTheBuilds?.has(source) === true) return `a copy of ${source}, which is not the build's`
    if (found.problems.length > 0) return `a copy of ${source}, which could not be looked up`
    return `a copy of ${source}, which no longer exists, so nothing EC2 shows ties it to the build's instance`
  }
  const kept: FoundCopies = { ...copies, copies: [] }
  for (const copy of copies.copies) {
    const not = why(copy.source)
    if (not === undefined) kept.copies.push(copy)
    else (kept.notTheBuilds ??= []).push({ source: copy.source, region: copy.region, amiId: copy.amiId, why: not })
  }
  return kept
}
