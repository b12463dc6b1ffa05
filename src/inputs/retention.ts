// Inputs keep-images, image-family and retention-dry-run: how many AMIs of each image family
// to keep after a build, and which AMIs belong to a family. The family is a tag the action
// writes itself, so that an AMI made by hand or by another pipeline is never in scope.
import { relative, resolve, sep } from 'node:path'
import type { InputReader } from './reader.js'
import { cutTagText, maxTagValueLength, tagValueProblem } from './tags.js'

/** The tag that names an AMI's image family. */
export const imageFamilyTagKey = 'ImageFamily'

export interface RetentionInputs {
  /** Keep the newest N AMIs of each family (the new one counts); 0 keeps everything. */
  keepImages: number
  /** The family of every AMI built; undefined: `<repository>/<template's path>/<build name>`. */
  imageFamily?: string
  /**
   * The repository of the run (its SourceRepository provenance tag) and the template's path in
   * the workspace, which name the default families (familyPrefixOf); set once the run's
   * context is read, when provenance-tags is true.
   */
  familyPrefix?: string
  retentionDryRun: boolean
}

const maxKeep = 1000

/** Without provenance tags there is no default family. */
export function readRetentionInputs(reader: InputReader, provenanceTags: boolean): RetentionInputs {
  const keepText = reader.text('keep-images', '0')
  let keepImages = Number(keepText)
  if (!/^\d+$/.test(keepText) || keepImages > maxKeep) {
    reader.problem(`keep-images: expected a whole number from 0 (keep everything) to ${maxKeep}, found "${keepText}"`)
    keepImages = 0
  }
  const imageFamily = reader.text('image-family') || undefined
  // The family goes nowhere but the ImageFamily tag and the DescribeImages filter on it, which
  // takes any value a tag may hold: EC2's rule for tag values is the family's, checked now
  // rather than when the AMIs are tagged, hours of building later.
  const familyProblem = imageFamily === undefined ? undefined : tagValueProblem(imageFamily)
  if (familyProblem) reader.problem(`image-family: expected ${familyProblem.expected} (it is a tag value), found ${familyProblem.found}`)
  if (keepImages > 0 && imageFamily === undefined && !provenanceTags) {
    reader.problem(
      "keep-images: needs image-family when provenance-tags is false (no SourceRepository tag), to know which AMIs are this pipeline's"
    )
  }
  return { keepImages, imageFamily, retentionDryRun: reader.boolean('retention-dry-run', false) }
}

/** The family of a build's AMIs, as the ImageFamily tag holds it; undefined when none is known. */
export function imageFamilyOf(build: string, inputs: Pick<RetentionInputs, 'imageFamily' | 'familyPrefix'>): string | undefined {
  if (inputs.imageFamily !== undefined) return inputs.imageFamily
  if (inputs.familyPrefix === undefined) return undefined
  // Cut by characters, as EC2 counts them: a cut by UTF-16 code units may leave half of an
  // emoji at the end, which no request can carry.
  return cutTagText(`${inputs.familyPrefix}/${build}`, maxTagValueLength)
}

/**
 * What the default families begin with: the repository and the template's path in the
 * workspace (`acme/images/images/web`), so that two templates whose builds have the same name
 * (`amazon-ebs.ubuntu` in each) are two families, and one never retires the other's AMIs.
 */
export function familyPrefixOf(repository: string, files: { workspace: string; workingDirectory: string; template: string }): string {
  const path = relative(files.workspace, resolve(files.workingDirectory, files.template)).split(sep).join('/')
  return path === '' ? repository : `${repository}/${path}`
}
