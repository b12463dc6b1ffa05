// The AMIs of builds that did not finish. Packer deregisters the AMI a build made when the
// build is cancelled or fails after it (step_create_ami's clean-up), but only once that AMI is
// available, never its copies in other regions, and a killed Packer deregisters nothing. Those AMIs are untagged, in no
// output, and their snapshots are paid for until someone finds them. The post step finishes
// Packer's clean-up: it deregisters them and deletes their snapshots.
//
// Nothing is taken from the log on trust: an AMI is the build's only when EC2 says it was made
// from the build's own instance (SourceInstanceId), or registered from snapshots of that
// instance's volumes (an amazon-ebssurrogate build: SnapshotId, VolumeId), or is a copy of such
// an AMI (SourceImageId). Two exceptions lean on EC2's times instead: the copies of an AMI that
// Packer announced and has deregistered already count when they were made after Packer
// started; so do the snapshots of a volume the build announced snapshotting that no longer
// exists (Packer deleted it with the instance), and an AMI registered from them since; neither
// where the log wrote a build's scripts' lines as its builder's (Packer 1.13 and later), in
// which a script may name a volume or AMI that is gone.
import {
  DeleteSnapshotCommand,
  DeregisterImageCommand,
  DescribeImagesCommand,
  DescribeSnapshotsCommand,
  DescribeVolumesCommand,
  type EC2Client,
  type Filter,
  type Image,
  type Snapshot
} from '@aws-sdk/client-ec2'
import { describeAwsFailure } from './failures.js'
import { snapshotIdsOf } from './images.js'
import { clockSkewMs } from './leftovers.js'
import { enabledRegions } from './regions.js'

export interface ImageCleanupInput {
  /** The instances of builds that did not finish, announced or found, and where each was found. */
  instances: Map<string, string>
  /** The volumes attached to each of those instances when it was found, before any was terminated. */
  instanceVolumes: Map<string, string[]>
  /**
   * What the log announced: the AMIs (`AMI: ami-…`), the instances made into AMIs (`Creating
   * AMI`) and the volumes snapshotted to register an AMI from (`Creating snapshot of EBS Volume`).
   */
  announcedImages: string[]
  imageInstances: string[]
  snapshotVolumes: string[]
  /** Regions known without asking EC2: the home region. */
  knownRegions: string[]
  /** The regions Packer's log says the builds began to copy their AMIs to (`Copying to:`). */
  copyRegions: string[]
  /** Whether copyRegions are all the regions the builds copied to: the account's others need no search. */
  everyCopyRegion: boolean
  packerStarted?: string
  /**
   * Whether the log wrote a build's scripts' lines as its builder's (Packer 1.13 and later):
   * then a volume or AMI it named that is gone may be another's that a script printed, and
   * nothing of it is taken for its times alone.
   */
  scriptLinesAlike?: boolean
  /** The AMIs in the outputs, and those Packer announced for builds that finished: left, with their copies, whatever else says otherwise. */
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
  /** What it was made from, when not an instance (SourceInstanceId) or an AMI (SourceImageId). */
  from?: string
}

/**
 * A volume of a build's that it began to snapshot: attached to one of its instances, or gone
 * (Packer deleted it with the instance), in the region to look for its snapshots.
 */
interface BuildVolume {
  region: string
  volumeId: string
  /** `of i-…`, or, for a volume that is gone, that Packer deleted it. */
  whose: string
  /** Only its snapshots made after Packer started, and AMIs registered since, count. */
  gone: boolean
}

/** A snapshot of a build's volume. */
interface VolumeSnapshot extends BuildVolume {
  snapshotId: string
}

