// What a Packer that died before its own clean-up left in the account: the source instance,
// the temporary security group and the temporary key pair its log announced. The post step
// removes exactly those, and nothing else: resources are looked up by the IDs and names Packer
// printed, never by a pattern.
import * as core from '@actions/core'
import {
  DeleteKeyPairCommand,
  DeleteSecurityGroupCommand,
  DescribeRegionsCommand,
  DescribeInstancesCommand,
  DescribeSecurityGroupsCommand,
  EC2Client,
  TerminateInstancesCommand
} from '@aws-sdk/client-ec2'
import { setTimeout as sleep } from 'node:timers/promises'
import type { TemporaryResources } from '../packer/machine-readable.js'
import { ec2Client } from './client.js'

/** The name under which the main step saves LeftoverState for the post step. */
export const LEFTOVERS_STATE = 'packer-leftovers'

export interface LeftoverState {
  /** Where Packer built: the home region (aws-region, AWS_REGION, AWS_DEFAULT_REGION). */
  regions: string[]
  resources: TemporaryResources
  /**
   * `running` until Packer ends; `exited` when it exited by itself (and so ran its own
   * clean-up, or was told not to with on-error: abort); `killed` when a signal ended it.
   */
  packer: 'running' | 'exited' | 'killed'
  /** on-error: abort: the user asked for what a failed build made to be left for debugging. */
  keep?: boolean
}

/** Parses the saved state; undefined for an empty or foreign value. */
export function parseLeftoverState(text: string): LeftoverState | undefined {
  if (text.trim() === '') return undefined
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return undefined
  }
  const strings = (list: unknown): string[] =>
    Array.isArray(list) ? list.filter((item): item is string => typeof item === 'string' && item !== '') : []
  if (typeof value !== 'object' || value === null) return undefined
  const { regions, resources, packer, keep } = value as Record<string, unknown>
  if (packer !== 'running' && packer !== 'exited' && packer !== 'killed') return undefined
  const found = (typeof resources === 'object' && resources !== null ? resources : {}) as Record<string, unknown>
  return {
    regions: strings(regions),
    resources: {
      instanceIds: strings(found.instanceIds),
      keyPairs: strings(found.keyPairs),
      securityGroups: strings(found.securityGroups)
    },
    packer,
    keep: keep === true
  }
}

/** Whether the post step has anything to clean up. */
export function needsCleanup(state: LeftoverState | undefined): state is LeftoverState {
  if (state === undefined || state.packer === 'exited') return false
  const { instanceIds, keyPairs, securityGroups } = state.resources
  return instanceIds.length + keyPairs.length + securityGroups.length > 0
}

export interface CleanupOptions {
  ec2For?: (region: string) => EC2Client
  /** Where each finding and action is reported. */
  log: (message: string) => void
  /** Where a problem is reported (something that may still be left in the account). */
  warn: (message: string) => void
  /** The longest the whole clean-up may take (default 45 s, so the post step ends within a minute). */
  deadlineMs?: number
  /** Between looks at instances that are shutting down (default 2 s). */
  pollMs?: number
}

export interface CleanupReport {
  terminated: string[]
  alreadyGone: string[]
  deletedSecurityGroups: string[]
  deletedKeyPairs: string[]
  /** Announced resources that may still exist: what the user must look at. */
  leftBehind: string[]
}

const goneStates = new Set(['shutting-down', 'terminated'])

function describe(error: unknown): string {
  const { name, message } = (error ?? {}) as { name?: string; message?: string }
  return [name && name !== 'Error' ? name : '', message ?? String(error)].filter(Boolean).join(': ')
}

/**
 * Terminates every announced instance that is still alive, then deletes the announced
 * temporary security groups (once no instance uses them) and key pairs, in each region.
 */
