// The AMIs of builds that did not finish. Packer deregisters the AMI a build made when the
// build is cancelled or fails after it (step_create_ami's clean-up), but only once that AMI is
// available, never its copies in other regions, and a killed Packer deregisters nothing. Those AMIs are untagged, in no
// output, and their snapshots are paid for until someone finds them. The post step finishes
// Packer's clean-up: it deregisters them and deletes their snapshots.
//
// Nothing is taken from the log on trust: an AMI is the build's only when EC2 says it was made
// from the build's own instance (SourceInstanceId), or is a copy of such an AMI
// (SourceImageId). The one exception is an AMI that Packer announced and has deregistered
// already: its copies are taken when they were made after Packer started.
import { DeleteSnapshotCommand, DeregisterImageCommand, DescribeImagesCommand, DescribeRegionsCommand, type EC2Client, type Filter, type Image } from '@aws-sdk/client-ec2'
import { describeAwsFailure } from './failures.js'
import { snapshotIdsOf } from './images.js'

export interface ImageCleanupInput {
  /** The instances of builds that did not finish, announced or found, and where each was found. */
  instances: Map<string, string>
  /** What the log announced: the AMIs (`AMI: ami-…`) and the instances made into AMIs (`Creating AMI`). */
  announcedImages: string[]
  imageInstances: string[]
  /** Regions known without asking EC2: the home region. */
  knownRegions: string[]
  packerStarted?: string
  /** The AMIs in the outputs, of builds that finished: left whatever else says otherwise. */
  outputs: string[]
  withClient: <T>(region: string, use: (ec2: EC2Client) => Promise<T>) => Promise<T>
  abortSignal: AbortSignal
  log: (message: string) => void
  warn: (message: string) => void
}

export interface ImageCleanupReport {
  /** `ami-… (region)` */
  deregistered: string[]
  deletedSnapshots: string[]
  /** What may still exist: AMIs and snapshots that could not be removed or looked for. */
  leftBehind: string[]
}

interface Found {
  region: string
  image: Image
}

/** How far the runner's clock may be from EC2's when a copy's creation date is compared. */
const clockSkewMs = 5 * 60_000

/** Finds and removes the AMIs of builds that did not finish, with their copies and snapshots. */
export async function cleanUpImages(input: ImageCleanupInput): Promise<ImageCleanupReport> {
  const report: ImageCleanupReport = { deregistered: [], deletedSnapshots: [], leftBehind: [] }
  const made = input.imageInstances.filter((id) => input.instances.has(id))
  if (made.length === 0 && input.announcedImages.length === 0) return report
  const search = new ImageSearch(input, report)
  const sources = await search.sources()
  const copies = await search.copies(sources)
  for (const found of [...copies, ...sources.found]) {
    if (input.outputs.includes(found.image.ImageId as string)) input.log(`${found.region}: ${found.image.ImageId} is in the outputs: left as it is.`)
    else await remove(input, found, report)
  }
  return report
}

/** The lookups, each in the regions it needs. */
class ImageSearch {
  constructor(
    private readonly input: ImageCleanupInput,
    private readonly report: ImageCleanupReport
  ) {}

  /**
   * The AMIs made from the builds' instances, in the regions the instances are in, and the
   * announced AMIs that are no longer there (Packer deregistered them).
   */
  async sources(): Promise<{ found: Found[]; gone: string[] }> {
    const { instances, announcedImages, knownRegions } = this.input
    const ours = [...instances.keys()]
    const regions = [...new Set(instances.size > 0 ? instances.values() : knownRegions)]
    const found: Found[] = []
    const seen = new Set<string>()
    let lookedEverywhere = true
    const lookups: Filter[] = [
      ...(ours.length > 0 ? [{ Name: 'source-instance-id', Values: ours }] : []),
      ...(announcedImages.length > 0 ? [{ Name: 'image-id', Values: announcedImages }] : [])
    ]
    for (const region of regions) {
      for (const filter of lookups) {
        const images = await this.describe(region, [filter]).catch((error: unknown) => {
          this.input.warn(`Could not look in ${region} for the AMIs of Packer's unfinished builds: ${describeAwsFailure(error, 'ec2:DescribeImages')}`)
          lookedEverywhere = false
          return []
        })
        for (const image of images) {
          const id = image.ImageId as string
          if (seen.has(id)) continue
          seen.add(id)
          if (image.SourceInstanceId !== undefined && instances.has(image.SourceInstanceId)) found.push({ region, image })
          else this.input.log(`${region}: ${id}, which Packer's log named, was not made from the build's instance: left as it is.`)
        }
      }
    }
    const gone = lookedEverywhere ? announcedImages.filter((id) => !seen.has(id)) : []
    for (const id of gone) this.input.log(`${id}, the AMI Packer announced, is already deregistered.`)
    if (!lookedEverywhere) this.report.leftBehind.push(...announcedImages.filter((id) => !seen.has(id)))
    return { found, gone }
  }

