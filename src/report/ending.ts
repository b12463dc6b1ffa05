// How the run ends when it does not end as the job planned: the runner's cancel or the action's
// own crash, while Packer runs, outlasting the runner's signals, or while no Packer runs. What the
// job has done so far is kept here (the summary as it stands, the build under way, the stage after
// tagging), so that the failure given then and the summary written then say what became of it.
import * as core from '@actions/core'
import { errorMessage } from '../common/errors.js'
import type { Inputs } from '../inputs/index.js'
import type { RunRecord } from '../packer/machine-readable.js'
import type { Cancellation, PackerRun } from '../packer/run.js'
import type { Ami } from '../artifacts/manifest.js'
import { annotate, failStep, makeHeldAnnotations } from './annotation.js'
import {
  afterCancel,
  cancelFailure,
  cancelledBy,
  capitalized,
  crashedOnceCancelledPackerEnded,
  crashedWith,
  endedBeforeTheRun,
  notEndedAfterTheCrash,
  type RunEnd
} from './run-end.js'
import type { CutShort } from './cut-short.js'
import { amisAsTaggingLeftThem, outputsNotWritten, warnOfOutputsHoldingSecrets, writeSummary, type SummaryModel } from './index.js'
import { inTheOutputs } from './runner-files.js'
import { plural } from './texts.js'

/** A failure whose causes the log and the summary's annotations or problems already show. */
export class Failure extends Error {}

/**
 * The failure of a run that was cancelled while Packer ran, or that the action's own crash
 * stopped then, once Packer has ended (stoppedWhilePackerRan).
 */
export class Cancelled extends Failure {}

/** The stages after tagging, in the order rollOut runs them, each named by the input that turns it on. */
const rollOutOrder = ['ssm-parameter', 'launch-template', 'keep-images'] as const
export type RollOutStage = (typeof rollOutOrder)[number]

/**
 * A stage after tagging that runs: its input, what it does, the stages still to run after it,
 * and how to report what it has done so far if the run ends first (logging it, setting its output
 * and adding its section to the summary), which returns that in a few words.
 */
interface RollOutUnderWay {
  input: RollOutStage
  doing: string
  after: RollOutStage[]
  cutShort: (cut: CutShort) => string
}

/**
 * A reused set in the outputs that is not yet known to be whole: what the job is doing to find out
 * (`grouped`: inside the tagging group), and the notices of where ami-id is from, which wait for it.
 */
interface ReuseUnderWay {
  doing: string
  grouped: boolean
  noteAmiId: () => void
}

/**
 * The summary as it stands, for a cancel or a crash that comes while no Packer runs (e.g. while
 * tagging), or a cancel that Packer outlasts; `building` once the build's Packer is started, with
 * what its log has told and whether on-error is abort; `packerEnded` once it has ended, whether
 * or not its AMIs are read yet; `reusing` while a reused set is made sure of; `stage` once tagging
 * is done, the stage after it that runs.
 */
let summarySoFar:
  | {
      model: SummaryModel
      write: boolean
      building?: { record: RunRecord; keep: boolean }
      packerEnded?: boolean
      reusing?: ReuseUnderWay
      stage?: RollOutUnderWay
    }
  | undefined

/**
 * Set once the failure of a cancel that Packer outlasted is given (cancelOutlasted; of the crash
 * before it, if one came first), with the summary being written then: the end of the run, if
 * Packer ends before the runner kills the step, gives no second one, and writes the summary after
 * it; anything that goes wrong after it, a crash once Packer has ended too, is a warning (failOnce).
 */
let saidCancelled: { summary: Promise<void> } | undefined

/** Whether the step's failure has been given (an error): a crash's end gives none after it. */
let failureGiven = false

/**
 * The action's crash once the Packer that a cancel stopped had ended, before the run's end gave
 * the cancel's failure (`stopped`, once made): that failure says the crash too, as the one error.
 */
let crashedOnceCancelled: Error | undefined
let stopped: string | undefined

/** The job has its summary: a cancel or a crash from here on writes it as it stands. */
export function keepSummarySoFar(model: SummaryModel, write: boolean): void {
  summarySoFar = { model, write }
}