export async function cleanUpLeftovers(state: LeftoverState, options: CleanupOptions): Promise<CleanupReport> {
  const { log, warn } = options
  const deadline = Date.now() + (options.deadlineMs ?? 45_000)
  const pollMs = options.pollMs ?? 2_000
  const abort = new AbortController()
  const timer = setTimeout(() => abort.abort(), Math.max(0, deadline - Date.now()))
  const report: CleanupReport = {
    terminated: [],
    alreadyGone: [],
    deletedSecurityGroups: [],
    deletedKeyPairs: [],
    leftBehind: []
  }
  const { instanceIds, keyPairs, securityGroups } = state.resources
  log(
    `Packer ended without cleaning up (${state.packer === 'killed' ? 'it was killed' : 'it never finished'}). ` +
      `Its log announced: ${[...instanceIds, ...securityGroups.map((name) => `security group ${name}`), ...keyPairs.map((name) => `key pair ${name}`)].join(', ')}.`
  )
  if (state.regions.length === 0) {
    warn(
      'Cannot clean up what Packer left: no region is known (set aws-region or AWS_REGION). ' +
        `Look for ${[...instanceIds, ...securityGroups, ...keyPairs].join(', ')}.`
    )
    report.leftBehind.push(...instanceIds, ...securityGroups, ...keyPairs)
    clearTimeout(timer)
    return report
  }
  const unseenInstances = new Set(instanceIds)
  const unseenGroups = new Set(securityGroups)
  const searched = [...state.regions]
  const withClient = async <T>(region: string, use: (ec2: EC2Client) => Promise<T>): Promise<T> => {
    const ec2 = options.ec2For?.(region) ?? ec2Client(region, 3)
    try {
      return await use(ec2)
    } finally {
      if (!options.ec2For) ec2.destroy()
    }
  }
  try {
    const firstLook = instanceIds.length > 0 ? 'where-instances-are' : 'always'
    let keysAndGroupsDone = false
    for (const region of state.regions) {
      if (await withClient(region, (ec2) => cleanRegion(region, ec2, firstLook))) keysAndGroupsDone = true
    }
    // A template may build in another region than the home one: an instance not found there
    // is looked for, by its ID, in the account's other regions, and where it is found, so are
    // the temporary security group and key pair (Packer makes all three in the build region).
    if (unseenInstances.size > 0) {
      const others = await withClient(state.regions[0], (ec2) => otherRegions(ec2, state.regions, abort.signal)).catch(
        (error: unknown) => {
          warn(`Could not list the account's regions to look for ${[...unseenInstances].join(', ')}: ${describe(error)}`)
          return []
        }
      )
      for (const region of others) {
        if (unseenInstances.size === 0 || abort.signal.aborted) break
        searched.push(region)
        const found = await withClient(region, (ec2) => describeInstances(ec2, [...unseenInstances], { abortSignal: abort.signal })).catch(
          () => []
        )
        if (found.length > 0 && (await withClient(region, (ec2) => cleanRegion(region, ec2, 'where-instances-are')))) {
          keysAndGroupsDone = true
        }
      }
    }
    // No announced instance was found anywhere (it never started, or is long gone): the
    // security group and key pair are looked for in the home region.
    if (!keysAndGroupsDone && !abort.signal.aborted) {
      const home = state.regions[0]
      await withClient(home, (ec2) => cleanRegion(home, ec2, 'always'))
    }
  } finally {
    clearTimeout(timer)
  }
  report.leftBehind = [...new Set(report.leftBehind)]
  for (const id of unseenInstances) {
    warn(`${id} was not found in ${searched.join(', ')}: look for it, and terminate it if it is still running.`)
    report.leftBehind.push(id)
  }
  for (const name of unseenGroups) {
    warn(`Security group ${name} was not found in ${searched.join(', ')}.`)
  }
  return report

  /**
   * Cleans one region; returns whether its security groups and key pairs were dealt with,
   * which `where-instances-are` does only when an announced instance is in the region.
   */
  async function cleanRegion(
    region: string,
    ec2: EC2Client,
    keysAndGroups: 'always' | 'where-instances-are'
  ): Promise<boolean> {
    const send = { abortSignal: abort.signal }
    // Instances: by the IDs announced. A filter, not InstanceIds, so that one ID EC2 no longer
    // knows does not fail the lookup of the others.
    let ours: Array<{ id: string; state: string }> = []
    if (instanceIds.length > 0) {
      try {
        ours = await describeInstances(ec2, instanceIds, send)
      } catch (error) {
        warn(`Could not look up ${instanceIds.join(', ')} in ${region}: ${describe(error)}`)
        return false
      }
      for (const { id } of ours) unseenInstances.delete(id)
      const alive = ours.filter((instance) => !goneStates.has(instance.state))
      for (const instance of ours.filter((i) => goneStates.has(i.state))) {
        log(`${region}: ${instance.id} is already ${instance.state}.`)
        report.alreadyGone.push(instance.id)
      }
      if (alive.length > 0) {
        log(`${region}: terminating ${alive.map((i) => `${i.id} (${i.state})`).join(', ')}…`)
        try {
          await ec2.send(new TerminateInstancesCommand({ InstanceIds: alive.map((i) => i.id) }), send)
          report.terminated.push(...alive.map((i) => i.id))
          log(`${region}: terminated ${alive.map((i) => i.id).join(', ')}.`)
        } catch (error) {
          warn(`Could not terminate ${alive.map((i) => i.id).join(', ')} in ${region}: ${describe(error)}`)
          report.leftBehind.push(...alive.map((i) => i.id))
        }
      }
    }
    if (keysAndGroups === 'where-instances-are' && ours.length === 0) return false

    if (securityGroups.length > 0) {
      let groups: Array<{ id: string; name: string }> = []
      try {
        const answer = await ec2.send(
          new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'group-name', Values: securityGroups }] }),
          send
        )
        groups = (answer.SecurityGroups ?? [])
          .filter((group) => group.GroupId && group.GroupName && securityGroups.includes(group.GroupName))
          .map((group) => ({ id: group.GroupId as string, name: group.GroupName as string }))
      } catch (error) {
        warn(`Could not look up security groups ${securityGroups.join(', ')} in ${region}: ${describe(error)}`)
        report.leftBehind.push(...securityGroups)
      }
      if (groups.length > 0 && ours.length > 0) {
        // A group cannot go while an instance still uses it: wait for the terminations.
        const ids = ours.map((instance) => instance.id)
        const terminated = await untilDeadline(async () =>
          (await describeInstances(ec2, ids, send)).every((instance) => instance.state === 'terminated')
        ).catch(() => false)
        if (!terminated) warn(`${region}: ${ids.join(', ')} had not finished terminating when the clean-up had to stop.`)
      }
      for (const group of groups) {
        unseenGroups.delete(group.name)
        const deleted = await untilDeadline(async () => {
          try {
            await ec2.send(new DeleteSecurityGroupCommand({ GroupId: group.id }), send)
            return true
          } catch (error) {
            if ((error as { name?: string }).name === 'DependencyViolation') return false
            throw error
          }
        }).catch((error: unknown) => {
          warn(`Could not delete security group ${group.name} (${group.id}) in ${region}: ${describe(error)}`)
          return undefined
        })
        if (deleted) {
          log(`${region}: deleted security group ${group.name} (${group.id}).`)
          report.deletedSecurityGroups.push(group.name)
        } else {
          if (deleted === false) {
            warn(`Security group ${group.name} (${group.id}) in ${region} was still in use when the clean-up had to stop.`)
          }
          report.leftBehind.push(group.name)
        }
      }
    }

    // DeleteKeyPair succeeds for a name EC2 does not know, so a key pair is deleted, not looked up.
    for (const keyName of keyPairs) {
      try {
        await ec2.send(new DeleteKeyPairCommand({ KeyName: keyName }), send)
        log(`${region}: deleted key pair ${keyName} (if it was still there).`)
        report.deletedKeyPairs.push(keyName)
      } catch (error) {
        warn(`Could not delete key pair ${keyName} in ${region}: ${describe(error)}`)
        report.leftBehind.push(keyName)
      }
    }
    return true
  }

  /** Calls `attempt` until it returns true, or the deadline passes (then false). */
  async function untilDeadline(attempt: () => Promise<boolean>): Promise<boolean> {
    for (;;) {
      if (await attempt()) return true
      if (Date.now() + pollMs > deadline) return false
      await sleep(pollMs)
    }
  }
}

