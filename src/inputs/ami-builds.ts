// Whether the builds a run would run can make an AMI at all: the action exists to tag and hand on
// AMIs, and a run of builds that make none (an amazon-ebsvolume, which launches an instance and
// makes volumes; a null one) would be installed, validated and built, money spent, only to fail
// once Packer is done. Refused only where it is certain: a builder type the action does not know
// (a plugin's), or a name or setting only Packer knows, is left to the build.
import { literalBoolean } from '../common/values.js'
import { partitionOf } from '../common/partitions.js'
import type { BuildRegions } from '../common/expired-credentials.js'
import type { InputProblem, ProblemLocation } from './reader.js'
import { imageFamilyTagKey } from './retention.js'
import { maxTagsPerResource } from './tags.js'
import type { TemplateKind } from './template.js'

/** A build as the template writes it, where its builder or source is. */
export interface AmiBuild {
  /** As -only and -except match it; undefined when only Packer knows it. */
  name?: string
  /** The builder's type, as written. */
  type: string
  /** Its `skip_create_ami` is written true: an amazon-ebs build that makes none. */
  skipsAmi: boolean
  /**
   * Its `skip_save_build_region` is written true and its `ami_regions` names no region
   * (copiesToNoRegion): an amazon-ebs build that deregisters the one AMI it makes.
   */
  skipsBuildRegion?: boolean
  location: ProblemLocation
  /** The tag keys the template writes on the build's AMI (`tags`) and its snapshots (`snapshot_tags`), where they are known. */
  tags?: { ami?: WrittenTags; snapshots?: WrittenTags }
  /** An HCL2 build: what it builds and where (BuildOfSource). */
  made?: BuildOfSource
  /** The regions its AMIs are in once it succeeds (regionsMade), the home region where it names none; undefined where only Packer knows them. */
  regions?: string[]
  /**
   * The region it launches its instance in and makes its AMI in (buildRegionOf): its `region`, the
   * home region where it names none; undefined where only Packer knows it.
   */
  buildRegion?: string
  /** Its buildRegion is the home region, as it names none. */
  buildsInHomeRegion?: true
  /**
   * The regions it copies its AMI to, known before the build, each where it is written: the
   * entries of its `ami_regions`, then the keys of its `region_kms_key_ids` that ami_regions does
   * not name (Packer refuses those itself, at validate).
   */
  copies?: CopyRegion[]
  /**
   * Its force_deregister is not written false: it may deregister an AMI that another build of the
   * run made under the same name, in a region of both, which the run's set then lacks.
   */
  mayDeregister?: true
  /**
   * Where its `ssh_interface` is written, when the build connects through Session Manager with
   * the run's values (connectsThroughSessionManager): Packer then runs the session-manager-plugin.
   */
  sessionManager?: ProblemLocation
  /**
   * Where it picks its source AMI only as it builds (pickedSourceAmi): its `source_ami_filter`, or
   * an HCL2 `source_ami` that a data source gives. Which AMI that is, no input of the run says.
   */
  picksSourceAmi?: ProblemLocation
  /**
   * Its `source_ami_filter` with the run's values (sourceAmiFilterOf), where the action knows them
   * all: the action can then ask EC2 which AMI it picks now, as Packer will.
   */
  sourceAmiFilter?: SourceAmiFilter
  /**
   * Where its HCL2 `source_ami` is a `data "amazon-parameterstore"` block's value alone
   * (`data.amazon-parameterstore.base.value`), as AWS publishes the newest base AMIs: the block's
   * name, the parameter's, and the region it is read in (its `region`, else the home region).
   */
  sourceAmiParameter?: { dataSource: string; name: string; region: string }
  /** Its builder names the credentials Packer builds with: its own (ownCredentialSettings), or a role to assume. */
  ownCredentials?: OwnCredentials
}

/**
 * Whether a builder picks its source AMI only as it builds: with a `source_ami_filter` (the newest
 * AMI that matches it then, with most_recent), or a `source_ami` that reads a data source
 * (`sourceAmiFromData`: `data.amazon-ami.base.id`, an HCL2 template's), which Packer runs as it builds.
 */
export function pickedSourceAmi(filter: unknown, sourceAmiFromData = false): boolean {
  return (filter !== undefined && filter !== null) || sourceAmiFromData
}

