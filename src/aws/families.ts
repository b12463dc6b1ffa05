// Which image family each new AMI belongs to, and how the ImageFamily tag gets onto them: with
// the other tags when every AMI of the run is of one family (one build, or image-family set),
// else in one more tagging pass per build.
import type { Ami } from '../artifacts/manifest.js'
import { imageFamilyOf, imageFamilyTagKey, type RetentionInputs } from '../inputs/retention.js'

type FamilyInputs = Pick<RetentionInputs, 'imageFamily' | 'familyRepository'>

export interface FamilyTagging {
  /** Added to the tags every AMI gets, when one family covers the run. */
  sharedTags: Record<string, string>
  /** Otherwise, each build's AMIs and the family tag they get. */
  perBuild: Array<{ amis: Ami[]; tags: Record<string, string> }>
}

export function familyTagging(amis: Ami[], inputs: FamilyInputs): FamilyTagging {
  const builds = [...new Set(amis.map((ami) => ami.build))]
  const families = new Map(builds.map((build) => [build, imageFamilyOf(build, inputs)]))
  const distinct = new Set(families.values())
  if (distinct.has(undefined)) return { sharedTags: {}, perBuild: [] }
  if (distinct.size === 1) return { sharedTags: { [imageFamilyTagKey]: [...distinct][0] as string }, perBuild: [] }
  return {
    sharedTags: {},
    perBuild: builds.map((build) => ({
      amis: amis.filter((ami) => ami.build === build),
      tags: { [imageFamilyTagKey]: families.get(build) as string }
    }))
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