/** The account's enabled regions other than those given. */
async function otherRegions(ec2: EC2Client, known: string[], abortSignal: AbortSignal): Promise<string[]> {
  const answer = await ec2.send(new DescribeRegionsCommand({}), { abortSignal })
  return (answer.Regions ?? [])
    .map((region) => region.RegionName)
    .filter((name): name is string => typeof name === 'string' && !known.includes(name))
}

async function describeInstances(
  ec2: EC2Client,
  ids: string[],
  send: { abortSignal: AbortSignal }
): Promise<Array<{ id: string; state: string }>> {
  const found: Array<{ id: string; state: string }> = []
  let nextToken: string | undefined
  do {
    const answer = await ec2.send(
      new DescribeInstancesCommand({ Filters: [{ Name: 'instance-id', Values: ids }], NextToken: nextToken }),
      send
    )
    for (const reservation of answer.Reservations ?? []) {
      for (const instance of reservation.Instances ?? []) {
        if (instance.InstanceId && ids.includes(instance.InstanceId)) {
          found.push({ id: instance.InstanceId, state: instance.State?.Name ?? 'unknown' })
        }
      }
    }
    nextToken = answer.NextToken
  } while (nextToken)
  return found
}

/**
 * The post step's clean-up: reads what the main step saved and, if Packer died before its own
 * clean-up, removes what it left. Never throws; whatever may remain is a warning naming it.
 */
export async function cleanUpAfterPacker(): Promise<void> {
  try {
    const state = parseLeftoverState(core.getState(LEFTOVERS_STATE))
    if (!needsCleanup(state)) return
    if (state.keep) {
      const { instanceIds, securityGroups, keyPairs } = state.resources
      core.warning(
        `Packer was killed, and on-error is abort, so what it made is left as it is: ` +
          `${[...instanceIds, ...securityGroups, ...keyPairs].join(', ')} (in ${state.regions.join(', ') || 'its build region'}).`,
        { title: 'Packer clean-up' }
      )
      return
    }
    await core.group('Clean up what Packer left', async () => {
      const report = await cleanUpLeftovers(state, {
        log: (message) => core.info(message),
        warn: (message) => core.warning(message, { title: 'Packer clean-up' })
      })
      const done = [
        report.terminated.length > 0 ? `terminated ${report.terminated.join(', ')}` : '',
        report.deletedSecurityGroups.length > 0 ? `deleted security group ${report.deletedSecurityGroups.join(', ')}` : '',
        report.deletedKeyPairs.length > 0 ? `deleted key pair ${report.deletedKeyPairs.join(', ')}` : ''
      ].filter(Boolean)
      core.info(`Clean-up: ${done.length > 0 ? done.join('; ') : 'nothing needed removing'}.`)
      if (report.leftBehind.length > 0) {
        core.warning(`These may still exist in the account: ${report.leftBehind.join(', ')}.`, {
          title: 'Packer clean-up'
        })
      }
    })
  } catch (error) {
    core.warning(`Could not clean up after Packer: ${describe(error)}`, { title: 'Packer clean-up' })
  }
}