/** A `source_ami_filter` as Packer's amazon plugin asks DescribeImages for a build's source AMI (AmiFilterOptions). */
export interface SourceAmiFilter {
  /** Each filter's name and its one value. */
  filters: Record<string, string>
  owners: string[]
  /** The newest of several that match, by CreationDate; else several that match fail the build. */
  mostRecent: boolean
  includeDeprecated: boolean
  /** A `source_ami` written beside the filter: Packer asks for that image, which the filter must match. */
  imageId?: string
  /**
   * Where the filter is a `data "amazon-ami"` block's that the build's `source_ami` reads alone
   * (`data.amazon-ami.base.id`): its name, and the region it asks in (its `region`, else the home
   * region, which Packer is given as AWS_REGION), whatever the build's region.
   */
  dataSource?: { name: string; region: string }
}

/**
 * A `source_ami_filter` with the run's values (SourceAmiFilter), from its settings as the
 * template's reader works them out: a filter, owner or switch whose value only Packer knows
 * (undefined), or a source_ami that a data source gives, makes it unknown (undefined).
 */
export function sourceAmiFilterOf(written: {
  filters: Array<[string | undefined, string | undefined]> | undefined
  owners: Array<string | undefined> | undefined
  mostRecent: unknown
  includeDeprecated: unknown
  /** null where no source_ami is written; undefined where only Packer knows its value (a data source's, say). */
  sourceAmi: string | undefined | null
}): SourceAmiFilter | undefined {
  const { filters, owners, sourceAmi } = written
  const mostRecent = literalBoolean(written.mostRecent)
  const includeDeprecated = literalBoolean(written.includeDeprecated)
  if (filters === undefined || filters.some(([name, value]) => name === undefined || value === undefined)) return undefined
  if (owners === undefined || owners.some((owner) => owner === undefined)) return undefined
  if (mostRecent === undefined || includeDeprecated === undefined || sourceAmi === undefined) return undefined
  return {
    filters: Object.fromEntries(filters),
    owners: owners as string[],
    mostRecent,
    includeDeprecated,
    ...(sourceAmi === null || sourceAmi === '' ? {} : { imageId: sourceAmi })
  }
}

/** The credentials a build's builder names of its own (ownCredentialSettings). */
export interface OwnCredentials {
  /** As this run's values give them; undefined where only Packer works them out (ownCredentialsOf). */
  given?: TemplateCredentials
  /**
   * Packer needs none of the step's credentials for it: keys, a profile or Vault of its own
   * (setsOwnCredentials). Not a role alone, which Packer assumes with the step's.
   */
  stepFree?: true
}

/**
 * Credentials a builder names, with this run's values, as Packer's AWS access config takes them:
 * keys of its own first, else the step's keys, else a profile of the shared files; then a role
 * assumed with those.
 */
export interface TemplateCredentials {
  keys?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string }
  profile?: string
  /** Its shared_credentials_file. */
  credentialsFile?: string
  assumeRole?: AssumedRole
}

/** A builder's `assume_role`, as Packer passes it to STS AssumeRole. */
export interface AssumedRole {
  roleArn: string
  sessionName?: string
  externalId?: string
  durationSeconds?: number
  policy?: string
}

/** A region a build copies its AMI to, and where the template (or a variables file) writes it. */
export interface CopyRegion {
  region: string
  setting: 'ami_regions' | 'region_kms_key_ids'
  location: ProblemLocation
}

/** The source an HCL2 build builds, as its build block names it. */
export interface BuildOfSource {
  /** The source block it builds, `TYPE.NAME`. */
  source: string
  /** Where the build block names it: its `sources` entry, or its `source` block. */
  location: ProblemLocation
  /** Where that build block begins. */
  block: ProblemLocation
  /**
   * The same for every build that makes an AMI of the same name in the same region, as each of
   * its settings is the same; absent where the name may differ from one build to the next.
   */
  sameAmi?: string
}

/**
 * The keys of a build's tags that the template writes literally (a key only Packer works out is
 * left out: it may be any, or one of these), and where they are written.
 */
export interface WrittenTags {
  keys: string[]
  location: ProblemLocation
  /** Some key only Packer works out, left out of `keys`: the tags may hold any key besides. */
  partial?: true
}

/**
 * A builder's settings that give it credentials of its own, which Packer uses instead of the
 * step's: a build with one of them does not need the step to have any. Not `assume_role`, whose
 * role Packer assumes with the credentials it finds otherwise (the step's, with none of these),
 * nor `token`, a session token for keys given besides.
 */
export const ownCredentialSettings = ['access_key', 'secret_key', 'profile', 'shared_credentials_file', 'vault_aws_engine']