/** The build's Packer is started: `record`, what its log tells; `keep`, whether on-error is abort. */
export function buildStarted(record: RunRecord, keep: boolean): void {
  if (summarySoFar) summarySoFar.building = { record, keep }
}

/** The build's Packer has ended, whether or not its AMIs are read yet. */
export function buildEnded(): void {
  if (summarySoFar) summarySoFar.packerEnded = true
}

/** A reused set is being made sure of (undefined: it is, or it is not reused). */
export function reusingNow(underWay: ReuseUnderWay | undefined): void {
  if (summarySoFar) summarySoFar.reusing = underWay
}

/**
 * Gives the failure of a run that `error` ended. Once the failure of a cancel that Packer
 * outlasted is given, what the run's end tells is logged, and anything else that went wrong after
 * it is a warning, not a second failure.
 */
export function failRun(error: unknown): void {
  if (saidCancelled && error instanceof Cancelled) core.info(errorMessage(error))
  else failOnce(errorMessage(error))
}

/**
 * Fails the step, unless the failure of a cancel that Packer outlasted is given already
 * (cancelOutlasted): anything else that went wrong after it, the action's crash while Packer
 * still stops or once it has ended included, is a warning then, not a second failure.
 */
function failOnce(message: string): void {
  if (saidCancelled) annotate({ level: 'warning', message })
  else failStep(crashedOnceCancelled ? cancelFailure(message, crashedOnceCancelled) : message)
  failureGiven = true
}

/**
 * The action's crash once the Packer that a cancel stopped has ended, while the run ends: its end
 * gives the cancel's failure, which tells what Packer left, and says the crash with it. Logged at
 * once, as a signal then is.
 */
export function crashedAfterTheCancel(error: Error): void {
  const { cause } = crashedWith(error)
  if (failureGiven) {
    annotate({ level: 'warning', message: `${cause} once the run's failure was given.` })
    return
  }
  crashedOnceCancelled = error
  core.info(`${cause} once Packer had ended after the cancel; the run is ending…`)
}

/**
 * Says that a cancel or the action's crash stops Packer, which cleans up. The runner kills a step
 * that has not ended some 10 s after its first signal (actions/runner, ProcessInvoker: SIGINT,
 * SIGTERM after 7.5 s, a kill 2.5 s later), sooner than Packer may be done: what is held for the
 * last slots is made now, as it is, or it would be lost.
 */
export function stoppingPacker(message: string): void {
  annotate({ level: 'warning', message })
  makeHeldAnnotations()
}

/**
 * A cancel that Packer outlasts: the runner's SIGTERM came while the Packer its SIGINT (or the
 * action's crash before it) stopped still cleans up, and the runner kills the step 2.5 s later,
 * often before Packer is done (one that waits for EC2 to answer a call may not end for minutes).
 * What the end of the run would write is written now, with what is known: the failure, and the
 * summary, in the words of what ended the run (`end`). If Packer ends first, the run ends as after
 * any cancel: no second failure, the summary written again, whole. So too when the runner's
 * SIGTERM comes once the Packer `commands` the action's crash (`crashed`: it came before any
 * signal) or the runner's SIGINT stopped have `ended`, while the run still ends: after a cancel,
 * the failure is the cancel's own, once the run has made it.
 */
