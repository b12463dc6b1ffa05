// The job, in order: inputs, install, plugins, validate, build, artifacts, outputs, tag, report.
import * as core from '@actions/core'
import { InputError, readInputs, type Inputs } from './inputs/index.js'
import { readBuiltAmis, manifestRunUuid, prepareManifestDirectory } from './artifacts/index.js'
import { inTemplateOrder } from './artifacts/manifest.js'
import { buildArguments, validateArguments } from './packer/commands.js'
import { actionsLog } from './packer/log.js'
import { RunRecord } from './packer/machine-readable.js'
import { Cancellation, runPacker, type PackerRun } from './packer/run.js'
import { tagAmis } from './aws/tagging.js'
import { LEFTOVERS_STATE, type LeftoverState } from './aws/cleanup.js'
import { amiOutputs, setOutputs, writeSummary, type RegionTagging, type SummaryModel } from './report/index.js'

/** A failure whose causes the log and the summary's problems already show. */
class Failure extends Error {}

/** The summary as it stands, for a cancel that comes while no Packer runs (e.g. while tagging). */
let summarySoFar: { model: SummaryModel; write: boolean } | undefined

export async function run(): Promise<void> {
  const cancellation = new Cancellation(
    (signal) => {
      const amis = summarySoFar?.model.amis ?? []
      if (amis.length === 0) {
        core.setFailed(`The run was cancelled (${signal}); no Packer build was running.`)
        process.exit(1)
      }
      core.setFailed(
        `The run was cancelled (${signal}) after the build: the ${amis.length} AMI(s) exist and are in the ` +
          'outputs; tags not yet added were not added (the summary lists them).'
      )
      const model = summarySoFar?.model as SummaryModel
      const written = summarySoFar?.write
        ? writeSummary({ ...model, outcome: 'cancelled', problems: [...model.problems, `Cancelled (${signal}) while tagging.`] })
        : Promise.resolve()
      void written.finally(() => process.exit(1))
    },
    (message) => core.warning(message)
  ).listen()
  try {
    const inputs = readActionInputs()
    if (!inputs) return
    await job(inputs, cancellation)
  } catch (error) {
    core.setFailed((error as Error).message)
  } finally {
    cancellation.dispose()
  }
}

function readActionInputs(): Inputs | undefined {
  try {
    const inputs = readInputs((name) => core.getInput(name))
    if (inputs.githubToken) core.setSecret(inputs.githubToken)
    return inputs
  } catch (error) {
    if (!(error instanceof InputError)) throw error
    // One annotation per problem, so each points at its input or file.
    for (const problem of error.problems) {
      core.error(problem.message, {
        title: 'Invalid input',
        file: problem.location?.file,
        startLine: problem.location?.line,
        startColumn: problem.location?.column
      })
    }
    process.exitCode = 1
    return undefined
  }
}

async function job(inputs: Inputs, cancellation: Cancellation): Promise<void> {
  if (inputs.defaultVarFile) {
    core.info(`var-file is empty: using ${inputs.defaultVarFile}, found beside the template.`)
  }
  // As read, so that a version YAML changed (an unquoted 1.10 becomes 1.1) shows in the log.
  core.info(`packer-version: ${inputs.packerVersion}`)
  // Loaded when the job gets here, so a run that stops at its inputs does not pay for loading
  // OpenPGP and the cache client. (The EC2 client stays a static import: loaded lazily, the
  // bundler could no longer leave out the operations the action never calls.)
  const { installPacker } = await import('./install/index.js')
  const packer = await core.group('Install Packer', () =>
    installPacker({
      versionSpec: inputs.packerVersion,
      releasesUrl: inputs.packerReleasesUrl,
      signingKey: inputs.packerSigningKey
    })
  )
  setOutputs({ 'packer-version': packer.version })

  const { preparePlugins } = await import('./plugins/index.js')
  await core.group('Plugins', () =>
    preparePlugins({
      packer,
      templateKind: inputs.templateKind,
      template: inputs.template,
      workingDirectory: inputs.workingDirectory,
      requirements: inputs.plugins,
      builderTypes: inputs.builderTypes,
      postProcessorTypes: inputs.postProcessorTypes,
      githubToken: inputs.githubToken,
      cache: inputs.cache
    })
  )

  const summary: SummaryModel = {
    outcome: 'failed',
    template: inputs.template,
    packerVersion: packer.version,
    amis: [],
    problems: [],
    env: process.env
  }
  summarySoFar = { model: summary, write: inputs.summary }
  const packerStep = (args: string[], record?: RunRecord): Promise<PackerRun> =>
    runPacker(packer.path, args, {
      record,
      cwd: inputs.workingDirectory,
      env: packerEnvironment(),
      log: actionsLog({
        workingDirectory: inputs.workingDirectory,
        template: inputs.template,
        workspace: process.env.GITHUB_WORKSPACE || process.cwd()
      }),
      cancellation
    })

  try {
    const validation = await core.group('Validate', () => packerStep(validateArguments(inputs)))
    stopIfCancelled(validation, summary)
    if (validation.exitCode !== 0) {
      summary.problems.push(...validation.record.errors)
      throw new Failure(
        `packer validate found problems in ${inputs.template} (see the errors above); nothing was built.`
      )
    }
    core.info(`packer validate: ${inputs.template} is valid.`)
    if (inputs.command === 'validate') {
      summary.outcome = 'validated'
      return
    }
    await build(inputs, packerStep, cancellation, summary)
  } catch (error) {
    if (summary.outcome !== 'cancelled') summary.outcome = 'failed'
    if (!(error instanceof Failure)) summary.problems.push((error as Error).message)
    throw error
  } finally {
    if (inputs.summary) await writeSummary(summary)
  }
}