/**
 * Whether a builder's `setting` (its value where the run's values tell it, else as written;
 * undefined where it is not set) gives it credentials of its own. An empty value is none: Packer
 * takes it for unset, as for a variable left at its "" default.
 */
export function setsOwnCredentials(setting: (name: string) => unknown): boolean {
  return ownCredentialSettings.some((name) => setting(name) !== undefined && setting(name) !== '')
}

/**
 * Whether a builder's `setting` (as for setsOwnCredentials) names the credentials Packer builds
 * with: its own, or a role to assume (with its own, else the step's).
 */
export function namesCredentials(setting: (name: string) => unknown): boolean {
  return setsOwnCredentials(setting) || (setting('assume_role') !== undefined && setting('assume_role') !== '')
}

/** The `assume_role` settings the action passes on as Packer does (AssumedRole); any other is left to Packer. */
const assumeRoleSettings = ['role_arn', 'session_name', 'external_id', 'duration_seconds', 'policy']

/**
 * A builder's own credentials (OwnCredentials), from the values this run gives its settings:
 * `value` of a setting (`access_key`, …, or `assume_role.role_arn`) is null where it is not
 * written, undefined where only Packer works it out. Left to Packer (no `given`): such a value,
 * Vault's engine, an MFA code, an assume_role setting besides assumeRoleSettings. An empty value
 * is unset, as Packer takes it.
 */
export function ownCredentialsOf(value: (setting: string) => string | undefined | null, written: (setting: string) => boolean): OwnCredentials {
  const settings = ['access_key', 'secret_key', 'token', 'profile', 'shared_credentials_file', ...assumeRoleSettings.map((name) => `assume_role.${name}`)]
  const values = new Map(settings.map((name) => [name, value(name)]))
  const unknown = [...values.values()].some((each) => each === undefined) || written('vault_aws_engine') || written('mfa_code') || written('assume_role.other')
  if (unknown) return {}
  const set = (name: string): string | undefined => values.get(name) || undefined
  const accessKeyId = set('access_key')
  const secretAccessKey = set('secret_key')
  const sessionToken = set('token')
  const roleArn = set('assume_role.role_arn')
  const duration = set('assume_role.duration_seconds')
  if (duration !== undefined && !/^\d+$/.test(duration)) return {}
  const given: TemplateCredentials = {
    ...(accessKeyId && secretAccessKey ? { keys: { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) } } : {}),
    ...(set('profile') ? { profile: set('profile') } : {}),
    ...(set('shared_credentials_file') ? { credentialsFile: set('shared_credentials_file') } : {}),
    ...(roleArn
      ? {
          assumeRole: {
            roleArn,
            ...(set('assume_role.session_name') ? { sessionName: set('assume_role.session_name') } : {}),
            ...(set('assume_role.external_id') ? { externalId: set('assume_role.external_id') } : {}),
            ...(duration ? { durationSeconds: Number(duration) } : {}),
            ...(set('assume_role.policy') ? { policy: set('assume_role.policy') } : {})
          }
        }
      : {})
  }
  return { given }
}

/** The names of a builder's `assume_role` settings that ownCredentialsOf does not pass on. */
export function otherAssumeRoleSettings(block: Record<string, unknown>): string[] {
  return Object.keys(block).filter((name) => !assumeRoleSettings.includes(name))
}

/** The builders that make AMIs: the only builds whose artifacts the action reads. */
export const amiBuilders = ['amazon-ebs', 'amazon-ebssurrogate', 'amazon-instance', 'amazon-chroot']

/**
 * Builder types that make no AMI, as Packer and their plugins document them: a file, volumes,
 * a container, another cloud's or a hypervisor's image.
 */
const makesNoAmi = new Set([
  'null',
  'file',
  'amazon-ebsvolume',
  'docker',
  'googlecompute',
  'azure-arm',
  'azure-chroot',
  'qemu',
  'virtualbox-iso',
  'virtualbox-ovf',
  'virtualbox-vm',
  'vmware-iso',
  'vmware-vmx',
  'hyperv-iso',
  'hyperv-vmcx',
  'parallels-iso',
  'parallels-pvm',
  'vsphere-iso',
  'vsphere-clone',
  'lxc',
  'lxd',
  'digitalocean',
  'hcloud'
])

/**
 * A problem on each build the run would run, when none of them makes an AMI; none when one may,
 * when `builds` is undefined (only Packer knows them), or when the command builds nothing.
 */
