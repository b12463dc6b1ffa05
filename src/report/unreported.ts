// What the post step says of AMIs that no output holds: those of the builds that finished
// before the main step was killed, which did not live to set its outputs or write its summary.
import { amisWritten } from '../artifacts/index.js'
import type { Ami } from '../artifacts/manifest.js'
import type { FoundImages } from '../aws/finished-images.js'
import type { LeftoverState } from '../aws/leftovers.js'
import type { FinishedImage } from '../packer/machine-readable.js'
import { annotate } from './annotation.js'
import { copiesNotFound, imagesOf, notTheBuilds, notTheBuildsWarning, nothingFound, unlistedImages, type NotTheBuilds } from './found-images.js'
import { amiCell, notTheBuildsSection, plainText, writeSummaryText } from './index.js'
import { masked } from './masks.js'

/** A build that finished, and its AMIs as far as they are known. */
export interface UnreportedBuild {
  build: string
  amis: Array<{ region: string; amiId: string }>
  /** The regions the build copied its AMI to where no copy was found, and why: a copy may be there. */
  copiesNotFound?: string
}

/** Looks for `images` in `regions`, and for their copies in the regions their builds copied them to. */
export type ImageLookUp = (images: FinishedImage[], regions: string[]) => Promise<FoundImages>

/**
 * The builds that finished, from the manifest that the build wrote (`written`, every region of
 * each), then those only Packer's log named (its `AMI: ami-…`), each with the AMIs `found` of it:
 * the region of that AMI, or the copy that replaced it (encrypt_boot), and its copies. One found
 * nowhere is named with no region.
 */
export function unreportedBuilds(state: LeftoverState, written: Array<Ami & { entry?: number }>, found: FoundImages): UnreportedBuild[] {
  const finished = state.finished ?? []
  const builds: UnreportedBuild[] = []
  // By name and manifest entry: builds Packer names alike are apart only in their entries.
  const entries = new Map<string, UnreportedBuild>()
  for (const ami of written) {
    // A manifest names an HCL2 build by its source alone: the log's name for the same AMI wins.
    const build = finished.find((image) => written.some((other) => other.build === ami.build && other.amiId === image.ami))?.build ?? ami.build
    const key = `${build}\u0000${ami.entry ?? ''}`
    const entry = entries.get(key)
    if (entry) entry.amis.push({ region: ami.region, amiId: ami.amiId })
    else {
      const added = { build, amis: [{ region: ami.region, amiId: ami.amiId }] }
      entries.set(key, added)
      builds.push(added)
    }
  }
  for (const image of unlistedImages(finished, written)) {
    const { amis, missing } = imagesOf(image, found, written)
    // Another's AMI a script printed (notTheBuilds): the build made none.
    if (amis.length === 0 && !missing) continue
    const notFound = copiesNotFound(image, found.copies)
    builds.push({
      build: image.build,
      amis: [...(missing ? [{ region: '', amiId: image.ami }] : []), ...amis],
      ...(notFound === undefined ? {} : { copiesNotFound: notFound })
    })
  }
  return builds
}

/** The post step's warning about them, or undefined when there are none. */
export function unreportedWarning(builds: UnreportedBuild[]): string | undefined {
  if (builds.length === 0) return undefined
  const made = builds
    .map(({ build, amis }) => `build ${build}: ${amis.map(({ region, amiId }) => (region ? `${amiId} (${region})` : amiId)).join(', ')}`)
    .join('; ')
  const notFound = builds.flatMap((build) => (build.copiesNotFound === undefined ? [] : [` ${build.copiesNotFound}`])).join('')
  const unseen = unseenAmis(builds)
  const exist =
    unseen.length === 0
      ? 'These AMIs exist and are not tagged; they are in no output and the post step leaves them.'
      : 'These AMIs are not tagged; they are in no output and the post step leaves them. ' +
        `Only Packer's log named ${unseen.join(', ')}, and EC2 did not show ${unseen.length === 1 ? 'it: it' : 'them: they'} may not exist.`
  return `The main step ended before it set its outputs, but builds had finished: ${made}. ${exist}${notFound}${namedAlike(builds)}`
}

