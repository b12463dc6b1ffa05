// The record a run whose tagging failed leaves of the set it built, for a re-run of its job.
// Where tagging failed in every region, nothing on the AMIs ties them to the run (no tag of the
// action's, and no AMI of the set tagged to be a copy of), so reuse cannot find them in EC2. The
// run's own Actions cache can: its key names the workflow run, which a job re-run ("Re-run failed
// jobs") keeps, with the fingerprint of the build's inputs. The re-run then takes the AMIs as the
// set only where EC2 shows each as recorded: this account's, available, with the snapshots it had,
// and none of the set's tags but those the record gives it.
// The record is no secret: the runs of other refs restore what the default branch saves (a pull
// request's, from a fork too, which GitHub gives no secrets), and its key is easily guessed. So it
// holds what EC2 and the inputs of the re-run cannot give: the AMIs, their snapshots, and the
// action's own tags the failed attempt meant to give them (its provenance and the set's); never a
// value of the tags input, which may come from a secret, and which the re-run gives from its own.
import * as cache from '@actions/cache'
import * as core from '@actions/core'
import { CreateTagsCommand, DescribeImagesCommand, type EC2Client, type Image } from '@aws-sdk/client-ec2'
import { createHash } from 'node:crypto'
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Ami } from '../artifacts/manifest.js'
import { errorMessage } from '../common/errors.js'
import { gaveUpWaiting, withinDeadline } from '../common/waiting.js'
import { reuseTagKeys } from '../inputs/reuse.js'
import { provenanceTagKeys } from '../inputs/tags.js'
import { ec2Client } from './client.js'
import { describeAwsFailure } from './failures.js'
import { goneFrom, snapshotIdsOf } from './images.js'
import type { ReusableSet } from './reuse.js'

/** One AMI of the set, as the run that built it left it. */
export interface RecordedAmi extends Ami {
  /** Its snapshots, as the run's DescribeImages listed them; undefined when they were not listed. */
  snapshotIds?: string[]
  /**
   * For one the run left untagged, the action's own tags it was to get (provenance, the set's and
   * family's); undefined for one it tagged. Not those of the tags input: the re-run gives them.
   */
  actionTags?: Record<string, string>
  /** With tag-snapshots, the action's own tags its snapshots were to get. */
  snapshotActionTags?: Record<string, string>
}

export interface UntaggedRecord {
  fingerprint: string
  /** The set's BuildSet value: on each AMI the run tagged, and among the tags of each it did not. */
  set: string
  runUuid: string
  amis: RecordedAmi[]
}

/**
 * Which job of the run, and which leg of its matrix, the record is of. The jobs of a run, and the
 * legs of a matrix, may build the same fingerprint (one template and variables, into other
 * accounts, or tagged as other families): under one key, the second leg's save is refused (a key
 * is never saved twice) and its re-run takes the first leg's AMIs as its own. Nothing in a job's
 * environment names its matrix leg; what tells the legs apart reaches the action as its job's ID,
 * its inputs, the region and profile variables, and the access key. Left out as they change from
 * attempt to attempt: the token input, and a temporary access key's ID (an assumed role's, OIDC's).
 * Left out too, the inputs that may come from secrets, which a hash of them in a key anyone who
 * can read the repository's caches sees would let them test guesses at: tags, whose values may
 * also change from attempt to attempt (`${{ github.run_attempt }}`) and which, like the
 * fingerprint, the key leaves out as not changing the image (legs told apart by their tags alone
 * share one set, as reuse has them do); variables, which the fingerprint holds but for the values
 * of sensitive variables; and packer-releases-url, which may hold a password.
 */
const notInTheKey = new Set(['INPUT_GITHUB-TOKEN', 'INPUT_TAGS', 'INPUT_VARIABLES', 'INPUT_PACKER-RELEASES-URL'])

function jobLeg(): string {
  const env = process.env
  const inputs = Object.keys(env)
    .filter((name) => name.startsWith('INPUT_') && !notInTheKey.has(name))
    .sort()
    .map((name) => [name, env[name]])
  const accessKeyId = env['AWS_ACCESS_KEY_ID'] ?? ''
  const where = ['AWS_REGION', 'AWS_DEFAULT_REGION', 'AWS_PROFILE'].map((name) => env[name] ?? '')
  const leg = [env['GITHUB_JOB'] ?? '', inputs, where, accessKeyId.startsWith('AKIA') ? accessKeyId : '']
  return createHash('sha256').update(JSON.stringify(leg)).digest('hex').slice(0, 16)
}

/** The record's key, less the attempt that saved it: the workflow run (one repository's), the job and its matrix leg, and the fingerprint. */
function keyPrefix(fingerprint: string): string | undefined {
  const runId = process.env['GITHUB_RUN_ID']
  return runId ? `packer-ami-action-untagged-${runId}-${jobLeg()}-${fingerprint}-` : undefined
}