export async function noAmiProblems(
  builds: AmiBuild[] | undefined,
  given: { command: string; only: string[]; except: string[]; templateKind: TemplateKind }
): Promise<InputProblem[]> {
  if (builds === undefined || given.command !== 'build') return []
  const running = given.only.length === 0 && given.except.length === 0 ? builds : await selected(builds, given)
  if (running.length === 0 || running.some((build) => !makesNone(build))) return []
  return running.map((build) => {
    const why = build.skipsAmi
      ? ', as its skip_create_ami is true'
      : build.skipsBuildRegion
        ? ', as its skip_save_build_region is true and its ami_regions names no region: Packer makes the AMI under a ' +
          'temporary name, copies it to the regions of ami_regions, then deregisters it'
        : ''
    const named = build.name === undefined ? '' : ` ${build.name}`
    return {
      message:
        `template: ${build.location.file}: build${named} (builder ${build.type}) makes no AMI${why}, and this run builds nothing else: ` +
        `the action builds AMIs, and would fail after the build. Build with a builder that makes one: ${amiBuilders.slice(0, -1).join(', ')} or ${amiBuilders.at(-1)}.`,
      location: build.location
    }
  })
}

/**
 * A problem on each build the run would run that builds a source its build block or an earlier
 * one builds already with the same settings (BuildOfSource.sameAmi). Packer 1.6.6 and later run
 * both (under one name, when neither build block has one), and the second's AMI is named as the
 * first's in the same region: EC2 refuses it (InvalidAMIName.Duplicate) once the first's AMI is
 * made, a whole build spent, and Packer's error names the source block, not the build block.
 */
export async function repeatedBuildProblems(
  builds: AmiBuild[] | undefined,
  given: { command: string; only: string[]; except: string[]; templateKind: TemplateKind }
): Promise<InputProblem[]> {
  if (builds === undefined || given.command !== 'build') return []
  const repeatable = builds.filter((build) => build.made?.sameAmi !== undefined && amiBuilders.includes(build.type) && !build.skipsAmi)
  if (repeatable.length < 2) return []
  const running = given.only.length === 0 && given.except.length === 0 ? repeatable : await selected(repeatable, given)
  const first = new Map<string, AmiBuild>()
  const problems: InputProblem[] = []
  for (const build of running) {
    const made = build.made as BuildOfSource
    const earlier = first.get(made.sameAmi as string)
    if (earlier === undefined) {
      first.set(made.sameAmi as string, build)
      continue
    }
    const before = earlier.made as BuildOfSource
    const where = `${before.block.file}:${before.block.line ?? 1}`
    const sameBlock = before.block.file === made.block.file && before.block.line === made.block.line
    const sameName = build.name !== undefined && build.name === earlier.name
    const named = sameName ? ` under the same name, ${build.name},` : ''
    const again = sameBlock
      ? `the build block at line ${made.block.line ?? 1} builds source.${made.source} a second time,${named} with the same settings`
      : `this build block builds source.${made.source} as the build block at ${where} does,${named} with the same settings`
    const block = `source "${made.source}" { … } block`
    const advice = sameBlock
      ? `List the source once, or build it in two ${block}s, each with a name and an ami_name of its own`
      : `Give this build block ${sameName ? 'a name of its own (name = "…") and ' : ''}an ami_name of its own in a ${block}, or build the source once`
    problems.push({
      message:
        `template: ${made.location.file}: ${again}: Packer builds it twice, and both AMIs get the same name in the same region. ` +
        `EC2 refuses the second's (InvalidAMIName.Duplicate) once the first's AMI is made, and Packer names the source block, not ` +
        `this build block. ${advice}; set ami_name there instead of in the source block (Packer refuses it in both).`,
      location: made.location
    })
  }
  return problems
}

/**
 * A problem on each region that a build the run would run copies its AMI to (AmiBuild.copies), in
 * another partition than the region it makes the AMI in (aws, aws-cn, aws-us-gov, the isolated
 * ones): EC2's CopyImage copies an AMI between regions of one partition only, whose accounts and
 * credentials are of that partition alone. Packer's region check refuses it at validate, once
 * Packer is installed (DescribeRegions lists the regions of the build's partition); with
 * skip_region_validation, the copy fails once the AMI is made, which is left in the build region.
 * Only regions whose partition their names tell (partitionOf) are compared.
 */
