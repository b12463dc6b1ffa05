// Two runs that publish one image family can overlap: without a `concurrency` group, from two
// branches, two workflows or two repositories with one image-family. The run of an older commit,
// whose build was slower, may then come to the SSM parameter or the launch template after the
// run of a newer commit has set it, and would roll the fleet back. Which run came first is told
// by the AMI the parameter or the default version names: its ImageFamily tag (the same family)
// and its BuildTime tag (when the run that built it started). The AMIs' creation dates cannot
// tell it: a slow build makes its AMI last.
import { DescribeImagesCommand, type EC2Client } from '@aws-sdk/client-ec2'
import { imageFamilyTagKey } from '../inputs/retention.js'
import { provenanceTagKeys } from '../inputs/tags.js'
import { ec2Client } from './client.js'

/** An AMI of this run's family, built by a run that started after this one. */
export interface NewerRunAmi {
  amiId: string
  /** Its BuildTime tag, as written. */
  buildTime: string
  /** Its BuildRunUrl tag, when it has one. */
  builtBy?: string
}

/**
 * In `region`, the AMI that a parameter or a default version names (`heldAmiId`), where this run
 * would put `ownAmiId`: the newer run's AMI, or undefined when it is not one (of another family,
 * or without the tags, or built by a run that started no later than this one, or when EC2 does
 * not show it: the run then goes on as it would alone).
 */
export type NewerRunCheck = (region: string, heldAmiId: string, ownAmiId: string) => Promise<NewerRunAmi | undefined>

export interface NewerRunOptions {
  /** When this run started: its own BuildTime. */
  startedAt: Date
  /** The image family of one of this run's AMIs, when it has one. */
  familyOf: (amiId: string) => string | undefined
  ec2For?: (region: string) => EC2Client
}

/** BuildTime is written to the second; this run's start is compared as it would be written. */
function toTheSecond(time: Date): number {
  return Math.floor(time.getTime() / 1000) * 1000
}

export function newerRunCheck(options: NewerRunOptions): NewerRunCheck {
  const started = toTheSecond(options.startedAt)
  return async (region, heldAmiId, ownAmiId) => {
    const family = options.familyOf(ownAmiId)
    if (family === undefined || heldAmiId === ownAmiId || !heldAmiId.startsWith('ami-')) return undefined
    const ec2 = options.ec2For ? options.ec2For(region) : ec2Client(region, 3)
    try {
      const { Images: images } = await ec2.send(new DescribeImagesCommand({ ImageIds: [heldAmiId] }))
      const tags = new Map((images?.find((image) => image.ImageId === heldAmiId)?.Tags ?? []).map((tag) => [tag.Key, tag.Value]))
      const buildTime = tags.get(provenanceTagKeys.buildTime)
      if (tags.get(imageFamilyTagKey) !== family || buildTime === undefined || !(Date.parse(buildTime) > started)) return undefined
      const builtBy = tags.get(provenanceTagKeys.runUrl)
      return { amiId: heldAmiId, buildTime, ...(builtBy ? { builtBy } : {}) }
    } catch {
      return undefined
    } finally {
      if (!options.ec2For) ec2.destroy()
    }
  }
}