export function cancelOutlasted(end: RunEnd, commands: string[], ended: boolean, crashed: boolean): void {
  // The run's end came first: it said how the run ended.
  if (failureGiven) return
  const so = summarySoFar
  if (ended && !crashed && stopped === undefined && so?.packerEnded && so.model.amis.length === 0) {
    // The cancel's build has ended, and the action is still reading which AMIs it made: the run
    // ends here, as at a cancel then while no Packer runs, which says so.
    endWhileIdle(end)
    return
  }
  if (ended && !crashed && stopped !== undefined) {
    // The cancel stopped Packer, which has ended, and the run's failure, made, waits only for the
    // summary: both are given now, as the run's end would give them.
    failStep(cancelFailure(stopped, crashedOnceCancelled))
    saidCancelled = { summary: endSummary(so?.model, so?.write) }
    failureGiven = true
    return
  }
  const building = commands.includes('build') ? so?.building : undefined
  let failure: string
  if (ended) {
    // Packer has ended, and the run ends after it: what it made is read, or about to be.
    failure = endedBeforeTheRun(end, commands, building && { keep: building.keep, amis: so?.model.amis.length ?? 0, finished: building.record.finishedImages.length })
  } else if (building) {
    const { keep, record } = building
    const finished = record.finishedImages
    const unfinished = record.temporaryResources.images
    const finishedMade = finished.length > 0 ? `, after ${finished.map(({ build, ami }) => `build ${build} had made ${ami}`).join(' and ')}` : ''
    // Beside the AMIs of builds that finished, which the post step keeps, those it removes are named.
    const made =
      finished.length > 0
        ? `${finishedMade} (the post step names the AMIs of the builds that finished)${unfinished.length > 0 ? `, and Packer had made ${unfinished.join(', ')}` : ''}`
        : unfinished.length > 0
          ? `, which had made ${unfinished.join(', ')}`
          : ', before it made an AMI'
    const unfinishedAmis =
      finished.length > 0 ? `${unfinished.join(', ')} and ${unfinished.length === 1 ? 'its' : 'their'}` : unfinished.length === 1 ? 'that AMI and its' : 'those AMIs and their'
    const after = afterCancel(keep, unfinished.length > 0 ? unfinishedAmis : undefined)
    // With on-error: abort, Packer does no clean-up: it stops.
    const still = keep ? 'still stopping' : 'still cleaning up'
    failure = `${end.cause} while Packer was ${still} after the build${made}: ${after}`
  } else {
    const named = commands.map((command) => `packer ${command}`).join(' and ')
    failure = `${end.cause} while ${named} ${commands.length === 1 ? 'was' : 'were'} still stopping; nothing was built.`
  }
  failStep(failure)
  // What the outputs hold stays: the summary is the one the job has so far, as the run ended.
  const summary = so && {
    ...so.model,
    outcome: end.outcome,
    amisUnread: building && building.record.finishedImages.length > 0 && so.model.amis.length === 0 ? true : so.model.amisUnread,
    ended: failure
  }
  saidCancelled = { summary: endSummary(summary, so?.write) }
  failureGiven = true
}

/**
 * The step exits after the action's crash before the run has ended (Cancellation): unless the
 * run's failure was given (by a signal, or while no Packer ran), the crash's is given now.
 */
export function crashUnended(error: Error, first: boolean): void {
  if (failureGiven) return
  failStep(
    error === crashedOnceCancelled && stopped !== undefined
      ? `${stopped} ${crashedOnceCancelledPackerEnded(error, false)}`
      : notEndedAfterTheCrash(error, first, summarySoFar?.building?.keep ?? false)
  )
  failureGiven = true
}

/** A cancel while no Packer runs. */
export function cancelledWhileIdle(signal: NodeJS.Signals): void {
  endWhileIdle(cancelledBy(signal))
}

/**
 * An error nothing caught (the action's own fault) while no Packer runs: Node would exit at
 * once, the summary left as last written and no error in the log to say why the step failed.
 */
export function crashedWhileIdle(error: Error): void {
  endWhileIdle(crashedWith(error))
}

/**
 * Ends the job on a cancel or a crash while no Packer runs: before the build there is nothing
 * to wait for; after it, the AMIs exist, are in the outputs, and the summary says what was done.
 */