export async function crossPartitionProblems(
  builds: AmiBuild[] | undefined,
  given: { only: string[]; except: string[]; templateKind: TemplateKind }
): Promise<InputProblem[]> {
  if (builds === undefined) return []
  const copying = builds.filter((build) => amiBuilders.includes(build.type) && !build.skipsAmi && build.buildRegion !== undefined && (build.copies?.length ?? 0) > 0)
  if (copying.length === 0) return []
  const running = given.only.length === 0 && given.except.length === 0 ? copying : await selected(copying, given)
  if (running.length === 0) return []
  const problems: InputProblem[] = []
  for (const build of running) {
    const buildRegion = build.buildRegion as string
    const home = partitionOf(buildRegion)
    if (home === undefined) continue
    for (const { region, setting, location } of build.copies ?? []) {
      const other = partitionOf(region)
      if (other === undefined || other === home) continue
      const named = build.name === undefined ? ` (builder ${build.type})` : ` ${build.name}`
      const where = build.buildsInHomeRegion ? ', the home region, as it names no region' : ''
      const second = given.templateKind === 'hcl' ? 'source block' : 'builder'
      problems.push({
        message:
          `template: ${location.file}: ${setting} of build${named} names ${region}, in partition ${other}, and the build makes its AMI in ` +
          `${buildRegion}${where}, in partition ${home}: a copy cannot leave its partition. EC2 copies an AMI only between regions of one ` +
          `partition (CopyImage), so Packer's region check refuses ${region}, or, with skip_region_validation, the copy fails once the AMI ` +
          `is made, which is left in ${buildRegion}. Build the AMI for ${region} in its own partition instead: a second ${second} whose ` +
          `region is in ${other}, with credentials of that partition.`,
        location
      })
    }
  }
  return problems
}

/**
 * A problem on each build the run would run whose AMI or snapshots would get more than EC2's 50
 * tags: the keys the template writes, with those the action adds (`actionKeys`, from actionTagSet;
 * a key both write counts once). EC2 refuses the action's tagging once the build is done. Only
 * keys written literally count, so that a template Packer and EC2 take is never refused.
 */
export async function tagCountProblems(
  builds: AmiBuild[] | undefined,
  given: { only: string[]; except: string[]; templateKind: TemplateKind; tagSnapshots: boolean; provenanceTags: boolean },
  actionKeys: string[]
): Promise<InputProblem[]> {
  if (builds === undefined || actionKeys.length === 0) return []
  const tagged = builds.filter((build) => build.tags !== undefined && amiBuilders.includes(build.type) && !build.skipsAmi)
  if (tagged.length === 0) return []
  const running = given.only.length === 0 && given.except.length === 0 ? tagged : await selected(tagged, given)
  const problems: InputProblem[] = []
  const adds = given.provenanceTags ? 'tags input, provenance tags and its own' : 'tags input and its own'
  const orProvenance = given.provenanceTags ? ', or set provenance-tags: false' : ''
  for (const build of running) {
    for (const { written, resource, setting } of tagKinds(build, given.tagSnapshots)) {
      if (written === undefined) continue
      const all = new Set([...written.keys, ...actionKeys])
      if (all.size <= maxTagsPerResource) continue
      const named = build.name === undefined ? ` (builder ${build.type})` : ` ${build.name}`
      const shared = written.keys.length + actionKeys.length - all.size
      const once = shared > 0 ? `; ${shared} of the keys both write, counted once` : ''
      problems.push({
        message:
          `template: ${written.location.file}: build${named} would get ${all.size} tags on its ${resource}, and EC2 allows at most ` +
          `${maxTagsPerResource}: ${written.keys.length} the template writes in its ${setting}, ${actionKeys.length} the action adds ` +
          `(${adds})${once}. EC2 would refuse the action's tags once the build is done. ` +
          `Drop ${all.size - maxTagsPerResource} or more of the template's ${setting} or of the tags input's${orProvenance}.`,
        location: written.location
      })
    }
  }
  return problems
}

/**
 * A problem on each build the run would run whose template gives its AMI or snapshots, literally,
 * a key of the action's own that a feature of the run goes by (`actionKeys`, from keysGoneBy:
 * ImageFamily with keep-images or image-family; BuildFingerprint, BuildSet, PackerBuild with
 * reuse). The action's value would replace the template's once the build is done; refused as a
 * tags input entry of that key is. One only Packer works out is told of at tagging.
 */
