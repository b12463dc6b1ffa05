// What the main step leaves for the post step about the temporary resources Packer announced,
// kept apart from the clean-up (and its EC2 client) so that the main step can write it
// without loading that client.
import type { TemporaryResources } from '../packer/machine-readable.js'

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

/** Whether the post step has anything to clean up: Packer did not exit by itself, and announced something. */
export function needsCleanup(state: LeftoverState | undefined): state is LeftoverState {
  if (state === undefined || state.packer === 'exited') return false
  const { instanceIds, keyPairs, securityGroups } = state.resources
  return instanceIds.length + keyPairs.length + securityGroups.length > 0
}
