// What a Packer that died before its own clean-up left in the account: the source instance,
// the temporary security group and the temporary key pair its log announced, the launch
// template it launched a spot instance from, and the AMIs that unfinished builds made of that
// instance, with their copies (leftover-images.ts). The post step removes exactly those, and
// nothing else: resources are looked up by the IDs and names Packer printed, or that EC2 ties
// to them, never by a pattern.
import * as core from '@actions/core'
import {
  DeleteKeyPairCommand,
  DeleteLaunchTemplateCommand,
  DeleteSecurityGroupCommand,
  DescribeInstancesCommand,
  DescribeKeyPairsCommand,
  DescribeSecurityGroupsCommand,
  EC2Client,
  type Instance,
  TerminateInstancesCommand
} from '@aws-sdk/client-ec2'
import type { IAMClient } from '@aws-sdk/client-iam'
import { setTimeout as sleep } from 'node:timers/promises'
import { ec2Client } from './client.js'
import { leftInText, regionOfBuild, removalCommands, saysCredentialsExpired, whereEachLeft, whereLeft } from '../common/expired-credentials.js'
import { awsErrorText } from './failures.js'
import { madeSincePackerStarted, postStepAwsMs, type LeftoverState } from './leftovers.js'
import { cleanUpImages } from './leftover-images.js'
import { enabledRegions } from './regions.js'

export interface CleanupOptions {
  ec2For?: (region: string) => EC2Client
  /** The IAM client, for the temporary instance profile and role (default: one for the home region). */
  iam?: IAMClient
  /** Where each finding and action is reported. */
  log: (message: string) => void
  /** Where a problem is reported (something that may still be left in the account). */
  warn: (message: string) => void
  /** The longest the whole clean-up may take (default postStepAwsMs, so the post step ends within a minute). */
  deadlineMs?: number
  /** Between looks at instances that are shutting down (default 2 s). */
  pollMs?: number
}

export interface CleanupReport {
  terminated: string[]
  alreadyGone: string[]
  deletedSecurityGroups: string[]
  deletedKeyPairs: string[]
  /** The launch templates Packer made to launch its spot instances. */
  deletedLaunchTemplates: string[]
  /** The temporary IAM instance profiles and roles: `instance profile packer-…`, `role packer-…`. */
  deletedIam: string[]
  /** The AMIs of builds that did not finish, with their copies: `ami-… (region)`. */
  deregistered: string[]
  deletedSnapshots: string[]
  /** Announced resources that may still exist: what the user must look at. */
  leftBehind: string[]
}

const goneStates = new Set(['shutting-down', 'terminated'])

/** Everything Packer's log named, by ID or name: the AMIs, the instances, the security groups, the key pairs, the volumes snapshotted. */
function named({ resources }: LeftoverState): string[] {
  return namedWithIds({ resources }).map(([said]) => said)
}

/** named, each with the ID or name it was announced by, where it is an EC2 resource (RunRecord.announcedBy). */
function namedWithIds({ resources }: Pick<LeftoverState, 'resources'>): Array<[string, string?]> {
  const own = (id: string): [string, string] => [id, id]
  return [
    ...resources.images.map(own),
    ...resources.instanceIds.map(own),
    ...resources.securityGroups.map(own),
    ...resources.keyPairs.map(own),
    ...resources.launchTemplates.map((template): [string, string] => [`launch template ${template}`, template]),
    ...resources.instanceProfiles.map((name): [string] => [`instance profile ${name}`]),
    ...resources.roles.map((name): [string] => [`role ${name}`]),
    ...resources.snapshotVolumes.map((volume): [string, string] => [`the snapshots of ${volume}`, volume])
  ]
}

/**
 * What Packer left (named), each with where it is: the region of the build that announced it
 * where the template tells it (BuildRegions.byBuild), else the regions the step was given.
 */
function namedWithRegions(state: LeftoverState): string {
  const given = `in ${state.regions.join(', ') || 'its build region'}`
  const groups: Array<{ where: string; names: string[] }> = []
  for (const [said, id] of namedWithIds(state)) {
    const build = id === undefined || state.announcedBy === undefined || !Object.hasOwn(state.announcedBy, id) ? undefined : state.announcedBy[id]
    const region = regionOfBuild(state.buildRegions, build)
    const where = region === undefined ? given : `in ${region}`
    const group = groups.find((known) => known.where === where)
    if (group === undefined) groups.push({ where, names: [said] })
    else group.names.push(said)
  }
  return groups.length === 0 ? `(${given})` : groups.map(({ where, names }) => `${names.join(', ')} (${where})`).join(', ')
}

/** How Packer ended, as the post step tells it. */
function packerEnd(state: LeftoverState): string {
  switch (state.packer) {
    case 'killed':
      return 'Packer was killed before it could clean up'
    case 'failed':
      return "Packer's build failed or was cancelled: it cleans up after itself, but not an AMI's copies in other regions, nor when a plugin of it crashed, so the post step looks"
    default:
      return 'Packer never finished'
  }
}

/**
 * Terminates every announced instance that is still alive, then deletes the announced
 * temporary security groups (once no instance uses them) and key pairs, in each region.
 */
export async function cleanUpLeftovers(state: LeftoverState, options: CleanupOptions): Promise<CleanupReport> {
  const cleanup = new Cleanup(state, options)
  try {
    return await cleanup.run()
  } finally {
    cleanup.stop()
  }
}

/** The announced key pairs in a region: those the build made, and those EC2 no longer has. */
type KeyPairs = { ours: string[]; gone: string[] }

/**
 * An instance as the clean-up sees it: its EBS volumes are those still attached, and its launch
 * template the one EC2 tagged it with (a spot instance's, which Packer made for it).
 */
type InstanceState = {
  id: string
  state: string
  volumeIds: string[]
  launchTemplate?: string
  launchTime?: Date
  /** The security groups it is in. */
  groups: SecurityGroup[]
  /** The name of its IAM instance profile, if it has one. */
  instanceProfile?: string
  /** The name of the key pair it was launched with, if any. */
  keyName?: string
}

type SecurityGroup = { id: string; name: string }