/**
 * The folder the record is saved from and restored to. The Actions cache finds an entry only by
 * the very paths it was saved from: a name of its own in the runner's temporary folder, which is
 * the same path on every hosted runner of an image.
 */
function recordFolder(): string {
  return join(process.env['RUNNER_TEMP'] || tmpdir(), 'packer-ami-action-untagged-set')
}

/** As long as the plugin cache is given: a service that accepts a request and never answers costs a minute. */
export const recordDeadlineMs = 60_000

/**
 * Saves the record for a re-run of this job, as attempt `attempt`'s. Never throws: says in the
 * log whether it is saved, or why not; without the Actions cache (GHES without it), in a debug
 * line only. Whether it is saved.
 */
export async function saveUntaggedRecord(record: UntaggedRecord, attempt: number, deadlineMs = recordDeadlineMs): Promise<boolean> {
  const prefix = keyPrefix(record.fingerprint)
  if (prefix === undefined || !cache.isFeatureAvailable()) {
    core.debug('Not recording the AMIs left untagged for a re-run: the Actions cache is not available here, or GITHUB_RUN_ID is not set.')
    return false
  }
  const key = `${prefix}${attempt}`
  const folder = recordFolder()
  try {
    await rm(folder, { recursive: true, force: true })
    await mkdir(folder, { recursive: true })
    await writeFile(join(folder, 'set.json'), JSON.stringify(record))
    const saved = await withinDeadline(cache.saveCache([folder], key), deadlineMs)
    if (!saved) {
      gaveUpWaiting()
      core.info(`The Actions cache did not answer within ${deadlineMs / 1000} s: the AMIs left untagged are not recorded for a re-run (${key}).`)
      return false
    }
    if (saved.value === -1) {
      core.info(`The AMIs left untagged are not recorded for a re-run (${key}, see above).`)
      return false
    }
    core.info(`Recorded the set in the Actions cache (${key}): a re-run of this job with reuse: true tags and reuses it instead of building again.`)
    return true
  } catch (error) {
    core.info(`Could not record the AMIs left untagged for a re-run (${key}): ${errorMessage(error)}`)
    return false
  } finally {
    await rm(folder, { recursive: true, force: true }).catch(() => undefined)
  }
}

/**
 * The record an earlier attempt of this workflow run left for `fingerprint`, the newest; undefined
 * when there is none, or the Actions cache is not available here (said in a debug line) or fails
 * (said in the log): the job builds, as without the record.
 */
export async function restoreUntaggedRecord(fingerprint: string, deadlineMs = recordDeadlineMs): Promise<{ record: UntaggedRecord; key: string } | undefined> {
  const prefix = keyPrefix(fingerprint)
  if (prefix === undefined || !cache.isFeatureAvailable()) {
    core.debug('Not looking for AMIs an earlier attempt left untagged: the Actions cache is not available here, or GITHUB_RUN_ID is not set.')
    return undefined
  }
  const folder = recordFolder()
  try {
    await rm(folder, { recursive: true, force: true })
    const restored = await withinDeadline(cache.restoreCache([folder], prefix, [prefix]), deadlineMs)
    if (!restored) {
      gaveUpWaiting()
      core.info(`The Actions cache did not answer within ${deadlineMs / 1000} s while looking for AMIs an earlier attempt left untagged.`)
      return undefined
    }
    if (restored.value === undefined) {
      core.info(`No earlier attempt of this workflow run recorded AMIs it left untagged for fingerprint ${fingerprint}.`)
      return undefined
    }
    const record = JSON.parse(await readFile(join(folder, 'set.json'), 'utf8')) as UntaggedRecord
    if (record.fingerprint !== fingerprint || !Array.isArray(record.amis) || record.amis.length === 0) {
      core.info(`The record in the Actions cache (${restored.value}) is not one of a set with fingerprint ${fingerprint}.`)
      return undefined
    }
    return { record, key: restored.value }
  } catch (error) {
    core.info(`Could not read the record of AMIs an earlier attempt left untagged: ${errorMessage(error)}`)
    return undefined
  } finally {
    await rm(folder, { recursive: true, force: true }).catch(() => undefined)
  }
}

const tagOf = (image: Image, key: string) => image.Tags?.find((tag) => tag.Key === key)?.Value

