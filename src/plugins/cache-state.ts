// What the main step leaves for the post step to save the plugin cache, kept apart from the
// cache client so that the main step can leave it without loading that client.
import type { PluginRequirement } from '../inputs/plugins.js'

/** What the main step leaves for the post step (the step's state). */
export interface PluginCacheState {
  paths: string[]
  key: string
  /** The key the cache was restored from; undefined on a miss */
  restoredKey?: string
  /** Directory fingerprint right after the restore, before Packer installed anything */
  contentHash: string
  /**
   * The plugins the job names, with the constraints Packer installs and loads them by: those
   * it installs with `packer plugins install` and an HCL2 template's required_plugins
   */
  plugins: PluginRequirement[]
  /** Which of a plugin's releases Packer loads depends on its version */
  packerVersion: string
}

export const PLUGIN_CACHE_STATE = 'plugin-cache'

