// Post step (runs with `post-if: always()`; post-index.ts is its entry point): stops a Packer
// that outlived a killed main step, removes what a Packer that did not finish left in the
// account (with the credentials the main step's calls used: a template's own, where the main
// step made them the run's), then saves Packer's plugin directory to the Actions cache. Problems are only ever warnings; they must not fail a job whose build succeeded.
// It runs after every job, and most jobs leave it nothing to do: each part (the stop of a Packer
// that outlived the main step, the EC2 client, the cache client with Azure's storage client,
// the report of AMIs no output holds) loads only when the main step left it work.
import * as core from '@actions/core'
import type { FoundImages } from './aws/finished-images.js'
import { LEFTOVERS_STATE, needsCleanup, mayHaveUnreportedAmis, parseLeftoverState, postStepAwsMs } from './aws/leftovers.js'
import type { FinishedImage } from './packer/machine-readable.js'
import { PLUGIN_CACHE_STATE } from './plugins/cache-state.js'
import { RUN_CREDENTIALS_STATE, parseSavedCredentials, secretsOf, type SavedCredentials } from './aws/saved-credentials.js'
import { errorMessage } from './common/errors.js'
import { annotate, makeHeldAnnotations } from './report/annotation.js'

export async function run(): Promise<void> {
  try {
    await cleanUp()
    await savePluginCache()
  } finally {
    // The post step is a step of its own, with its own slots (report/annotation.ts).
    makeHeldAnnotations()
  }
}

/** Stops a Packer that outlived the main step, names the AMIs no output holds, removes what Packer left. */
async function cleanUp(): Promise<void> {
  try {
    const credentials = savedCredentials()
    const leftovers = parseLeftoverState(core.getState(LEFTOVERS_STATE))
    if (leftovers?.packer === 'running' && leftovers.packerPid !== undefined && leftovers.packerStarted !== undefined) {
      const { stopSurvivingPacker } = await import('./packer/survivor.js')
      if (stopSurvivingPacker(leftovers.packerPid, leftovers.packerStarted)) {
        annotate({
          level: 'warning',
          message: `Packer (process group ${leftovers.packerPid}) was still running after the main step was killed: stopped it, so that it makes nothing more.`,
          title: 'Packer clean-up'
        })
      }
    }
    // The look-up of finished AMIs and the clean-up share one bound: the post step ends within a minute.
    const awsUntil = Date.now() + postStepAwsMs
    const awsTimeLeft = (): number => Math.max(0, awsUntil - Date.now())
    if (credentials !== undefined && (mayHaveUnreportedAmis(leftovers) || needsCleanup(leftovers))) await useSavedCredentials(credentials)
    if (mayHaveUnreportedAmis(leftovers)) {
      // Whatever goes wrong here, the clean-up below still runs.
      try {
        await (await import('./report/unreported.js')).reportUnreportedAmis(leftovers, (images, regions) =>
          findImagesOf(images, regions, awsTimeLeft(), leftovers.packerStarted)
        )
      } catch (error) {
        annotate({ level: 'warning', message: `Could not name the AMIs of the builds that finished: ${errorMessage(error)}`, title: 'AMIs not in the outputs' })
      }
    }
    if (needsCleanup(leftovers)) {
      const warnings = await (await import('./aws/cleanup.js')).cleanUpAfterPacker(leftovers, awsTimeLeft())
      for (const message of warnings) annotate({ level: 'warning', message, title: 'Packer clean-up' })
    }
  } catch (error) {
    annotate({ level: 'warning', message: `Could not clean up after Packer: ${errorMessage(error)}`, title: 'Packer clean-up' })
  }
}

/**
 * The credentials the main step made its calls with, where they were the template's own
 * (aws/saved-credentials.ts), their secrets registered before anything else: else undefined, and
 * the post step's calls use the step's.
 */
function savedCredentials(): SavedCredentials | undefined {
  const saved = parseSavedCredentials(core.getState(RUN_CREDENTIALS_STATE))
  for (const secret of saved === undefined ? [] : secretsOf(saved)) core.setSecret(secret)
  return saved
}

/** Makes `saved` the credentials of the post step's AWS calls, as the main step made them its own; a role is assumed again, its secrets registered. */
async function useSavedCredentials({ credentials, region }: SavedCredentials): Promise<void> {
  const { useTemplateCredentials } = await import('./aws/template-credentials.js')
  useTemplateCredentials(credentials, region, (secret) => core.setSecret(secret))
}

/**
 * Where finished builds' AMIs are (Packer's log names neither their region nor their copies): each
 * in `regions`, its copies where the log says it copied it, as the main step looks after a
 * cancel, within `ms`.
 */
async function findImagesOf(images: FinishedImage[], regions: string[], ms: number, packerStarted: string | undefined): Promise<FoundImages> {
  const { findFinishedImages, findRegionsDeadlineMs } = await import('./aws/finished-images.js')
  return findFinishedImages(images, regions, Math.min(findRegionsDeadlineMs, ms), packerStarted)
}

/** Saves Packer's plugin directory to the Actions cache, when the main step used one. */
async function savePluginCache(): Promise<void> {
  try {
    const saved = core.getState(PLUGIN_CACHE_STATE)
    if (saved === '') {
      core.debug('No plugin cache to save: the main step did not use one')
      return
    }
    const warning = await (await import('./plugins/cache.js')).savePluginCache(saved)
    if (warning !== undefined) annotate({ level: 'warning', message: warning })
  } catch (error) {
    annotate({ level: 'warning', message: `Could not save the plugin cache: ${errorMessage(error)}` })
  }
}