/** Why `image` is not the recorded AMI `ami`, or what it still needs: `tag` when it has none of the set's tags, `tagged` when it has them. */
function asRecorded(ami: RecordedAmi, image: Image | undefined, record: UntaggedRecord): { why: string } | 'tag' | 'tagged' {
  const named = `${ami.amiId} in ${ami.region}`
  if (image === undefined || image.State === 'deregistered') return { why: `${named} is gone` }
  if (image.State !== 'available') return { why: `${named} is ${image.State ?? 'in no known state'}, not available` }
  if (image.DeprecationTime !== undefined && Date.parse(image.DeprecationTime) <= Date.now()) {
    return { why: `${named} is deprecated since ${image.DeprecationTime}` }
  }
  const snapshots = snapshotIdsOf(image)
  if (ami.snapshotIds !== undefined && [...snapshots].sort().join() !== [...ami.snapshotIds].sort().join()) {
    return { why: `${named} has snapshots ${snapshots.join(', ') || 'none'}, not ${ami.snapshotIds.join(', ')} as recorded` }
  }
  const fingerprint = tagOf(image, reuseTagKeys.fingerprint)
  const set = tagOf(image, reuseTagKeys.set)
  if (fingerprint === record.fingerprint && set === record.set) return 'tagged'
  if (fingerprint === undefined && set === undefined && ami.actionTags !== undefined) return 'tag'
  if (fingerprint === undefined && set === undefined) return { why: `${named}, tagged by the run that built it, has lost the set's tags` }
  return { why: `${named} has ${reuseTagKeys.fingerprint} ${fingerprint ?? '(none)'} and ${reuseTagKeys.set} ${set ?? '(none)'} of its own` }
}

/** The recorded AMIs that were left untagged and are to get their tags now. */
export type RecordedUntagged = RecordedAmi & { actionTags: Record<string, string> }

/**
 * Whether EC2 shows every AMI of the record as recorded (one DescribeImages per region, naming its
 * AMIs, of this account's); if so, gives each the run left untagged the action's own tags it was
 * to get and `userTags`, the re-run's tags input (its snapshots too, with `tagSnapshots`), one
 * CreateTags each, and the set, to reuse. Else, why not: the job builds. Never throws.
 */
export async function adoptRecordedSet(
  record: UntaggedRecord,
  { tagSnapshots, userTags }: { tagSnapshots: boolean; userTags: Record<string, string> },
  ec2For: (region: string) => EC2Client = (region) => ec2Client(region, 3)
): Promise<{ set: ReusableSet; tagged: RecordedUntagged[] } | { why: string }> {
  const regions = [...new Set(record.amis.map((ami) => ami.region))].sort()
  const imagesOf = new Map<string, Image>()
  try {
    await Promise.all(
      regions.map(async (region) => {
        const amiIds = record.amis.filter((ami) => ami.region === region).map((ami) => ami.amiId)
        const ec2 = ec2For(region)
        try {
          const { Images: images = [] } = await ec2.send(new DescribeImagesCommand({ ImageIds: amiIds, Owners: ['self'], IncludeDisabled: true }))
          const gone = goneFrom(amiIds, images)
          for (const image of images) if (image.ImageId && !gone.includes(image.ImageId)) imagesOf.set(image.ImageId, image)
        } finally {
          ec2.destroy()
        }
      })
    )
  } catch (error) {
    return { why: `looking the recorded AMIs up failed: ${describeAwsFailure(error, 'ec2:DescribeImages')}` }
  }
  const toTag: RecordedUntagged[] = []
  const whys: string[] = []
  for (const ami of record.amis) {
    const found = asRecorded(ami, imagesOf.get(ami.amiId), record)
    if (found === 'tag') toTag.push(ami as RecordedUntagged)
    else if (found !== 'tagged') whys.push(found.why)
  }
  if (whys.length > 0) return { why: `the AMIs are not as recorded: ${whys.join('; ')}` }
  const failed = await Promise.all(
    toTag.map(async (ami) => {
      const ec2 = ec2For(ami.region)
      const send = (resources: string[], tags: Record<string, string>) =>
        ec2.send(new CreateTagsCommand({ Resources: resources, Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) }))
      try {
        const snapshots = tagSnapshots ? (ami.snapshotIds ?? snapshotIdsOf(imagesOf.get(ami.amiId) ?? {})) : []
        const tags = { ...ami.actionTags, ...userTags }
        const snapshotTags = { ...(ami.snapshotActionTags ?? ami.actionTags), ...userTags }
        const same = JSON.stringify(snapshotTags) === JSON.stringify(tags)
        if (same || snapshots.length === 0) await send([ami.amiId, ...(same ? snapshots : [])], tags)
        else await Promise.all([send([ami.amiId], tags), send(snapshots, snapshotTags)])
        return undefined
      } catch (error) {
        return `${ami.amiId} in ${ami.region}: ${describeAwsFailure(error, 'ec2:CreateTags').replace(/\.$/, '')}`
      } finally {
        ec2.destroy()
      }
    })
  )
  const failures = failed.filter((one) => one !== undefined)
  if (failures.length > 0) return { why: `tagging the recorded AMIs failed (${failures.join('; ')})` }
  const builtBy = record.amis.map((ami) => ami.actionTags?.[provenanceTagKeys.runUrl]).find(Boolean)
  const snapshotsOf = Object.fromEntries(record.amis.map((ami) => [ami.amiId, snapshotIdsOf(imagesOf.get(ami.amiId) ?? {})]))
  const amis = record.amis.map(({ snapshotIds: _, actionTags: __, snapshotActionTags: ___, ...ami }) => ami)
  return { set: { amis, runUuid: record.runUuid, builtBy, snapshotsOf }, tagged: toTag }
}