/**
 * What to say of builds of `builds` that Packer gives one name (HCL2 build blocks with no name,
 * of one source): its log and manifest never tell which is which.
 */
function namedAlike(builds: UnreportedBuild[]): string {
  const names = builds.map(({ build }) => build)
  const alike = [...new Set(names.filter((name, index) => names.indexOf(name) !== index))]
  return alike
    .map((name) => {
      const count = names.filter((other) => other === name).length
      return (
        ` Packer gives ${count} of these builds one name, ${name} (build blocks with no name of their own that build one source, or a source one build block lists twice), ` +
        'and nothing it wrote tells which is which: each is listed apart, under that name.'
      )
    })
    .join('')
}

/** The AMIs of `builds` that EC2 showed in no region: only Packer's log named them. */
function unseenAmis(builds: UnreportedBuild[]): string[] {
  return builds.flatMap(({ amis }) => amis.filter(({ region }) => !region).map(({ amiId }) => amiId))
}

/** The post step's job summary for them, and for `others` (notTheBuilds): the main step's was never written. */
export function renderUnreported(builds: UnreportedBuild[], others: NotTheBuilds[] = []): string {
  const lines = ['## Packer AMI build: :warning: AMIs not in the outputs', '']
  if (builds.length > 0) {
    lines.push(
      'The main step ended before it set its outputs (it was killed), but these builds had finished. ' +
        (unseenAmis(builds).length === 0
          ? 'Their AMIs exist and are not tagged; no output holds them, and the post step leaves them.'
          : "Their AMIs are not tagged; no output holds them, and the post step leaves them. An AMI with no region is one only Packer's log " +
            'named: EC2 did not show it, and it may not exist.') +
        plainText(masked(namedAlike(builds))),
      ''
    )
  }
  for (const { build, amis, copiesNotFound: notFound } of builds) {
    lines.push(`### ${plainText(masked(build))}`, '', '| Region | AMI |', '| --- | --- |')
    for (const { region, amiId } of amis) {
      lines.push(region ? `| ${region} | ${amiCell(region, amiId)} |` : `| the build's own | \`${amiId}\` |`)
    }
    lines.push('')
    if (notFound !== undefined) lines.push(plainText(masked(notFound)), '')
  }
  lines.push(...notTheBuildsSection(others))
  return lines.join('\n')
}

/**
 * Names the AMIs of the builds that finished before the main step was killed, every region of
 * each when the manifest the build wrote lists them, else those `lookUp` finds of the AMI Packer
 * announced (asked only then), as the main step looks after a cancel: in the home region and
 * those of the other AMIs, and its copies where Packer copied it. In a warning, and in the post
 * step's summary unless the user asked for none (summary: false; the warning says it all).
 */
export async function reportUnreportedAmis(state: LeftoverState, lookUp: ImageLookUp): Promise<void> {
  const finished = state.finished ?? []
  // Under the log's names: else a build whose AMI the log names but the manifest does not (encrypt_boot's
  // unencrypted one, which Packer deregistered) would look unlisted, and its copies be named twice.
  const written = amisWritten(state.manifests ?? [], finished.map(({ build }) => build))
  const unlisted = unlistedImages(finished, written)
  const regions = [...new Set([...state.regions, ...written.map((ami) => ami.region)])]
  const found = unlisted.length > 0 ? await lookUp(unlisted, regions) : nothingFound()
  const builds = unreportedBuilds(state, written, found)
  const others = notTheBuilds(unlisted, found)
  if (others.length > 0) annotate({ level: 'warning', message: notTheBuildsWarning(others), title: 'AMIs not in the outputs' })
  const warning = unreportedWarning(builds)
  if (warning !== undefined) annotate({ level: 'warning', message: warning, title: 'AMIs not in the outputs' })
  if ((warning !== undefined || others.length > 0) && state.summary !== false) await writeSummaryText(renderUnreported(builds, others))
}
