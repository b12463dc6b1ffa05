// Post step (runs with `post-if: always()`): removes what a Packer that was killed left in the
// account, then saves Packer's plugin directory to the Actions cache. Problems are only ever
// warnings; they must not fail a job whose build succeeded.
import * as core from '@actions/core'
import { cleanUpAfterPacker } from './aws/cleanup.js'
import { savePluginCache } from './plugins/cache.js'

export async function runPost(): Promise<void> {
  await cleanUpAfterPacker()
  try {
    await savePluginCache()
  } catch (error) {
    core.warning(
      `Could not save the plugin cache: ${error instanceof Error ? error.message : String(error)}`
    )
  }
}

await runPost()