export async function ownKeyProblems(
  builds: AmiBuild[] | undefined,
  given: { only: string[]; except: string[]; templateKind: TemplateKind; tagSnapshots: boolean },
  actionKeys: string[]
): Promise<InputProblem[]> {
  if (builds === undefined || actionKeys.length === 0) return []
  const giving = builds.filter((build) => amiBuilders.includes(build.type) && !build.skipsAmi && [build.tags?.ami, build.tags?.snapshots].some((written) => written?.keys.some((key) => actionKeys.includes(key))))
  if (giving.length === 0) return []
  const running = given.only.length === 0 && given.except.length === 0 ? giving : await selected(giving, given)
  return running.flatMap((build) =>
    tagKinds(build, given.tagSnapshots).flatMap(({ written, resource, setting }) => {
      const keys = written?.keys.filter((key) => actionKeys.includes(key)) ?? []
      if (written === undefined || keys.length === 0) return []
      const named = build.name === undefined ? ` (builder ${build.type})` : ` ${build.name}`
      const fingerprint = keys.filter((key) => key !== imageFamilyTagKey)
      const goesBy = [
        ...(keys.includes(imageFamilyTagKey) ? [`keep-images goes by ${imageFamilyTagKey}`] : []),
        ...(fingerprint.length > 0 ? [`reuse goes by ${fingerprint.join(', ')}`] : [])
      ]
      const instead = [
        ...(keys.includes(imageFamilyTagKey) ? ['set image-family to name the family'] : []),
        ...(fingerprint.length > 0 ? [`set reuse: false to keep the template's ${fingerprint.join(', ')}`] : [])
      ]
      const them = keys.length === 1 ? 'it' : 'them'
      return [
        {
          message:
            `template: ${written.location.file}: build${named} gives its ${resource} ${keys.join(', ')} in its ${setting}, ` +
            `which the action writes itself (${goesBy.join('; ')}): the action's value would replace the template's. ` +
            `Remove ${them} from the template's ${setting}, or ${instead.join(', or ')}.`,
          location: written.location
        }
      ]
    })
  )
}

/** A build's AMI tags and, with tag-snapshots, its snapshot tags (an amazon-instance AMI, backed by the instance store, has no snapshots). */
function tagKinds(build: AmiBuild, tagSnapshots: boolean): Array<{ written?: WrittenTags; resource: string; setting: string }> {
  return [
    { written: build.tags?.ami, resource: 'AMI', setting: 'tags' },
    ...(tagSnapshots && build.type !== 'amazon-instance' ? [{ written: build.tags?.snapshots, resource: 'snapshots', setting: 'snapshot_tags' }] : [])
  ]
}

/**
 * Whether a build may give its snapshots tags of its own (snapshot_tags): any build, when the
 * builds are not known. Only then does tagging read the snapshots' tags, for the provenance keys
 * the template gives them itself.
 */
export function mayTagSnapshots(builds: AmiBuild[] | undefined): boolean {
  return builds === undefined || builds.some((build) => build.tags?.snapshots !== undefined)
}

/**
 * Whether a build's snapshot_tags may give its snapshots a key of the action's own: one only
 * Packer works out (one written as it is is refused before the build, by ownKeyProblems); any
 * build, when the builds are not known. Only then does tagging read the snapshots' tags for the
 * action's own keys, to tell that its value replaced the template's.
 */
export function mayGiveSnapshotsOwnKeys(builds: AmiBuild[] | undefined): boolean {
  return builds === undefined || builds.some((build) => build.tags?.snapshots?.partial === true)
}

/**
 * The builds `only` and `except` leave in; a build whose name only Packer knows may run, and
 * counts. Their matcher (with its glob library) loads only for a run that gives them.
 */
async function selected(builds: AmiBuild[], given: { only: string[]; except: string[]; templateKind: TemplateKind }): Promise<AmiBuild[]> {
  const { selectsBuild } = await import('./hcl-build-selection.js')
  return builds.filter(({ name }) => name === undefined || selectsBuild(given, given.templateKind, name))
}

/**
 * A build of the run that may make AMIs, as a set's PackerBuild tags name it (buildTag in
 * aws/reuse.ts: `<builder type> <build name>`), so that a set is handed on only as its own builds'.
 */