/** One clean-up: what is still unseen, what was done, and the deadline that bounds it all. */
class Cleanup {
  private readonly report: CleanupReport = {
    terminated: [],
    alreadyGone: [],
    deletedSecurityGroups: [],
    deletedKeyPairs: [],
    deletedLaunchTemplates: [],
    deletedIam: [],
    deregistered: [],
    deletedSnapshots: [],
    leftBehind: []
  }
  private readonly deadline: number
  private readonly pollMs: number
  private readonly abort = new AbortController()
  private readonly timer: NodeJS.Timeout
  private readonly unseenInstances: Set<string>
  private readonly unseenGroups: Set<string>
  private readonly searched: string[]
  /** The regions searched whose instances EC2 would not list. */
  private readonly unanswered = new Set<string>()
  /**
   * The security groups and key pairs found in a region whose instances EC2 would not list: kept,
   * as an instance may still use them, and named unless a later pass deleted them.
   */
  private readonly keptForUnknownInstances: string[] = []
  /** The instances EC2 refused to terminate: they still use their security group. */
  private readonly notTerminated = new Set<string>()
  /** The builds' instances found, in any state, and the region of each. */
  private readonly instancesFound = new Map<string, string>()
  /** Of those the log did not name, what each was found by: the key pair and security groups of the build's it uses. */
  private readonly foundThrough = new Map<string, FoundThrough>()
  /**
   * The announced key pairs that are the build's, by region (findKeyPairs). A key pair made
   * before Packer started is not: its name is the template's `temporary_key_pair_name`, and
   * Packer's CreateKeyPair failed on it.
   */
  private readonly keyPairsIn = new Map<string, Promise<KeyPairs>>()
  /** The volumes attached to the builds' instances when first found, before they were terminated. */
  private readonly instanceVolumes = new Map<string, string[]>()
  /** The launch templates the builds' instances were launched from, by region, each with its instance (none if announced only). */
  private readonly launchTemplatesFound = new Map<string, Map<string, string | undefined>>()
  /**
   * The temporary instance profiles of the builds' instances that the log never named (each also
   * the name of its role): a main step killed while Packer's lines were still unread in the pipe.
   */
  private readonly unheardInstanceProfiles = new Set<string>()
  /** What waits until the AMIs are dealt with: security groups (once their instances are gone) and key pairs. */
  private readonly afterImages: Array<() => Promise<unknown>> = []
  private readonly clients = new Map<string, EC2Client>()

  constructor(
    private readonly state: LeftoverState,
    private readonly options: CleanupOptions
  ) {
    this.deadline = Date.now() + (options.deadlineMs ?? postStepAwsMs)
    this.pollMs = options.pollMs ?? 2_000
    this.timer = setTimeout(() => this.abort.abort(), Math.max(0, this.deadline - Date.now()))
    this.unseenInstances = new Set(state.resources.instanceIds)
    this.unseenGroups = new Set(state.resources.securityGroups)
    this.searched = [...state.regions]
  }

  stop(): void {
    clearTimeout(this.timer)
    if (!this.options.ec2For) for (const ec2 of this.clients.values()) ec2.destroy()
  }

  private get send(): { abortSignal: AbortSignal } {
    return { abortSignal: this.abort.signal }
  }

  async run(): Promise<CleanupReport> {
    const { instanceIds, keyPairs, securityGroups, images, snapshotVolumes, launchTemplates, instanceProfiles, roles, copyRegions } = this.state.resources
    const announced = [
      ...images,
      ...instanceIds,
      ...securityGroups.map((name) => `security group ${name}`),
      ...keyPairs.map((name) => `key pair ${name}`),
      ...launchTemplates.map((id) => `launch template ${id}`),
      ...instanceProfiles.map((name) => `instance profile ${name}`),
      ...roles.map((name) => `role ${name}`),
      ...snapshotVolumes.map((volume) => `snapshots of ${volume}`),
      ...(copyRegions.length > 0 ? [`copies to ${copyRegions.join(', ')}`] : [])
    ]
    this.options.log(`${packerEnd(this.state)}. Its log announced: ${announced.join(', ')}.`)
    if (this.state.regions.length === 0) {
      this.options.warn(
        'Cannot clean up what Packer left: no region is known (set aws-region or AWS_REGION). ' +
          `Look for ${named(this.state).join(', ')}.`
      )
      this.report.leftBehind.push(...named(this.state))
      return this.report
    }
    await this.cleanEveryRegion()
    await this.deleteLaunchTemplates()
    await this.cleanUpIam()
    await this.cleanUpImages()
    for (const next of this.afterImages) await next()
    return this.finish()
  }

  private async cleanEveryRegion(): Promise<void> {
    const firstLook = this.state.resources.instanceIds.length > 0 ? 'where-instances-are' : 'always'
    let keysAndGroupsDone = false
    for (const region of this.state.regions) {
      if (await this.withClient(region, (ec2) => this.cleanRegion(region, ec2, firstLook))) keysAndGroupsDone = true
    }
    if (this.unseenInstances.size > 0 && (await this.searchOtherRegions())) keysAndGroupsDone = true
    // No announced instance was found anywhere (it never started, or is long gone): the
    // security group and key pair are looked for in the home region, unless EC2 would not list
    // its instances (asking again gets the same answer).
    const home = this.state.regions[0]
    if (!keysAndGroupsDone && !this.abort.signal.aborted && !this.unanswered.has(home)) {
      await this.withClient(home, (ec2) => this.cleanRegion(home, ec2, 'always'))
    }
  }

  /**
   * A template may build in another region than the home one: an instance not found there is
   * looked for, by its ID, in the account's other regions, and where it is found, so are the
   * temporary security group and key pair (Packer makes all three in the build region).
   */
  private async searchOtherRegions(): Promise<boolean> {
    const home = this.state.regions[0]
    const others = await this.withClient(home, (ec2) => otherRegions(ec2, this.state.regions, this.abort.signal)).catch(
      (error: unknown) => {
        this.options.warn(
          `Could not list the account's regions to look for ${[...this.unseenInstances].join(', ')}: ${awsErrorText(error)}`
        )
        return []
      }
    )
    let keysAndGroupsDone = false
    for (const region of others) {
      if (this.unseenInstances.size === 0 || this.abort.signal.aborted) break
      this.searched.push(region)
      const found = await this.withClient(region, (ec2) =>
        describeInstances(ec2, 'instance-id', [...this.unseenInstances], this.send)
      ).catch(() => {
        this.unanswered.add(region)
        return []
      })
      if (found.length > 0 && (await this.withClient(region, (ec2) => this.cleanRegion(region, ec2, 'where-instances-are')))) {
        keysAndGroupsDone = true
      }
    }
    return keysAndGroupsDone
  }

