// The words in which the job tells how a run ended before its end (the runner's cancel, the
// action's own crash, a kill of Packer) and what becomes of what Packer made.
import type { TemporaryResources } from '../packer/machine-readable.js'
import { inTheOutputs } from './runner-files.js'
import { plural } from './texts.js'

/**
 * What ended the run before its end: the runner's cancel, or an error nothing caught, the action's
 * own crash, which stops Packer as a cancel does but must not read as anyone's cancel. `cause`
 * opens the failure's message (which the summary shows under its headline), and `outcome` heads
 * the summary.
 */
export interface RunEnd {
  cause: string
  outcome: 'cancelled' | 'failed'
}

export function cancelledBy(signal: NodeJS.Signals): RunEnd {
  return { cause: `The run was cancelled (${signal})`, outcome: 'cancelled' }
}

export function crashedWith(error: Error): RunEnd {
  return { cause: `The action crashed (${String(error)})`, outcome: 'failed' }
}

/**
 * What ended a run whose Packer outlasted the runner's last signal: the cancel, or, when the
 * action had crashed first (and stopped Packer), the crash, with the cancel that came after it.
 */
export function outlastedBy(signal: NodeJS.Signals, crash: Error | undefined): RunEnd {
  if (crash === undefined) return cancelledBy(signal)
  const crashed = crashedWith(crash)
  return { cause: `${crashed.cause}, and the run was cancelled (${signal})`, outcome: crashed.outcome }
}

/**
 * How a run ended whose Packer `commands`, stopped by the action's crash, had ended when the
 * runner's last signal came, before the run did (`end`: the crash and the cancel after it), as the
 * failure says it. `build` when they
 * were the build: whether on-error is abort, how many AMIs the action has read (they are in the
 * outputs), and how many builds had finished.
 */
export function endedBeforeTheRun(
  end: RunEnd,
  commands: string[],
  build?: { keep: boolean; amis: number; finished: number }
): string {
  const named = commands.map((command) => `packer ${command}`).join(' and ')
  const when = `once ${named} ${commands.length === 1 ? 'was' : 'were'} stopped and had ended, before the run ended`
  if (build === undefined) return `${end.cause} ${when}; nothing was built.`
  const { keep, amis, finished } = build
  const after =
    amis > 0
      ? `Packer made ${plural(amis, 'AMI', ['that is', 'that are'])} ${inTheOutputs()}; ${afterCancel(keep)}`
      : finished > 0
        ? `the post step names the AMIs of the builds that finished${keep ? '; with on-error: abort, what else Packer made is left as it is.' : ', checks that nothing else Packer started is left, and removes what is.'}`
        : afterCancel(keep)
  return `${end.cause} ${when}: ${after}`
}

/**
 * What the failure of a cancelled run adds when the action crashed (`error`) once the Packer the
 * cancel stopped had ended, before the run's end gave that failure; `ended`: whether the run got
 * to its end.
 */
export function crashedOnceCancelledPackerEnded(error: Error, ended: boolean): string {
  return `${crashedWith(error).cause} once Packer had ended, ${ended ? 'before the run did' : 'and the run did not end'}.`
}

/**
 * The failure of a cancelled run as its end gives it (`stopped`: what Packer left), with the
 * action's crash (`crash`) once the Packer the cancel stopped had ended, if one came; given by
 * the run's end, or by the runner's SIGTERM if that comes first.
 */
export function cancelFailure(stopped: string, crash: Error | undefined): string {
  return crash === undefined ? stopped : `${stopped} ${crashedOnceCancelledPackerEnded(crash, true)}`
}

/**
 * The failure of a run that the action's crash (`error`; `first`: it came before any signal, and
 * stopped Packer) kept from its end: the step exits, and the run's own end never said how it
 * ended.
 */
export function notEndedAfterTheCrash(error: Error, first: boolean, keep: boolean): string {
  const { cause } = crashedWith(error)
  return first
    ? `${cause} while Packer ran, and Packer was stopped, but the run did not end once Packer had: ${afterCancel(keep)}`
    : `${cause} after the run was cancelled, and the run did not end once Packer had: ${afterCancel(keep)}`
}

/**
 * What becomes of what a cancelled (or crash-stopped) build's Packer made: left as it is with
 * on-error: abort, else removed by the post step; `unfinished` names the AMIs of builds that had
 * not finished, with whose copies the post step removes them (`that AMI and its`).
 */
export function afterCancel(keep: boolean, unfinished?: string): string {
  if (keep) return 'with on-error: abort, what Packer made is left as it is.'
  return `the post step checks that nothing Packer started is left${unfinished ? `, ${unfinished} copies in other regions included` : ''}, and removes what is.`
}

/** `text` with its first letter a capital, to open a sentence. */
export function capitalized(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1)
}

/** `images`: the AMIs of builds that had not finished. */
export function killedProblem(signal: NodeJS.Signals, keep: boolean, { images, snapshotVolumes, instanceProfiles, roles }: TemporaryResources): string {
  const amis = images.join(', ')
  const snapshots = amis === '' && snapshotVolumes.length > 0 ? `, and deletes the snapshots it began of ${snapshotVolumes.join(', ')}.` : '.'
  const temporary = instanceProfiles.length > 0 || roles.length > 0 ? 'security group, key pair, instance profile and role' : 'security group and key pair'
  return (
    `Packer was killed (${signal}) before it could clean up. ` +
    (keep
      ? `With on-error: abort, its ${amis ? `AMI ${amis}, ` : ''}instance, security group and key pair are left as they are.`
      : `The post step terminates the instance and deletes the temporary ${temporary} that Packer announced` +
        (amis ? `, and deregisters ${amis}, ${images.length > 1 ? "the unfinished builds' AMIs, with their" : "the unfinished build's AMI, with its"} copies and snapshots.` : snapshots))
  )
}
