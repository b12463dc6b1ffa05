// The job, in order: inputs, install, plugins, validate, build, artifacts, outputs, tag, report.
// Each stage takes typed values and returns typed values; this file turns them into the log's
// annotations, the step's outputs and the summary; a run that a cancel or a crash ends before its
// end is told by report/ending.ts, from what the job tells it as it goes. The entry point
// (src/index.ts) checks the inputs before it loads this module, so a run with a bad input loads
// none of the job.
import * as core from '@actions/core'
import { randomUUID } from 'node:crypto'
import { dirname, resolve } from 'node:path'
import { secretsOfTheStep } from './common/cut.js'
import { errorMessage } from './common/errors.js'
import { templateInWorkspace, workspaceRelative } from './common/paths.js'
import { stoppedAtDeadline } from './common/waiting.js'
import type { Inputs } from './inputs/index.js'
import type { HclTemplate } from './inputs/hcl.js'
// Bundled into the job: every run checks the template with it, as soon as the job starts.
import { refusedKindsFailure, templateRefusals, type RefusedKind } from './inputs/template-refusals.js'
import type { ProvenanceStage } from './inputs/run-context.js'
import { describeRequest } from './inputs/version-request.js'
import { buildsNeedStepCredentials, keysInEnvironment, noCredentialsText, runCredentialsOf, stepCredentialsText } from './inputs/aws-credentials.js'
import { rememberSecret } from './common/cut.js'
import { keysGoneBy, ownKeysAsProvenance, ownKeysTheTagsGive, reusedAmiTags, reuseTagKeys, writesFingerprintTags } from './inputs/reuse.js'
import { familyPrefixOf, imageFamilyOf } from './inputs/retention.js'
import type { Provenance } from './inputs/tags.js'
import { combineTags, provenanceTagKeys, templateKeeps } from './inputs/tags.js'
import { buildsWithoutInstance, noBuildLaunchesInstance, scriptLinesAlike } from './inputs/template-files.js'
import type { Fingerprint, PickedSourceAmi } from './inputs/fingerprint.js'
import type { AmiBuild } from './inputs/ami-builds.js'
import type { ResolvedVersion } from './inputs/required-version.js'
import type { InstalledPacker } from './install/index.js'
import type { PathPacker, PathPackerQuestion } from './install/on-path.js'
import { buildArguments, packerDebugLog, packerEnvironment, shownArguments, validateArguments, validateDeadlineMs } from './packer/commands.js'
import { InspectFailed, inspectBuilds } from './packer/inspect.js'
import { actionsLog, withCommandsResumed } from './packer/log.js'
import { noTemporaryResources, RunRecord, type CleanedUpImage, type FinishedImage } from './packer/machine-readable.js'
import { Cancellation, runPacker, type PackerRun } from './packer/run.js'
import { keptApartFromTheLog, manifestRunUuid, manifestToRead, prepareManifestDirectory, readBuiltAmis } from './artifacts/index.js'
import { amiBuilderTypeOf, amiIdsByRegion, inKnownOrder, inTemplateOrder, type Ami } from './artifacts/manifest.js'
import { refusedCredentialsText } from './common/refused-credentials.js'
import { credentialsExpiredText, leftInText, removalCommands, saysCredentialsExpired, whereEachLeft, type BuildRegions } from './common/expired-credentials.js'
import { familyTagging, newAmisByFamily, type FamilyTagging } from './aws/families.js'
import { LEFTOVERS_STATE, type LeftoverState, type ManifestBefore } from './aws/leftovers.js'
import { RUN_CREDENTIALS_STATE, type SavedCredentials } from './aws/saved-credentials.js'
import { annotate, logAsText, makeHeldAnnotations, type Annotation } from './report/annotation.js'
import type { LaunchTemplateResult } from './aws/launch-templates.js'
import type { RetentionResult } from './aws/retention.js'
import type { SsmParameterResult } from './aws/ssm.js'
import type { NewerRunCheck } from './aws/newer-runs.js'
import { copiesNotFound, finishedUnlisted, imagesOf, notTheBuilds, notTheBuildsWarning, unlistedImages } from './report/found-images.js'
import type { InputProblem } from './inputs/reader.js'
import { reportFoldedInputs, reportInputProblems, reportInputWarnings } from './report/input-problems.js'
import { maskValues } from './report/masks.js'
import { crashedOnTheMistake, packerCrashed } from './report/packer-crash.js'
import { crashedWith, killedProblem, outlastedBy } from './report/run-end.js'
import {
  buildEnded,
  buildStarted,
  cancelledWhileIdle,
  cancelOutlasted,
  crashedAfterTheCancel,
  crashedWhileIdle,
  crashUnended,
  endSummary,
  entering,
  Failure,
  failRun,
  keepSummarySoFar,
  notRolledOut,
  reusingNow,
  rollOutStagesOn,
  stopIfCancelled,
  stoppedWhilePackerRan,
  stoppingPacker,
  summaryFailed,
  theAmisInTheOutputs,
  type RollOutStage
} from './report/ending.js'
import { reportPackerRun } from './report/packer-errors.js'
import { logLaunchTemplate, reportLaunchTemplates, reportLaunchTemplatesCutShort } from './report/launch-templates.js'
import { logRetention, reportRetention, reportRetentionCutShort } from './report/retention.js'
import { reportVariables } from './report/variables.js'
import { reportUnseenReferences } from './report/references.js'
import { logSsmParameter, reportSsmParameters, reportSsmParametersCutShort } from './report/ssm.js'
import { amisLeftUntagged, reportUntagged, untaggedSentence, type UntaggedAmi } from './report/untagged.js'
import {
  amiOutputs,
  buildsPassedOver,
  builtAmisLine,
  jsonOutputsAtFirst,
  passedOverNote,
  reportBuildTagging,
  reportRegionTagging,
  logRegionTagging,
  annotateRegionTagging,
  namedAlikeNotes,
  outputsNotWritten,
  outsideManifestNote,
  primaryBuildNote,
  primaryRegionNote,
  reportPackerFolder,
  reportPlugins,
  reportTagging,
  reportTemplateTags,
  rolledOutBuild,
  setOutputs,
  stageGroupTitle,
  warnOfOutputsHoldingSecrets,
  writeSummary,
  type OutsideManifest,
  type PassedOver,
  type SummaryModel
} from './report/index.js'
import { inTheOutputs, runnerFileNotWritten, saveState } from './report/runner-files.js'
import { plural } from './report/texts.js'

type TaggingStage = typeof import('./aws/tagging.js')
type ReuseStage = typeof import('./aws/reuse.js')
import type { RegionTagResult, TagOptions } from './aws/tagging.js'
import type { ReusableSet, SetCheck, UntaggedOfTheSet } from './aws/reuse.js'
import type { BuildOfRun } from './inputs/ami-builds.js'

type PackerStep = (
  args: string[],
  env?: Record<string, string>,
  /** `warnings`: annotate Packer's warnings about the template (validate's; the build repeats them). */
  options?: { record?: RunRecord; deadlineMs?: number; warnings?: boolean; started?: (pid: number) => void }
) => Promise<PackerStepRun>

/** A Packer run, with what it had to say; `crashed`: why Packer itself crashed (packerCrashed), if it did. */
type PackerStepRun = PackerRun & { annotations: Annotation[]; crashed?: string }

/**
 * The job, given its checked inputs, the question already put to the packer on PATH and an HCL2
 * template being read (src/index.ts); or reading, asking and parsing itself.
 */
export async function run(checked?: Inputs, asked?: PathPackerQuestion, hclTemplate?: Promise<HclTemplate>): Promise<void> {
  const cancellation = new Cancellation(
    (signal) => cancelledWhileIdle(signal),
    // Said while Packer runs, whose lines have the runner's commands stopped.
    (message) => withCommandsResumed(() => stoppingPacker(message)),
    // A warning, as a cancel's is: the one failure is given once Packer has ended, and says what
    // became of what it made (or at the runner's last signal, or if the run does not end).
    (error, stopping) => withCommandsResumed(() => stoppingPacker(`${crashedWith(error).cause} while Packer ran: ${stopping}`)),
    (error) => crashedWhileIdle(error),
    (signal, commands, ended) => withCommandsResumed(() => cancelOutlasted(outlastedBy(signal, cancellation.stoppedByCrash), commands, ended, cancellation.stoppedByCrash !== undefined)),
    (error, first) => withCommandsResumed(() => crashUnended(error, first)),
    (error) => crashedAfterTheCancel(error)
  ).listen()
  try {
    const read = checked ?? (await (await import('./checked-inputs.js')).checkedInputs())
    if (read) {
      cancellation.keepsWhatPackerMade = read.onError === 'abort'
      setOutputs(jsonOutputsAtFirst)
      // An output file the runner's disk or folders refuse is found before anything is done.
      const outputsRefused = runnerFileNotWritten('outputs')
      if (outputsRefused) throw new Error(`${outputsRefused} Nothing was built: the steps after this one would get none of its outputs.`)
      // Packer masks sensitive variables as <sensitive>, but not in -machine-readable mode, which
      // the action uses: so the action masks them.
      maskValues(read.sensitiveValues)
      // The HCL2 template's stage (and the glob matcher it holds) loads only for an HCL2 template.
      const template =
        read.templateKind === 'hcl' ? (hclTemplate ?? import('./inputs/hcl.js').then(({ readHclTemplate }) => readHclTemplate(read))) : undefined
      // Packer's output is logged only once an HCL2 template's sensitive values are masked.
      await job(read, cancellation, asked, maskedOnceRead(template))
      // A job that validates only: its outputs are written or not once it is done.
      failIfOutputsNotWritten()
    }
  } catch (error) {
    failRun(error)
    // A job that failed for something else says too that its outputs were not written.
    const outputs = outputsNotWritten()
    if (outputs && !errorMessage(error).startsWith(runnerFileNotWritten('outputs') as string)) annotate({ level: 'warning', message: outputs, title: 'Runner files' })
  } finally {
    cancellation.dispose()
    // The outputs are all set: whether any holds a secret, which costs it its place in the job's
    // outputs (said already where the job wrote its summary).
    warnOfOutputsHoldingSecrets()
    makeHeldAnnotations()
  }
}

/** The HCL2 template as read, once its sensitive values are masked: as soon as it is read. */
function maskedOnceRead(hclTemplate: Promise<HclTemplate> | undefined): Promise<HclTemplate> | undefined {
  const template = hclTemplate?.then((read) => {
    maskValues(read.sensitiveValues)
    return read
  })
  template?.catch(() => undefined)
  return template
}

/**
 * Once `template` (an HCL2 template being read) has set its masks: the values of the sensitive
 * variables (JSON) or locals (HCL2) that only Packer can work out (`{{vault …}}`, a data source),
 * asked of packer console and masked. Rejects only as `template` does. A value Packer could
 * not tell is one the build cannot fetch either; a warning says which.
 */
function maskedByPacker(
  inputs: Inputs,
  packer: InstalledPacker,
  cancellation: Cancellation,
  template: Promise<HclTemplate> | undefined
): Promise<unknown> | undefined {
  if (template === undefined && inputs.sensitiveUnknown.length === 0) return undefined
  const asked = template ? template.then((read) => ({ names: read.sensitiveUnknown, secrets: read.secretReads })) : Promise.resolve({ names: inputs.sensitiveUnknown, secrets: [] })
  return asked.then(async ({ names: unknown, secrets }) => {
    if (unknown.length === 0 && secrets.length === 0) return
    const { askSensitiveValues } = await import('./packer/console.js')
    const kind = inputs.templateKind
    const question = { kind, names: unknown, secrets }
    const answer = await askSensitiveValues(packer.path, question, inputs, { env: packerEnvironment(inputs.awsRegion), cancellation })
    maskValues(answer.values)
    if (answer.problem === undefined || cancellation.cancelled) return
    const what = [
      ...(unknown.length === 0 ? [] : [`sensitive ${kind === 'json' ? 'variable' : 'local'}${unknown.length === 1 ? '' : 's'} ${unknown.join(', ')}`]),
      ...(secrets.length === 0 ? [] : [`the secret${secrets.length === 1 ? '' : 's'} the template reads (${secrets.join(', ')})`])
    ].join(' and of ')
    // A crash's report was moved out of the checkout: the warning says where.
    const why = answer.panicked ? `: ${packerCrashed(answer.panicked, inputs.workspace)}` : ` (${answer.problem}).`
    const unmasked =
      unknown.length + secrets.length === 1
        ? 'It is not masked: if the build gets it after all and prints it, it shows in the log.'
        : 'They are not masked: if the build gets them after all and prints them, they show in the log.'
    annotate({
      level: 'warning',
      message: `The value of ${what} is only known to Packer, and Packer could not tell it${why} ${unmasked}`,
      title: 'Sensitive values'
    })
  })
}

/** The template's builds in Packer's order: what orders the AMIs, and what only/except name. */
interface BuildNames {
  /** The builds; the first call logs why when inspect gave none. Only called while no Packer runs. */
  get(): Promise<string[]>
  /** Stops packer inspect if it still runs: the job ended without its answer. */
  stop(): void
}

/**
 * An HCL2 template's builds in Packer's own order, from packer inspect (a JSON template's are
 * known already). Inspect runs beside validate, and only when there is an order to know (a
 * template whose build blocks make one build has none) or a name to know: one that may hold a
 * comma, which Packer's lines do not tell from the next field. With only/except it comes first, to
 * check them against its list. When it gives none, the builds are ordered as they finish
 * (packer validate says better why a template does not parse), and only/except are left to
 * Packer. Where its list would not name the builds as Packer builds them, it is not asked: the
 * template's own names for them take its place.
 */