  private finish(): CleanupReport {
    for (const id of this.unseenInstances) {
      this.options.warn(`${this.notFound(id)}: look for it, and terminate it if it is still running.`)
      this.report.leftBehind.push(id)
    }
    const deleted = new Set([...this.report.deletedSecurityGroups, ...this.report.deletedKeyPairs])
    this.report.leftBehind.push(...this.keptForUnknownInstances.filter((name) => !deleted.has(name)))
    this.report.leftBehind = [...new Set(this.report.leftBehind)]
    // A group whose look-up failed is named as left, not as missing.
    for (const name of [...this.unseenGroups].filter((group) => !this.report.leftBehind.includes(group))) {
      // After a failed or cancelled build, Packer has most often deleted it itself.
      if (this.state.packer === 'failed') this.options.log(`Security group ${name} is already gone from ${this.searched.join(', ')}.`)
      else if (this.state.resources.groupsMayBeGone?.includes(name)) {
        this.options.log(
          `Security group ${name} is already gone from ${this.searched.join(', ')}: Packer deletes a build's group when the build ` +
            'finishes, and one of the builds it names alike, whose groups no line of its tells apart, had finished.'
        )
      } else this.options.warn(`Security group ${name} was not found in ${this.searched.join(', ')}.`)
    }
    return this.report
  }

  /** Where an announced instance was looked for and not found, and where EC2 would not say. */
  private notFound(id: string): string {
    const answered = this.searched.filter((region) => !this.unanswered.has(region))
    const unanswered = [...this.unanswered].join(', ')
    if (answered.length === 0) return `EC2 would not list the instances of ${unanswered}, so ${id} could not be looked for`
    const notFound = `${id} was not found in ${answered.join(', ')}`
    return this.unanswered.size === 0 ? notFound : `${notFound}, and EC2 would not list the instances of ${unanswered}`
  }

  /** One client per region for the whole clean-up, destroyed by stop(). */
  private withClient<T>(region: string, use: (ec2: EC2Client) => Promise<T>): Promise<T> {
    let ec2 = this.clients.get(region)
    if (ec2 === undefined) {
      ec2 = this.options.ec2For?.(region) ?? ec2Client(region, 3)
      this.clients.set(region, ec2)
    }
    return use(ec2)
  }

  /**
   * Cleans one region; returns whether its security groups and key pairs were dealt with,
   * which `where-instances-are` does only when an announced instance is in the region.
   */
  private async cleanRegion(
    region: string,
    ec2: EC2Client,
    keysAndGroups: 'always' | 'where-instances-are'
  ): Promise<boolean> {
    const groups = await this.findSecurityGroups(region, ec2)
    const keyPairs = await this.findKeyPairs(region, ec2)
    const ours = await this.terminateInstances(region, ec2, groups.map((group) => group.id), keyPairs.ours)
    if (ours === undefined) {
      // An instance EC2 would not list may still use the group; its key pair is kept with it.
      for (const group of groups) this.unseenGroups.delete(group.name)
      this.keptForUnknownInstances.push(...groups.map((group) => group.name), ...keyPairs.ours)
      return false
    }
    groups.push(...(await this.unheardGroups(region, ec2, ours, groups)))
    this.unheardProfiles(region, ours)
    if (keysAndGroups === 'where-instances-are' && ours.length === 0) return false
    this.afterImages.push(() =>
      this.withClient(region, async (ec2) => {
        await this.deleteSecurityGroups(region, ec2, groups, ours)
        await this.deleteKeyPairs(region, ec2, keyPairs)
      })
    )
    return true
  }

  /**
   * The temporary security groups of the build's instances (`ours`) that the log did not name:
   * Packer prints "Creating temporary security group" before it makes one, but a main step killed
   * while Packer's lines were still unread in the pipe never read it. Such a group is this run's,
   * and no one else's, when all of these hold: a build's instance is in it (an instance announced,
   * or launched since Packer started with the key pair or group the build made); its name is one
   * Packer makes for the one instance it launches (packer_ and a UUID it draws, where a group a
   * template gives keeps the user's name); and no instance but the build's is in it, as EC2 shows.
   */
  private async unheardGroups(region: string, ec2: EC2Client, ours: InstanceState[], known: SecurityGroup[]): Promise<SecurityGroup[]> {
    const candidates = new Map<string, { group: SecurityGroup; instance: string }>()
    for (const instance of ours) {
      for (const group of instance.groups) {
        if (!packerGroupName.test(group.name) || known.some((one) => one.id === group.id) || candidates.has(group.id)) continue
        candidates.set(group.id, { group, instance: instance.id })
      }
    }
    if (candidates.size === 0) return []
    let users: InstanceState[]
    try {
      users = await describeInstances(ec2, 'instance.group-id', [...candidates.keys()], this.send)
    } catch (error) {
      const names = [...candidates.values()].map(({ group }) => `${group.name} (${group.id})`)
      this.options.warn(`Could not look up the instances in security group ${names.join(', ')} in ${region}: ${awsErrorText(error)}`)
      this.report.leftBehind.push(...[...candidates.values()].map(({ group }) => group.name))
      return []
    }
    const found: SecurityGroup[] = []
    for (const { group, instance } of candidates.values()) {
      const others = users.filter((user) => user.groups.some((one) => one.id === group.id) && !ours.some((own) => own.id === user.id))
      const alive = others.filter((other) => other.state !== 'terminated')
      if (alive.length > 0) {
        this.options.log(
          `${region}: ${group.name} (${group.id}), a security group of ${instance} that Packer's log did not name, is left: ` +
            `${alive.map((other) => other.id).join(', ')}, not the build's, is in it too.`
        )
        continue
      }
      this.options.log(`${region}: ${group.name} (${group.id}), which Packer's log did not name, is the temporary security group of ${instance}: it goes with it.`)
      found.push(group)
    }
    return found
  }

