// The job, in order: inputs, install, plugins, validate, build, artifacts, outputs, tag, report.
import * as core from '@actions/core'
import { InputError, readInputs, type Inputs } from './inputs/index.js'
import { withHclTemplate } from './inputs/hcl.js'
import { checkHclBuildSelection } from './inputs/template.js'
import { readBuiltAmis, manifestRunUuid } from './artifacts/index.js'
import { inTemplateOrder } from './artifacts/manifest.js'
import { buildArguments, validateArguments } from './packer/commands.js'
import { inspectBuilds } from './packer/inspect.js'
import { actionsLog } from './packer/log.js'
import { Cancellation, runPacker, type PackerRun } from './packer/run.js'
import { tagAmis } from './aws/tagging.js'
import {
  amiOutputs,
  primaryBuildNote,
  setOutputs,
  writeSummary,
  type RegionTagging,
  type SummaryModel
} from './report/index.js'

/** A failure whose causes the log and the summary's problems already show. */
class Failure extends Error {}

export async function run(): Promise<void> {
  const cancellation = new Cancellation(
    (signal) => {
      core.setFailed(`The run was cancelled (${signal}); no Packer build was running.`)
      process.exit(1)
    },
    (message) => core.warning(message)
  ).listen()
  try {
    const read = readActionInputs()
    if (!read) return
    const inputs = await withHclTemplate(read)
    maskSensitiveValues(inputs.sensitiveValues)
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

/**
 * Packer masks sensitive variables as <sensitive>, but not in -machine-readable mode, which the
 * action uses: so the action masks them. The runner masks line by line, so each line of a
 * multi-line value too.
 */
function maskSensitiveValues(values: string[]): void {
  for (const value of values) {
    core.setSecret(value)
    for (const line of value.split(/\r?\n/)) if (line.trim() !== '' && line !== value) core.setSecret(line)
  }
}

/**
 * An HCL2 template's builds in Packer's own order, from packer inspect; and only/except checked
 * against them. Packer validate says it better when the template does not even parse.
 */
async function withHclBuilds(inputs: Inputs, packerPath: string): Promise<Inputs> {
  if (inputs.templateKind !== 'hcl') return inputs
  let buildNames: string[]
  try {
    buildNames = await inspectBuilds(packerPath, inputs.template, {
      cwd: inputs.workingDirectory,
      env: packerEnvironment()
    })
  } catch (error) {
    core.info(`${(error as Error).message}; the builds will be ordered as they finish.`)
    return inputs
  }
  const problems = buildNames.length > 0 ? checkHclBuildSelection(inputs, buildNames) : []
  if (problems.length > 0) throw new Error(problems.join('\n'))
  return { ...inputs, buildNames }
}

async function job(given: Inputs, cancellation: Cancellation): Promise<void> {
  let inputs = given
  if (inputs.defaultVarFile) {
    core.info(`var-file is empty: using ${inputs.defaultVarFile}, found beside the template.`)
  }
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
  const packerStep = (args: string[]): Promise<PackerRun> =>
    runPacker(packer.path, args, {
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
    inputs = await withHclBuilds(inputs, packer.path)
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
  packerStep: (args: string[]) => Promise<PackerRun>,
  cancellation: Cancellation,
  summary: SummaryModel
): Promise<void> {
  const runBefore = manifestRunUuid(inputs.manifest)
  const built = await core.group('Build', () => packerStep(buildArguments(inputs)))

  // AMIs are read even when the build failed: in a template with several builds, those that
  // succeeded made AMIs that are real, cost money and must not go unnoticed.
  const artifacts = readBuiltAmis(inputs.manifest, runBefore, built.record.artifacts, inputs.buildNames)
  artifacts.amis = inTemplateOrder(artifacts.amis, inputs.buildNames)
  for (const note of artifacts.notes) core.info(note)
  const primaryBuild = primaryBuildNote(artifacts.amis)
  if (primaryBuild) core.info(primaryBuild)
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
      tagAmis({ amis: artifacts.amis, tags: inputs.tags, tagSnapshots: inputs.tagSnapshots })
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

/** Packer's update check would only add a network call to every run. */
function packerEnvironment(): NodeJS.ProcessEnv {
  return { CHECKPOINT_DISABLE: '1', ...process.env }
}