function listBuilds(
  inputs: Inputs,
  packer: InstalledPacker,
  cancellation: Cancellation,
  template: Promise<HclTemplate> | undefined,
  masked: Promise<unknown> | undefined
): BuildNames {
  if (inputs.templateKind !== 'hcl') return { get: async () => inputs.buildNames, stop: () => undefined }
  const stopping = new AbortController()
  const selects = inputs.only.length > 0 || inputs.except.length > 0
  const listed = (template ?? Promise.resolve(undefined)).then(async (read) => {
    const named = read && (await buildsNamedByTheTemplate(packer.version, read, selects))
    if (named !== undefined) return named
    const inspect = read === undefined || selects || read.buildCount !== 1 || read.namesMayHoldComma
    return inspect && !stopping.signal.aborted
      ? inspectBuilds(packer.path, inputs.template, {
          cwd: inputs.workingDirectory,
          env: packerEnvironment(inputs.awsRegion),
          cancellation,
          stop: stopping.signal
        })
      : []
  })
  listed.catch(() => undefined)
  const unordered = async (error: unknown): Promise<string[]> => {
    if (cancellation.cancelled || stopping.signal.aborted) return []
    // What Packer said is in the message: logged once the sensitive values are masked.
    await masked
    if (error instanceof InspectFailed && error.panicked) {
      // Its report was moved out of the checkout: the warning says where.
      const message = `${packerCrashed(error.panicked, inputs.workspace)} The builds will be ordered as they finish.`
      annotate({ level: 'warning', message, title: 'packer inspect' })
      return []
    }
    const message = `${errorMessage(error)}; the builds will be ordered as they finish.`
    if (error instanceof InspectFailed && error.timedOut) annotate({ level: 'warning', message, title: 'packer inspect' })
    else logAsText([message])
    return []
  }
  let names: Promise<string[]> | undefined
  return { get: () => (names ??= listed.catch(unordered)), stop: () => stopping.abort() }
}

/**
 * Where packer inspect's list would not name the builds as Packer builds them (Packer before 1.7
 * and a build block that names a build of its own), the names the template's build blocks give
 * them, in its order: Packer builds them, and matches only/except, under those names. Throws,
 * saying why, where the template does not tell them all; undefined where inspect's list names them.
 */
async function buildsNamedByTheTemplate(packerVersion: string, template: HclTemplate, selects: boolean): Promise<string[] | undefined> {
  if (!template.renamesSources) return undefined
  const { listNamesBuilds } = await import('./inputs/hcl-build-selection.js')
  if (listNamesBuilds(packerVersion, true)) return undefined
  if (template.buildNames !== undefined) return template.buildNames
  throw new Error(
    `${selects ? 'only/except are left to Packer: ' : ''}Packer ${packerVersion} lists a build that a build block names ` +
      "(source \"TYPE.NAME\" { name = … }) by its source block's name, not by the name it builds it under"
  )
}

/** The builds, once listed; nothing is built after a cancel while inspect ran. */
async function listedBuilds(buildNames: BuildNames, cancellation: Cancellation, summary: SummaryModel): Promise<string[]> {
  const names = await buildNames.get()
  if (cancellation.cancelled) throw stoppedWhilePackerRan(cancellation, summary, 'while packer inspect read the template', '; nothing was built.')
  return names
}

/**
 * only/except checked against an HCL2 template's builds, before anything is validated or built;
 * left to Packer when no one knows them all (listBuilds says why).
 */
async function checkBuildSelection(
  inputs: Inputs,
  buildNames: BuildNames,
  template: Promise<HclTemplate> | undefined,
  cancellation: Cancellation,
  summary: SummaryModel
): Promise<void> {
  if (inputs.templateKind !== 'hcl' || (inputs.only.length === 0 && inputs.except.length === 0)) return
  const names = await listedBuilds(buildNames, cancellation, summary)
  if (names.length === 0) return
  // The glob matcher loads only for a template whose builds only/except select among.
  const { checkHclBuildSelection } = await import('./inputs/hcl-build-selection.js')
  // A template that could not be read has no post-processors to match: Packer decides.
  const read = await template?.catch(() => undefined)
  const problems = checkHclBuildSelection(inputs, names, read?.postProcessorNames)
  if (problems.length > 0) throw new Error(problems.join('\n'))
}

/**
 * What the template's files tell is wrong before Packer is installed: input variables, and
 * provisioners or post-processors that cannot work on a runner; and what they tell may be, as a
 * variable's reference written as text in quotes; and a build the step has no AWS credentials for.
 */
async function checkTemplateBeforeInstall(inputs: Inputs, template: Promise<HclTemplate> | undefined): Promise<Annotation[]> {
  // Where the step has no static keys, the credential chain is walked while the template is
  // checked: a build it finds none for fails before the download.
  const credentials = missingCredentials(inputs, template)
  credentials.catch(() => undefined)
  // What the provisioners' check refuses, and the files packer validate would refuse, are named
  // with any refusal before it: else a fix of the one ends in a failure on the other.
  const provisioners = await provisionerProblemsOf(inputs, template)
  // A template that could not be read fails where it is awaited next, as it would have.
  const read = await template?.catch(() => undefined)
  const warnings = warnSourceReferences(read)
  warnings.push(...(await warnQuotedReferences(inputs, template)))
  await refuseTemplate(await templateRefusals(inputs, read), provisioners)
  await refuseProvisioners(provisioners)
  const noCredentials = await credentials
  if (noCredentials !== undefined) throw new Error(noCredentials)
  warnings.push(...(await followTemplateCredentials(inputs, read)))
  return warnings
}

/**
 * Makes the credentials that the run's builds name of their own, where the template tells them
 * with this run's values, those of the action's AWS calls (runCredentialsOf), before the first:
 * they then reach the account Packer builds in, and so do the post step's, which they are saved
 * for. Where it does not tell them for sure, a warning says that the calls use the step's, and
 * what to do. Nothing is loaded for a run whose builds name none.
 */
async function followTemplateCredentials(inputs: Inputs, read: HclTemplate | undefined): Promise<Annotation[]> {
  const builds = inputs.templateKind === 'hcl' ? read?.amiBuilds : inputs.jsonAmiBuilds
  if (inputs.command !== 'build' || !builds?.some((build) => build.ownCredentials)) return []
  const { amiBuildsOfRun } = await import('./inputs/ami-builds.js')
  const { use, unsure } = runCredentialsOf(await amiBuildsOfRun(builds, inputs), process.env, inputs.workingDirectory)
  if (unsure) {
    return reportInputWarnings([{ message: stepCredentialsText(unsure), location: unsure.build.location }], 'AWS credentials of the template')
  }
  if (use === undefined) return []
  const mask = (secret: string): void => {
    rememberSecret(secret)
    core.setSecret(secret)
  }
  for (const secret of [use.keys?.secretAccessKey, use.keys?.sessionToken]) if (secret) mask(secret)
  const region = builds.find((build) => build.buildRegion !== undefined)?.buildRegion ?? inputs.awsRegion ?? 'us-east-1'
  ;(await import('./aws/template-credentials.js')).useTemplateCredentials(use, region, mask)
  // The post step cleans up with the same, after a build cancelled or killed (aws/saved-credentials.ts).
  const saved: SavedCredentials = { credentials: use, region }
  saveState(RUN_CREDENTIALS_STATE, JSON.stringify(saved))
  const profile = use.profile ?? process.env.AWS_PROFILE ?? 'default'
  const which = use.keys ? 'the keys its builders name' : use.profile !== undefined || use.credentialsFile !== undefined ? `the profile "${profile}" its builders name` : "the step's"
  core.info(`The action's AWS calls use the credentials the template's builds use: ${which}${use.assumeRole ? `, with the role ${use.assumeRole.roleArn} assumed` : ''}.`)
  return []
}

/**
 * Warns of the build blocks' `sources` entries that Packer builds as another source than they
 * are written (those it refuses are templateRefusals'), and gives the warnings back for the summary.
 */
function warnSourceReferences(read: HclTemplate | undefined): Annotation[] {
  return (read?.sourceReferenceWarnings ?? []).map(({ message, location }) => annotate({ level: 'warning', message, title: 'Source read otherwise', ...location }))
}

/**
 * Warns of the template's strings that are a variable's or local's reference as text (an HCL2
 * template's in quotes, a JSON template's call without its braces), and gives the warnings back
 * for the summary.
 */
async function warnQuotedReferences(inputs: Inputs, template: Promise<HclTemplate> | undefined): Promise<Annotation[]> {
  const title = 'Reference written as text'
  if (inputs.jsonUnbracedCallWarnings?.length) return reportInputWarnings(inputs.jsonUnbracedCallWarnings, title)
  const read = await template?.catch(() => undefined)
  return (read?.quotedReferenceWarnings ?? []).map(({ message, location }) => annotate({ level: 'warning', message, title, ...location }))
}

/**
 * Fails the job before anything more is installed or built when there are `problems`: each an
 * annotation, then the step's `failure`, which says what was not done. With `also`, what a later
 * check refuses besides, annotated after them and said in the failure too.
 */
async function refuse(problems: InputProblem[], failure: string, also?: AlsoRefused): Promise<void> {
  if (problems.length === 0) return
  const more = also?.problems ?? []
  await reportInputProblems([...problems, ...more], { failureFollows: true })
  throw new Failure(more.length === 0 ? failure : failure.replace(/ \(see the errors? above\)/, `${also?.said ?? ''} (see the errors above)`))
}

/** Problems a check before the install refuses, to be given with those of an earlier one; `said`, how its failure names them (`, and …`). */
interface AlsoRefused {
  problems: InputProblem[]
  said: string
}

/**
 * Refuses the template for every kind of problem its files tell before the install
 * (templateRefusals: sources Packer cannot build, settings EC2 or IAM refuse only once the build
 * runs, no AMI, a source built twice, tags, undeclared variables), each problem on its place, one
 * failure naming each kind, and the provisioners' problems and files not there with them. Input
 * variables the template does not declare, alone, fail as a refused input does.
 */
async function refuseTemplate(kinds: RefusedKind[], provisioners: ProvisionerProblems): Promise<void> {
  if (kinds.length === 0) return
  const also = alsoRefused(provisioners)
  if (also === undefined && kinds.length === 1 && kinds[0].ofInput) throw new Error(kinds[0].problems.map(({ message }) => message).join('\n'))
  await refuse(
    kinds.flatMap(({ problems }) => problems),
    refusedKindsFailure(kinds),
    also
  )
}

/**
 * The template's provisioners that cannot work on a runner, in a build that runs them: one that
 * needs a communicator where the build's is "none", which Packer would validate, launch the
 * instance for, and fail there; a breakpoint, which waits for an Enter nobody can press; a
 * shell-local provisioner or post-processor whose script's path the shell cannot run. The job
 * fails before it installs anything; for latest or a range, what depends on the release is
 * checked again once it has `resolved`, before it is downloaded or used. With them, the files
 * the template names that are not there, which packer validate would refuse once they are
 * fixed: those the builds that only and except leave in read.
 */
async function checkProvisioners(given: Inputs, template?: Promise<HclTemplate>, resolved?: string): Promise<void> {
  await refuseProvisioners(await provisionerProblemsOf(given, template, resolved))
}

/** Refuses the provisioners' problems (provisionerProblemsOf), naming with them the files not there. */
async function refuseProvisioners({ problems, missing }: ProvisionerProblems): Promise<void> {
  if (problems.length === 0) return
  const andMissing = missing.length > 0 ? ', and the template names files that are not there' : ''
  await refuse(
    [...problems, ...missing],
    `Packer would start the build for provisioners or post-processors that cannot work on a runner${andMissing} (see the errors above); nothing was built.`
  )
}

/**
 * What refuseProvisioners refuses, and the files not there (missingFilesRead), for a check before
 * it that refuses the template to give with its own problems (refuse's also); none when neither.
 */
function alsoRefused({ problems, missing }: ProvisionerProblems): AlsoRefused | undefined {
  if (problems.length === 0 && missing.length === 0) return undefined
  const said = [
    ...(problems.length > 0 ? ['Packer would start the build for provisioners or post-processors that cannot work on a runner'] : []),
    ...(missing.length > 0 ? ['the template names files that are not there'] : [])
  ]
  return { problems: [...problems, ...missing], said: said.map((each) => `, and ${each}`).join('') }
}

/** The provisioners' problems refuseProvisioners refuses, and the files not there that the run's builds read. */
interface ProvisionerProblems {
  problems: InputProblem[]
  missing: InputProblem[]
}

async function provisionerProblemsOf(given: Inputs, template?: Promise<HclTemplate>, resolved?: string): Promise<ProvisionerProblems> {
  // A template that could not be read fails where it is awaited next, as it would have.
  const hcl = template && (await template.catch(() => undefined))
  const read = template ? (hcl?.provisionerUses ?? []) : (given.jsonProvisionerUses ?? [])
  const notThere = (template ? hcl?.missingReferenceProblems : given.jsonMissingReferenceProblems) ?? []
  // A template with neither loads no more of the action.
  if (read.length === 0 && notThere.length === 0) return { problems: [], missing: [] }
  const { awaitsPackerVersion, missingFilesRead, provisionerProblems } = await import('./inputs/build-variables.js')
  // Once latest or a range has resolved, only what waited for the release is checked again.
  const uses = resolved === undefined ? read : read.filter(awaitsPackerVersion)
  const version = resolved ?? (given.packerVersion.kind === 'exact' ? given.packerVersion.version : undefined)
  const missing = missingFilesRead(notThere, given)
  return { problems: uses.length === 0 ? [] : provisionerProblems(uses, given, version), missing }
}

/** What the log says of the inputs as the job reads them, before it installs anything. */
function logInputs(given: Inputs): void {
  // As read, so that a version YAML changed (an unquoted 1.10 becomes 1.1) shows in the log.
  core.info(`packer-version: ${describeRequest(given.packerVersion)}`)
  if (given.defaultVarFile) {
    core.info(`var-file is empty: using ${given.defaultVarFile}, found beside the template.`)
  }
}

/**
 * Why a build would find no AWS credentials, when that is known before the install; undefined
 * when it is not, or the step has some. Static keys in the environment are enough to tell, with
 * no call and nothing loaded (a normal run); else the chain is walked, by the SDK, as the calls
 * after the build would walk it: a profile's files, a web identity token, the container's or the
 * instance's role (a self-hosted runner's, which keeps working). Only for a build of the template's
 * Amazon builders that name no credentials of their own; packer validate needs none.
 */
async function missingCredentials(inputs: Inputs, template: Promise<HclTemplate> | undefined): Promise<string | undefined> {
  if (inputs.command !== 'build') return undefined
  if (keysInEnvironment(process.env)) return undefined
  const builds = template ? (await template.catch(() => undefined))?.amiBuilds : inputs.jsonAmiBuilds
  if (!buildsNeedStepCredentials(builds)) return undefined
  // The tagging stage, which the build loads anyway, holds the EC2 client that walks it.
  const { runCredentialsFound } = await import('./aws/tagging.js')
  // The region only places the chain's STS call, for a web identity token; us-east-1 is AWS's own default.
  return (await runCredentialsFound(inputs.awsRegion ?? 'us-east-1')) ? undefined : noCredentialsText(process.env)
}

