// Which image family each new AMI belongs to, and how the tags that differ from build to build
// get onto the AMIs.
import type { Ami } from '../artifacts/manifest.js'
import { imageFamilyOf, imageFamilyTagKey, type RetentionInputs } from '../inputs/retention.js'

type FamilyInputs = Pick<RetentionInputs, 'imageFamily' | 'familyPrefix'>

export interface FamilyTagging {
  /** Added to the tags every AMI gets, when the per-build tags are the same for every build. */
  sharedTags: Record<string, string>
  /** Otherwise, each build's AMIs and the tags of their own they get with the others. */
  perBuild: Array<{ amis: Ami[]; tags: Record<string, string> }>
}

/**
 * How the tags that differ by build (ImageFamily, and PackerBuild with reuse) get onto the AMIs:
 * with the other tags when they are the same for every build, else each build's in the calls of
 * its AMIs (tagAmis' ownTags). None of `userGives`, the keys whose value a tags entry gives.
 */
export function familyTagging(
  amis: Ami[],
  inputs: FamilyInputs,
  more: (ami: Ami) => Record<string, string> = () => ({}),
  userGives: string[] = []
): FamilyTagging {
  const builds = [...new Set(amis.map((ami) => ami.build))]
  const tagsOf = new Map(
    builds.map((build) => {
      const first = amis.find((ami) => ami.build === build) as Ami
      const family = imageFamilyOf(build, inputs)
      const tags = { ...(family === undefined ? {} : { [imageFamilyTagKey]: family }), ...more(first) }
      return [build, Object.fromEntries(Object.entries(tags).filter(([key]) => !userGives.includes(key)))]
    })
  )
  const distinct = new Set([...tagsOf.values()].map((tags) => JSON.stringify(tags)))
  if (distinct.size <= 1) return { sharedTags: tagsOf.get(builds[0]) ?? {}, perBuild: [] }
  return {
    sharedTags: {},
    perBuild: builds.map((build) => ({ amis: amis.filter((ami) => ami.build === build), tags: tagsOf.get(build) ?? {} }))
  }
}

/** family → region → the AMI IDs built now, for retention. */
export function newAmisByFamily(amis: Ami[], inputs: FamilyInputs): Map<string, Map<string, string[]>> {
  const byFamily = new Map<string, Map<string, string[]>>()
  for (const ami of amis) {
    const family = imageFamilyOf(ami.build, inputs)
    if (family === undefined) continue
    const regions = byFamily.get(family) ?? new Map<string, string[]>()
    regions.set(ami.region, [...(regions.get(ami.region) ?? []), ami.amiId])
    byFamily.set(family, regions)
  }
  return byFamily
}
