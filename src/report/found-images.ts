// What EC2 showed of the AMIs of a build that finished, and what is said of the copies it did not
// show: the main step after a cancel, and the post step after the main step was killed, look for
// them alike (findFinishedImages), the AMI in the regions known, its copies in the regions
// Packer's log says the build copied it to. Apart from the look-up, so that the post step's
// report loads no EC2 client when no look-up is needed.
import type { Ami } from '../artifacts/manifest.js'
import type { FoundCopies, FoundImages } from '../aws/finished-images.js'
import type { FinishedImage } from '../packer/machine-readable.js'

/**
 * The regions `image`'s build copied its AMI to where no copy was found, and why, for a warning;
 * undefined when every copy was found (or the build copied nothing).
 */
export function copiesNotFound({ build, ami, copyRegions = [] }: FinishedImage, { copies, problems }: FoundCopies): string | undefined {
  const left = copyRegions.filter((region) => !copies.some((copy) => copy.source === ami && copy.region === region))
  if (left.length === 0) return undefined
  const why = left.map((region) => {
    const problem = problems.find((one) => one.region === region)?.problem
    return problem === undefined ? `${region}, where EC2 lists no copy of it` : `${region}, where its copy could not be looked up (${problem})`
  })
  const one = left.length === 1
  return `Build ${build} copied its AMI ${ami} to ${why.join('; ')}: ${one ? 'a copy there is' : 'the copies there are'} in no output and ${one ? 'is' : 'are'} not tagged.`
}

/**
 * The AMIs of `finished` builds that only Packer's log names: those whose build `listed` (a
 * manifest, Packer's artifacts) does not name. A listed build is done: an AMI its log named that
 * the list lacks is one it made on the way (encrypt_boot: an unencrypted AMI that Packer copies
 * encrypted and deregisters), but for builds Packer names alike.
 */
export function unlistedImages(finished: FinishedImage[], listed: Array<Ami & { entry?: number }>): FinishedImage[] {
  return finished.filter(({ build, ami }) => {
    if (listed.some((known) => known.amiId === ami)) return false
    if (!listed.some((known) => known.build === build)) return true
    const alike = finished.filter((image) => image.build === build)
    if (alike.length < 2) return false
    // Of builds Packer names alike, its output lists one only (its list is by name): when it
    // lists one AMI its log named, another that it named under that name is another build's.
    if (alike.some((image) => listed.some((known) => known.amiId === image.ami))) return true
    // With encrypt_boot it lists none the log named, but the encrypted copies of one of them, and
    // only EC2 tells which: each is looked up, and the one whose copies are listed is left out
    // (imagesOf). A manifest lists each of them apart (its entries): none is missing.
    return listedBuilds(listed, build) < alike.length
  })
}

/** How many builds of the name `build` `listed` holds apart: one, unless a manifest's entries tell builds named alike apart. */
function listedBuilds(listed: Array<Ami & { entry?: number }>, build: string): number {
  const ofTheName = listed.filter((known) => known.build === build || known.alike?.name === build)
  return new Set(ofTheName.map((known) => known.alike?.finished ?? known.entry)).size
}

/**
 * Why only Packer's log named the AMIs of builds that finished, as the log says it after "builds
 * that finished": Packer stopped before it listed them, or it ended by itself and its list (and
 * the manifest read, if any) left them out, as it does for builds it names alike.
 */
export function finishedUnlisted(
  end: { cancelled: boolean; killedBy?: string; timedOut?: true; crashed?: string },
  manifest: string | undefined
): string {
  if (end.crashed) return 'before Packer crashed'
  if (end.killedBy) return 'before Packer was killed'
  if (end.cancelled || end.timedOut) return 'before Packer was stopped'
  return manifest === undefined ? "though Packer's output did not list them" : "though neither the manifest nor Packer's output listed them"
}

/** Nothing found: what there is when nothing is to be looked for. */
export function nothingFound(): FoundImages {
  return { regions: { regionOf: new Map(), problems: [] }, copies: { copies: [], problems: [] } }
}