/**
 * Fails a job whose outputs the runner's file did not take, once it has done all else: its AMIs
 * are tagged, rolled out and in the summary, and its failure names the file.
 */
function failIfOutputsNotWritten(): void {
  const problem = outputsNotWritten()
  if (problem) throw new Error(problem)
}

/** The summary of a job that has not succeeded yet. */
function failedSoFar(template: string, packerVersion: string, provenance: Provenance): SummaryModel {
  return { outcome: 'failed', template, packerVersion, amis: [], problems: [], annotations: [], provenance }
}

async function job(
  given: Inputs,
  cancellation: Cancellation,
  asked?: PathPackerQuestion,
  template?: Promise<HclTemplate>
): Promise<void> {
  const startedAt = new Date()
  // Asking the packer on PATH for its version starts Packer: that goes first, and the stages
  // load while it runs; the install stage decides with its answer.
  const question = asked ?? (await import('./install/on-path.js')).askPackerOnPath()
  await question.asked
  const onPath = question.found
  onPath.catch(() => undefined)
  // The plugin stage loads meanwhile too: its turn comes right after the install.
  import('./plugins/index.js').catch(() => undefined)
  // Read from @actions/github's context of the run, which loads while Packer installs.
  const provenanceStage = import('./inputs/run-context.js').then(({ loadProvenanceStage }) => loadProvenanceStage())
  provenanceStage.catch(() => undefined)
  logInputs(given)
  const inputWarnings = [...reportFoldedInputs(given.foldedInputs), ...(await reportVariables(given))]
  // Told by the template's files, which are read while Packer answers: before any download.
  inputWarnings.push(...(await checkTemplateBeforeInstall(given, template)))
  const packer = await core.group('Install Packer', () => install(given, onPath, template))
  setOutputs({ 'packer-version': packer.version })
  let masked: Promise<unknown> | undefined = template
  const packerStep = packerRunner(given, packer, cancellation, () => masked, template)
  await core.group('Plugins', () => plugins(given, packer, packerStep, template, cancellation))
  // With the plugins there, Packer can work out the sensitive values only it knows: its output
  // from here on waits for their masks too.
  masked = maskedByPacker(given, packer, cancellation, template)
  // Awaited by each Packer run; a job that fails before any leaves it unawaited.
  masked?.catch(() => undefined)
  const { provenance, inputs: withProvenance } = await withRunProvenance(given, provenanceStage, startedAt)

  const summary = failedSoFar(templateInWorkspace(given), packer.version, provenance)
  summary.annotations.push(...inputWarnings)
  keepSummarySoFar(summary, given.summary)
  const buildNames = listBuilds(withProvenance, packer, cancellation, template, masked)
  const hashing = new AbortController()
  try {
    await checkBuildSelection(withProvenance, buildNames, template, cancellation, summary)
    // Packer validates while an HCL2 template is still read: its output waits for the masks.
    const validating = validate(withProvenance, packerStep, summary, template, cancellation)
    validating.catch(() => undefined)
    const inputs = template ? (await import('./inputs/hcl.js')).withHclTemplate(withProvenance, await template) : withProvenance
    // Read while Packer validates, once it has started, and from `inputs`, which know an HCL2
    // template's sensitive variables: the files as the checkout has them, before the build can
    // write beside the template.
    const { fingerprinting, forTags } = startFingerprint(inputs, packer.version, hashing.signal)
    await validating
    await reportTemplateRead(template && (await template), packer.version, inputs, summary)
    if (inputs.command === 'validate') {
      summary.outcome = 'validated'
      return
    }
    // A file the template names that the fingerprint cannot cover is one whose change reuse misses.
    if (inputs.reuse) summary.annotations.push(...(await reportUnseenReferences(inputs)))
    // Inspect runs beside validate: its answer is awaited before anything is built, so that the
    // AMIs' outputs never wait on it.
    const ordered = { ...inputs, buildNames: await listedBuilds(buildNames, cancellation, summary) }
    const templateFingerprint = fingerprinting && logged(await fingerprinting, inputs.workspace)
    // A newer base AMI that a build's filter picks makes a new fingerprint, and so a build.
    const { fingerprint, unknown } = templateFingerprint === undefined ? {} : await withSourceAmisNow(ordered, templateFingerprint)
    const reused = fingerprint === undefined ? undefined : await reuse(ordered, fingerprint, summary, given.tags, unknown)
    const amis =
      reused ?? (await buildAndTag(ordered, packerStep, summary, cancellation, { fingerprint: fingerprint ?? forTags, userTags: given.tags }))
    await rollOut(ordered, launchable(amis, summary), summary, provenance, startedAt)
    summary.outcome = 'built'
  } catch (error) {
    summaryFailed(summary, error)
    throw error
  } finally {
    // A job that failed before it needed the fingerprint does not wait for a large folder's hashing.
    hashing.abort()
    buildNames.stop()
    await endSummary(summary, given.summary)
  }
}

/**
 * What reading an HCL2 template found, once Packer has validated it. A file the action's parser
 * could not read: the sensitive variables declared there, and their values, are not known to be
 * masked. A manifest file that Packer's manifest post-processor would fail on after the build,
 * or a `build.*` attribute `packerVersion` does not fill in where the template reads it, in a build
 * that `selection` runs, throwing the AMIs away: nothing is built.
 */
async function reportTemplateRead(
  template: HclTemplate | undefined,
  packerVersion: string,
  selection: Pick<Inputs, 'only' | 'except'>,
  summary: SummaryModel
): Promise<void> {
  for (const { file, line, column, message } of template?.unreadable ?? []) {
    const annotation = annotate({
      level: 'warning',
      message: `${message}. Packer accepts this file, but the action could not read it: sensitive variables declared in it are not masked in the log.`,
      title: 'HCL file not read',
      file,
      line,
      column
    })
    summary.annotations.push(annotation)
  }
  for (const { message, location } of template?.selectionWarnings ?? []) {
    summary.annotations.push(annotate({ level: 'warning', message, title: 'Source not in build', ...location }))
  }
  if (template && template.problems.length > 0) {
    summary.annotations.push(...(await reportInputProblems(template.problems, { failureFollows: true })))
    throw new Failure(
      "Packer's manifest post-processor would fail on the file already at the template's manifest path (see the errors above); nothing was built."
    )
  }
  if (template && template.buildVariableUses.length > 0) {
    const { buildVariableProblems } = await import('./inputs/build-variables.js')
    const problems = buildVariableProblems(template.buildVariableUses, packerVersion, selection)
    if (problems.length === 0) return
    summary.annotations.push(...(await reportInputProblems(problems, { failureFollows: true })))
    throw new Failure(
      `Packer ${packerVersion} would fail the template's post-processors after the build and delete the AMIs (see the errors above); nothing was built.`
    )
  }
}

/**
 * The run's provenance, and the inputs with what it adds: the provenance tags, and the
 * repository and template path that name the default image families.
 */
async function withRunProvenance(
  inputs: Inputs,
  provenanceStage: Promise<ProvenanceStage>,
  startedAt: Date
): Promise<{ provenance: Provenance; inputs: Inputs }> {
  const { readProvenance, provenanceTags, eventFileProblem } = await provenanceStage
  if (eventFileProblem) annotate({ level: 'warning', message: eventFileProblem, title: 'Run context' })
  const provenance = readProvenance()
  if (!inputs.provenanceTags) return { provenance, inputs }
  if (inputs.keepImages > 0 && inputs.imageFamily === undefined && provenance.repository === undefined) {
    throw new Error("keep-images: needs image-family when the run's context names no repository, to know which AMIs are this pipeline's")
  }
  const familyPrefix = provenance.repository === undefined ? undefined : familyPrefixOf(provenance.repository, inputs)
  const tags = combineTags(inputs.tags, provenanceTags(provenance, startedAt))
  return { provenance, inputs: { ...inputs, tags, familyPrefix, templateKeeps: templateKeeps(inputs.tags, inputs.provenanceTags, ownKeysAsProvenance(inputs)) } }
}

/**
 * Builds, tags, and hands on the AMIs of a build that succeeded; throws after a failed one.
 * `fingerprint` is the one reuse computed, or the one being computed for the tags, if any.
 */
async function buildAndTag(
  inputs: Inputs,
  packerStep: PackerStep,
  summary: SummaryModel,
  cancellation: Cancellation,
  { fingerprint, userTags }: { fingerprint?: string | Promise<TagFingerprint | { problem: string }>; userTags: Record<string, string> }
): Promise<Ami[]> {
  // Its files are all read before Packer starts: a file the build writes (a `file` build's
  // target, a shell-local's output beside the template) must not change it.
  const fingerprinted = typeof fingerprint === 'string' ? fingerprint : await fingerprint
  const building = build(inputs, packerStep, summary, cancellation)
  // Once Packer has started (build() starts it before its first await), the EC2 client loads
  // and the credential chain resolves while Packer builds, not after it; not at all when
  // nothing is tagged.
  const tagging = Object.keys(inputs.tags).length > 0 || inputs.reuse || inputs.keepImages > 0 ? import('./aws/tagging.js') : undefined
  const homeRegion = inputs.awsRegion
  tagging?.then(({ warmUpEc2Client }) => homeRegion && warmUpEc2Client(homeRegion)).catch(() => undefined)
  const built = await building
  // Only a whole, successful build is a set that a later run may reuse.
  const succeeded = built.run.exitCode === 0 && built.failedAfterImage === undefined && !built.run.cancelled && !cancellation.cancelled
  const tagged = succeeded ? (typeof fingerprinted === 'string' ? fingerprinted : await fingerprintForTags(fingerprinted, inputs.workspace)) : undefined
  const reusable = tagged ? { fingerprint: tagged, runUuid: built.runUuid, userTags } : undefined
  const amis = await tag(inputs, built, summary, tagging, reusable)
  if (cancellation.cancelled) stopIfCancelled({ ...built.run, cancelled: true }, cancellation, summary, amis)
  if (built.run.crashed) summary.problems.push(built.run.crashed)
  if (built.run.exitCode !== 0) {
    const madeAmis = `${plural(amis.length, 'AMI', ['that is', 'that are'])} ${inTheOutputs()}.`
    throw new Failure(
      (built.run.crashed ? `${built.run.crashed} Before it crashed, it built ${madeAmis}` : `packer build failed (exit code ${built.run.exitCode}), after building ${madeAmis}`) +
        expiredDuringTheBuild(built.run, built.buildRegions, summary) +
        notRolledOut(inputs, 'after a successful build', summary)
    )
  }
  if (built.failedAfterImage !== undefined) {
    throw new Failure(
      `${built.failedAfterImage}; the other builds' ${plural(amis.length, 'AMI', ['is', 'are'])} ${inTheOutputs()}.` + notRolledOut(inputs, 'after a successful build', summary)
    )
  }
  return amis
}

/** The stages after the build: each reports its own failures and lets the next ones run. */
async function rollOut(inputs: Inputs, amis: Ami[], summary: SummaryModel, provenance: Provenance, startedAt: Date): Promise<void> {
  const newerRun = inputs.ssmParameter || inputs.launchTemplate ? await newerRunCheckOf(inputs, amis, startedAt) : undefined
  // The parameter first: a launch template that follows it launches the new AMI only where SSM took it.
  const published = await ssmParameters(inputs, amis, summary, newerRun)
  const outcomes: Array<[RollOutStage, string[]]> = [
    ['ssm-parameter', published.failures],
    ['launch-template', await launchTemplates(inputs, amis, summary, provenance, published.setIn, newerRun)],
    ['keep-images', await retention(inputs, amis, summary, published.setIn, startedAt)]
  ]
  // Named by stage: one stage can fail in many regions, or for many AMIs.
  const failed = outcomes.filter(([, failures]) => failures.length > 0).map(([stage]) => stage)
  if (failed.length > 0) {
    const stages = failed.join(' and ')
    // A reused set was not built by this run: the message names the run that built it.
    throw new Failure(
      summary.reusedFrom
        ? `${stages} failed (see the errors above); ${theAmisInTheOutputs(summary)}.`
        : `${stages} failed after the build (see the errors above); the AMIs are built, tagged and ${inTheOutputs()}.`
    )
  }
  // Every stage has set its outputs: a file that did not take them fails the job, in its summary too.
  failIfOutputsNotWritten()
}

/**
 * Whether what the parameter or a default version names is a newer run's AMI of the same family
 * (a run that overlapped this one and started after it), which this run must not roll back.
 */
async function newerRunCheckOf(inputs: Inputs, amis: Ami[], startedAt: Date): Promise<NewerRunCheck> {
  const { newerRunCheck } = await import('./aws/newer-runs.js')
  const families = new Map(amis.map((ami) => [ami.amiId, imageFamilyOf(ami.build, inputs)]))
  return newerRunCheck({ startedAt, familyOf: (amiId) => families.get(amiId) })
}

/**
 * The fingerprint of a build's inputs, started: with reuse, `fingerprinting`, which decides whether
 * to build; without, `forTags`, only a tag. Neither when the run builds nothing or tags none.
 */
function startFingerprint(
  inputs: Inputs,
  packerVersion: string,
  signal: AbortSignal
): { fingerprinting?: Promise<Fingerprint>; forTags?: Promise<TagFingerprint | { problem: string }> } {
  if (inputs.command !== 'build') return {}
  if (!inputs.reuse) return writesFingerprintTags(inputs) ? { forTags: neverRejecting(inputs, packerVersion, signal) } : {}
  const fingerprinting = fingerprintOf(inputs, packerVersion, signal)
  fingerprinting.catch(() => undefined)
  return { fingerprinting }
}

/** Globs and hashes the build's inputs: loaded only for a build whose inputs were all valid. */
async function fingerprintOf(inputs: Inputs, packerVersion: string, signal: AbortSignal): Promise<Fingerprint> {
  const { computeFingerprint } = await import('./inputs/fingerprint.js')
  return computeFingerprint(inputs, packerVersion, signal)
}