  /**
   * The temporary instance profiles of the build's instances (`ours`) that the log did not name,
   * as for their security groups (unheardGroups): a name Packer makes (packer- and a UUID it
   * draws), on an instance of the build's. Packer gives the role in it the same name; the IAM
   * clean-up removes both only if made since Packer started, and leaves a profile holding a role
   * of another name (leftover-iam.ts).
   */
  private unheardProfiles(region: string, ours: InstanceState[]): void {
    for (const { id, instanceProfile } of ours) {
      if (instanceProfile === undefined || !packerInstanceProfileName.test(instanceProfile)) continue
      if (this.state.resources.instanceProfiles.includes(instanceProfile) || this.unheardInstanceProfiles.has(instanceProfile)) continue
      this.options.log(`${region}: instance profile ${instanceProfile}, which Packer's log did not name, is the temporary instance profile of ${id}: it goes with it.`)
      this.unheardInstanceProfiles.add(instanceProfile)
    }
  }

  /** The AMIs of the builds that did not finish, with their copies (leftover-images.ts). */
  private async cleanUpImages(): Promise<void> {
    const { images, imageInstances, snapshotVolumes, instanceIds, copyRegions } = this.state.resources
    // Packer makes an AMI only of its own instance: one it announced, or one found by a key pair
    // or security group whose name Packer drew itself (packer_ and a UUID), which no other run
    // draws; a main step killed while Packer's lines were still unread in the pipe never read the
    // instance's ID. One found only by a name the template fixed (temporary_key_pair_name) may be
    // another run's, launched with that same name: its AMIs are not looked for.
    const buildInstances = new Map(
      [...this.instancesFound].filter(([id]) => instanceIds.includes(id) || this.foundThrough.get(id)?.drawnByPacker === true)
    )
    for (const [id, region] of this.instancesFound) {
      const through = this.foundThrough.get(id)
      if (buildInstances.has(id) || through === undefined) continue
      this.options.log(
        `${region}: ${id} was found only through ${through.names.join(', ')}, a name the template gives, which another run may use too: ` +
          'the AMIs made of it are not looked for.'
      )
    }
    // A main step killed while Packer's lines were still unread in the pipe, or a Packer that
    // outlived it or was killed (its plugin going on), may not have told of a snapshot of a volume
    // of the build's instance and the AMI registered from it (amazon-ebssurrogate): the snapshots
    // of every volume EC2 showed attached to one of those instances are looked at. Once Packer has
    // exited by itself, the main step has read all it printed, and what it named is all.
    const unheardVolumes = this.state.packer === 'failed' ? [] : [...buildInstances.keys()].flatMap((id) => this.instanceVolumes.get(id) ?? [])
    const found = await cleanUpImages({
      instances: buildInstances,
      instanceVolumes: this.instanceVolumes,
      announcedImages: images,
      imageInstances,
      snapshotVolumes: [...new Set([...snapshotVolumes, ...unheardVolumes])],
      knownRegions: this.state.regions,
      copyRegions,
      // Packer prints where it copies just before each copy begins. Once it has exited by itself,
      // the main step has read all it printed: it copied nowhere else. A Packer that was killed,
      // or outlived the main step, may have gone on, unheard, in a plugin process of its own.
      everyCopyRegion: this.state.packer === 'failed',
      packerStarted: this.state.packerStarted,
      scriptLinesAlike: this.state.scriptLinesAlike === true,
      // Builds that Packer names alike cannot be told apart: a finished one's instance may be among
      // those announced, and its AMI, made from it, is the user's.
      outputs: [...(this.state.amis ?? []), ...(this.state.finished ?? []).map((image) => image.ami)],
      withClient: (region, use) => this.withClient(region, use),
      abortSignal: this.abort.signal,
      log: this.options.log,
      warn: this.options.warn
    })
    this.report.deregistered.push(...found.deregistered)
    this.report.deletedSnapshots.push(...found.deletedSnapshots)
    this.report.leftBehind.push(...found.leftBehind)
  }

  /**
   * Packer's instances found in the region, those alive terminated; undefined if EC2 did not
   * say. They are those announced, and those launched since Packer started that use the
   * temporary security group announced or the key pair announced that the build made
   * (`keyPairs`): Packer names its instance only once EC2 has answered its launch
   * (RunInstances, or CreateFleet for a spot instance).
   */
  private async terminateInstances(region: string, ec2: EC2Client, groupIds: string[], keyPairs: string[]): Promise<InstanceState[] | undefined> {
    const { instanceIds } = this.state.resources
    const lookups: Array<[InstanceFilter, string[]]> = [
      ['instance-id', instanceIds],
      ['key-name', keyPairs],
      ['instance.group-id', groupIds]
    ]
    const { log, warn } = this.options
    const found = new Map<string, InstanceState>()
    const older = new Set<string>()
    for (const [filter, values] of lookups.filter(([, values]) => values.length > 0)) {
      try {
        for (const instance of await describeInstances(ec2, filter, values, this.send)) {
          if (found.has(instance.id) || older.has(instance.id)) continue
          if (filter === 'instance-id' || this.launchedByTheBuild(region, instance)) found.set(instance.id, instance)
          else older.add(instance.id)
        }
      } catch (error) {
        warn(`Could not look up the instances with ${filter} ${values.join(', ')} in ${region}: ${awsErrorText(error)}`)
        this.unanswered.add(region)
        return undefined
      }
    }
    const ours = [...found.values()]
    for (const { id } of ours) this.instancesFound.set(id, region)
    for (const instance of ours.filter(({ id }) => !instanceIds.includes(id))) this.foundThrough.set(instance.id, namesFoundBy(instance, keyPairs, groupIds))
    for (const { id, volumeIds } of ours) if (!this.instanceVolumes.has(id)) this.instanceVolumes.set(id, volumeIds)
    for (const { id, launchTemplate } of ours) if (launchTemplate !== undefined) this.launchTemplateIn(region, launchTemplate, id)
    for (const { id } of ours) {
      if (!this.unseenInstances.delete(id) && !instanceIds.includes(id)) log(`${region}: ${id} uses Packer's temporary key pair or security group.`)
    }
    for (const instance of ours.filter((i) => goneStates.has(i.state))) {
      log(`${region}: ${instance.id} is already ${instance.state}.`)
      this.report.alreadyGone.push(instance.id)
    }
    const alive = ours.filter((instance) => !goneStates.has(instance.state))
    if (alive.length === 0) return ours
    const ids = alive.map((instance) => instance.id)
    log(`${region}: terminating ${alive.map((i) => `${i.id} (${i.state})`).join(', ')}…`)
    try {
      await ec2.send(new TerminateInstancesCommand({ InstanceIds: ids }), this.send)
      this.report.terminated.push(...ids)
      log(`${region}: terminated ${ids.join(', ')}.`)
    } catch (error) {
      warn(`Could not terminate ${ids.join(', ')} in ${region}: ${awsErrorText(error)}`)
      this.report.leftBehind.push(...ids)
      for (const id of ids) this.notTerminated.add(id)
    }
    return ours
  }