export interface BuildOfRun {
  type: string
  /**
   * The names its AMIs' PackerBuild may give it: the build's name as -only matches it and, of an
   * HCL2 build, the shorter ones a manifest entry gives where Packer's output does not name the
   * AMI (`amazon-ebs.web`, `web`; Packer before 1.7, the source block's name for a build a build
   * block renames). Undefined where only Packer knows it: any name of its type may be its.
   */
  names?: string[]
  /** As a message names it. */
  shown: string
  /**
   * The regions its AMIs are in once it succeeds (AmiBuild.regions). Undefined where only Packer
   * knows them (a variable the action cannot resolve): its AMIs are then told apart by their
   * PackerBuild alone, as before the regions were known.
   */
  regions?: string[]
  /**
   * Whether its AMI is in each of `regions` once the run succeeds: not where a build of the run
   * may deregister one (mayDeregister), which leaves the set without it.
   */
  inEachRegion?: boolean
}

/**
 * The builds `only` and `except` leave in that may make an AMI (BuildOfRun), in the template's
 * order; undefined when the builds are not known.
 */
export async function buildsOfRun(
  builds: AmiBuild[] | undefined,
  given: { only: string[]; except: string[]; templateKind: TemplateKind }
): Promise<BuildOfRun[] | undefined> {
  if (builds === undefined) return undefined
  const running = given.only.length === 0 && given.except.length === 0 ? builds : await selected(builds, given)
  const inEachRegion = !running.some((build) => build.mayDeregister)
  return running
    .filter((build) => !makesNone(build))
    .map((build) => {
      const names = namesOf(build, given.templateKind)
      return {
        type: build.type,
        ...(names === undefined ? {} : { names }),
        shown: build.name ?? `the ${build.type} build whose name only Packer knows`,
        ...(build.regions === undefined ? {} : { regions: build.regions, inEachRegion })
      }
    })
}

/**
 * The names Packer may give a build (BuildOfRun.names): its name as -only matches it and, of an
 * HCL2 build, `BUILD.TYPE.NAME`, `TYPE.NAME`, `NAME`, as a manifest entry or Packer before 1.7 may
 * give them. Undefined where only Packer knows it.
 */
function namesOf(build: AmiBuild, templateKind: TemplateKind): string[] | undefined {
  if (build.name === undefined) return undefined
  const written = [build.name, build.made?.source].filter((name): name is string => name !== undefined)
  const shorter = templateKind === 'hcl' ? written.flatMap((name) => [name.split('.').slice(-2).join('.'), name.split('.').at(-1) as string]) : []
  return [...new Set([...written, ...shorter])]
}

/**
 * The regions the Amazon builds that `only` and `except` leave in launch in (BuildRegions), those
 * that make no AMI included: what Packer announced of any of them may be left. A name Packer may
 * give a build (namesOf) is tied to the build's region where every such build that may go by it
 * launches in that one region, known now: a build whose name only Packer knows may go by any.
 */
export async function buildRegionsOfRun(
  builds: AmiBuild[] | undefined,
  given: { only: string[]; except: string[]; templateKind: TemplateKind }
): Promise<BuildRegions> {
  if (builds === undefined) return { regions: [], unknown: true }
  const running = given.only.length === 0 && given.except.length === 0 ? builds : await selected(builds, given)
  const amazon = running.filter((build) => build.type.startsWith('amazon-'))
  const regions = [...new Set(amazon.flatMap((build) => (build.buildRegion === undefined ? [] : [build.buildRegion])))].sort()
  const byBuild = regionsByName(amazon, given.templateKind)
  return {
    regions,
    ...(amazon.some((build) => build.buildRegion === undefined) ? { unknown: true as const } : {}),
    ...(Object.keys(byBuild).length > 0 ? { byBuild } : {})
  }
}

/** Of buildRegionsOfRun: each name of `builds` (namesOf) whose builds all launch in one region known now, with it. */
function regionsByName(builds: AmiBuild[], templateKind: TemplateKind): Record<string, string> {
  const unnamed = builds.filter((build) => namesOf(build, templateKind) === undefined)
  const regions = new Map<string, Set<string | undefined>>()
  for (const build of builds) {
    for (const name of namesOf(build, templateKind) ?? []) regions.set(name, (regions.get(name) ?? new Set()).add(build.buildRegion))
  }
  const known = [...regions].flatMap(([name, of]) => {
    for (const build of unnamed) of.add(build.buildRegion)
    const [region] = of
    return of.size === 1 && region !== undefined ? [[name, region] as const] : []
  })
  // fromEntries, not assignment: a build named `__proto__` is a name like any other.
  return Object.fromEntries(known)
}