function logged(fingerprint: Fingerprint, workspace: string): string {
  core.info(`Fingerprint of the build's inputs (${fingerprint.files} files): ${fingerprint.fingerprint}`)
  // Not listed in fingerprint-paths, so the user learns here that the fingerprint covers them.
  if (fingerprint.referenced.length > 0) {
    const paths = fingerprint.referenced.map((path) => workspaceRelative(path, workspace))
    core.info(`Fingerprinted too, as the template names them: ${paths.join(', ')}`)
  }
  if (fingerprint.environment.length > 0) {
    core.info(`Fingerprinted too, as the template's variables read them: environment variables ${fingerprint.environment.join(', ')}`)
  }
  return fingerprint.fingerprint
}

/**
 * Without reuse, the fingerprint is only a tag: one that fails fails nothing, so this never rejects.
 * The source AMIs the builds pick are looked up beside the build and folded in as a run with
 * reuse folds them, so that such a run finds this set; one the action cannot tell is left out, as
 * there, with no notice (nothing is reused).
 */
function neverRejecting(inputs: Inputs, packerVersion: string, signal: AbortSignal): Promise<TagFingerprint | { problem: string }> {
  // The tags of the set are made by the reuse stage: loaded now, not after the build.
  import('./aws/reuse.js').catch(() => undefined)
  const picked = sourceAmisNow(inputs).then(
    (now) => now.picked,
    (): SourcePick[] => []
  )
  return fingerprintOf(inputs, packerVersion, signal)
    .then((fingerprint) => ({ ...fingerprint, picked }))
    .catch((error: unknown) => ({ problem: errorMessage(error) }))
}

/**
 * The fingerprint of a run without reuse, and the source AMIs its builds pick (neverRejecting),
 * looked up while Packer builds: the files are all read before it starts.
 */
type TagFingerprint = Fingerprint & { picked: Promise<SourcePick[]> }

/** The fingerprint to tag a successful build with; a warning, and none, when it cannot be had. */
async function fingerprintForTags(outcome: TagFingerprint | { problem: string } | undefined, workspace: string): Promise<string | undefined> {
  if (outcome === undefined) return undefined
  if ('fingerprint' in outcome) return withPicksLogged(logged(outcome, workspace), await outcome.picked)
  annotate({
    level: 'warning',
    message:
      `${outcome.problem}. The AMIs are tagged without BuildFingerprint, BuildSet and PackerBuild, ` +
      'so a run with reuse: true will not find them and will build.',
    title: 'Fingerprint'
  })
  return undefined
}

/**
 * The words for a reuse look-up that EC2 answered as it answers keys it does not take, or keys
 * that have expired: Packer's first call would meet them as well, so the build would only fail.
 */
function keysRefusedAtLookup(lookup: { refusedCredentials?: string; expiredCredentials?: true }): string | undefined {
  if (lookup.refusedCredentials !== undefined) return refusedCredentialsText(lookup.refusedCredentials)
  return lookup.expiredCredentials ? credentialsExpiredText(process.uptime() * 1000) : undefined
}

/**
 * The AMIs of an earlier build with the same fingerprint, when the whole set is still there,
 * tagged with the user's `userTags` as they are now; none when one of them is gone by the time
 * it would be handed on.
 */
async function reuse(
  inputs: Inputs,
  fingerprint: string,
  summary: SummaryModel,
  userTags: Record<string, string>,
  sourcesUnknown: Map<AmiBuild, string> = new Map()
): Promise<Ami[] | undefined> {
  const reuseStage = await import('./aws/reuse.js')
  const { changedSinceLookup, stillWhole } = reuseStage
  const homeRegion = inputs.awsRegion as string
  const { buildsOfRun } = await import('./inputs/ami-builds.js')
  // A set is reused only as the run's builds' (the fingerprint does not cover their PackerBuild tags).
  const builds = await buildsOfRun(inputs.templateKind === 'hcl' ? inputs.hclAmiBuilds : inputs.jsonAmiBuilds, inputs)
  // What the lookup found is told inside its group, so that the group shows it.
  const found = await core.group('Look for AMIs to reuse', () => lookForReusableSet(inputs, fingerprint, builds, summary, userTags, reuseStage))
  if (!found) return undefined
  const byRegion = [...found.amis].sort((a, b) => a.region.localeCompare(b.region) || a.amiId.localeCompare(b.amiId))
  const amis = inTemplateOrder(byRegion, inputs.buildNames)
  // Only a whole, successful build is reused: what it passed over, it made by design.
  const passedOver = inKnownOrder(amis, inputs.buildNames) ? await passedOverBuilds(inputs, amis, false) : undefined
  const buildRegions = await buildRegionsOfRun(inputs)
  // In the outputs and the summary from here on, as a build's AMIs are once made; what the notices
  // say of ami-id waits until the set is known to be handed on.
  setOutputs({ ...amiOutputs(amis, homeRegion, buildRegions), manifest: '', 'run-uuid': found.runUuid })
  summary.amis = amis
  summary.passedOver = passedOver
  summary.reusedFrom = found.reusedFrom
  summary.reusedSnapshots = found.snapshotsOf
  // Someone may have deregistered or disabled an AMI of the set since the look-up (a cleanup job):
  // one DescribeImages per region tells, after the re-tagging when there are tags to apply.
  const tags = reusedAmiTags(userTags, inputs)
  const retag = Object.keys(tags).length > 0
  const doing = retag ? 'tagging the reused AMIs' : 'making sure that the reused AMIs are all still there'
  reusingNow({ doing, grouped: retag, noteAmiId: () => noteAmiId(amis, homeRegion, buildRegions, passedOver) })
  const checked = retag ? await tagReused(inputs, amis, tags, summary, reuseStage) : { check: await changedSinceLookup(amis), failedRegions: [] }
  reusingNow(undefined)
  if (!stillWhole(checked.check)) {
    notReused(checked.check, found.reusedFrom, homeRegion, summary)
    return undefined
  }
  noteAmiId(amis, homeRegion, buildRegions, passedOver)
  summary.annotations.push(...(await noteSourcePickedAsBuilt(sourcesUnknown)))
  core.info(builtAmisLine(amis, 'Reused'))
  if (checked.failedRegions.length > 0) throw taggingFailed(checked.failedRegions, inputs, summary)
  return amis
}

/**
 * A notice on each reused build that picks its source AMI as it builds and whose pick the action
 * could not tell (sourceAmisNow), on its `source_ami_filter` (or `source_ami`): the fingerprint
 * then covers the template, not the AMI it picks, so a newer AMI that matches it builds nothing,
 * and a user who counts on `most_recent` for a patched base would otherwise never hear of it.
 */
async function noteSourcePickedAsBuilt(unknown: Map<AmiBuild, string>): Promise<Annotation[]> {
  const notes = [...unknown].flatMap(([{ name, type, picksSourceAmi }, why]) =>
    picksSourceAmi === undefined ? [] : [{ message: sourcePickedAsBuiltText(name ?? type, why), location: picksSourceAmi }]
  )
  return notes.length === 0 ? [] : reportInputWarnings(notes, 'Reuse', 'notice')
}

/** What noteSourcePickedAsBuilt says of `build`, whose source AMI the action could not look up for `why`. */
function sourcePickedAsBuiltText(build: string, why: string): string {
  return (
    `reuse: build ${build} picks its source AMI as it builds, and the action cannot tell which AMI that is now (${why}), so the fingerprint covers the template, not the AMI it picks: ` +
    'the reused AMIs were built from the one it picked then, even where a newer AMI matches now. To build from the newest, look its ID up in a step before this one and ' +
    'give it in variables (the fingerprint covers them), or run without reuse when a new base AMI should be picked up (a scheduled run).'
  )
}

/** The source AMIs that the run's builds' filters pick now, and the builds that pick theirs as they build whose pick the action cannot tell, with why. */
interface SourceAmisNow {
  picked: SourcePick[]
  unknown: Map<AmiBuild, string>
}

/**
 * Which AMI each build of the run that picks its source AMI as it builds picks now (sourceAmiNow):
 * with a `source_ami_filter` or a `data "amazon-ami"` block, asked of EC2 in its build region (the
 * data source's) as Packer asks it; with a `data "amazon-parameterstore"` block, read from SSM.
 */
async function sourceAmisNow(inputs: Inputs): Promise<SourceAmisNow> {
  const written = inputs.templateKind === 'hcl' ? inputs.hclAmiBuilds : inputs.jsonAmiBuilds
  const unknown = new Map<AmiBuild, string>()
  if (!written?.some((build) => build.picksSourceAmi)) return { picked: [], unknown }
  const { amiBuildsOfRun } = await import('./inputs/ami-builds.js')
  const builds = (await amiBuildsOfRun(written, inputs)).filter((build) => build.picksSourceAmi)
  const looked = await Promise.all(
    builds.map(async (build): Promise<SourcePick | undefined> => {
      const found = await sourceAmiNow(build)
      if ('why' in found) {
        unknown.set(build, found.why)
        return undefined
      }
      return { build: build.name ?? build.type, region: found.region, amiId: found.amiId, picker: found.picker }
    })
  )
  return { picked: looked.filter((each) => each !== undefined), unknown }
}

/** A source AMI a build picks now, with what picks it (its source_ami_filter, or a data source). */
type SourcePick = PickedSourceAmi & { picker: string }

/** The fingerprint with the source AMIs `picked` (withSourceAmis), each logged, and the result where it differs. */
async function withPicksLogged(fingerprint: string, picked: SourcePick[]): Promise<string> {
  for (const { picker, build, amiId, region } of picked) core.info(`The ${picker} of build ${build} picks ${amiId} in ${region} now: the fingerprint covers it.`)
  const { withSourceAmis } = await import('./inputs/fingerprint.js')
  const folded = withSourceAmis(fingerprint, picked)
  if (folded !== fingerprint) core.info(`Fingerprint of the build's inputs and the source AMIs they pick: ${folded}`)
  return folded
}

/**
 * The AMI a build that picks its source AMI as it builds picks now, asked of EC2 (its filter's
 * DescribeImages) or of SSM (its parameter's GetParameter) as Packer asks, with what picks it and
 * where; else why the action cannot tell.
 */
async function sourceAmiNow(build: AmiBuild): Promise<{ amiId: string; region: string; picker: string } | { why: string }> {
  const { sourceAmiFilter: filter, sourceAmiParameter: parameter } = build
  if (parameter !== undefined) {
    const picker = `data source data.amazon-parameterstore.${parameter.dataSource}`
    const { currentParameterAmi } = await import('./aws/source-amis.js')
    const found = await currentParameterAmi(parameter.region, parameter.name)
    return 'problem' in found ? { why: `its ${picker} was read, and ${found.problem}` } : { amiId: found.amiId, region: parameter.region, picker }
  }
  // A data source asks in its own region, with the step's credentials, whatever the build's.
  const region = filter?.dataSource?.region ?? build.buildRegion
  if (filter === undefined) {
    return { why: 'it comes from a value only Packer works out, or from a data source the action does not look up: one other than amazon-ami and amazon-parameterstore, or with credentials of its own' }
  }
  if (region === undefined) return { why: 'its region is one only Packer works out' }
  if (build.ownCredentials && !filter.dataSource) return { why: 'Packer looks it up with credentials the build names of its own' }
  const picker = filter.dataSource ? `data source data.amazon-ami.${filter.dataSource.name}` : 'source_ami_filter'
  const { currentSourceAmi } = await import('./aws/source-amis.js')
  const found = await currentSourceAmi(region, filter)
  return 'problem' in found ? { why: `its ${picker} was looked up, and ${found.problem}` } : { amiId: found.amiId, region, picker }
}

/** The fingerprint with the source AMIs the run's builds' filters pick now (sourceAmisNow, withSourceAmis), logged where it differs. */
async function withSourceAmisNow(inputs: Inputs, fingerprint: string): Promise<{ fingerprint: string; unknown: Map<AmiBuild, string> }> {
  const { picked, unknown } = await sourceAmisNow(inputs)
  return { fingerprint: await withPicksLogged(fingerprint, picked), unknown }
}

/** The set an earlier build with the same fingerprint made, as the look-up (or, in a re-run, the record) finds it; undefined to build. */
async function lookForReusableSet(
  inputs: Inputs,
  fingerprint: string,
  builds: BuildOfRun[] | undefined,
  summary: SummaryModel,
  userTags: Record<string, string>,
  reuseStage: ReuseStage
): Promise<(ReusableSet & { reusedFrom: string }) | undefined> {
  const homeRegion = inputs.awsRegion as string
  const { findReusableSet } = reuseStage
  const rerun = (summary.provenance.runAttempt ?? 1) > 1
  const lookup = await findReusableSet({ fingerprint, homeRegion, builds, rerun })
  if (!lookup.found && !lookup.failed) {
    // A set an earlier attempt left untagged is found by its record only: EC2 may tie nothing to it.
    const recorded = rerun ? await adoptRecorded(fingerprint, lookup.why, inputs, summary, reusedAmiTags(userTags, inputs)) : undefined
    if (recorded) return recorded
    core.info(`Building: ${lookup.why}.`)
    return undefined
  }
  if (!lookup.found) {
    const said = keysRefusedAtLookup(lookup)
    if (said !== undefined) {
      summary.problems.push(said)
      throw new Failure(`reuse: looking for AMIs to reuse failed; nothing was built. ${said}`)
    }
    // A look-up that fails builds, as one that finds nothing does; but each such run costs a
    // whole build, so the user hears of it in a warning, not only in the group's log.
    const why = lookup.why.endsWith('.') ? lookup.why : `${lookup.why}.`
    annotate({ level: 'warning', message: `reuse: ${why} Building instead, as when no earlier build is found.`, title: 'Reuse' })
    return undefined
  }
  const reusedFrom = lookup.found.builtBy ?? `Packer run ${lookup.found.runUuid}`
  if (lookup.found.untagged && !(await tagUntagged(lookup.found.untagged, reusedFrom, inputs, summary, reuseStage))) return undefined
  core.info(`Nothing changed since ${reusedFrom}: reusing its ${plural(lookup.found.amis.length, 'AMI')}, nothing is built.`)
  return { ...lookup.found, reusedFrom }
}

/**
 * In a job re-run, the set an earlier attempt of the workflow run recorded when its tagging left
 * AMIs untagged (recordForARerun), once each AMI is found as recorded and tagged as that attempt
 * meant to, with this attempt's `userTags` (the record holds none of the tags input's values);
 * none when there is no record, or the AMIs are not as recorded (a warning says why, with
 * `lookedUp`, why the look-up found no set).
 */