  /**
   * The copies of the sources in every region of the account, and the copies of those (an
   * encrypted copy is copied on): whatever EC2 says was copied from them. A copy of an AMI
   * that is gone counts only if it was made after Packer started.
   */
  async copies(sources: { found: Found[]; gone: string[] }): Promise<Found[]> {
    const verified = new Set(sources.found.map((found) => found.image.ImageId as string))
    let next = [...verified, ...sources.gone]
    if (next.length === 0) return []
    const regions = await this.regions()
    const since = this.input.packerStarted ? Date.parse(this.input.packerStarted) - clockSkewMs : Infinity
    const copies: Found[] = []
    const handled = new Set(next)
    for (let depth = 0; depth < 3 && next.length > 0; depth++) {
      const from = next
      next = []
      const answers = await Promise.all(
        regions.map(async (region) => {
          const images = await this.describe(region, [{ Name: 'source-image-id', Values: from }]).catch((error: unknown) => {
            this.input.warn(`Could not look in ${region} for copies of ${from.join(', ')}: ${describeAwsFailure(error, 'ec2:DescribeImages')}`)
            this.report.leftBehind.push(`copies of ${from.join(', ')} in ${region}`)
            return []
          })
          return images.map((image) => ({ region, image }))
        })
      )
      for (const found of answers.flat()) {
        const id = found.image.ImageId as string
        const source = found.image.SourceImageId ?? ''
        if (handled.has(id) || !from.includes(source)) continue
        if (!verified.has(source) && !(Date.parse(found.image.CreationDate ?? '') >= since)) {
          this.input.log(`${found.region}: ${id}, a copy of ${source}, was made before this build: left as it is.`)
          continue
        }
        handled.add(id)
        verified.add(id)
        copies.push(found)
        next.push(id)
      }
    }
    return copies
  }

  /** Every region of the account, for a copy may be in any; the known ones if EC2 will not say. */
  private async regions(): Promise<string[]> {
    const known = [...new Set([...this.input.knownRegions, ...this.input.instances.values()])]
    const home = known[0]
    if (home === undefined) return []
    try {
      const answer = await this.input.withClient(home, (ec2) => ec2.send(new DescribeRegionsCommand({}), { abortSignal: this.input.abortSignal }))
      const all = (answer.Regions ?? []).map((region) => region.RegionName).filter((name): name is string => typeof name === 'string')
      return [...new Set([...known, ...all])]
    } catch (error) {
      this.input.warn(`Could not list the account's regions to look for copies of Packer's AMIs, so only ${known.join(', ')} were searched: ${describeAwsFailure(error, 'ec2:DescribeRegions')}`)
      return known
    }
  }

  /** The account's own AMIs in the region that match every filter. */
  private async describe(region: string, filters: Filter[]): Promise<Image[]> {
    const images: Image[] = []
    await this.input.withClient(region, async (ec2) => {
      let token: string | undefined
      do {
        const answer = await ec2.send(new DescribeImagesCommand({ Owners: ['self'], Filters: filters, NextToken: token }), {
          abortSignal: this.input.abortSignal
        })
        images.push(...(answer.Images ?? []).filter((image) => image.ImageId))
        token = answer.NextToken
      } while (token)
    })
    return images
  }
}

/** Deregisters one AMI, then deletes its snapshots, which nothing else uses once it is gone. */
async function remove(input: ImageCleanupInput, { region, image }: Found, report: ImageCleanupReport): Promise<void> {
  const id = image.ImageId as string
  const snapshots = snapshotIdsOf(image)
  const send = { abortSignal: input.abortSignal }
  try {
    await input.withClient(region, (ec2) => ec2.send(new DeregisterImageCommand({ ImageId: id }), send))
  } catch (error) {
    input.warn(`Could not deregister ${id} in ${region}: ${describeAwsFailure(error, 'ec2:DeregisterImage')}`)
    report.leftBehind.push(`${id} (${region})`, ...snapshots)
    return
  }
  report.deregistered.push(`${id} (${region})`)
  const deleted: string[] = []
  for (const snapshot of snapshots) {
    try {
      await input.withClient(region, (ec2) => ec2.send(new DeleteSnapshotCommand({ SnapshotId: snapshot }), send))
      deleted.push(snapshot)
    } catch (error) {
      input.warn(`Deregistered ${id} in ${region}, but could not delete its snapshot ${snapshot}: ${describeAwsFailure(error, 'ec2:DeleteSnapshot')}`)
      report.leftBehind.push(snapshot)
    }
  }
  report.deletedSnapshots.push(...deleted)
  const what = image.SourceImageId ? `a copy of ${image.SourceImageId}` : `made from ${image.SourceInstanceId}`
  input.log(
    `${region}: deregistered ${id} (${image.State ?? 'state unknown'}, ${what})` +
      (deleted.length > 0 ? ` and deleted its snapshot${deleted.length > 1 ? 's' : ''} ${deleted.join(', ')}.` : '.')
  )
}