  private async deleteSecurityGroups(
    region: string,
    ec2: EC2Client,
    groups: Array<{ id: string; name: string }>,
    ours: InstanceState[]
  ): Promise<void> {
    const running = ours.filter((instance) => this.notTerminated.has(instance.id)).map((instance) => instance.id)
    if (groups.length > 0 && running.length > 0) {
      // The group cannot go while they use it, and no wait changes that.
      const names = groups.map((group) => group.name).join(', ')
      this.options.log(`${region}: security group ${names} is left: ${running.join(', ')}, which could not be terminated, may still use it.`)
      for (const group of groups) this.unseenGroups.delete(group.name)
      this.report.leftBehind.push(...groups.map((group) => group.name))
      return
    }
    if (groups.length > 0 && ours.length > 0) {
      // A group cannot go while an instance still uses it: wait for the terminations.
      const ids = ours.map((instance) => instance.id)
      const terminated = await this.untilDeadline(async () =>
        (await describeInstances(ec2, 'instance-id', ids, this.send)).every((instance) => instance.state === 'terminated')
      ).catch(() => false)
      if (!terminated) this.options.warn(`${region}: ${ids.join(', ')} had not finished terminating when the clean-up had to stop.`)
    }
    for (const group of groups) await this.deleteSecurityGroup(region, ec2, group)
  }

  private async findSecurityGroups(region: string, ec2: EC2Client): Promise<Array<{ id: string; name: string }>> {
    const { securityGroups } = this.state.resources
    if (securityGroups.length === 0) return []
    try {
      const answer = await ec2.send(
        new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'group-name', Values: securityGroups }] }),
        this.send
      )
      return (answer.SecurityGroups ?? [])
        .filter((group) => group.GroupId && group.GroupName && securityGroups.includes(group.GroupName))
        .map((group) => ({ id: group.GroupId as string, name: group.GroupName as string }))
    } catch (error) {
      this.options.warn(`Could not look up security groups ${securityGroups.join(', ')} in ${region}: ${awsErrorText(error)}`)
      this.report.leftBehind.push(...securityGroups)
      return []
    }
  }

  private async deleteSecurityGroup(region: string, ec2: EC2Client, group: { id: string; name: string }): Promise<void> {
    this.unseenGroups.delete(group.name)
    const deleted = await this.untilDeadline(async () => {
      try {
        await ec2.send(new DeleteSecurityGroupCommand({ GroupId: group.id }), this.send)
        return true
      } catch (error) {
        if ((error as { name?: string }).name === 'DependencyViolation') return false
        throw error
      }
    }).catch((error: unknown) => {
      this.options.warn(`Could not delete security group ${group.name} (${group.id}) in ${region}: ${awsErrorText(error)}`)
      return undefined
    })
    if (deleted) {
      this.options.log(`${region}: deleted security group ${group.name} (${group.id}).`)
      this.report.deletedSecurityGroups.push(group.name)
      return
    }
    if (deleted === false) {
      this.options.warn(`Security group ${group.name} (${group.id}) in ${region} was still in use when the clean-up had to stop.`)
    }
    this.report.leftBehind.push(group.name)
  }

  /**
   * Deletes the launch templates Packer made to launch its spot instances: each one EC2 tagged a
   * build's instance with, in its region, and each one Packer announced (in the region where the
   * build's instances are, else the home region). Packer makes one for each spot instance, and
   * names it only from 1.7.0 on (and the Amazon plugin 0.0.1), so the instance's tag is what
   * ties it to the build. After a failed build, Packer has deleted it already.
   */
  private async deleteLaunchTemplates(): Promise<void> {
    const buildRegion = this.instancesFound.values().next().value ?? this.state.regions[0]
    for (const id of this.state.resources.launchTemplates) {
      if (![...this.launchTemplatesFound.values()].some((found) => found.has(id))) this.launchTemplateIn(buildRegion, id, undefined)
    }
    for (const [region, found] of this.launchTemplatesFound) {
      if (this.abort.signal.aborted) break
      await this.withClient(region, async (ec2) => {
        for (const [id, instance] of found) await this.deleteLaunchTemplate(region, ec2, id, instance)
      })
    }
  }

  private launchTemplateIn(region: string, id: string, instance: string | undefined): void {
    const found = this.launchTemplatesFound.get(region) ?? new Map<string, string | undefined>()
    found.set(id, instance)
    this.launchTemplatesFound.set(region, found)
  }

  private async deleteLaunchTemplate(region: string, ec2: EC2Client, id: string, instance: string | undefined): Promise<void> {
    try {
      await ec2.send(new DeleteLaunchTemplateCommand({ LaunchTemplateId: id }), this.send)
      this.options.log(`${region}: deleted launch template ${id}, which Packer made to launch ${instance ? `its spot instance ${instance}` : 'a spot instance'}.`)
      this.report.deletedLaunchTemplates.push(id)
    } catch (error) {
      if ((error as { name?: string }).name === 'InvalidLaunchTemplateId.NotFound') {
        this.options.log(`${region}: launch template ${id} is already gone.`)
        return
      }
      this.options.warn(`Could not delete launch template ${id} in ${region}: ${awsErrorText(error)}`)
      this.report.leftBehind.push(id)
    }
  }

  /**
   * The temporary IAM instance profile and role (leftover-iam.ts, loaded with the IAM client only
   * when a build announced them), once the instances that used them are told to terminate.
   */
  private async cleanUpIam(): Promise<void> {
    const unheard = [...this.unheardInstanceProfiles]
    const instanceProfiles = [...this.state.resources.instanceProfiles, ...unheard]
    const roles = [...new Set([...this.state.resources.roles, ...unheard])]
    if ((instanceProfiles.length === 0 && roles.length === 0) || this.abort.signal.aborted) return
    const { cleanUpIam } = await import('./leftover-iam.js')
    const found = await cleanUpIam({
      instanceProfiles,
      roles,
      packerStarted: this.state.packerStarted,
      region: this.state.regions[0],
      iam: this.options.iam,
      abortSignal: this.abort.signal,
      log: this.options.log,
      warn: this.options.warn
    })
    this.report.deletedIam.push(...found.deleted)
    this.report.leftBehind.push(...found.leftBehind)
  }

  /**
   * Whether an instance found only by the announced key pair or security group was launched
   * since Packer started; else logs why it is left. (EC2 lists a terminated instance for about
   * an hour: a previous run's, with the same key pair name, is found too.)
   */
  private launchedByTheBuild(region: string, instance: InstanceState): boolean {
    const launched = instance.launchTime
    if (launched === undefined || madeSincePackerStarted(launched, this.state.packerStarted)) return true
    this.options.log(
      `${region}: ${instance.id} (${instance.state}) uses the key pair or security group Packer announced, but was launched before Packer started ` +
        `(${launched.toISOString()}): it is not this build's, and is left as it is.`
    )
    return false
  }

  /**
   * The announced key pairs in the region that the build made, found once per region: a name
   * Packer made, and one the template gave (`temporary_key_pair_name`) that EC2 shows was made
   * since Packer started. Packer announces its key pair before it asks EC2 to make it, so a
   * given name made before is another's: it is left, as are the instances that use it, and so
   * is a given name EC2 would not say anything of (with a warning).
   */
  private findKeyPairs(region: string, ec2: EC2Client): Promise<KeyPairs> {
    let found = this.keyPairsIn.get(region)
    if (found === undefined) {
      found = this.lookUpKeyPairs(region, ec2)
      this.keyPairsIn.set(region, found)
    }
    return found
  }

  private async lookUpKeyPairs(region: string, ec2: EC2Client): Promise<KeyPairs> {
    // A name Packer made (packer_ and a random UUID) is this build's alone: DeleteKeyPair
    // succeeds for a name EC2 does not know, so it is deleted, not looked up.
    const generated = this.state.resources.keyPairs.filter((name) => packerKeyPairName.test(name))
    const keyPairs = this.state.resources.keyPairs.filter((name) => !packerKeyPairName.test(name))
    if (keyPairs.length === 0) return { ours: generated, gone: [] }
    try {
      // A filter, not KeyNames, so that a name EC2 does not know does not fail the lookup.
      const answer = await ec2.send(new DescribeKeyPairsCommand({ Filters: [{ Name: 'key-name', Values: keyPairs }] }), this.send)
      const ours: string[] = []
      const seen = new Set<string>()
      for (const { KeyName: name, CreateTime: created } of answer.KeyPairs ?? []) {
        if (name === undefined || !keyPairs.includes(name) || seen.has(name)) continue
        seen.add(name)
        if (created === undefined || madeSincePackerStarted(created, this.state.packerStarted)) {
          ours.push(name)
          continue
        }
        this.options.warn(
          `The key pair ${name} in ${region} was made before Packer started (${created.toISOString()}): it is not this build's, and is left as it is.`
        )
      }
      return { ours: [...generated, ...ours], gone: keyPairs.filter((name) => !seen.has(name)) }
    } catch (error) {
      this.options.warn(`Could not look up key pairs ${keyPairs.join(', ')} in ${region}: ${awsErrorText(error)}`)
      this.report.leftBehind.push(...keyPairs)
      return { ours: generated, gone: [] }
    }
  }

  /** Deletes the key pairs the build made; the others announced are gone, or not the build's. */
  private async deleteKeyPairs(region: string, ec2: EC2Client, { ours, gone }: KeyPairs): Promise<void> {
    for (const keyName of gone) this.options.log(`${region}: key pair ${keyName} is already gone.`)
    for (const keyName of ours) {
      try {
        await ec2.send(new DeleteKeyPairCommand({ KeyName: keyName }), this.send)
        this.options.log(`${region}: deleted key pair ${keyName}${packerKeyPairName.test(keyName) ? ' (if it was still there)' : ''}.`)
        this.report.deletedKeyPairs.push(keyName)
      } catch (error) {
        this.options.warn(`Could not delete key pair ${keyName} in ${region}: ${awsErrorText(error)}`)
        this.report.leftBehind.push(keyName)
      }
    }
  }

  /** Calls `attempt` until it returns true, or the deadline passes (then false). */
  private async untilDeadline(attempt: () => Promise<boolean>): Promise<boolean> {
    for (;;) {
      if (await attempt()) return true
      if (Date.now() + this.pollMs > this.deadline) return false
      await sleep(this.pollMs)
    }
  }
}