function endWhileIdle({ cause, outcome }: RunEnd): void {
  const amis = summarySoFar?.model.amis ?? []
  if (amis.length === 0) {
    // Until the action has read them, the post step names the AMIs of the builds that finished.
    const ended = summarySoFar?.packerEnded
      ? `${cause} after Packer ended, before the action had read which AMIs it made: the post step names those of the builds that finished.`
      : `${cause}; no Packer build was running.`
    failOnce(ended)
    // A failure at the same point writes the summary (once the job has one): so does a cancel.
    const so = summarySoFar
    exitWith(so && { ...so.model, outcome, amisUnread: so.packerEnded, ended })
    return
  }
  const model = summarySoFar?.model as SummaryModel
  const stage = summarySoFar?.stage
  const reusing = summarySoFar?.reusing
  let ended: string
  if (stage) {
    // Tagging had finished: rollOut runs only once every tag is on.
    const notRun = stage.after.length > 0 ? `, and ${stage.after.join(' and ')} did not run` : ''
    const done = soFar(stage, outcome)
    // Nothing was built when the set was reused: the message names the run that built it.
    const when = model.reusedFrom ? '' : ' after the build,'
    ended =
      `${cause}${when} while ${stage.doing} (${stage.input}): ${theAmisInTheOutputs(model)}; ` +
      `${stage.input} did not finish${done ? ` (${done})` : ''}${notRun} (the summary shows what each step did).`
  } else if (reusing) {
    // The set stays in the outputs, as a build's AMIs do: with what is said of its ami-id.
    if (reusing.grouped) core.endGroup()
    reusing.noteAmiId()
    ended =
      `${cause} while ${reusing.doing}: the set of ${plural(amis.length, 'AMI')} reused from ${model.reusedFrom} is ${inTheOutputs()}, ` +
      `but the run ended before it made sure that they are all still there${reusing.grouped ? ', and before every tag was applied' : ''}.`
  } else {
    ended = `${cause} after the build, while tagging: ${amisAsTaggingLeftThem(model)}`
  }
  failOnce(ended)
  exitWith({ ...model, outcome, ended })
}

/**
 * Ends the step, failed, once `summary` is written. Once the failure of a cancel that Packer
 * outlasted is given (saidCancelled), the summary written with it stands instead: the run ended
 * as that failure says, and what came after it is a warning (failOnce).
 */
function exitWith(summary: SummaryModel | undefined): void {
  // Outputs the runner's file did not take: the failure's "in the outputs" holds only in the log.
  const outputs = outputsNotWritten()
  if (outputs && !saidCancelled) annotate({ level: 'warning', message: outputs, title: 'Runner files' })
  if (outputs && summary) summary = { ...summary, problems: [...summary.problems, outputs] }
  void endSummary(saidCancelled ? undefined : summary, summarySoFar?.write).finally(() => process.exit(1))
}

/**
 * The AMIs in the outputs once tagging is done, for a failure's message: those the run built, or
 * the set it reused, which the run that built it had tagged (and this one too, with input tags).
 */
export function theAmisInTheOutputs(model: SummaryModel): string {
  const count = model.amis.length
  if (model.reusedFrom) {
    return `the set of ${plural(count, 'AMI')} reused from ${model.reusedFrom} ${model.retagged ? 'has the input tags and ' : ''}is ${inTheOutputs()}`
  }
  return `the ${plural(count, 'AMI', ['is', 'are'])} built${model.tagCount ? ', tagged' : ''} and ${inTheOutputs()}`
}

/**
 * What the stage under way had done when the run ended, logged, in its output and in the
 * summary's section, in a few words; undefined if that could not be told (the error is logged).
 */
function soFar(stage: RollOutUnderWay, cut: CutShort): string | undefined {
  try {
    return stage.cutShort(cut)
  } catch (error) {
    annotate({ level: 'warning', message: `What ${stage.input} had done could not be told: ${errorMessage(error)}` })
    return undefined
  } finally {
    // The stage's group ends here: what follows is the end of the run, not the stage's.
    core.endGroup()
  }
}

/**
 * Names, for a cancel or a crash, the stage after tagging that runs now, those the inputs turn
 * on after it, and how to report what it has done so far.
 */
export function entering(inputs: Inputs, input: RollOutStage, doing: string, cutShort: (cut: CutShort) => string): void {
  const on = rollOutStagesOn(inputs)
  const after = rollOutOrder.slice(rollOutOrder.indexOf(input) + 1).filter((stage) => on.includes(stage))
  if (summarySoFar) summarySoFar.stage = { input, doing, after, cutShort }
}

/** The stages after tagging that the inputs turn on, in the order rollOut runs them. */
export function rollOutStagesOn(inputs: Inputs): RollOutStage[] {
  const on: Record<RollOutStage, boolean> = {
    'launch-template': Boolean(inputs.launchTemplate),
    'ssm-parameter': Boolean(inputs.ssmParameter),
    'keep-images': inputs.keepImages > 0
  }
  return rollOutOrder.filter((stage) => on[stage])
}