async function build(
  inputs: Inputs,
  packerStep: (args: string[], record?: RunRecord) => Promise<PackerRun>,
  cancellation: Cancellation,
  summary: SummaryModel
): Promise<void> {
  const runBefore = manifestRunUuid(inputs.manifest)
  const createdDirectory = prepareManifestDirectory(inputs.manifest)
  if (createdDirectory) {
    core.info(`Created ${createdDirectory} for the manifest: Packer's manifest post-processor needs it to exist.`)
  }
  const leftovers = tellThePostStep(inputs.awsRegion, inputs.onError === 'abort')
  const built = await core.group('Build', () => packerStep(buildArguments(inputs), leftovers.record))
  leftovers.packerEnded(built)
  if (built.killedBy) {
    summary.problems.push(
      `Packer was killed (${built.killedBy}) before it could clean up. ` +
        (inputs.onError === 'abort'
          ? 'With on-error: abort, its instance, security group and key pair are left as they are.'
          : 'The post step terminates the instance and deletes the temporary security group and key pair that Packer announced.')
    )
  }

  // AMIs are read even when the build failed: in a template with several builds, those that
  // succeeded made AMIs that are real, cost money and must not go unnoticed.
  const artifacts = readBuiltAmis(inputs.manifest, runBefore, built.record.artifacts)
  artifacts.amis = inTemplateOrder(artifacts.amis, inputs.buildNames)
  for (const note of artifacts.notes) core.info(note)
  setOutputs({
    ...amiOutputs(artifacts.amis, inputs.awsRegion),
    manifest: artifacts.manifest ?? '',
    'run-uuid': artifacts.runUuid ?? ''
  })
  summary.amis = artifacts.amis
  if (artifacts.amis.length > 0) {
    core.info(`Built ${artifacts.amis.length} AMI(s): ${artifacts.amis.map((a) => `${a.region} ${a.amiId}`).join(', ')}`)
    if (inputs.summary) await writeSummary({ ...summary, outcome: 'tagging' })
  }

  stopIfCancelled(built, summary)
  const buildFailed = built.exitCode !== 0
  if (buildFailed) summary.problems.push(...built.record.errors)
  if (artifacts.amis.length === 0) {
    if (buildFailed) throw new Failure(`packer build failed (exit code ${built.exitCode}); no AMI was built.`)
    throw new Failure(artifacts.whyNoAmi)
  }

  const tagCount = Object.keys(inputs.tags).length
  summary.tagCount = tagCount
  if (tagCount === 0) {
    core.info('No tags to add (tags is empty and provenance-tags is false).')
  } else {
    const results = await core.group('Tag AMIs and snapshots', () =>
      tagAmis({
        amis: artifacts.amis,
        tags: inputs.tags,
        tagSnapshots: inputs.tagSnapshots,
        deadlineMs: inputs.taggingTimeoutSeconds * 1000
      })
    )
    summary.tagging = new Map<string, RegionTagging>(results.map((result) => [result.region, result]))
    const failed = results.filter((result) => result.error !== undefined)
    for (const result of results) for (const warning of result.warnings ?? []) core.warning(warning)
    for (const result of failed) core.error(result.error as string, { title: `Tagging in ${result.region}` })
    for (const result of results.filter((r) => r.error === undefined)) {
      const snapshots = inputs.tagSnapshots ? ` and ${result.snapshotIds.length} snapshot(s)` : ''
      core.info(`${result.region}: tagged ${result.amiIds.join(', ')}${snapshots} with ${tagCount} tags.`)
    }
    if (failed.length > 0) {
      summary.problems.push(...failed.map((result) => result.error as string))
      throw new Failure(
        `Tagging failed in ${failed.map((result) => result.region).join(', ')}; the AMIs exist and are in the outputs.`
      )
    }
  }
  if (cancellation.cancelled) stopIfCancelled({ ...built, cancelled: true }, summary)
  if (buildFailed) {
    throw new Failure(
      `packer build failed (exit code ${built.exitCode}), after building ${artifacts.amis.length} AMI(s) that are in the outputs.`
    )
  }
  summary.outcome = 'built'
}

function stopIfCancelled(run: PackerRun, summary: SummaryModel): void {
  if (!run.cancelled) return
  summary.outcome = 'cancelled'
  throw new Failure(
    `The build was cancelled. Packer stopped and cleaned up what it had started (exit code ${run.exitCode}).`
  )
}

/**
 * Saves, as soon as Packer announces them, the instance, security group and key pair it
 * creates, so that the post step can remove them if Packer dies before its own clean-up (the
 * state file is written at once, so even a killed action leaves it behind).
 */
function tellThePostStep(
  homeRegion: string | undefined,
  keep: boolean
): {
  record: RunRecord
  packerEnded: (run: PackerRun) => void
} {
  const state: LeftoverState = {
    regions: homeRegion ? [homeRegion] : [],
    resources: { instanceIds: [], keyPairs: [], securityGroups: [] },
    packer: 'running',
    keep
  }
  const save = (): void => core.saveState(LEFTOVERS_STATE, JSON.stringify(state))
  const record = new RunRecord((resources) => {
    state.resources = resources
    save()
  })
  return {
    record,
    packerEnded: (run) => {
      state.packer = run.killedBy ? 'killed' : 'exited'
      save()
    }
  }
}

/** Packer's update check would only add a network call to every run. */
function packerEnvironment(): NodeJS.ProcessEnv {
  return { CHECKPOINT_DISABLE: '1', ...process.env }
}