/** The account's enabled regions other than those given. */
async function otherRegions(ec2: EC2Client, known: string[], abortSignal: AbortSignal): Promise<string[]> {
  return (await enabledRegions(ec2, abortSignal)).filter((name) => !known.includes(name))
}

/** The name Packer gives its temporary key pair unless the template names one (temporary_key_pair_name). */
const packerKeyPairName = /^packer_[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

/** The name Packer gives the temporary security group it makes for its instance. */
const packerGroupName = packerKeyPairName

/** The name Packer gives the temporary instance profile, and its role, it makes with temporary_iam_instance_profile_policy_document. */
const packerInstanceProfileName = /^packer-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

/** The build's key pair and security groups an instance uses, and whether Packer drew any of their names. */
type FoundThrough = { names: string[]; drawnByPacker: boolean }

/** What an instance was found through, of the build's key pairs (`keyPairs`) and security groups (`groupIds`). */
function namesFoundBy(instance: InstanceState, keyPairs: string[], groupIds: string[]): FoundThrough {
  const keyPair = instance.keyName !== undefined && keyPairs.includes(instance.keyName) ? instance.keyName : undefined
  const groups = instance.groups.filter((group) => groupIds.includes(group.id))
  return {
    names: [...(keyPair === undefined ? [] : [`key pair ${keyPair}`]), ...groups.map((group) => `security group ${group.name}`)],
    drawnByPacker: (keyPair !== undefined && packerKeyPairName.test(keyPair)) || groups.some((group) => packerGroupName.test(group.name))
  }
}

type InstanceFilter = 'instance-id' | 'key-name' | 'instance.group-id'

/** What of an instance each filter matches, to keep only what EC2 was asked for. */
const filtered: Record<InstanceFilter, (instance: Instance) => Array<string | undefined>> = {
  'instance-id': (instance) => [instance.InstanceId],
  'key-name': (instance) => [instance.KeyName],
  'instance.group-id': (instance) => (instance.SecurityGroups ?? []).map((group) => group.GroupId)
}

/**
 * The instances whose `filter` is one of `values` (and, given `states`, whose state is one of
 * them). A filter, not InstanceIds, so that one ID EC2 no longer knows does not fail the lookup
 * of the others.
 */
async function describeInstances(
  ec2: EC2Client,
  filter: InstanceFilter,
  values: string[],
  send: { abortSignal: AbortSignal },
  states?: string[]
): Promise<InstanceState[]> {
  const found: InstanceState[] = []
  const filters = [{ Name: filter, Values: values }, ...(states === undefined ? [] : [{ Name: 'instance-state-name', Values: states }])]
  let nextToken: string | undefined
  do {
    const answer = await ec2.send(new DescribeInstancesCommand({ Filters: filters, NextToken: nextToken }), send)
    for (const reservation of answer.Reservations ?? []) {
      for (const instance of reservation.Instances ?? []) {
        if (instance.InstanceId && filtered[filter](instance).some((value) => value !== undefined && values.includes(value))) {
          const volumeIds = (instance.BlockDeviceMappings ?? []).flatMap((device) => (device.Ebs?.VolumeId ? [device.Ebs.VolumeId] : []))
          const launchTemplate = instance.Tags?.find((tag) => tag.Key === 'aws:ec2launchtemplate:id')?.Value
          const groups = (instance.SecurityGroups ?? []).flatMap((group) => (group.GroupId && group.GroupName ? [{ id: group.GroupId, name: group.GroupName }] : []))
          // arn:aws:iam::ACCOUNT:instance-profile/PATH/NAME
          const instanceProfile = instance.IamInstanceProfile?.Arn?.split('/').at(-1)
          found.push({
            id: instance.InstanceId,
            state: instance.State?.Name ?? 'unknown',
            volumeIds,
            groups,
            ...(instanceProfile ? { instanceProfile } : {}),
            ...(instance.KeyName ? { keyName: instance.KeyName } : {}),
            ...(launchTemplate ? { launchTemplate } : {}),
            ...(instance.LaunchTime ? { launchTime: instance.LaunchTime } : {})
          })
        }
      }
    }
    nextToken = answer.NextToken
  } while (nextToken)
  return found
}

/** An instance of the build's that Packer's log never named, as the post step names it. */
type UnnamedInstance = { id: string; state: string; region: string }

/** The states of an instance that runs up a bill, or may again: not shutting-down or terminated. */
const keptStates = ['pending', 'running', 'stopping', 'stopped']

/**
 * With on-error: abort, the instances the build launched that Packer's log never named, looked up
 * and never touched: Packer names its instance only once EC2 has answered its launch, so a cancel
 * while RunInstances was unanswered leaves one no line tells of. They are those, in the regions
 * Packer built in, that are not shutting down or gone, were launched since Packer started, and use
 * a temporary security group the log announced, or a key pair it announced that the build made (a
 * name Packer drew, packer_ and a UUID, or a `temporary_key_pair_name` EC2 shows was made since
 * Packer started): none of these is another run's. What EC2 refuses to say is a warning.
 */
async function findUnnamedInstances(state: LeftoverState, deadlineMs: number, warn: (message: string) => void): Promise<UnnamedInstance[]> {
  const { instanceIds, keyPairs, securityGroups } = state.resources
  if (keyPairs.length === 0 && securityGroups.length === 0) return []
  const found: UnnamedInstance[] = []
  const send = { abortSignal: AbortSignal.timeout(Math.max(1, deadlineMs)) }
  // A key pair or group is in the region of the build that announced it, where the template tells
  // it; else in any region the builds launch in.
  const announcedIn = (name: string) =>
    regionOfBuild(state.buildRegions, state.announcedBy !== undefined && Object.hasOwn(state.announcedBy, name) ? state.announcedBy[name] : undefined)
  const lookIn = [...new Set([...state.regions, ...(state.buildRegions?.regions ?? [])])].flatMap((region) => {
    const here = (name: string) => [undefined, region].includes(announcedIn(name))
    const groups = securityGroups.filter(here)
    const keys = keyPairs.filter(here)
    return groups.length + keys.length === 0 ? [] : [{ region, groups, keys }]
  })
  for (const [index, { region, groups, keys }] of lookIn.entries()) {
    const ec2 = ec2Client(region, 3)
    try {
      const groupIds =
        groups.length === 0
          ? []
          : ((await ec2.send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'group-name', Values: groups }] }), send)).SecurityGroups ?? [])
              .filter((group) => group.GroupName !== undefined && groups.includes(group.GroupName))
              .flatMap((group) => (group.GroupId ? [group.GroupId] : []))
      const ownKeyPairs = await keyPairsMadeByTheBuild(ec2, keys, state.packerStarted, send)
      const lookups: Array<[InstanceFilter, string[]]> = [
        ['key-name', ownKeyPairs],
        ['instance.group-id', groupIds]
      ]
      for (const [filter, values] of lookups.filter(([, values]) => values.length > 0)) {
        for (const instance of await describeInstances(ec2, filter, values, send, keptStates)) {
          if (instanceIds.includes(instance.id) || found.some(({ id }) => id === instance.id)) continue
          if (!keptStates.includes(instance.state) || !madeSincePackerStarted(instance.launchTime, state.packerStarted)) continue
          found.push({ id: instance.id, state: instance.state, region })
        }
      }
    } catch (error) {
      const text = awsErrorText(error)
      if (saysCredentialsExpired(text)) {
        // An expired session refuses every region alike: the user looks, with credentials that work.
        warn(expiredBeforeTheLookUp(lookIn.slice(index)))
        break
      }
      warn(`Could not look in ${region} for an instance launched with ${[...groups, ...keys].join(', ')} that Packer's log never named: ${text}`)
    } finally {
      ec2.destroy()
    }
  }
  return found
}