async function adoptRecorded(
  fingerprint: string,
  lookedUp: string,
  inputs: Inputs,
  summary: SummaryModel,
  userTags: Record<string, string>
): Promise<(ReusableSet & { reusedFrom: string }) | undefined> {
  const { restoreUntaggedRecord, adoptRecordedSet } = await import('./aws/untagged-record.js')
  const restored = await restoreUntaggedRecord(fingerprint)
  if (!restored) return undefined
  const { record, key } = restored
  const left = record.amis.filter((ami) => ami.actionTags !== undefined)
  const named = (amis: Array<{ amiId: string; region: string }>) => amis.map(({ amiId, region }) => `${amiId} in ${region}`).join(', ')
  core.info(
    `No set found by its tags (${lookedUp}), but an earlier attempt of this workflow run recorded its set of ${plural(record.amis.length, 'AMI')} in the Actions cache (${key}) ` +
      `when its tagging left ${named(left)} untagged: making sure that they are as recorded.`
  )
  const adopted = await adoptRecordedSet(record, { tagSnapshots: inputs.tagSnapshots, userTags })
  const by = record.amis.map((ami) => ami.actionTags?.[provenanceTagKeys.runUrl]).find(Boolean) ?? `Packer run ${record.runUuid}`
  if ('why' in adopted) {
    annotate({
      level: 'warning',
      message: `reuse: ${by} left ${named(left)} untagged and recorded its set in the Actions cache, but ${adopted.why.replace(/\.$/, '')}. Building instead, as when no whole set is found.`,
      title: 'Reuse'
    })
    return undefined
  }
  const reusedFrom = adopted.set.builtBy ?? by
  const one = adopted.tagged.length === 1
  const snapshots = inputs.tagSnapshots ? `, with ${one ? 'its' : 'their'} snapshots` : ''
  const message =
    `${named(adopted.tagged)}, which ${reusedFrom} left without its tags when its tagging failed and recorded in the Actions cache, ` +
    `${one ? 'has' : 'have'} the set's tags now${snapshots}, and ${one ? 'is' : 'are'} reused with the set.`
  annotate({ level: 'notice', message, title: 'Reuse' })
  summary.untaggedOfTheSet = message
  core.info(`Nothing changed since ${reusedFrom}: reusing its ${plural(adopted.set.amis.length, 'AMI')}, nothing is built.`)
  return { ...adopted.set, reusedFrom }
}

/**
 * Tags the AMIs of a found set that the run that built it left without its tags (its tagging
 * failed in their region: a job re-run after that finds the rest of the set), with what the AMI
 * EC2 ties each to has. Whether the set is whole now: if not, the job builds, and a warning says
 * which AMI is still untagged, and why.
 */
async function tagUntagged(
  untagged: UntaggedOfTheSet[],
  reusedFrom: string,
  inputs: Inputs,
  summary: SummaryModel,
  { tagUntaggedOfTheSet }: Pick<ReuseStage, 'tagUntaggedOfTheSet'>
): Promise<boolean> {
  const tie = ({ tiedTo }: UntaggedOfTheSet) =>
    tiedTo.relation === 'copy'
      ? `EC2 shows it a copy of ${tiedTo.amiId} in ${tiedTo.region}, of the set, with the same name`
      : `EC2 shows ${tiedTo.amiId} in ${tiedTo.region}, of the set, a copy of it with the same name`
  const named = (one: UntaggedOfTheSet) => `${one.ami.amiId} in ${one.ami.region} (${tie(one)})`
  for (const one of untagged) {
    core.info(`${named(one)} has none of the set's tags: ${reusedFrom} left it untagged, its tagging failed there. Tagging it as ${one.tiedTo.amiId} is.`)
  }
  const failed = await tagUntaggedOfTheSet(untagged, inputs.tagSnapshots)
  if (failed.length > 0) {
    const each = failed.map(({ one, failed: why }) => `${one.ami.amiId} in ${one.ami.region}: ${why.replace(/\.$/, '')}`)
    annotate({
      level: 'warning',
      message:
        `reuse: the AMIs built by ${reusedFrom} are all there, but ${reusedFrom} left some without its tags, and tagging them failed (${each.join('; ')}). ` +
        'Building instead, as when no whole set is found.',
      title: 'Reuse'
    })
    return false
  }
  const what = `${untagged.map(named).join(', ')}, which ${reusedFrom} left without its tags when its tagging failed there`
  const message = `${what}, ${untagged.length === 1 ? 'has' : 'have'} the set's tags now${inputs.tagSnapshots ? ', with ' + (untagged.length === 1 ? 'its' : 'their') + ' snapshots' : ''}, and ${untagged.length === 1 ? 'is' : 'are'} reused with the set.`
  annotate({ level: 'notice', message, title: 'Reuse' })
  summary.untaggedOfTheSet = message
  return true
}

/**
 * A set that is no longer whole, for someone deregistered (`gone`) or disabled some of its AMIs
 * after the look-up found them, is not handed on as if reused: as when the look-up finds a set
 * incomplete, the job builds. So too when EC2 could not say (`failed`), as when the look-up fails.
 * The warning says why; the outputs and the summary, which held the set, are cleared.
 */
function notReused(why: SetCheck, reusedFrom: string, homeRegion: string | undefined, summary: SummaryModel): void {
  annotate({
    level: 'warning',
    message:
      why.failed === undefined
        ? `reuse: ${changedAmis(why, reusedFrom)}, so the set is no longer whole. Building instead, as when no whole set is found.`
        : `reuse: making sure that the AMIs built by ${reusedFrom} are all still there failed: ${why.failed.replace(/\.?$/, '.')} Building instead, as when no earlier build is found.`,
    title: 'Reuse'
  })
  setOutputs({ ...amiOutputs([], homeRegion), manifest: '', 'run-uuid': '' })
  summary.amis = []
  for (const key of ['passedOver', 'reusedFrom', 'reusedSnapshots', 'untaggedOfTheSet', 'retagged', 'tagging', 'tagCount', 'snapshotsTagged', 'buildTagging'] as const) {
    delete summary[key]
  }
}

/** Which AMIs of the set built by `reusedFrom` were deregistered, and which disabled, since the look-up. */
function changedAmis({ gone, disabled }: { gone: Ami[]; disabled: Ami[] }, reusedFrom: string): string {
  const was = (amis: Ami[]) => (amis.length === 1 ? 'was' : 'were')
  const changes = [
    ...(gone.length > 0 ? [{ amis: gone, what: 'deregistered' }] : []),
    ...(disabled.length > 0 ? [{ amis: disabled, what: 'disabled' }] : [])
  ]
  const found = `after the look-up found ${gone.length + disabled.length === 1 ? 'it' : 'them'}`
  const why = disabled.length > 0 ? ' (a disabled AMI launches no instance)' : ''
  if (changes.length === 1) return `${namedAmis(changes[0].amis)}, of the AMIs built by ${reusedFrom}, ${was(changes[0].amis)} ${changes[0].what} ${found}${why}`
  const each = changes.map(({ amis, what }) => `${namedAmis(amis)} ${was(amis)} ${what}`)
  return `of the AMIs built by ${reusedFrom}, ${each.join(' and ')} ${found}${why}`
}

/**
 * The AMI outputs, after a build or a reuse, with the notice that says where ami-id is from when
 * the first build made no AMI in the home region; and, when builds before it in the template's
 * order made none, which build's it is (passedOverNote). That is a warning after a failed build:
 * the first build most likely failed, and a later step that runs anyway would deploy another
 * build's image as if it were the first's. After a build that succeeded, the builds made what
 * they make (an amazon-ebsvolume build, or skip_create_ami, makes no AMI), the same in every
 * run: a notice, as a warning nobody can act on would be.
 */
function setAmiOutputs(
  amis: Ami[],
  homeRegion: string | undefined,
  buildRegions: BuildRegions,
  run: { manifest: string; 'run-uuid': string },
  passedOver: PassedOver | undefined
): void {
  noteAmiId(amis, homeRegion, buildRegions, passedOver)
  setOutputs({ ...amiOutputs(amis, homeRegion, buildRegions), ...run })
}

/**
 * The notices (or the warning) that say where ami-id is from, when it is not from the first
 * build's home region; `buildRegions`, where the builds made their AMIs, tells it then.
 */
function noteAmiId(amis: Ami[], homeRegion: string | undefined, buildRegions: BuildRegions, passedOver: PassedOver | undefined): void {
  const primaryRegion = primaryRegionNote(amis, homeRegion, buildRegions)
  if (primaryRegion) annotate({ level: 'notice', message: primaryRegion })
  const passedOverBuilds = passedOver && passedOverNote(amis, passedOver)
  if (passedOverBuilds) annotate({ level: passedOver.buildFailed ? 'warning' : 'notice', message: passedOverBuilds, title: 'ami-id' })
}

/**
 * The builds ami-id passed over in the template's order (see buildsPassedOver), but those
 * only/except left out, which the user chose not to build.
 */
async function passedOverBuilds(inputs: Inputs, amis: Ami[], buildFailed: boolean): Promise<PassedOver | undefined> {
  const selects = inputs.only.length > 0 || inputs.except.length > 0
  const { selectsBuild } = selects ? await import('./inputs/hcl-build-selection.js') : { selectsBuild: undefined }
  const ran = (build: string): boolean => selectsBuild?.(inputs, inputs.templateKind, build) ?? true
  const builds = buildsPassedOver(amis, inputs.buildNames, ran)
  return builds.length > 0 ? { builds, buildFailed } : undefined
}

/**
 * Reused AMIs (and their snapshots, with tag-snapshots) get input tags as they are now: tags do
 * not change the image, so a changed one is applied, not built for. CreateTags replaces the
 * value of a key they have; a key no longer in the input stays. Returns what `changedSinceLookup`
 * asked once they are tagged found changed, or the AMIs tagging found gone (someone deregistered
 * or disabled them since the look-up, and the set is no longer whole; its tagging is then moot),
 * and the regions where tagging failed.
 */
async function tagReused(
  inputs: Inputs,
  amis: Ami[],
  tags: Record<string, string>,
  summary: SummaryModel,
  { changedSinceLookup, stillWhole }: Pick<ReuseStage, 'changedSinceLookup' | 'stillWhole'>
): Promise<{ check: SetCheck; failedRegions: string[] }> {
  const keys = Object.keys(tags).sort()
  let check: SetCheck = { gone: [], disabled: [] }
  const failedRegions = await tagAll(inputs, amis, tags, summary, {
    // Tagging finds an AMI deregistered since the look-up, but tags a disabled one as any other:
    // only a DescribeImages after it tells. One that found an AMI gone need not ask.
    stillWhole: async () => {
      const gone = goneAmis(amis, summary)
      check = gone.length > 0 ? { gone, disabled: [] } : await changedSinceLookup(amis)
      return stillWhole(check)
    }
  })
  if (stillWhole(check) && failedRegions.length === 0) {
    summary.retagged = { tagCount: keys.length, snapshots: inputs.tagSnapshots }
    core.info(
      `Input tags applied to the reused AMIs${inputs.tagSnapshots ? ' and their snapshots' : ''} (${keys.join(', ')}): ` +
        'tags do not change the image, so they are not in the fingerprint.'
    )
  }
  return { check, failedRegions }
}

/**
 * Loaded when the job gets here (each stage is a module of its own in dist/), so a run that
 * stops at its inputs does not pay for loading OpenPGP, the cache client or the EC2 client.
 */
async function install(inputs: Inputs, onPath: Promise<PathPacker | undefined>, template: Promise<HclTemplate> | undefined): Promise<InstalledPacker> {
  const { installPacker } = await import('./install/index.js')
  const packer = await installPacker({
    version: inputs.packerVersion,
    releasesUrl: inputs.packerReleasesUrl,
    releasesCredentials: inputs.packerReleasesCredentials,
    signingKey: inputs.packerSigningKey,
    onPath,
    accepts: templateAccepts(inputs, template)
  })
  reportPackerFolder(packer)
  return packer
}

/**
 * For latest or a range: fails the job, with the input checks' problem on the template's line,
 * when the release it resolves to is one the template refuses, or one its provisioners cannot
 * work with on a runner (checkProvisioners). Packer would refuse the first too, but only once it
 * and its plugins are installed. An HCL2 template's demands are read with the rest of it, while the
 * index is.
 */
function templateAccepts(inputs: Inputs, template: Promise<HclTemplate> | undefined): ((resolved: ResolvedVersion) => Promise<void>) | undefined {
  if (inputs.packerVersion.kind === 'exact') return undefined
  return async (resolved) => {
    await versionDemandsMet(inputs, template, resolved)
    await checkProvisioners(inputs, template, resolved.version)
  }
}

/**
 * For latest or a range: fails the job when the release it resolves to is one the template
 * refuses. An HCL2 template's demands come with the rest of it; one that could not be read fails
 * where it is awaited next, as it would have.
 */
async function versionDemandsMet(inputs: Inputs, template: Promise<HclTemplate> | undefined, resolved: ResolvedVersion): Promise<void> {
  const demands = template ? ((await template.catch(() => undefined))?.versionDemands ?? []) : inputs.versionDemands
  if (demands.length === 0) return
  const { demandsNotMet } = await import('./inputs/required-version.js')
  const problems = await demandsNotMet(demands, resolved)
  await refuse(
    problems,
    `packer-version ${describeRequest(inputs.packerVersion)} resolves to Packer ${resolved.version}, which the template refuses ` +
      '(see the error above); it was neither downloaded nor used.'
  )
}

/**
 * Runs Packer with its output logged once `masked()` (if any) settles: never before the masks.
 * Its errors are placed in the template with what the HCL2 `template` read of it, once read.
 */
