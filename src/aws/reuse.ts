// Reuse: a build whose inputs have not changed is not run again. Every AMI of a successful
// build is tagged with the fingerprint of its inputs (src/inputs/fingerprint.ts) and with its
// set (the Packer run, how many AMIs it made and, when a tag value can hold them, in which
// regions), so that a later run finds the whole set, in every region, or builds.
import { CreateTagsCommand, DescribeImagesCommand, EC2Client, type Image } from '@aws-sdk/client-ec2'
import type { Ami } from '../artifacts/manifest.js'
import type { BuildOfRun } from '../inputs/ami-builds.js'
import { reuseTagKeys } from '../inputs/reuse.js'
import { cutTagText, maxTagValueLength, provenanceTagKeys, tagTextLength } from '../inputs/tags.js'
import { refusedCredentialsCode } from '../common/refused-credentials.js'
import { saysCredentialsExpired } from '../common/expired-credentials.js'
import { errorMessage } from '../common/errors.js'
import { awsErrorCode, describeAwsFailure } from './failures.js'
import { ec2Client } from './client.js'
import { describeAllImages, disabledAmong, exactFilterValue, goneFrom, snapshotIdsOf } from './images.js'
import { enabledRegions } from './regions.js'

/**
 * The reuse tags of a successful build's AMIs: shared by all, and per build. The set names its
 * regions when they fit in a tag value (up to 17 or 18 regions); a set in more names none, and
 * a later run looks for it in every region the account has enabled.
 */
export function reuseTags(fingerprint: string, runUuid: string, amis: Ami[]): Record<string, string> {
  const regions = [...new Set(amis.map((ami) => ami.region))].sort()
  const listed = `${runUuid} ${amis.length} ${regions.join(',')}`
  const set = listed.length <= maxTagValueLength ? listed : `${runUuid} ${amis.length}`
  return { [reuseTagKeys.fingerprint]: fingerprint, [reuseTagKeys.set]: set }
}

/** The build's own reuse tag, cut as EC2 counts a value (a longer one fails every tag of the call). */
export function buildTag(ami: Pick<Ami, 'build' | 'builderType'>): Record<string, string> {
  return { [reuseTagKeys.build]: cutTagText(`${ami.builderType || 'unknown'} ${ami.build}`, maxTagValueLength) }
}

/**
 * An AMI of a set that the run that built it left without the set's tags (its region's tagging
 * failed, and the job was re-run), tied to the set by what EC2 itself records of it: a copy of one
 * of the set's AMIs, or the AMI one of them is a copy of (SourceImageId), with its name.
 */
export interface UntaggedOfTheSet {
  ami: Ami
  /** The set's AMI EC2 ties it to: `copy` when it is a copy of that one, `source` when that one is a copy of it. */
  tiedTo: { amiId: string; region: string; relation: 'copy' | 'source' }
  /** What it is to get: the tags on the AMI it is tied to, but those it has a value of already (the template's), the set's own always. */
  tags: Record<string, string>
  snapshotIds: string[]
}

export interface ReusableSet {
  amis: Ami[]
  /** Those of `amis` that are not tagged yet: the set is whole once they are (tagUntaggedOfTheSet). */
  untagged?: UntaggedOfTheSet[]
  runUuid: string
  /** The workflow run that built it, from its BuildRunUrl tag. */
  builtBy?: string
  /** Each AMI's snapshots, by AMI ID, as DescribeImages listed them. */
  snapshotsOf: Record<string, string[]>
}

/**
 * `failed`: the look-up failed (EC2 refused or did not answer it): whether a set is there is not
 * known. `refusedCredentials`: it failed as EC2 refuses keys it does not take, the code of that
 * refusal (refusedCredentialsCode); `expiredCredentials`: as EC2 refuses keys that have expired.
 * A build would meet either at Packer's first call.
 */
export type ReuseLookup =
  | { found: ReusableSet }
  | { found?: undefined; why: string; failed?: boolean; refusedCredentials?: string; expiredCredentials?: true }

const tagOf = (image: Image, key: string) => image.Tags?.find((tag) => tag.Key === key)?.Value

