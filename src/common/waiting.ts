// Waiting with a deadline. Work a step stopped waiting for, such as a request to the Actions
// cache that was accepted and never answered, still holds Node's event loop: the step would not
// end when its work is done. A step that gave up on something ends itself, once what it wrote
// has been written.

// On the global object, not in a module variable: dist/index.js and the job's chunks are
// bundled apart, and each holds a copy of this module.
const gaveUp = Symbol.for('packer-ami-action.gave-up-waiting')
const marks = globalThis as { [gaveUp]?: true }

/** Records that the step stopped waiting for work that may never end. */
export function gaveUpWaiting(): void {
  marks[gaveUp] = true
}

/** Ends the process (with process.exitCode) if the step gave up waiting for anything. */
export async function endIfGaveUp(): Promise<void> {
  if (marks[gaveUp]) await endNow()
}

/** Ends the process (with process.exitCode) once what it wrote to stdout has been written. */
export async function endNow(): Promise<void> {
  await new Promise<void>((resolve) => process.stdout.write('', () => resolve()))
  process.exit()
}

/** `work`'s value, or undefined once `ms` have passed without it. */
export async function withinDeadline<T>(work: Promise<T>, ms: number): Promise<{ value: T } | undefined> {
  let timer: NodeJS.Timeout | undefined
  const deadline = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), ms)))
  try {
    return await Promise.race([work.then((value) => ({ value })), deadline])
  } finally {
    clearTimeout(timer)
  }
}

/**
 * What the log says of a command stopped at its deadline of `ms`: "packer validate did not
 * finish within 5 min and was stopped" (or "60 s", "0.3 s").
 */
export function stoppedAtDeadline(command: string, ms: number): string {
  const deadline = ms % 60_000 === 0 ? `${ms / 60_000} min` : `${ms / 1000} s`
  return `${command} did not finish within ${deadline} and was stopped`
}