function packerRunner(
  inputs: Inputs,
  packer: InstalledPacker,
  cancellation: Cancellation,
  masked: () => Promise<unknown> | undefined,
  template?: Promise<HclTemplate>
): PackerStep {
  const log = actionsLog(undefined, secretsOfTheStep)
  const annotated = {
    workingDirectory: inputs.workingDirectory,
    template: inputs.template,
    workspace: inputs.workspace,
    templateKind: inputs.templateKind,
    jsonTemplate: inputs.jsonTemplate,
    hclFiles: inputs.hclFiles,
    buildNames: inputs.buildNamesKnown ? inputs.buildNames : undefined,
    varFiles: inputs.varFiles,
    variables: inputs.variables
  }
  // A re-run with debug logging has Packer's debug log too, unless the step says otherwise.
  const debugLog = packerDebugLog(core.isDebug())
  return async (args, env = {}, { record, deadlineMs, warnings, started } = {}) => {
    core.debug(`Running ${packer.path} ${shownArguments(args)} in ${inputs.workingDirectory}${debugLog.PACKER_LOG ? ', with PACKER_LOG=1' : ''}`)
    const run = await runPacker(packer.path, args, {
      cwd: inputs.workingDirectory,
      env: packerEnvironment(inputs.awsRegion, { ...debugLog, ...env }),
      log,
      cancellation,
      record,
      deadlineMs,
      logAfter: masked(),
      started
    })
    if (!run.panicked) {
      // A template that could not be read leaves Packer's errors placed as they can be without it.
      const hclPathValues = (await template?.catch(() => undefined))?.pathValues
      return { ...run, annotations: await reportPackerRun(run, { ...annotated, hclPathValues }, { warnings }) }
    }
    return { ...run, annotations: [], crashed: packerCrashed(run.panicked, inputs.workspace) }
  }
}

/** The plugins the template needs, installed; nothing more is done after a cancel while Packer installed them. */
async function plugins(
  inputs: Inputs,
  packer: InstalledPacker,
  packerStep: PackerStep,
  template: Promise<HclTemplate> | undefined,
  cancellation: Cancellation
): Promise<void> {
  const { preparePlugins } = await import('./plugins/index.js')
  const preparing = preparePlugins({
    packer,
    templateKind: inputs.templateKind,
    template: inputs.template,
    requiredPlugins: async () => (await template)?.requiredPlugins ?? [],
    workingDirectory: inputs.workingDirectory,
    requirements: inputs.plugins,
    builderTypes: inputs.builderTypes,
    provisionerTypes: inputs.provisionerTypes,
    postProcessorTypes: inputs.postProcessorTypes,
    githubToken: inputs.githubToken,
    cache: inputs.cache,
    env: process.env,
    run: packerStep
  })
  // The install a cancel (or a crash) stopped fails: the run was stopped, not the install.
  const prepared = await preparing.catch((error: unknown) => {
    if (!cancellation.cancelled) throw error
    throw stoppedWhilePackerRan(cancellation, undefined, 'while Packer installed the plugins', '; nothing was built.')
  })
  reportPlugins(prepared)
}

async function validate(
  inputs: Inputs,
  packerStep: PackerStep,
  summary: SummaryModel,
  template: Promise<HclTemplate> | undefined,
  cancellation: Cancellation
): Promise<void> {
  const validation = await core.group('Validate', () =>
    packerStep(validateArguments(inputs), {}, { deadlineMs: validateDeadlineMs, warnings: true })
  )
  stopIfCancelled(validation, cancellation, summary)
  if (validation.timedOut) {
    const stopped =
      `${stoppedAtDeadline('packer validate', validateDeadlineMs)}; nothing was built. ` +
      "Packer 1.7.0 to 1.8.4 run an HCL2 template's data sources to validate it: one may be waiting on a service that does not answer."
    summary.problems.push(stopped)
    throw new Failure(stopped)
  }
  summary.annotations.push(...validation.annotations)
  if (validation.killedBy) throw new Failure(`packer validate was killed (${validation.killedBy}) before it finished; nothing was built.`)
  if (validation.exitCode !== 0) {
    // Packer 1.6.6 crashes on a provisioner's duration it cannot read, saying nowhere which.
    const said = validation.annotations.some(({ level }) => level === 'error')
    const unread = said ? [] : ((await template?.catch(() => undefined))?.durationProblems ?? [])
    // A crash the template's own mistake does not explain.
    if (validation.crashed && unread.length === 0) throw crashFailure(validation.crashed, 'Nothing was built.', summary)
    summary.annotations.push(...(await reportInputProblems(unread, { failureFollows: true })))
    if (!said && unread.length === 0) {
      throw new Failure(
        `packer validate failed on ${templateInWorkspace(inputs)} (exit code ${validation.exitCode}) without naming a problem; ` +
          "what Packer printed is in the log's Validate group. Nothing was built."
      )
    }
    const found = `packer validate found problems in ${templateInWorkspace(inputs)} (see the errors above); nothing was built.`
    if (!validation.panicked) throw new Failure(found)
    // Packer's report, moved out of the checkout, is named all the same.
    const message = `${found} ${crashedOnTheMistake(validation.panicked, inputs.workspace)}`
    summary.problems.push(message)
    throw new Failure(message)
  }
  core.info(`packer validate: ${templateInWorkspace(inputs)} is valid.`)
}

/** The folders of the manifests that Packer names for each build as it builds it, absolute. */
function perBuildManifestFolders(inputs: Inputs): string[] {
  return [...new Set(inputs.manifestFolders.map((folder) => resolve(inputs.workingDirectory, folder)))]
}

/**
 * Builds, and hands on every AMI that exists even when the build failed: in a template with
 * several builds, those that succeeded made AMIs that are real, cost money and must not go
 * unnoticed. `failedAfterImage` says which builds failed once they had made their AMIs, when
 * Packer (1.6.6) exited 0 all the same.
 */
async function build(
  inputs: Inputs,
  packerStep: PackerStep,
  summary: SummaryModel,
  cancellation: Cancellation
): Promise<{ run: PackerStepRun; amis: Ami[]; runUuid: string; failedAfterImage?: string; buildRegions: BuildRegions }> {
  const manifests = [...new Set([inputs.manifest, ...inputs.otherManifestOutputs.map((output) => resolve(inputs.workingDirectory, output))])]
  const runsBefore = manifests.map(manifestRunUuid)
  // A manifest only Packer can name (one per build, say) still goes to a folder known now.
  const folders = [...manifests.map((path) => dirname(path)), ...perBuildManifestFolders(inputs)]
  for (const createdDirectory of new Set(folders.map(prepareManifestDirectory))) {
    if (createdDirectory) {
      core.info(`Created ${createdDirectory} for the manifest: Packer's manifest post-processor needs it to exist.`)
    }
  }
  const leftovers = tellThePostStep(
    inputs,
    { keep: inputs.onError === 'abort', summary: inputs.summary },
    {
      buildNames: inputs.buildNames,
      everyBuild: inputs.buildNamesKnown,
      buildsWithoutInstance: buildsWithoutInstance(inputs),
      noInstance: noBuildLaunchesInstance(inputs),
      scriptLinesAlike: scriptLinesAlike(inputs, summary.packerVersion ?? '')
    },
    manifests.map((path, index) => ({ path, runBefore: runsBefore[index] }))
  )
  buildStarted(leftovers.record, inputs.onError === 'abort')
  const packerStarted = new Date().toISOString()
  const built = await core.group('Build', () =>
    packerStep(buildArguments(inputs), {}, { record: leftovers.record, started: leftovers.packerStarted })
  )
  leftovers.packerEnded(built)
  buildEnded()
  if (built.killedBy) summary.problems.push(killedProblem(built.killedBy, inputs.onError === 'abort', built.record.temporaryResources))

  const { artifacts, finishedImages, failedAfterImage } = amisOfTheRun(built, inputs, manifests, runsBefore, summary)
  const unlistedWhy = finishedUnlisted(built, artifacts.manifest)
  const finished = await finishedBeforeTheEnd(finishedImages, artifacts.amis, inputs, summary, { packerStarted, unlistedWhy })
  const amis = inTemplateOrder(keptApartFromTheLog(artifacts.amis, finished), inputs.buildNames)
  leftovers.amisMade(amis)
  // Builds that the list does not name (inspect failed, or Packer 1.6.6 lists a build that a build
  // block names by its source block, and the template does not tell every name) keep the order in
  // which they finished.
  const asTheyFinished = !inKnownOrder(artifacts.amis, inputs.buildNames)
  // Where the AMIs were read from says nothing to a build that failed and made none: the log
  // would say "reading the AMIs" just before it says that none was built.
  if (amis.length > 0 || (built.exitCode === 0 && !built.cancelled)) for (const note of artifacts.notes) core.info(note)
  summary.outsideManifest = await noteOutsideManifest(inputs, artifacts)
  const passedOver = asTheyFinished ? undefined : await passedOverBuilds(inputs, amis, built.exitCode !== 0 || failedAfterImage !== undefined)
  setAmiOutputs(amis, inputs.awsRegion, await leftovers.buildRegions, { manifest: artifacts.manifest ?? '', 'run-uuid': artifacts.runUuid ?? '' }, passedOver)
  await tellWhichBuildIsWhich(inputs, amis, asTheyFinished, summary)
  summary.amis = amis
  summary.amisAsTheyFinished = asTheyFinished
  summary.passedOver = passedOver
  if (amis.length > 0) {
    core.info(builtAmisLine(amis))
    // A cancelled build is not tagged: its summary is written as the run ends, next.
    if (inputs.summary && !built.cancelled) await writeSummary({ ...summary, outcome: 'tagging' })
  }

  stopIfCancelled(built, cancellation, summary, amis, inputs.onError === 'abort')
  summary.annotations.push(...built.annotations)
  if (amis.length === 0) {
    if (built.exitCode !== 0) throw nothingBuilt(built, summary, await leftovers.buildRegions)
    throw new Failure(artifacts.whyNoAmi)
  }
  return { run: built, amis, runUuid: artifacts.runUuid ?? randomUUID(), failedAfterImage, buildRegions: await leftovers.buildRegions }
}

/**
 * The builds that wrote no entry in the manifest that was read (their AMIs came from Packer's
 * output alone), told in a notice, as nothing went wrong, and returned for the summary. None when
 * except skips a post-processor (an entry that matches no build): a user who leaves a manifest
 * out of the run means to.
 */
async function noteOutsideManifest(inputs: Inputs, artifacts: ReturnType<typeof readBuiltAmis>): Promise<OutsideManifest | undefined> {
  if (artifacts.manifest === undefined || artifacts.outsideManifest.length === 0) return undefined
  if (inputs.except.length > 0) {
    const { exceptSkipsPostProcessor } = await import('./inputs/hcl-build-selection.js')
    if (exceptSkipsPostProcessor(inputs.except, inputs.templateKind, inputs.buildNames)) return undefined
  }
  const outside = { builds: artifacts.outsideManifest, manifest: workspaceRelative(artifacts.manifest, inputs.workspace), templateKind: inputs.templateKind }
  annotate({ level: 'notice', message: outsideManifestNote(outside), title: 'Manifest' })
  return outside
}

/**
 * Which build's AMIs ami-id and ami-ids are, in the log; and a warning for each name Packer gave
 * several builds that made AMIs (namedAlikeNotes), on the second build block that makes it,
 * where the template's files tell which that is, and in the summary's table of annotations.
 */
async function tellWhichBuildIsWhich(inputs: Inputs, amis: Ami[], asTheyFinished: boolean, summary: SummaryModel): Promise<void> {
  const primaryBuild = primaryBuildNote(amis, !asTheyFinished)
  if (primaryBuild) core.info(primaryBuild)
  for (const { name, note } of namedAlikeNotes(amis)) {
    const { hclBuildBlocksMaking } = await import('./inputs/hcl.js')
    const template = resolve(inputs.workingDirectory, inputs.template)
    const blocks = inputs.templateKind === 'hcl' ? await hclBuildBlocksMaking(template, name, (file) => workspaceRelative(file, inputs.workspace)) : []
    summary.annotations.push(annotate({ level: 'warning', message: note, title: 'Builds named alike', ...(blocks.length > 1 ? blocks[1] : {}) }))
  }
}

/** The failure of a build that made no AMI; a crash of Packer's is in the summary too. */
function nothingBuilt(built: PackerStepRun, summary: SummaryModel, buildRegions: BuildRegions): Failure {
  if (!built.crashed) {
    return new Failure(
      `packer build failed (exit code ${built.exitCode}); no AMI was built.${refusedCredentials(built, summary)}${expiredDuringTheBuild(built, buildRegions, summary)}`
    )
  }
  return crashFailure(built.crashed, 'No AMI was built.', summary)
}

/**
 * When Packer's errors say AWS refused its credentials as expired: that, what to change, and what
 * Packer made that it could not remove, each with the command that removes it, since nothing the
 * run holds can any more (the post step tries, with the same credentials). Said in the summary's
 * problems too; empty otherwise.
 */
function expiredDuringTheBuild(run: PackerRun, buildRegions: BuildRegions, summary: SummaryModel): string {
  if (!run.record.credentialsExpired) return ''
  const said = credentialsExpiredText(process.uptime() * 1000)
  const left = leftByPacker(run.record, buildRegions)
  summary.problems.push(said, ...(left ? [left] : []))
  return ` ${said}${left ? ` ${left}` : ''}`
}

/** When Packer met credentials AWS refused, or found none: that, in the action's words, and what to change (in the summary too). */
function refusedCredentials(run: PackerRun, summary: SummaryModel): string {
  const code = run.record.credentialsRefused
  if (code === undefined) return ''
  const said = refusedCredentialsText(code)
  summary.problems.push(said)
  return ` ${said}`
}

/**
 * What Packer announced and did not remove, as a sentence with the command for each, in the region
 * of the build that announced it, else where the run's builds launched (whereEachLeft); empty when none.
 */
function leftByPacker(record: RunRecord, buildRegions: BuildRegions): string {
  const resources = record.temporaryResources
  const groups = whereEachLeft(resources, buildRegions, record.announcedBy)
  const commands = removalCommands(resources, groups)
  if (commands.length === 0) return ''
  const copies = resources.copyRegions.length > 0 ? ` Look in ${resources.copyRegions.join(', ')} too, for copies of the AMI.` : ''
  return (
    `Packer could not remove what it made, and an instance runs up a bill until it is terminated: ${leftInText(groups)} may still exist. ` +
    `With credentials that work: ${commands.join('; ')}.${copies}`
  )
}

/** The failure of a step whose Packer crashed (packerCrashed), `outcome` after it; in the summary too. */
function crashFailure(crashed: string, outcome: string, summary: SummaryModel): Failure {
  const message = `${crashed} ${outcome}`
  summary.problems.push(message)
  return new Failure(message)
}