/**
 * Whether a PackerBuild value is one the action writes (buildTag): `<builder type> <build name>`.
 * Where nothing of the run went by it, a tags entry or the template may have given the AMI its
 * own (`PackerBuild=true`), which names no build: such an AMI cannot be handed on as a build's.
 */
const namesABuild = (value: string) => /^[\w.-]+ ./su.test(value)

/**
 * Whether a PackerBuild value of the action's shape is one buildTag writes for `build`: its type
 * (`unknown` where the manifest gave none) and one of its names, with the `#2` of builds Packer
 * names alike, or cut as a tag value is.
 */
function namesBuildOf(value: string, build: BuildOfRun): boolean {
  const space = value.indexOf(' ')
  const type = value.slice(0, space)
  if (type !== build.type && type !== 'unknown') return false
  if (build.names === undefined) return true
  const alike = value.replace(/#\d+$/u, '')
  const cut = tagTextLength(value) === maxTagValueLength
  return build.names.some((name) => [value, alike].includes(`${type} ${name}`) || (cut && `${type} ${name}`.startsWith(value)))
}

/** An AMI of a set whose PackerBuild has the action's shape. */
type NamedAmi = { value: string; amiId: string; region: string }

/**
 * Why a set is not the run's builds' (`builds`, BuildOfRun), by the PackerBuild of its AMIs:
 * one that names none of them, or one that gives a build two AMIs in one region, which no build
 * makes (a build's AMIs are one per region: its build region's, and its copies'). A tags entry,
 * or the template, may have given every AMI one value of the action's shape (`amazon-ebs web`)
 * while nothing of the run went by the key, and the fingerprint, which covers neither, does not
 * tell such a set apart. With `builds` undefined (the template's are not known), only the second
 * is asked. A build of the run with no AMI in the set is no reason here: a build may make none
 * by design (a skip_create_ami only Packer works out; an AMI a later build's force_deregister
 * took), and where the regions it makes its AMIs in are known, notWhereMade asks for them.
 * Undefined when the set is theirs.
 */
function notOfTheBuilds(runUuid: string, named: NamedAmi[], builds: BuildOfRun[] | undefined): string | undefined {
  const ofNone = builds === undefined ? [] : named.filter(({ value }) => !builds.some((build) => namesBuildOf(value, build)))
  const twice = new Set(named.filter((ami, index) => named.some((other, at) => at < index && other.value === ami.value && other.region === ami.region)).map(({ value }) => value))
  if (ofNone.length === 0 && twice.size === 0) return undefined
  const what =
    ofNone.length > 0
      ? `their ${reuseTagKeys.build} names none of these builds (${valuesOn(ofNone)}`
      : `their ${reuseTagKeys.build} gives one build two AMIs in one region, which no build makes (${valuesOn(named.filter(({ value }) => twice.has(value)))}`
  const theirs = builds === undefined ? '' : ` (${builds.map((build) => build.shown).join(', ')})`
  return `the AMIs built by Packer run ${runUuid} are not this run's builds'${theirs}: ${what}: a tags entry or the template gave them their own)`
}

/** The PackerBuild values on `listed`, each with its AMIs: `"amazon-ebs web" on ami-1 in eu-west-1, ami-2 in us-east-1`. */
function valuesOn(listed: NamedAmi[]): string {
  const values = [...new Set(listed.map(({ value }) => value))].sort()
  const amisOf = (value: string) => listed.filter((one) => one.value === value).map(({ amiId, region }) => `${amiId} in ${region}`).sort()
  return values.map((value) => `"${value}" on ${amisOf(value).join(', ')}`).join('; ')
}

/**
 * Why a set is not where the run's builds make their AMIs (BuildOfRun.regions): its PackerBuild
 * gives a build an AMI in a region the build makes none in, or a region where a build makes one
 * holds none that is its (where each of its regions gets one: inEachRegion). The fingerprint
 * covers the template and the variables, so the regions they write are the same from run to run;
 * but a set passes notOfTheBuilds whose PackerBuild a tags entry gave as one build on the AMIs of
 * two in regions of their own (`amazon-ebs web` on web's in us-east-1 and api's in eu-west-1),
 * and the environment, where the fingerprint does not cover it, may have given that run other
 * regions (a JSON variable's `{{env}}`, an HCL2 variable's `env()` or PKR_VAR_, of one it takes by
 * name alone; a set made before it took their values). A build whose
 * regions or name only Packer knows is told apart by its PackerBuild alone, as before its
 * regions were known; so is a build one of whose AMIs' PackerBuild may be another build's too.
 * Undefined when the set is where the builds make theirs.
 */
function notWhereMade(runUuid: string, named: NamedAmi[], builds: BuildOfRun[] | undefined): string | undefined {
  const reasons: string[] = []
  for (const build of builds ?? []) {
    const regions = build.regions
    if (regions === undefined || build.names === undefined) continue
    const its = named.filter(({ value }) => namesBuildOf(value, build))
    if (its.some(({ value }) => builds?.some((other) => other !== build && namesBuildOf(value, other)))) continue
    const elsewhere = its.filter(({ region }) => !regions.includes(region))
    if (elsewhere.length > 0) reasons.push(`build ${build.shown} makes AMIs in ${regions.join(', ')} only, and ${reuseTagKeys.build} gives it ${valuesOn(elsewhere)}`)
    for (const region of build.inEachRegion ? regions.filter((one) => !its.some((ami) => ami.region === one)) : []) {
      const there = named.filter((ami) => ami.region === region)
      reasons.push(`build ${build.shown} makes one in ${region}, where the set has ${there.length > 0 ? valuesOn(there) : 'none'}`)
    }
  }
  if (reasons.length === 0) return undefined
  return (
    `the AMIs built by Packer run ${runUuid} are not where this run's builds make theirs (${reasons.join('; ')}): ` +
    `a tags entry or the template gave them their own ${reuseTagKeys.build}, or the environment gave that run other regions`
  )
}

function amiOf(image: Image, region: string): Ami {
  const build = tagOf(image, reuseTagKeys.build) ?? ''
  const space = build.indexOf(' ')
  return { build: build.slice(space + 1), builderType: build.slice(0, Math.max(space, 0)), region, amiId: image.ImageId ?? '' }
}

function imagesWith(ec2: EC2Client, tags: Record<string, string>): Promise<Image[]> {
  const filters = Object.entries(tags).map(([key, value]) => ({ Name: `tag:${key}`, Values: [value] }))
  return describeAllImages(ec2, { Owners: ['self'], Filters: [...filters, { Name: 'state', Values: ['available'] }] })
}

export interface LookupOptions {
  fingerprint: string
  /** Searched first where a build makes AMIs there, or where no build's regions are known (lookupRegion). */
  homeRegion: string
  /** The builds of the run that may make AMIs: a set is reused only as theirs. Undefined when the template's builds are not known. */
  builds?: BuildOfRun[]
  /**
   * A job re-run: an earlier attempt's tagging may have failed in the region looked in only, and
   * tagged the set's AMIs elsewhere (untaggedOfSet). The builds' other regions are looked in too
   * when that region holds none.
   */
  rerun?: boolean
  ec2For?: (region: string) => EC2Client
}

/**
 * Whether every AMI of one set is still there, with every tag of its build, available and not
 * deprecated: in the regions its tag names, or, for a set too wide for its tag to name them, in
 * every region the account has enabled.
 */
async function completeSet(options: LookupOptions, set: string, searched: { region: string; images: Image[] }): Promise<ReusableSet | string> {
  const [runUuid, size, regionList = ''] = set.split(' ')
  const listed = regionList.split(',').filter(Boolean)
  let regions = listed
  if (listed.length === 0) {
    try {
      const enabled = await withClient(options, searched.region, (ec2) => enabledRegions(ec2))
      regions = [...new Set([searched.region, ...enabled])]
    } catch (error) {
      return `the AMIs built by Packer run ${runUuid} may be in any region, and listing the account's regions failed: ${describeAwsFailure(error, 'ec2:DescribeRegions')}`
    }
  }
  const found: Ami[] = []
  const snapshotsOf: Record<string, string[]> = {}
  const deprecated: string[] = []
  const untagged: string[] = []
  const givenTheirOwn: string[] = []
  const named: NamedAmi[] = []
  const missing: string[] = []
  const failures: unknown[] = []
  const setImages: Array<{ region: string; image: Image }> = []
  await Promise.all(
    regions.map(async (region) => {
      let images: Image[]
      try {
        images =
          region === searched.region
            ? searched.images
            : await withClient(options, region, (ec2) => imagesWith(ec2, { [reuseTagKeys.fingerprint]: options.fingerprint, [reuseTagKeys.set]: set }))
      } catch (error) {
        failures.push(error)
        return
      }
      // Only this set's AMIs, whatever EC2 made of the filter's value.
      images = images.filter((image) => tagOf(image, reuseTagKeys.set) === set)
      if (images.length === 0) missing.push(region)
      setImages.push(...images.map((image) => ({ region, image })))
      found.push(...images.map((image) => amiOf(image, region)))
      for (const image of images) if (image.ImageId) snapshotsOf[image.ImageId] = snapshotIdsOf(image)
      for (const image of images) if (isDeprecated(image)) deprecated.push(`${image.ImageId} in ${region} since ${image.DeprecationTime}`)
      // Each build's own tags (PackerBuild, with ImageFamily) go on with the set's, but an earlier
      // release added them in a call of their own, which could fail where the first went through.
      // Without them a reuse could not name the AMI's build, nor keep-images find its family.
      for (const image of images) {
        const build = tagOf(image, reuseTagKeys.build)
        if (!build || !namesABuild(build)) (build ? givenTheirOwn : untagged).push(`${image.ImageId} in ${region}`)
        else named.push({ value: build, amiId: image.ImageId ?? '', region })
      }
    })
  )
  // A region whose tagging failed holds the set's AMI untagged: EC2 ties it to the others, or not.
  const untaggedOfTheSet = listed.length > 0 && failures.length === 0 ? await countUntagged(options, { found, snapshotsOf, named, missing, deprecated }, setImages, size) : { amis: [] }
  // Of a set that may be anywhere, a region that could not be searched holds none if the
  // others hold all of it.
  const complete = String(found.length) === size && (listed.length === 0 || (missing.length === 0 && failures.length === 0))
  if (!complete && failures.length > 0) throw failures[0]
  if (!complete) return notAllThere(runUuid, `${found.length} of ${size}`, listed.length === 0 ? regions.length : missing, untaggedOfTheSet)
  if (untagged.length > 0) {
    return `the AMIs built by Packer run ${runUuid} are not all tagged (their builds' own tags are not on ${untagged.sort().join(', ')})`
  }
  if (givenTheirOwn.length > 0) return namingNoBuild(runUuid, givenTheirOwn)
  const notTheirs = notOfTheBuilds(runUuid, named, options.builds) ?? notWhereMade(runUuid, named, options.builds)
  if (notTheirs !== undefined) return notTheirs
  if (deprecated.length > 0) return `the AMIs built by Packer run ${runUuid} are deprecated (${deprecated.sort().join(', ')})`
  const builtBy = searched.images.map((image) => tagOf(image, provenanceTagKeys.runUrl)).find(Boolean)
  return { amis: found, runUuid, builtBy, snapshotsOf, ...(untaggedOfTheSet.amis.length > 0 ? { untagged: untaggedOfTheSet.amis.map(({ deprecation: _, ...one }) => one) } : {}) }
}

/** Why a set is not reused that the look-up found short (`count`): where none of it is, a set that may be anywhere in how many regions. */
function notAllThere(runUuid: string, count: string, missing: string[] | number, untagged: { failed?: string }): string {
  const where = typeof missing === 'number' ? ` in the account's ${missing} regions` : missing.length > 0 ? `; none in ${missing.sort().join(', ')}` : ''
  const lookedFor = untagged.failed === undefined ? '' : `; looking for those its run left untagged failed: ${untagged.failed}`
  return `the AMIs built by Packer run ${runUuid} are not all there (${count} found${where}${lookedFor})`
}

/**
 * Where the look-up found a set short in some regions, their AMIs the set's run left untagged
 * (untaggedOfSet), counted in what it found, each as the build of the AMI it is tied to.
 */
async function countUntagged(
  options: LookupOptions,
  set: { found: Ami[]; snapshotsOf: Record<string, string[]>; named: NamedAmi[]; missing: string[]; deprecated: string[] },
  setImages: Array<{ region: string; image: Image }>,
  size: string
): Promise<Awaited<ReturnType<typeof untaggedOfSet>>> {
  const { found, snapshotsOf, named, missing, deprecated } = set
  if (missing.length === 0 || found.length >= Number(size)) return { amis: [] }
  const looked = await untaggedOfSet(options, setImages, missing)
  const untagged = looked.amis
  for (const one of untagged) {
    found.push(one.ami)
    snapshotsOf[one.ami.amiId] = one.snapshotIds
    named.push({ value: tagOf(setImages.find(({ image }) => image.ImageId === one.tiedTo.amiId)?.image ?? {}, reuseTagKeys.build) ?? '', amiId: one.ami.amiId, region: one.ami.region })
    if (missing.includes(one.ami.region)) missing.splice(missing.indexOf(one.ami.region), 1)
  }
  for (const one of untagged) {
    if (isDeprecated({ DeprecationTime: one.deprecation })) deprecated.push(`${one.ami.amiId} in ${one.ami.region} since ${one.deprecation}`)
  }
  return looked
}

/**
 * The set's AMIs in `regions`, where none carries the set's tags: the run that built the set left
 * them untagged there (its tagging failed, in that region only). Nothing but EC2's own record
 * ties one to the set for sure, as no tag of the action's is on it: Packer gives an AMI's copies
 * its name, and EC2 records each copy's source (SourceImageId). An AMI of this account there,
 * available, with a name of the set's, that is a copy of one of the set's AMIs, or the one such
 * an AMI is a copy of, and carries no fingerprint or set of its own, is the set's. One with the
 * name alone (an AMI named alike by another run, a name without a timestamp) is not.
 */
async function untaggedOfSet(
  options: LookupOptions,
  setImages: Array<{ region: string; image: Image }>,
  regions: string[]
): Promise<{ amis: Array<UntaggedOfTheSet & { deprecation?: string }>; failed?: string }> {
  const names = [...new Set(setImages.flatMap(({ image }) => (image.Name ? [image.Name] : [])))]
  if (names.length === 0) return { amis: [] }
  try {
    const perRegion = await Promise.all(
      regions.map(async (region) => {
        const images = await withClient(options, region, (ec2) => imagesNamed(ec2, names))
        return images.flatMap((image) => {
          if (tagOf(image, reuseTagKeys.set) !== undefined || tagOf(image, reuseTagKeys.fingerprint) !== undefined) return []
          const copyOf = setImages.find((one) => image.SourceImageId !== undefined && one.image.ImageId === image.SourceImageId)
          const sourceOf = setImages.find((one) => one.image.SourceImageId !== undefined && one.image.SourceImageId === image.ImageId)
          const tied = copyOf ?? sourceOf
          if (tied === undefined || tied.image.Name !== image.Name) return []
          const has = new Set((image.Tags ?? []).flatMap((tag) => (tag.Key && tag.Value ? [tag.Key] : [])))
          const setKeys: string[] = Object.values(reuseTagKeys)
          const tags = Object.fromEntries(
            (tied.image.Tags ?? []).flatMap((tag) =>
              tag.Key && tag.Value !== undefined && !tag.Key.startsWith('aws:') && (!has.has(tag.Key) || setKeys.includes(tag.Key)) ? [[tag.Key, tag.Value]] : []
            )
          )
          const ami = { ...amiOf(tied.image, region), amiId: image.ImageId ?? '' }
          const tiedTo = { amiId: tied.image.ImageId ?? '', region: tied.region, relation: copyOf ? ('copy' as const) : ('source' as const) }
          return [{ ami, tiedTo, tags, snapshotIds: snapshotIdsOf(image), deprecation: image.DeprecationTime }]
        })
      })
    )
    return { amis: perRegion.flat() }
  } catch (error) {
    return { amis: [], failed: describeAwsFailure(error, 'ec2:DescribeImages') }
  }
}

/** This account's available AMIs with one of `names`. */
function imagesNamed(ec2: EC2Client, names: string[]): Promise<Image[]> {
  return describeAllImages(ec2, {
    Owners: ['self'],
    Filters: [
      { Name: 'name', Values: names.map(exactFilterValue) },
      { Name: 'state', Values: ['available'] }
    ]
  })
}

/**
 * Gives each of a set's untagged AMIs (and with `tagSnapshots` its snapshots) what it was to get:
 * one CreateTags each. The AMIs whose tagging failed, with why; never throws.
 */
export async function tagUntaggedOfTheSet(
  untagged: UntaggedOfTheSet[],
  tagSnapshots: boolean,
  options: Pick<LookupOptions, 'ec2For'> = {}
): Promise<Array<{ one: UntaggedOfTheSet; failed: string }>> {
  const outcomes = await Promise.all(
    untagged.map(async (one) => {
      try {
        await withClient(options, one.ami.region, (ec2) =>
          ec2.send(
            new CreateTagsCommand({
              Resources: [one.ami.amiId, ...(tagSnapshots ? one.snapshotIds : [])],
              Tags: Object.entries(one.tags).map(([Key, Value]) => ({ Key, Value }))
            })
          )
        )
        return undefined
      } catch (error) {
        return { one, failed: describeAwsFailure(error, 'ec2:CreateTags') }
      }
    })
  )
  return outcomes.filter((outcome) => outcome !== undefined)
}

/** Why a set whose AMIs' PackerBuild (on `amis`, as `<AMI ID> in <region>`) names no build is not reused. */
function namingNoBuild(runUuid: string, amis: string[]): string {
  return (
    `the AMIs built by Packer run ${runUuid} do not say which build made them (their ${reuseTagKeys.build} is not the action's ` +
    `on ${amis.sort().join(', ')}: a tags entry or the template gave them their own)`
  )
}

/**
 * Whether the AMI's deprecation time has passed (the amazon plugin's `deprecate_at`, often a
 * time after the build, or EnableImageDeprecation). EC2 lists an owner's deprecated AMIs like
 * any other, but they are on their way out: others no longer find them, and a launch template
 * or Auto Scaling group would be handed an image its owners meant to replace by then.
 */
function isDeprecated(image: Image): boolean {
  const at = image.DeprecationTime === undefined ? Number.NaN : Date.parse(image.DeprecationTime)
  return !Number.isNaN(at) && at <= Date.now()
}

async function withClient<T>(options: Pick<LookupOptions, 'ec2For'>, region: string, use: (ec2: EC2Client) => Promise<T>): Promise<T> {
  const ec2 = options.ec2For ? options.ec2For(region) : ec2Client(region, 3)
  try {
    return await use(ec2)
  } finally {
    if (!options.ec2For) ec2.destroy()
  }
}

/**
 * Where the look-up searches for the fingerprint: a region where every set of this run has an
 * AMI. The home region where a build of the run makes AMIs there; else, as the home region is
 * often the workflow's (configure-aws-credentials') and not the template's, the first region of
 * the first build whose regions are known (a whole successful build has its AMI there, whatever
 * the other builds, of regions known or not, make). Where no build's regions are known (a
 * template that names no region builds in the home region, which Packer is given), the home
 * region, `sure` false: a set built elsewhere is not found there.
 */
export function lookupRegion(homeRegion: string, builds: BuildOfRun[] | undefined): { region: string; sure: boolean } {
  const known = (builds ?? []).flatMap((build) => (build.regions !== undefined && build.regions.length > 0 ? [build.regions] : []))
  if (known.length === 0) return { region: homeRegion, sure: false }
  return { region: known.some((regions) => regions.includes(homeRegion)) ? homeRegion : known[0][0], sure: true }
}

/**
 * The AMIs with the fingerprint in the region to look in (`first`); in a job re-run where that
 * region holds none, those of the first other region of the builds' that holds some, looked in
 * all at once (else the last of them, with none).
 */
async function lookIn(options: LookupOptions, first: { region: string; sure: boolean }): Promise<{ region: string; images: Image[]; sure: boolean }> {
  const withFingerprint = (region: string) => withClient(options, region, (ec2) => imagesWith(ec2, { [reuseTagKeys.fingerprint]: options.fingerprint }))
  const images = await withFingerprint(first.region)
  const others = [...new Set((options.builds ?? []).flatMap((build) => build.regions ?? []))].filter((region) => region !== first.region)
  if (images.length > 0 || !options.rerun || others.length === 0) return { ...first, images }
  const found = await Promise.all(others.map(async (region) => ({ region, images: await withFingerprint(region), sure: first.sure })))
  return found.find((one) => one.images.length > 0) ?? { ...first, images }
}

/**
 * Looks for available AMIs of this account with the fingerprint in one region (lookupRegion),
 * then for the rest of their set in the other regions it covered; the newest complete set wins.
 * Never throws: a failed look-up is a reason to build.
 */
export async function findReusableSet(options: LookupOptions): Promise<ReuseLookup> {
  try {
    const first = lookupRegion(options.homeRegion, options.builds)
    const { region, images, sure } = await lookIn(options, first)
    const newest = [...images].sort((a, b) => (b.CreationDate ?? '').localeCompare(a.CreationDate ?? ''))
    const sets = [...new Set(newest.map((image) => tagOf(image, reuseTagKeys.set)).filter((set): set is string => !!set))]
    if (sets.length === 0) {
      const none = `no AMI in ${region === first.region ? region : `${first.region} or ${region}`} has fingerprint ${options.fingerprint}`
      if (sure) return { why: none }
      return {
        why:
          `${none}: where only Packer knows the regions the template builds in, reuse looks in the home region (${region}) only; ` +
          'if the template builds elsewhere, set aws-region to the region it builds in'
      }
    }
    let why = ''
    for (const set of sets) {
      const result = await completeSet(options, set, { region, images: images.filter((image) => tagOf(image, reuseTagKeys.set) === set) })
      if (typeof result !== 'string') return { found: result }
      why = result
    }
    return { why }
  } catch (error) {
    const why = `looking for AMIs to reuse failed: ${describeAwsFailure(error, 'ec2:DescribeImages')}`
    const said = `${awsErrorCode(error)}: ${errorMessage(error)}`
    const refusedCredentials = refusedCredentialsCode(said)
    if (refusedCredentials !== undefined) return { why, failed: true, refusedCredentials }
    return { why, failed: true, ...(saysCredentialsExpired(said) ? { expiredCredentials: true } : {}) }
  }
}

/**
 * Those of a found set's AMIs that are gone since the look-up, and those disabled since (still
 * there, but they launch nothing); `failed` when EC2 could not say.
 */
export type SetCheck = { gone: Ami[]; disabled: Ami[]; failed?: undefined } | { gone?: undefined; disabled?: undefined; failed: string }

/** Whether the check found the set as the look-up did: every AMI there and enabled. */
export function stillWhole(check: SetCheck): boolean {
  return check.failed === undefined && check.gone.length === 0 && check.disabled.length === 0
}

/**
 * Which of the set's AMIs someone deregistered or disabled since the look-up found them (a
 * cleanup job, a person): one DescribeImages per region, naming the region's AMIs, disabled ones
 * included. Asked just before the set is handed on, after its re-tagging when there is one:
 * CreateTags tags a disabled AMI as any other. Never throws.
 */
export async function changedSinceLookup(amis: Ami[], options: Pick<LookupOptions, 'ec2For'> = {}): Promise<SetCheck> {
  const regions = [...new Set(amis.map((ami) => ami.region))]
  try {
    const changed = await Promise.all(
      regions.map(async (region) => {
        const inRegion = amis.filter((ami) => ami.region === region)
        const amiIds = inRegion.map((ami) => ami.amiId)
        const answer = await withClient(options, region, (ec2) =>
          ec2.send(new DescribeImagesCommand({ ImageIds: amiIds, IncludeDisabled: true }))
        )
        const goneIds = goneFrom(amiIds, answer.Images ?? [])
        const disabledIds = disabledAmong(amiIds, answer.Images ?? [])
        return { gone: inRegion.filter((ami) => goneIds.includes(ami.amiId)), disabled: inRegion.filter((ami) => disabledIds.includes(ami.amiId)) }
      })
    )
    return { gone: changed.flatMap((region) => region.gone), disabled: changed.flatMap((region) => region.disabled) }
  } catch (error) {
    return { failed: describeAwsFailure(error, 'ec2:DescribeImages') }
  }
}