/**
 * An amazon-ebs build's skip_create_ami is its builder's own setting (the plugin's ebs Config):
 * the other AMI builders' are left to Packer, which validates and builds them.
 */
function makesNone(build: AmiBuild): boolean {
  return makesNoAmi.has(build.type) || (build.type === 'amazon-ebs' && (build.skipsAmi || build.skipsBuildRegion === true))
}

/**
 * Whether a build's `skip_save_build_region` and `ami_regions`, as written, leave it no AMI:
 * the first true, the second absent or empty. Packer then makes the AMI in the build region
 * under a temporary name, copies it nowhere, and deregisters it as it cleans up (the plugin's
 * StepAMIRegionCopy, 1.6.6 and since). A value only Packer works out is left to it.
 */
export function copiesToNoRegion(skipSaveBuildRegion: unknown, amiRegions: unknown): boolean {
  const none = amiRegions === undefined || amiRegions === '' || (Array.isArray(amiRegions) && amiRegions.length === 0)
  return literalBoolean(skipSaveBuildRegion) === true && none
}

/** The regions of `value` as Packer decodes them: a string split at each comma, or a list's strings. */
export function regionsOf(value: unknown, resolve: (written: string) => string | undefined): string[] | undefined {
  if (typeof value === 'string') {
    // Packer's string-to-list hook makes an empty string no entries, not one empty entry.
    const resolved = resolve(value)
    return resolved === '' ? [] : resolved?.split(',')
  }
  if (!Array.isArray(value)) return undefined
  const regions = value.map((item) => (typeof item === 'string' ? resolve(item) : undefined))
  return regions.every((region) => region !== undefined) ? regions : undefined
}

/**
 * The regions an Amazon build's AMIs are in once it succeeds, as the plugin makes them
 * (StepAMIRegionCopy): its build region's, but where skip_save_build_region deregisters that one,
 * and a copy in each region of ami_regions (a region named twice, or the build region, gets one).
 * `region` and `amiRegions` are their values in this run (absent ami_regions: none); `region` is
 * '' where none is written, or it is empty, as Packer reads both: such a build builds in the home
 * region (`homeRegion`), which the action gives Packer as AWS_REGION (packerEnvironment), and which
 * Packer's AWS session takes before AWS_DEFAULT_REGION and a profile's region (measured with
 * 1.6.6). Undefined, as the result is, where only Packer works one out: a variable the action
 * cannot resolve, no home region, the region amazon-chroot may take from the instance it runs on,
 * a skip_create_ami or skip_save_build_region that is no literal boolean (the build may make none,
 * or keep its build region's). So is a build region that ami_regions names too with
 * skip_save_build_region: the plugin's releases have copied the AMI back there, or not.
 */
export function regionsMade(
  region: string | undefined,
  amiRegions: string[] | undefined,
  written: { type: string; skipCreateAmi: unknown; skipSaveBuildRegion: unknown },
  homeRegion?: string
): string[] | undefined {
  const skipsBuildRegion = literalBoolean(written.skipSaveBuildRegion)
  const buildRegion = buildRegionOf(region, written.type, homeRegion)
  if (buildRegion === undefined || amiRegions === undefined) return undefined
  if (literalBoolean(written.skipCreateAmi) !== false || skipsBuildRegion === undefined) return undefined
  if (skipsBuildRegion && amiRegions.includes(buildRegion)) return undefined
  return [...new Set([...(skipsBuildRegion ? [] : [buildRegion]), ...amiRegions])].sort()
}

/**
 * The region a build launches its instance in and makes its AMI in (Packer's BuildRegion): its
 * `region` in this run, '' where none is written or it is empty, which is the home region
 * (regionsMade). Undefined where only Packer works it out: a variable the action cannot resolve,
 * no home region, or amazon-chroot's, which it may take from the instance Packer runs on.
 */
export function buildRegionOf(region: string | undefined, type: string, homeRegion?: string): string | undefined {
  const buildRegion = region === '' && type !== 'amazon-chroot' ? homeRegion : region
  return buildRegion === '' ? undefined : buildRegion
}

/** The builds `only` and `except` leave in that may make an AMI, as the template writes them. */
export async function amiBuildsOfRun(builds: AmiBuild[], given: { only: string[]; except: string[]; templateKind: TemplateKind }): Promise<AmiBuild[]> {
  const running = given.only.length === 0 && given.except.length === 0 ? builds : await selected(builds, given)
  return running.filter((build) => amiBuilders.includes(build.type) && !makesNone(build))
}