/**
 * The AMIs of the builds that finished, when neither the manifest nor Packer's artifacts list
 * them (a stopped Packer announces none; a Packer that ends by itself lists one build of those it
 * names alike), `unlistedWhy` saying which (finishedUnlisted): they exist, and
 * Packer leaves them. Its log names each one but not its region, so EC2 is asked, in the home
 * region and those of the other AMIs; one not found there is named in a warning. It names the
 * regions a build copied its AMI to, not the copies: EC2 is asked there too, at the same time,
 * and a region where no copy was found is named in a warning. With encrypt_boot, the AMI the log
 * names is an unencrypted one that Packer copies encrypted, into its own region too, and
 * deregisters: those copies are the build's AMIs (imagesOf), and it is not missing. A build whose
 * AMIs are listed is done (unlistedImages). Where the log wrote a build's scripts' lines as its
 * builder's, an AMI EC2 ties to nothing of the build's instance, or a copy of one, may be a
 * script's: in no output and not tagged, but named in a warning and the summary's section of its
 * own (notTheBuilds), since it may be the build's all the same; `packerStarted` tells which were
 * made since.
 */
async function finishedBeforeTheEnd(
  finished: FinishedImage[],
  listed: Ami[],
  inputs: Inputs,
  summary: SummaryModel,
  { packerStarted, unlistedWhy }: { packerStarted: string; unlistedWhy: string }
): Promise<Ami[][]> {
  const unlisted = unlistedImages(finished, listed)
  if (unlisted.length === 0) return []
  const regions = [...new Set([...(inputs.awsRegion ? [inputs.awsRegion] : []), ...listed.map((ami) => ami.region)])]
  const { findFinishedImages } = await import('./aws/finished-images.js')
  const images = await findFinishedImages(unlisted, regions, undefined, packerStarted)
  const { problems } = images.regions
  const others = notTheBuilds(unlisted, images)
  if (others.length > 0) {
    annotate({ level: 'warning', message: notTheBuildsWarning(others), title: 'AMIs not in the outputs' })
    summary.notTheBuilds = others
  }
  // Where the builder's type cannot be told, the summary says it is not known.
  const shown = unlisted.map((image) => ({ image, ...imagesOf(image, images, listed) }))
  const ofEach = shown.map(({ image, amis }) => {
    const builderType = amiBuilderTypeOf(image.build, inputs)
    return amis.map(({ region, amiId }) => ({ build: image.build, builderType, region, amiId }))
  })
  const found = ofEach.flat()
  if (found.length > 0) {
    core.info(
      `Found in EC2 the AMIs of builds that finished ${unlistedWhy}: ${found.map((ami) => `${ami.build}: ${ami.amiId} (${ami.region})`).join(', ')}.`
    )
  }
  const missing = shown.filter(({ missing }) => missing).map(({ image }) => image)
  if (missing.length > 0) {
    const where = regions.length > 0 ? `not found in ${regions.join(', ')}${problems.length > 0 ? ` (${problems.join('; ')})` : ''}` : 'no region is known to look in'
    const message =
      `Packer's log named AMIs of builds that finished ${unlistedWhy}, but EC2 did not show them: ${missing.map(({ build, ami }) => `build ${build}: ${ami}`).join(', ')}; ` +
      `${where}, so they are in no output and are not tagged.`
    annotate({ level: 'warning', message, title: 'AMIs not in the outputs' })
    summary.problems.push(message)
  }
  const ofTheBuilds = unlisted.filter((image) => !others.some(({ source }) => source === image.ami))
  for (const message of ofTheBuilds.flatMap((image) => copiesNotFound(image, images.copies) ?? [])) {
    annotate({ level: 'warning', message, title: 'AMIs not in the outputs' })
    summary.problems.push(message)
  }
  return ofEach
}

/**
 * The run's AMIs, from the manifest Packer wrote (the input's file, when it names one) or its
 * output, and the AMIs of the builds its log says finished: less those a build deregistered later
 * in the run, which a warning names.
 */
function amisOfTheRun(
  built: PackerRun,
  inputs: Inputs,
  manifests: string[],
  runsBefore: Array<string | undefined>,
  summary: SummaryModel
): { artifacts: ReturnType<typeof readBuiltAmis>; finishedImages: FinishedImage[]; failedAfterImage?: string } {
  const read = inputs.manifestGiven ? 0 : manifestToRead(manifests, runsBefore)
  const unknown = read === 0 && inputs.manifestUnknown !== undefined ? { output: inputs.manifestUnknown, folders: perBuildManifestFolders(inputs) } : undefined
  const finishedBuilds = built.record.finishedImages.map(({ build }) => build)
  const deregistered = new Set(built.record.deregisteredImages)
  const artifacts = readBuiltAmis(manifests[read], runsBefore[read], built.record.artifacts, inputs.buildNames, unknown, finishedBuilds, deregistered)
  const cleanedUp = new Map(built.record.cleanedUpImages.map((image) => [image.ami, image]))
  const gone = artifacts.deregistered ?? []
  warnDeregistered(
    gone.filter((ami) => !cleanedUp.has(ami.amiId)),
    summary
  )
  const failedBuilds = gone.flatMap((ami) => {
    const image = cleanedUp.get(ami.amiId)
    return image === undefined ? [] : [{ ...image, region: ami.region }]
  })
  // When Packer fails, it says why itself; a failed build's clean-up is no news then.
  const failed = failedBuilds.length > 0 && built.exitCode === 0 ? failedAfterImage(failedBuilds) : undefined
  // Packer's log tells it only among its own lines, as no failure: the summary tells it.
  if (failed !== undefined) summary.problems.push(`${failed}.`)
  if (failed !== undefined && artifacts.amis.length === 0) artifacts.whyNoAmi = `${failed}: no AMI was built.`
  return { artifacts, finishedImages: built.record.finishedImages.filter(({ ami }) => !deregistered.has(ami)), failedAfterImage: failed }
}

/**
 * Says which AMIs the manifest lists that Packer's log says a build deregistered later in the run
 * (force_deregister, when builds give their AMIs the same name): they are no longer in EC2.
 */
function warnDeregistered(gone: Ami[], summary: SummaryModel): void {
  if (gone.length === 0) return
  warnNotInOutputs(
    `Packer deregistered ${namedAmis(gone)} later in the run: ` +
      `with force_deregister, a build deregisters every AMI with the name it gives its own, and another build of the run had made ${gone.length === 1 ? 'it' : 'them'} under that name. ` +
      `${gone.length === 1 ? 'It is' : 'They are'} no longer in EC2, so in no output and not tagged; give each build its own ami_name.`,
    summary
  )
}

/** Those of the AMIs that tagging found gone: someone deregistered them (see RegionTagResult). */
function goneAmis(amis: Ami[], summary: SummaryModel): Ami[] {
  return amis.filter((ami) => summary.tagging?.get(ami.region)?.gone?.includes(ami.amiId))
}

/** `build B's ami-… (region)`, for each AMI. */
function namedAmis(amis: Ami[]): string {
  return amis.map((ami) => `build ${ami.build}'s ${ami.amiId} (${ami.region})`).join(', ')
}

/** A warning of AMIs of the run that are gone, in the log and the summary's problems. */
function warnNotInOutputs(message: string, summary: SummaryModel): void {
  annotate({ level: 'warning', message, title: 'AMIs not in the outputs' })
  summary.problems.push(message)
}

/**
 * What Packer 1.6.6 does not say, when it exits 0: that these builds failed once they had made
 * their AMIs (an ami_description it could not render, say), which they then deregistered.
 */
function failedAfterImage(failed: Array<CleanedUpImage & { region: string }>): string {
  const each = failed.map(({ build, ami, region, error }) => `build ${build} failed once it had made ${ami} (${region})${error === undefined ? '' : ` ("${error}")`}`)
  return `Packer exited 0, but ${each.join(', ')}, and deregistered ${failed.length === 1 ? 'it' : 'them'} as it cleaned up`
}

/**
 * The AMIs less those tagging found gone: someone deregistered them after Packer had made them.
 * As with those a build of the run deregistered, a warning names them, and they leave the
 * outputs and the summary, which held them since the build.
 */
function withoutGone(amis: Ami[], where: { homeRegion: string | undefined; buildRegions: BuildRegions }, summary: SummaryModel): Ami[] {
  const gone = goneAmis(amis, summary)
  if (gone.length === 0) return amis
  const one = gone.length === 1
  warnNotInOutputs(
    `${namedAmis(gone)} ${one ? 'was' : 'were'} deregistered after Packer had made ${one ? 'it' : 'them'}, before ${one ? 'it was' : 'they were'} tagged: ` +
      `EC2 shows ${one ? 'it' : 'them'} deregistered, or no longer lists ${one ? 'it' : 'them'}, so something else with access to the account ` +
      `(another workflow, a cleanup job, a person) deregistered ${one ? 'it' : 'them'}. ${one ? 'It is' : 'They are'} no longer in EC2, so in no output and not tagged.`,
    summary
  )
  const kept = amis.filter((ami) => !gone.includes(ami))
  summary.amis = kept
  setOutputs({ ...amiOutputs(kept, where.homeRegion, where.buildRegions) })
  return kept
}

/** Those of the AMIs that tagging found disabled: someone disabled them (see RegionTagResult). */
function disabledAmis(amis: Ami[], summary: SummaryModel): Ami[] {
  return amis.filter((ami) => summary.tagging?.get(ami.region)?.disabled?.includes(ami.amiId))
}

/**
 * Says which AMIs tagging found disabled: someone disabled them after Packer had made them. Unlike
 * one deregistered, such an AMI is still in EC2: it stays in the outputs and the summary, tagged as any other,
 * and the warning says how to enable it again. The roll-out leaves it out (see launchable). Returns them.
 */
function warnDisabled(amis: Ami[], inputs: Inputs, summary: SummaryModel): Ami[] {
  const disabled = disabledAmis(amis, summary)
  if (disabled.length === 0) return disabled
  const one = disabled.length === 1
  const stages = rollOutStagesOn(inputs)
  const leftOut = stages.length === 0 ? '' : ` ${stages.join(' and ')} leave${stages.length === 1 ? 's' : ''} ${one ? 'it' : 'them'} out.`
  const enable = disabled.map((ami) => `aws ec2 enable-image --region ${ami.region} --image-id ${ami.amiId}`).join('; ')
  const message =
    `${namedAmis(disabled)} ${one ? 'was' : 'were'} disabled after Packer had made ${one ? 'it' : 'them'}, before ${one ? 'it was' : 'they were'} tagged: ` +
    `EC2 shows ${one ? 'it' : 'them'} disabled, so something else with access to the account (another workflow, a cleanup job, a person) ` +
    `disabled ${one ? 'it' : 'them'}, and no instance can be launched from ${one ? 'it' : 'them'}. ` +
    `${one ? 'It is' : 'They are'} still in EC2 and in the outputs.${leftOut} To launch from ${one ? 'it' : 'them'}, enable ${one ? 'it' : 'them'} again: ${enable}.`
  annotate({ level: 'warning', message, title: 'Disabled AMIs' })
  summary.problems.push(message)
  return disabled
}

/** The AMIs the roll-out stages take: those tagging did not find disabled, which launch nothing. */
function launchable(amis: Ami[], summary: SummaryModel): Ami[] {
  const disabled = disabledAmis(amis, summary)
  return amis.filter((ami) => !disabled.includes(ami))
}

/** `tags` but for `keys`. */
function withoutKeys(tags: Record<string, string>, keys: string[]): Record<string, string> {
  return Object.fromEntries(Object.entries(tags).filter(([key]) => !keys.includes(key)))
}

async function tag(
  inputs: Inputs,
  { amis, buildRegions }: { amis: Ami[]; buildRegions: BuildRegions },
  summary: SummaryModel,
  tagging: Promise<TaggingStage> | undefined,
  reusable?: { fingerprint: string; runUuid: string; userTags: Record<string, string> }
): Promise<Ami[]> {
  const { buildTag, reuseTags } = reusable ? await import('./aws/reuse.js') : { buildTag: undefined, reuseTags: undefined }
  // A tags entry of one of the action's own keys that nothing of the run goes by is the user's: it wins.
  const given = ownKeysTheTagsGive(inputs.tags, inputs)
  const families = familyTagging(amis, inputs, buildTag, given)
  const setTags = withoutKeys(reusable && reuseTags ? reuseTags(reusable.fingerprint, reusable.runUuid, amis) : {}, given)
  const tags = { ...inputs.tags, ...setTags, ...families.sharedTags }
  const tagCount = Object.keys(tags).length
  summary.tagCount = tagCount
  // Each build's own tags, which go on with the others: counted in the summary and in EC2's limit.
  summary.buildTagCounts = Object.fromEntries(families.perBuild.map((build) => [build.amis[0].build, Object.keys(build.tags).length]))
  if (tagCount === 0) {
    core.info('No tags to add (tags is empty and provenance-tags is false).')
    return amis
  }
  const { mayGiveSnapshotsOwnKeys, mayTagSnapshots } = await import('./inputs/ami-builds.js')
  const builds = inputs.templateKind === 'hcl' ? inputs.hclAmiBuilds : inputs.jsonAmiBuilds
  const ofTheTemplate = {
    templateKeeps: inputs.templateKeeps ?? [],
    readSnapshotTags: mayTagSnapshots(builds),
    actionOwnKeys: keysGoneBy(inputs),
    snapshotsMayHaveOwnKeys: mayGiveSnapshotsOwnKeys(builds)
  }
  const failedRegions = await tagAll(inputs, amis, tags, summary, { tagging, builds: families.perBuild, ofTheTemplate })
  const kept = withoutGone(amis, { homeRegion: inputs.awsRegion, buildRegions }, summary)
  const disabled = warnDisabled(kept, inputs, summary)
  if (failedRegions.length > 0) {
    // Nothing of the action finds an AMI without its tags again: the failure names each, and how to tag or deregister it.
    const ownTagsOf = (ami: Ami) => families.perBuild.find((build) => build.amis.includes(ami))?.tags ?? {}
    const untagged = amisLeftUntagged(amis, summary.tagging ?? new Map(), (ami) => ({ ...tags, ...ownTagsOf(ami) }), inputs.tagSnapshots)
    const recorded = reusable !== undefined && inputs.reuse && kept.length === amis.length && (await recordForARerun(amis, untagged, tags, reusable, summary))
    reportUntagged(untagged, summary, recorded)
    throw taggingFailed(failedRegions, inputs, summary, untaggedSentence(untagged, inputs.summary, recorded))
  }
  if (kept.length === 0) throw new Failure('Every AMI the build made was deregistered before it was tagged (see the warning above): no AMI is in the outputs.')
  if (disabled.length === kept.length) {
    throw new Failure(
      `Every AMI the build made that is still in EC2 was disabled before it was tagged (see the warning above): none launches an instance. ` +
        `${disabled.length === 1 ? 'It is' : 'They are'} in the outputs; \`aws ec2 enable-image\` enables ${disabled.length === 1 ? 'it' : 'them'} again.` +
        notRolledOut(inputs, 'when an AMI of the run can launch an instance', summary)
    )
  }
  return kept
}