/**
 * With on-error: abort, the look-up for the instances Packer's log never named was refused for the
 * credentials having expired: the commands that look, region by region, with credentials that work.
 */
function expiredBeforeTheLookUp(lookIn: Array<{ region: string; groups: string[]; keys: string[] }>): string {
  const states = `Name=instance-state-name,Values=${keptStates.join(',')}`
  const commands = lookIn.flatMap(({ region, groups, keys }) => [
    ...(keys.length > 0 ? [`aws ec2 describe-instances --region ${region} --filters Name=key-name,Values=${keys.join(',')} ${states}`] : []),
    ...(groups.length > 0 ? [`aws ec2 describe-instances --region ${region} --filters Name=instance.group-name,Values=${groups.join(',')} ${states}`] : [])
  ])
  return (
    "The AWS credentials had expired by the post step: AWS refused its calls (RequestExpired, ExpiredToken), so it could not look for an instance the build launched that Packer's log never named " +
    `(one whose launch EC2 had not yet answered), which runs up a bill until it is terminated. With credentials that work: ${commands.join('; ')}. ` +
    "Give the session more time than the build takes (configure-aws-credentials' role-duration-seconds, up to the role's MaxSessionDuration), " +
    'or use credentials that renew themselves.'
  )
}

/**
 * Of the announced key pairs, those the build made: a name Packer drew is the build's alone; one
 * the template gave is the build's only if EC2 shows it was made since Packer started.
 */