/** A finished build's AMIs that EC2 showed, and whether the one Packer's log named was not found. */
export interface BuildImages {
  /** The build region's first, then its copies by region. */
  amis: Array<{ region: string; amiId: string }>
  /** The AMI Packer's log named is in none of the regions asked, and no copy of it replaced it. */
  missing: boolean
}

/** An AMI Packer's log named as a build's (`source`), or a copy of it, that EC2 does not tie to the build, and why. */
export interface NotTheBuilds {
  build: string
  /** The AMI the log named. */
  source: string
  ami: string
  region: string
  why: string
}

/**
 * The AMIs of `finished` that EC2 showed, but tied to nothing of their build's, and the copies of
 * such AMIs, or of one that is gone (notTheBuilds): a script may have printed them, so they are
 * in no output, and the builds made none.
 */
export function notTheBuilds(finished: FinishedImage[], found: FoundImages): NotTheBuilds[] {
  return finished.flatMap(({ build, ami }) => {
    const own = found.regions.notTheBuilds?.get(ami)
    const copies = (found.copies.notTheBuilds ?? []).filter((copy) => copy.source === ami)
    return [
      ...(own === undefined ? [] : [{ build, source: ami, ami, region: own.region, why: own.why }]),
      ...copies.map((copy) => ({ build, source: ami, ami: copy.amiId, region: copy.region, why: copy.why }))
    ]
  })
}

/** `build web: ami-… (us-east-1), made from i-…, not from the build's instance; …` */
export function describeNotTheBuilds(others: NotTheBuilds[]): string {
  return others.map(({ build, ami, region, why }) => `build ${build}: ${ami} (${region}), ${why}`).join('; ')
}

/**
 * The one warning, of the main step or the post step, that names `others` (each AMI, its region
 * and why EC2 does not tie it to its build): left as they are, and named, so that a user who
 * knows one for the build's own (a surrogate AMI whose instance and volumes are gone, a copy of
 * an AMI since deregistered) can find it, and tag or deregister it.
 */
export function notTheBuildsWarning(others: NotTheBuilds[]): string {
  return (
    `Packer's log named these as the AMIs of builds that finished, but EC2 does not tie them to the builds: ${describeNotTheBuilds(others)}. ` +
    "They are in no output and not tagged. This Packer writes a script's lines as its own, so a script may have printed another's AMI; " +
    'but an AMI registered from snapshots (amazon-ebssurrogate) or copied from an AMI that is gone may be the build\'s all the same. ' +
    "Check each in the EC2 console: if it is the build's, tag it or deregister it by hand; if not, leave it."
  )
}

/**
 * What `found` shows of `image`'s build. A copy in the AMI's own region (encrypt_boot: Packer
 * copies its unencrypted AMI encrypted, there too, and deregisters it) is the build's AMI there:
 * the one its log named is gone, not missing. A build whose AMIs `listed` holds is in the list
 * already (of builds Packer names alike, the one its output lists): none of them, none missing.
 */
export function imagesOf({ ami }: FinishedImage, found: FoundImages, listed: Ami[] = []): BuildImages {
  // Another's AMI a script printed: neither it nor its copies are the build's, and none is missing.
  if (found.regions.notTheBuilds?.has(ami) === true) return { amis: [], missing: false }
  const region = found.regions.regionOf.get(ami)
  const copies = found.copies.copies.filter((copy) => copy.source === ami).sort((a, b) => a.region.localeCompare(b.region))
  const replacing = copies.find((copy) => copy.sourceRegion === copy.region)
  const first = region === undefined ? replacing : { region, amiId: ami }
  const amis = [...(first ? [first] : []), ...copies.filter((copy) => copy !== first)].map(({ region, amiId }) => ({ region, amiId }))
  if (amis.some(({ amiId }) => listed.some((known) => known.amiId === amiId))) return { amis: [], missing: false }
  // Gone, with copies EC2 ties to nothing (notTheBuilds): those name it; not missing, unless a region could not be asked.
  const copiedOnly = (found.copies.notTheBuilds ?? []).some((copy) => copy.source === ami) && found.regions.problems.length === 0
  return { amis, missing: first === undefined && !copiedOnly }
}