/**
 * Records a whole set that tagging left untagged somewhere, with the action's own tags each such
 * AMI was to get, where a re-run of this job finds it for sure: the Actions cache, under this
 * workflow run and the fingerprint (saveUntaggedRecord). Where tagging failed in every region,
 * nothing in EC2 ties the AMIs to the run, and the re-run would build a second set. Not the values
 * of `userTags`, the tags input's, which may come from secrets: runs GitHub gives no secrets (a
 * fork's pull request) may restore the record; the re-run gives its own. Whether it is recorded.
 */
async function recordForARerun(
  amis: Ami[],
  untagged: UntaggedAmi[],
  tags: Record<string, string>,
  { fingerprint, runUuid, userTags }: { fingerprint: string; runUuid: string; userTags: Record<string, string> },
  summary: SummaryModel
): Promise<boolean> {
  const set = tags[reuseTagKeys.set]
  if (untagged.length === 0 || set === undefined) return false
  const { saveUntaggedRecord } = await import('./aws/untagged-record.js')
  const recordedAmis = amis.map((ami) => {
    const left = untagged.find((one) => one.amiId === ami.amiId)
    const snapshotIds = left ? left.snapshotIds : summary.tagging?.get(ami.region)?.snapshotsOf[ami.amiId]
    const actionTags = (tags: Record<string, string>) => withoutKeys(tags, Object.keys(userTags))
    return {
      ...ami,
      ...(snapshotIds ? { snapshotIds } : {}),
      ...(left ? { actionTags: actionTags(left.tags), ...(left.snapshotTags ? { snapshotActionTags: actionTags(left.snapshotTags) } : {}) } : {})
    }
  })
  return saveUntaggedRecord({ fingerprint, set, runUuid, amis: recordedAmis }, summary.provenance.runAttempt ?? 1)
}

/**
 * Tags the AMIs, and their snapshots with tag-snapshots, in every region, each build's AMIs with
 * its own tags (`builds`, when they differ from build to build) in the same calls; the regions
 * where that failed. A reused set's problems are told once the set is known to be whole, which
 * `stillWhole` asks once it is tagged: of one that is not, which the job does not hand on, they are
 * no failure, and only logged.
 */
async function tagAll(
  inputs: Inputs,
  amis: Ami[],
  tags: Record<string, string>,
  summary: SummaryModel,
  {
    tagging,
    builds = [],
    stillWhole,
    ofTheTemplate
  }: {
    tagging?: Promise<TaggingStage>
    builds?: FamilyTagging['perBuild']
    stillWhole?: () => Promise<boolean>
    /** For the AMIs built in this run: what the template gave them itself is kept, or told of (tagAmis). */
    ofTheTemplate?: Pick<TagOptions, 'templateKeeps' | 'readSnapshotTags' | 'actionOwnKeys' | 'snapshotsMayHaveOwnKeys'>
  } = {}
): Promise<string[]> {
  const tagCount = Object.keys(tags).length
  summary.tagCount = tagCount
  summary.snapshotsTagged = inputs.tagSnapshots
  const { tagAmis } = await (tagging ?? import('./aws/tagging.js'))
  // Each stage's results are logged inside its group, each region's as soon as it is known: after
  // ::endgroup:: the group shows nothing, and a region that waits for EC2 must not hide the others.
  const counts = { tagCount, tagSnapshots: inputs.tagSnapshots }
  return core.group('Tag AMIs and snapshots', async () => {
    const ownTags = Object.fromEntries(builds.flatMap((build) => build.amis.map((ami) => [ami.amiId, build.tags])))
    const results = await tagAmis({
      amis,
      tags,
      tagSnapshots: inputs.tagSnapshots,
      ownTags,
      ...ofTheTemplate,
      deadlineMs: inputs.taggingTimeoutSeconds * 1000,
      onResult: (result) => {
        if (stillWhole) logRegionTagging(result, counts, summary)
        else reportRegionTagging(result, counts, summary)
        for (const build of builds) reportOwnTags(build, result, summary)
      }
    })
    reportTemplateTags(results)
    if (!stillWhole) return reportTagging(results, summary)
    if (!(await stillWhole())) {
      // EC2's words may quote a tag's value: text, never a workflow command.
      const problems = results.flatMap((result) => [...(result.warnings ?? []), ...(result.error === undefined ? [] : [result.error])])
      if (problems.length > 0) logAsText(problems)
      return []
    }
    for (const result of results) annotateRegionTagging(result)
    return reportTagging(results, summary)
  })
}

/** Says in the log and the summary which of a build's AMIs in a region got its own tags, with the others. */
function reportOwnTags(build: FamilyTagging['perBuild'][number], result: RegionTagResult, summary: SummaryModel): void {
  const amiIds = build.amis.filter((ami) => ami.region === result.region && gotTheTags(result, ami)).map((ami) => ami.amiId)
  reportBuildTagging(build.amis[0].build, Object.keys(build.tags), result.region, amiIds, summary)
}

/** Whether the run's tags went on the AMI: its region's CreateTags went through, and did not leave it out. */
function gotTheTags(tagging: RegionTagResult, ami: Ami): boolean {
  return tagging.tagged && !tagging.amisNotTagged?.includes(ami.amiId)
}

/** `untagged`: what the failure says of the AMIs it left without the run's tags (untaggedSentence), if any. */
function taggingFailed(regions: string[], inputs: Inputs, summary: SummaryModel, untagged = ''): Failure {
  return new Failure(
    `Tagging failed in ${regions.join(', ')}; the AMIs exist and are ${inTheOutputs()}.${untagged}` +
      expiredWhileTagging(regions, summary) +
      notRolledOut(inputs, 'once every AMI is tagged', summary)
  )
}

/** When EC2 refused tagging's calls as made with credentials that expired: that, and what to change (in the summary too). */
function expiredWhileTagging(regions: string[], summary: SummaryModel): string {
  if (!regions.some((region) => saysCredentialsExpired(summary.tagging?.get(region)?.error ?? ''))) return ''
  const said = credentialsExpiredText(process.uptime() * 1000)
  summary.problems.push(said)
  return ` ${said}`
}

/** Loaded only when launch-template is set: most runs never touch a launch template. */
async function launchTemplates(
  inputs: Inputs,
  amis: Ami[],
  summary: SummaryModel,
  provenance: Provenance,
  parameterSetIn: ReadonlySet<string>,
  newerRun: NewerRunCheck | undefined
): Promise<string[]> {
  const template = inputs.launchTemplate
  if (!template) return []
  const byRegion = amiIdsByRegion(amis)
  const build = rolledOutBuild(amis)
  const finished: LaunchTemplateResult[] = []
  entering(inputs, 'launch-template', 'rolling out the launch template', (cut) =>
    reportLaunchTemplatesCutShort(template, byRegion, finished, cut, summary, build)
  )
  const { rollLaunchTemplates } = await import('./aws/launch-templates.js')
  return core.group(stageGroupTitle('Launch templates', build), async () => {
    const results = await rollLaunchTemplates({
      template,
      amiIdsByRegion: byRegion,
      makeDefault: inputs.launchTemplateDefault,
      ssmParameter: inputs.ssmParameter === undefined ? undefined : { name: inputs.ssmParameter, setIn: parameterSetIn },
      builtBy: provenance.runUrl,
      newerRun,
      onResult: (result) => {
        finished.push(result)
        logLaunchTemplate(template, result)
      }
    })
    return reportLaunchTemplates(template, results, summary, build)
  })
}

/**
 * Loaded only when ssm-parameter is set, and with it the SSM client. Returns the failures, and the
 * regions whose parameter now holds the new AMI.
 */
async function ssmParameters(
  inputs: Inputs,
  amis: Ami[],
  summary: SummaryModel,
  newerRun: NewerRunCheck | undefined
): Promise<{ failures: string[]; setIn: ReadonlySet<string> }> {
  const name = inputs.ssmParameter
  if (!name) return { failures: [], setIn: new Set() }
  const byRegion = amiIdsByRegion(amis)
  const build = rolledOutBuild(amis)
  const finished: SsmParameterResult[] = []
  entering(inputs, 'ssm-parameter', 'publishing the AMI IDs to SSM', (cut) =>
    reportSsmParametersCutShort(name, byRegion, finished, cut, summary, build)
  )
  const { publishAmiIds } = await import('./aws/ssm.js')
  const onResult = (result: SsmParameterResult): void => {
    finished.push(result)
    logSsmParameter(name, result)
  }
  return core.group(stageGroupTitle('SSM parameters', build), async () => {
    const results = await publishAmiIds({ name, amiIdsByRegion: byRegion, leaveWhereHeld: summary.reusedFrom !== undefined, newerRun, onResult })
    const setIn = new Set(results.flatMap((result) => (result.outcome === 'published' ? [result.region] : [])))
    return { failures: reportSsmParameters(name, results, summary, build), setIn }
  })
}

/**
 * Last, so that the launch template versions just made count as uses of the new AMIs. Where the
 * parameter did not take the new AMI (`parameterSetIn` lacks the region), the AMI it still holds
 * is in use.
 */
async function retention(
  inputs: Inputs,
  amis: Ami[],
  summary: SummaryModel,
  parameterSetIn: ReadonlySet<string>,
  startedAt: Date
): Promise<string[]> {
  if (inputs.keepImages === 0) return []
  const notSetIn = new Set(amis.map((ami) => ami.region).filter((region) => !parameterSetIn.has(region)))
  const parameter = inputs.ssmParameter === undefined ? undefined : { name: inputs.ssmParameter, regions: notSetIn }
  const options = { keep: inputs.keepImages, dryRun: inputs.retentionDryRun, parameter, startedAt }
  const families = newAmisByFamily(amis, inputs)
  const planned = [...families].flatMap(([family, regions]) => [...regions.keys()].map((region) => ({ region, family })))
  // Each family's latest state in each region, as the stage tells it; those final, logged as they came.
  const progress = new Map<string, RetentionResult>()
  const finished: RetentionResult[] = []
  entering(inputs, 'keep-images', 'retiring old AMIs', (cut) =>
    reportRetentionCutShort(planned, [...progress.values()], finished, options, cut, summary)
  )
  const { retainImages } = await import('./aws/retention.js')
  const onProgress = (result: RetentionResult): void => {
    progress.set(`${result.region}\n${result.family}`, result)
  }
  const onResult = (result: RetentionResult): void => {
    finished.push(result)
    logRetention(result)
  }
  return core.group(`Retention${options.dryRun ? ' (dry run)' : ''}`, async () =>
    reportRetention(await retainImages({ ...options, families, onProgress, onResult }), options, summary)
  )
}

/**
 * Saves, as soon as Packer announces them, the instance, security group and key pair it
 * creates, so that the post step can remove them if Packer dies before its own clean-up (the
 * state file is written at once, so even a killed action leaves it behind). `template` tells of
 * its builds: whose each line is when a build's name holds ": ", and which start no instance of
 * their own (amazon-chroot, null…). `manifests`, those the build may write, let the post step name the
 * AMIs of builds that finished if the main step is killed before its outputs. The regions the
 * builds launch in (buildRegionsOfRun), once read, say where what Packer announces is.
 */
function tellThePostStep(
  inputs: Inputs,
  { keep, summary }: { keep: boolean; summary: boolean },
  template: ConstructorParameters<typeof RunRecord>[1],
  manifests: ManifestBefore[]
): {
  record: RunRecord
  packerStarted: (pid: number) => void
  packerEnded: (run: PackerRun) => void
  amisMade: (amis: Ami[]) => void
  buildRegions: Promise<BuildRegions>
} {
  const state: LeftoverState = {
    regions: inputs.awsRegion ? [inputs.awsRegion] : [],
    resources: noTemporaryResources(),
    packer: 'running',
    keep,
    // With summary: false, the post step writes no summary of its own either: the inputs are
    // checked in the main step only, which tells it so.
    ...(summary ? {} : { summary: false }),
    manifests
  }
  const save = (): void => saveState(LEFTOVERS_STATE, JSON.stringify(state))
  const record: RunRecord = new RunRecord((resources, finished) => {
    state.resources = resources
    state.announcedBy = record.announcedBy
    state.finished = finished
    if (record.scriptLinesAlike) state.scriptLinesAlike = true
    save()
  }, template)
  const known = buildRegionsOfRun(inputs).then((regions) => {
    state.buildRegions = regions
    save()
    return regions
  })
  return {
    record,
    buildRegions: known,
    packerStarted: (pid) => {
      state.packerPid = pid
      state.packerStarted = new Date().toISOString()
      save()
    },
    packerEnded: (run) => {
      state.packer = run.killedBy ? 'killed' : run.exitCode === 0 && !run.cancelled ? 'exited' : 'failed'
      save()
    },
    amisMade: (amis) => {
      state.amis = amis.map((ami) => ami.amiId)
      save()
    }
  }
}

/**
 * The regions the run's builds launch in, as the template tells them (buildRegionsOfRun): read
 * while Packer starts, for the post step and for what an expired session left. Unknown if the
 * read fails: a region is never guessed.
 */
async function buildRegionsOfRun(inputs: Inputs): Promise<BuildRegions> {
  try {
    const { buildRegionsOfRun } = await import('./inputs/ami-builds.js')
    return await buildRegionsOfRun(inputs.templateKind === 'hcl' ? inputs.hclAmiBuilds : inputs.jsonAmiBuilds, inputs)
  } catch {
    return { regions: [], unknown: true }
  }
}
