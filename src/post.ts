// Post step (runs with `post-if: always()`; post-index.ts is its entry point): saves Packer's
// plugin directory to the Actions cache.
// A cache problem is only ever a warning; it must not fail a job whose build succeeded.
import * as core from '@actions/core'
import { savePluginCache } from './plugins/cache.js'
import { errorMessage } from './common/errors.js'

export async function run(): Promise<void> {
  try {
    await savePluginCache()
  } catch (error) {
    core.warning(
      `Could not save the plugin cache: ${errorMessage(error)}`
    )
  }
}