/** Finds and removes the AMIs of builds that did not finish, with their copies and snapshots. */
export async function cleanUpImages(input: ImageCleanupInput): Promise<ImageCleanupReport> {
  const report: ImageCleanupReport = { deregistered: [], deletedSnapshots: [], leftBehind: [] }
  const made = input.imageInstances.filter((id) => input.instances.has(id))
  if (made.length === 0 && input.announcedImages.length === 0 && input.snapshotVolumes.length === 0) return report
  const search = new ImageSearch(input, report)
  const snapshots = await search.snapshotsOf(await search.volumes())
  const sources = await search.sources(snapshots)
  // An AMI a build that finished made is kept, and so are its copies: they are not looked for.
  const keptSources = sources.found.filter((found) => input.outputs.includes(found.image.ImageId as string))
  const copies = await search.copies({ ...sources, found: sources.found.filter((found) => !keptSources.includes(found)) })
  const kept = new Set<string>()
  for (const found of [...copies, ...sources.found]) {
    if (input.outputs.includes(found.image.ImageId as string)) {
      input.log(`${found.region}: ${found.image.ImageId} is in the outputs: left as it is.`)
      for (const snapshot of snapshotIdsOf(found.image)) kept.add(snapshot)
    } else {
      await remove(input, found, report)
    }
  }
  // Snapshots that no AMI was registered from yet (Packer was stopped before it registered).
  const registered = new Set(sources.found.flatMap((found) => snapshotIdsOf(found.image)))
  for (const snapshot of snapshots.filter((one) => !registered.has(one.snapshotId) && !kept.has(one.snapshotId))) {
    await removeSnapshot(input, snapshot, report)
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
   * The volumes the builds announced snapshotting that are theirs: those EC2 says are attached to
   * one of their instances (a provisioner may print any volume's ID), and those that no longer
   * exist, which Packer deleted with the instance after a failed or cancelled build.
   */
  async volumes(): Promise<BuildVolume[]> {
    const volumes: BuildVolume[] = []
    const detached: string[] = []
    for (const volumeId of new Set(this.input.snapshotVolumes)) {
      const instanceId = [...this.input.instanceVolumes].find(([, attached]) => attached.includes(volumeId))?.[0]
      const region = instanceId === undefined ? undefined : this.input.instances.get(instanceId)
      if (instanceId !== undefined && region !== undefined) volumes.push({ region, volumeId, whose: `of ${instanceId}`, gone: false })
      else detached.push(volumeId)
    }
    if (detached.length === 0) return volumes
    const regions = [...new Set([...this.input.instances.values(), ...this.input.knownRegions])]
    const existing = new Map<string, { region: string; detached: boolean }>()
    for (const region of regions) {
      try {
        const answer = await this.input.withClient(region, (ec2) =>
          ec2.send(new DescribeVolumesCommand({ Filters: [{ Name: 'volume-id', Values: detached }] }), { abortSignal: this.input.abortSignal })
        )
        for (const volume of answer.Volumes ?? []) {
          if (volume.VolumeId && !existing.has(volume.VolumeId)) existing.set(volume.VolumeId, { region, detached: (volume.Attachments ?? []).length === 0 })
        }
      } catch (error) {
        this.input.warn(`Could not look in ${region} for ${detached.join(', ')}: ${describeAwsFailure(error, 'ec2:DescribeVolumes')}`)
        this.report.leftBehind.push(`snapshots of ${detached.join(', ')}`)
        return volumes
      }
    }
    const kept: Array<{ region: string; volumeId: string }> = []
    for (const volumeId of detached) {
      const volume = existing.get(volumeId)
      if (volume !== undefined) {
        this.input.log(`${volumeId}, which Packer's log named, is attached to none of the build's instances: its snapshots are left as they are.`)
        // Attached to another instance, it is that one's; detached, it may be the build's, kept when its instance was terminated.
        if (volume.detached) kept.push({ region: volume.region, volumeId })
        continue
      }
      if (this.input.scriptLinesAlike) {
        this.input.log(`${volumeId}, which Packer's log named, no longer exists, and this Packer writes a script's lines as the builder's: nothing ties its snapshots to the build, so they are left as they are.`)
        this.report.leftBehind.push(`snapshots of ${volumeId} made since Packer started`)
        continue
      }
      for (const region of regions) volumes.push({ region, volumeId, whose: "that Packer deleted with the build's instance", gone: true })
    }
    await this.untied(kept)
    return volumes
  }

  /**
   * The snapshots of volumes the log says the build snapshotted, that exist attached to no instance
   * (kept when the build's instance was terminated, which then lists no volumes): nothing EC2
   * shows ties them to the build, so they are left, but named with a warning, as they are likely
   * the build's and paid for. Those made since Packer started, or all, if that is unknown.
   */
  private async untied(volumes: Array<{ region: string; volumeId: string }>): Promise<void> {
    const since = this.since()
    const named: string[] = []
    for (const region of new Set(volumes.map((volume) => volume.region))) {
      const ids = volumes.filter((volume) => volume.region === region).map((volume) => volume.volumeId)
      try {
        for (const snapshot of await this.snapshotsIn(region, ids)) {
          if (Number.isFinite(since) && !((snapshot.StartTime?.getTime() ?? -Infinity) >= since)) continue
          named.push(`${snapshot.SnapshotId} (${region}, ${snapshot.VolumeSize ?? '?'} GiB, of ${snapshot.VolumeId})`)
          this.report.leftBehind.push(`${snapshot.SnapshotId} (${region})`)
        }
      } catch (error) {
        this.input.warn(`Could not look in ${region} for the snapshots of ${ids.join(', ')}: ${describeAwsFailure(error, 'ec2:DescribeSnapshots')}`)
        this.report.leftBehind.push(`snapshots of ${ids.join(', ')} (${region})`)
      }
    }
    if (named.length === 0) return
    this.input.warn(
      `Packer's log says the build snapshotted ${volumes.map((volume) => volume.volumeId).join(', ')}, but EC2 ties ${volumes.length > 1 ? 'them' : 'it'} ` +
        `to none of the build's instances, so these snapshots are left as they are: ${named.join(', ')}. ` +
        'If they are the build\'s, delete them (and the volume, if it is no longer needed) by hand.'
    )
  }

  /** The account's snapshots of the builds' volumes, in their regions. */
  async snapshotsOf(volumes: BuildVolume[]): Promise<VolumeSnapshot[]> {
    const since = this.since()
    const snapshots: VolumeSnapshot[] = []
    for (const region of new Set(volumes.map((volume) => volume.region))) {
      const inRegion = volumes.filter((volume) => volume.region === region)
      try {
        for (const snapshot of await this.snapshotsIn(region, inRegion.map((volume) => volume.volumeId))) {
          const volume = inRegion.find((one) => one.volumeId === snapshot.VolumeId)
          // A gone volume's snapshots count only if made during the build.
          const inTime = volume !== undefined && (!volume.gone || (snapshot.StartTime?.getTime() ?? -Infinity) >= since)
          if (snapshot.SnapshotId && volume && inTime) snapshots.push({ ...volume, snapshotId: snapshot.SnapshotId })
        }
      } catch (error) {
        const named = inRegion.map((volume) => volume.volumeId).join(', ')
        this.input.warn(`Could not look in ${region} for the snapshots of ${named}: ${describeAwsFailure(error, 'ec2:DescribeSnapshots')}`)
        this.report.leftBehind.push(`snapshots of ${named} (${region})`)
      }
    }
    return snapshots
  }

  /**
   * The AMIs made from the builds' instances, or registered from snapshots of their volumes
   * (`snapshots`), in the regions the instances are in, and the announced AMIs that are no
   * longer there (Packer deregistered them).
   */
  async sources(snapshots: VolumeSnapshot[]): Promise<{ found: Found[]; gone: string[] }> {
    const { instances, announcedImages, knownRegions } = this.input
    const ours = [...instances.keys()]
    const regions = [...new Set(instances.size > 0 ? instances.values() : knownRegions)]
    const found: Found[] = []
    const seen = new Set<string>()
    let lookedEverywhere = true
    // The AMIs matching `filter` in `region`, or none, with a warning, if EC2 would not say.
    const lookIn = (region: string, filter: Filter): Promise<Image[]> =>
      this.describe(region, [filter]).catch((error: unknown) => {
        this.input.warn(`Could not look in ${region} for the AMIs of Packer's unfinished builds: ${describeAwsFailure(error, 'ec2:DescribeImages')}`)
        lookedEverywhere = false
        return []
      })
    for (const region of new Set(snapshots.map((snapshot) => snapshot.region))) {
      const inRegion = snapshots.filter((snapshot) => snapshot.region === region)
      const images = await lookIn(region, { Name: 'block-device-mapping.snapshot-id', Values: inRegion.map((one) => one.snapshotId) })
      for (const image of images) {
        // One made from a build's instance (CreateImage snapshots its volumes) is found by that
        // instance below, and named so.
        if (image.SourceInstanceId !== undefined && instances.has(image.SourceInstanceId)) continue
        // Every snapshot it was registered from is one of the build's, and, if any is of a gone
        // volume, it was registered during the build.
        const from = snapshotIdsOf(image).map((id) => inRegion.find((one) => one.snapshotId === id))
        if (from.length === 0 || from.some((one) => one === undefined)) continue
        if (from.some((one) => one?.gone) && !(Date.parse(image.CreationDate ?? '') >= this.since())) continue
        seen.add(image.ImageId as string)
        const volumes = [...new Set(from.map((one) => `${one?.volumeId} ${one?.whose}`))].join(', ')
        found.push({ region, image, from: `registered from snapshots of ${volumes}` })
      }
    }
    const lookups: Filter[] = [
      ...(ours.length > 0 ? [{ Name: 'source-instance-id', Values: ours }] : []),
      ...(announcedImages.length > 0 ? [{ Name: 'image-id', Values: announcedImages }] : [])
    ]
    for (const region of regions) {
      for (const filter of lookups) {
        const images = await lookIn(region, filter)
        for (const image of images) {
          const id = image.ImageId as string
          if (seen.has(id)) continue
          seen.add(id)
          if (image.SourceInstanceId !== undefined && instances.has(image.SourceInstanceId)) {
            found.push({ region, image })
          } else if (this.registeredDuringBuild(image)) {
            // Registered during the build, from no instance or AMI (from snapshots not of the
            // volumes the build announced, or from a bundle in S3, as amazon-instance does): it
            // may be the build's, or another's whose ID a script printed.
            this.input.warn(
              `${region}: ${id}, which Packer's log named, was registered after Packer started, but nothing EC2 shows ties it ` +
                "to the build's instance: left as it is. If it is the build's AMI, deregister it and delete what it was registered from."
            )
            this.report.leftBehind.push(`${id} (${region})`)
          } else {
            this.input.log(`${region}: ${id}, which Packer's log named, was not made from the build's instance: left as it is.`)
          }
        }
      }
    }
    if (lookedEverywhere) lookedEverywhere = await this.othersImages(regions, announcedImages.filter((id) => !seen.has(id)), seen)
    const gone = this.deregistered(lookedEverywhere ? announcedImages.filter((id) => !seen.has(id)) : [])
    // Not looked for, so neither were its copies, which Packer leaves in other regions.
    if (!lookedEverywhere) this.report.leftBehind.push(...announcedImages.filter((id) => !seen.has(id)).map((id) => `${id} and any copies of it`))
    return { found, gone }
  }

  /**
   * Of the announced AMIs that EC2 shows nowhere, those Packer deregistered, whose copies count
   * if made since Packer started: all of them, unless the log wrote a build's scripts' lines as
   * its builder's, where a script may have printed another's AMI that is gone as well.
   */
  private deregistered(unseen: string[]): string[] {
    if (this.input.scriptLinesAlike && unseen.length > 0) {
      this.input.log(
        `${unseen.join(', ')}, which Packer's log named, no longer exists, and this Packer writes a script's lines as the builder's: ` +
          'nothing ties the copies of it to the build, so they are left as they are.'
      )
      this.report.leftBehind.push(...unseen.map((id) => `copies of ${id} made since Packer started`))
      return []
    }
    for (const id of unseen) this.input.log(`${id}, the AMI Packer announced, is already deregistered.`)
    return unseen
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
    const regions = await this.regions(next)
    const since = this.since()
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

  /**
   * Of the announced AMIs that are not the account's own, those EC2 shows all the same (another
   * account's, whose ID a provisioner printed: its source AMI's) are added to `seen`, and left:
   * only an AMI EC2 shows nowhere is gone. Whether EC2 said, in every region.
   */
  private async othersImages(regions: string[], unseen: string[], seen: Set<string>): Promise<boolean> {
    let lookedEverywhere = true
    if (unseen.length === 0) return lookedEverywhere
    for (const region of regions) {
      const images = await this.describe(region, [{ Name: 'image-id', Values: unseen }], []).catch((error: unknown) => {
        this.input.warn(`Could not look in ${region} for ${unseen.join(', ')}: ${describeAwsFailure(error, 'ec2:DescribeImages')}`)
        lookedEverywhere = false
        return []
      })
      for (const image of images) {
        const id = image.ImageId as string
        if (seen.has(id) || !unseen.includes(id)) continue
        seen.add(id)
        this.input.log(`${region}: ${id}, which Packer's log named, is not the account's own (its owner is ${image.OwnerId ?? 'not shown'}): left as it is.`)
      }
    }
    return lookedEverywhere
  }

  /** Whether an AMI was registered (made from no instance or AMI) after Packer started. */
  private registeredDuringBuild(image: Image): boolean {
    return image.SourceInstanceId === undefined && image.SourceImageId === undefined && Date.parse(image.CreationDate ?? '') >= this.since()
  }

  /** When Packer started, less the clock skew allowed; nothing counts as made since if unknown. */
  private since(): number {
    return this.input.packerStarted ? Date.parse(this.input.packerStarted) - clockSkewMs : Infinity
  }

  /**
   * The regions a copy of `sources` may be in: the known ones and those Packer's log says it
   * copied to, and, unless those are all, every region of the account; if EC2 will not list
   * them, the copies elsewhere are named as left.
   */
  private async regions(sources: string[]): Promise<string[]> {
    const { knownRegions, instances, copyRegions, everyCopyRegion } = this.input
    const announced = [...copyRegions].sort()
    const known = [...new Set([...knownRegions, ...instances.values(), ...announced])]
    const home = known[0]
    if (home === undefined) return []
    if (everyCopyRegion) {
      const where = announced.length > 0 ? `to ${announced.join(', ')} only` : 'nowhere'
      this.input.log(`Packer's log says it copied its AMIs ${where}: no other region is searched.`)
      return known
    }
    try {
      const all = await this.input.withClient(home, (ec2) => enabledRegions(ec2, this.input.abortSignal))
      return [...new Set([...known, ...all])]
    } catch (error) {
      this.input.warn(`Could not list the account's regions to look for copies of Packer's AMIs, so only ${known.join(', ')} were searched: ${describeAwsFailure(error, 'ec2:DescribeRegions')}`)
      this.report.leftBehind.push(`copies of ${sources.join(', ')} in regions other than ${known.join(', ')}`)
      return known
    }
  }

  /** The account's snapshots in the region of any of `volumeIds`. */
  private async snapshotsIn(region: string, volumeIds: string[]): Promise<Snapshot[]> {
    const snapshots: Snapshot[] = []
    await this.input.withClient(region, async (ec2) => {
      let token: string | undefined
      do {
        const answer = await ec2.send(new DescribeSnapshotsCommand({ OwnerIds: ['self'], Filters: [{ Name: 'volume-id', Values: volumeIds }], NextToken: token }), {
          abortSignal: this.input.abortSignal
        })
        snapshots.push(...(answer.Snapshots ?? []).filter((snapshot) => snapshot.SnapshotId))
        token = answer.NextToken
      } while (token)
    })
    return snapshots
  }

  /** The AMIs in the region that match every filter: the account's own, unless told other `owners` (none: any the account can see). */
  private async describe(region: string, filters: Filter[], owners: string[] = ['self']): Promise<Image[]> {
    const images: Image[] = []
    await this.input.withClient(region, async (ec2) => {
      let token: string | undefined
      do {
        const answer = await ec2.send(new DescribeImagesCommand({ ...(owners.length > 0 ? { Owners: owners } : {}), Filters: filters, NextToken: token }), {
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
async function remove(input: ImageCleanupInput, { region, image, from }: Found, report: ImageCleanupReport): Promise<void> {
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
  const what = image.SourceImageId ? `a copy of ${image.SourceImageId}` : (from ?? `made from ${image.SourceInstanceId}`)
  input.log(
    `${region}: deregistered ${id} (${image.State ?? 'state unknown'}, ${what})` +
      (deleted.length > 0 ? ` and deleted its snapshot${deleted.length > 1 ? 's' : ''} ${deleted.join(', ')}.` : '.')
  )
}

/** Deletes a snapshot of a build's volume that no AMI was registered from. */
async function removeSnapshot(input: ImageCleanupInput, { region, snapshotId, volumeId, whose }: VolumeSnapshot, report: ImageCleanupReport): Promise<void> {
  try {
    await input.withClient(region, (ec2) => ec2.send(new DeleteSnapshotCommand({ SnapshotId: snapshotId }), { abortSignal: input.abortSignal }))
  } catch (error) {
    input.warn(`Could not delete ${snapshotId} in ${region}, a snapshot of ${volumeId} ${whose}: ${describeAwsFailure(error, 'ec2:DeleteSnapshot')}`)
    report.leftBehind.push(snapshotId)
    return
  }
  report.deletedSnapshots.push(snapshotId)
  input.log(`${region}: deleted ${snapshotId}, a snapshot of ${volumeId} ${whose}, which no AMI was registered from.`)
}
