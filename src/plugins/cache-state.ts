// What the main step leaves for the post step to save the plugin cache, kept apart from the
// cache client so that the main step can leave it without loading that client.
import * as core from '@actions/core'

/** What the main step leaves for the post step (core.saveState). */
export interface PluginCacheState {
  paths: string[]
  key: string
  /** The key the cache was restored from; undefined on a miss */
  restoredKey?: string
  /** Directory fingerprint right after the restore, before Packer installed anything */
  contentHash: string
}

export const PLUGIN_CACHE_STATE = 'plugin-cache'

export function rememberPluginCache(state: PluginCacheState): void {
  core.saveState(PLUGIN_CACHE_STATE, JSON.stringify(state))
}