async function keyPairsMadeByTheBuild(
  ec2: EC2Client,
  keyPairs: string[],
  packerStarted: string | undefined,
  send: { abortSignal: AbortSignal }
): Promise<string[]> {
  const drawn = keyPairs.filter((name) => packerKeyPairName.test(name))
  const given = keyPairs.filter((name) => !packerKeyPairName.test(name))
  if (given.length === 0) return drawn
  const answer = await ec2.send(new DescribeKeyPairsCommand({ Filters: [{ Name: 'key-name', Values: given }] }), send)
  const made = (answer.KeyPairs ?? []).filter(
    ({ KeyName: name, CreateTime: created }) => name !== undefined && given.includes(name) && madeSincePackerStarted(created, packerStarted)
  )
  return [...drawn, ...made.map(({ KeyName: name }) => name as string)]
}

/**
 * A key pair the clean-up deleted, as its closing line names it: one Packer named is deleted
 * without a look-up, and EC2 deletes a name it does not know without a word, so it may have been
 * gone already (after a failed build, Packer has most often deleted it itself).
 */
function keyPairDeleted(name: string): string {
  return packerKeyPairName.test(name) ? `${name} (if it was still there)` : name
}

/**
 * The post step's clean-up, given what the main step saved about a Packer that died before its
 * own clean-up (needsCleanup): removes what it left, within `deadlineMs`. Never throws; whatever
 * may remain is a warning naming it, handed back for the post step to annotate.
 */
export async function cleanUpAfterPacker(state: LeftoverState, deadlineMs = postStepAwsMs): Promise<string[]> {
  const warnings: string[] = []
  try {
    if (state.keep) {
      const { images } = state.resources
      const ended = { killed: 'Packer was killed', failed: "Packer's build failed" }[state.packer as string] ?? 'Packer never finished'
      const copies = images.length > 0 ? `, with any copies of ${images.join(', ')} in other regions` : ''
      const unnamed = await findUnnamedInstances(state, deadlineMs, (message) => warnings.push(message))
      const instances =
        unnamed.length === 0
          ? ''
          : `, and ${unnamed.map(({ id, state, region }) => `${id} (${state}, in ${region})`).join(', ')}, ` +
            `${unnamed.length === 1 ? 'an instance' : 'instances'} launched with them that Packer's log never named`
      warnings.unshift(
        `${ended}, and on-error is abort, so what it made is left as it is: ` +
          `${namedWithRegions(state)}${copies}${instances}.`
      )
      return warnings
    }
    await core.group('Clean up what Packer left', async () => {
      const report = await cleanUpLeftovers(state, {
        deadlineMs,
        log: (message) => core.info(message),
        // Two look-ups refused alike (two filters, or a region looked at twice) say the same:
        // once tells the user all of it.
        warn: (message) => {
          if (!warnings.includes(message)) warnings.push(message)
        }
      })
      const done = [
        report.terminated.length > 0 ? `terminated ${report.terminated.join(', ')}` : '',
        report.deletedSecurityGroups.length > 0 ? `deleted security group ${report.deletedSecurityGroups.join(', ')}` : '',
        report.deletedKeyPairs.length > 0 ? `deleted key pair ${report.deletedKeyPairs.map(keyPairDeleted).join(', ')}` : '',
        report.deletedLaunchTemplates.length > 0 ? `deleted launch template ${report.deletedLaunchTemplates.join(', ')}` : '',
        report.deletedIam.length > 0 ? `deleted ${report.deletedIam.join(', ')}` : '',
        report.deregistered.length > 0 ? `deregistered ${report.deregistered.join(', ')}` : '',
        report.deletedSnapshots.length > 0 ? `deleted snapshot ${report.deletedSnapshots.join(', ')}` : ''
      ].filter(Boolean)
      const nothing = report.leftBehind.length > 0 ? 'nothing removed' : 'nothing needed removing'
      core.info(`Clean-up: ${done.length > 0 ? done.join('; ') : nothing}.`)
      if (report.leftBehind.length > 0) {
        warnings.push(`These may still exist in the account: ${report.leftBehind.join(', ')}.`)
      }
    })
  } catch (error) {
    warnings.push(`Could not clean up after Packer: ${awsErrorText(error)}`)
  }
  if (warnings.some(saysCredentialsExpired)) warnings.push(expiredBeforeTheCleanUp(state))
  return warnings
}

/**
 * The clean-up's calls were refused for the run's credentials having expired: nothing it holds can
 * remove what Packer left, so each thing is named with the command that does, to run with
 * credentials that work. Said once, after the refusals themselves.
 */
function expiredBeforeTheCleanUp(state: LeftoverState): string {
  const groups = whereEachLeft(state.resources, state.buildRegions, state.announcedBy)
  const { copyRegions } = state.resources
  const commands = removalCommands(state.resources, groups)
  const copies = copyRegions.length > 0 ? ` Look in ${copyRegions.join(', ')} too, for copies of the AMI.` : ''
  // One place, as the builds' region or the regions they may be in, or each thing with its own.
  const where = groups.length > 1 ? ` (${leftInText(groups)})` : ` ${(groups[0] ?? whereLeft(state.buildRegions)).where}`
  return (
    `The AWS credentials had expired by the post step: AWS refused its calls (RequestExpired, ExpiredToken), so it could not remove what Packer left${where}, ` +
    `and an instance runs up a bill until it is terminated. With credentials that work: ${commands.join('; ')}.${copies} ` +
    "Give the session more time than the build takes (configure-aws-credentials' role-duration-seconds, up to the role's MaxSessionDuration), " +
    'or use credentials that renew themselves.'
  )
}
