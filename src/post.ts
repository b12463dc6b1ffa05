// Post step (runs with `post-if: always()`; post-index.ts is its entry point): removes what a
// Packer that was killed left in the account, then saves Packer's plugin directory to the
// Actions cache. Problems are only ever warnings; they must not fail a job whose build succeeded.
import * as core from '@actions/core'
import { cleanUpAfterPacker } from './aws/cleanup.js'
import { savePluginCache } from './plugins/cache.js'
import { errorMessage } from './common/errors.js'

export async function run(): Promise<void> {
  await cleanUpAfterPacker()
  try {
    await savePluginCache()
  } catch (error) {
    core.warning(
      `Could not save the plugin cache: ${errorMessage(error)}`
    )
  }
}