/**
 * Says, for the failure and in the summary, which stages after tagging a failed build or tagging
 * left undone (`only`: when they would have run). Without it, a user reads that the AMIs are in
 * the outputs and takes the SSM parameter or launch template to name them too.
 */
export function notRolledOut(inputs: Inputs, only: string, summary: SummaryModel): string {
  const stages = rollOutStagesOn(inputs)
  if (stages.length === 0) return ''
  const said = `${stages.join(' and ')} did not run: ${stages.length === 1 ? 'it runs' : 'they run'} only ${only}.`
  summary.problems.push(said)
  return ` ${said}`
}

/**
 * What the summary of a run that failed says of `error`: the step's own failure under its
 * headline, any other error under Problems. A cancel's summary stays a cancel's.
 */
export function summaryFailed(summary: SummaryModel, error: unknown): void {
  if (summary.outcome !== 'cancelled') summary.outcome = 'failed'
  // Packer stopped by a cancel or a crash: the failure says, whole, what became of what it made.
  if (error instanceof Cancelled) summary.ended = error.message
  else if (error instanceof Failure) summary.failure = error.message
  else summary.problems.push(errorMessage(error))
}

/**
 * The summary as the job ends, written if `write`: the outputs are all set, and it says too which
 * hold a secret. The warning is given either way, and at once: a cancel or a crash that ends the
 * job while no Packer runs exits once the summary is written, without reaching the end of run().
 */
export async function endSummary(summary: SummaryModel | undefined, write: boolean | undefined): Promise<void> {
  warnOfOutputsHoldingSecrets(summary)
  // One written at a cancel that Packer outlasted is written first: this one knows more.
  await saidCancelled?.summary
  if (summary && write) await writeSummary(summary)
}

/**
 * Ends the job when the run was cancelled (or the action crashed) while Packer ran: `amis` are
 * those of the build, and undefined for validate. Packer cleans up after a cancelled build, but a
 * plugin of it may crash first, so the post step looks (tellThePostStep).
 */
export function stopIfCancelled(run: PackerRun, cancellation: Cancellation, summary: SummaryModel, amis?: Ami[], keep = false): void {
  if (!run.cancelled) return
  if (amis === undefined) throw stoppedWhilePackerRan(cancellation, summary, 'during packer validate', ` (exit code ${run.exitCode}); nothing was built.`)
  const stopped = (after: string): Cancelled => stoppedWhilePackerRan(cancellation, summary, 'during packer build', after, 'The build was cancelled')
  if (amis.length > 0) throw stopped(` after Packer made ${plural(amis.length, 'AMI', ['that is', 'that are'])} in the summary and ${inTheOutputs()}.`)
  const unfinished = run.record.temporaryResources.images
  if (unfinished.length > 0) {
    throw stopped(
      ` before it finished (exit code ${run.exitCode}): no AMI is in the outputs. ` +
        `Packer had made ${unfinished.join(', ')}. ${capitalized(afterCancel(keep, 'that AMI and its'))}`
    )
  }
  throw stopped(` before Packer made an AMI (exit code ${run.exitCode}). ${capitalized(afterCancel(keep))}`)
}

/**
 * The failure of a run stopped while Packer was `doing` (`during packer validate`), once Packer
 * has ended, and `after` it what became of the run. A cancel keeps the words it has always had
 * (`cancelled`: `The run was cancelled during packer validate`); the action's own crash, which
 * stopped Packer the same way, says so instead, as the summary's outcome and problems do.
 */
export function stoppedWhilePackerRan(
  cancellation: Cancellation,
  summary: SummaryModel | undefined,
  doing: string,
  after: string,
  cancelled = `The run was cancelled ${doing}`
): Cancelled {
  const crash = cancellation.stoppedByCrash
  const end = crash === undefined ? undefined : crashedWith(crash)
  // "and Packer was stopped before it made an AMI", not "… stopped before Packer made an AMI".
  const message = end === undefined ? `${cancelled}${after}` : `${end.cause} ${doing}, and Packer was stopped${after.replace(/^ (before|after) Packer /, ' $1 it ')}`
  if (summary) summary.outcome = end?.outcome ?? 'cancelled'
  stopped = message
  return new Cancelled(message)
}


