// How long the action may wait for AWS.

/** The tagging stage's bound, in seconds: the step always ends within two minutes of the build. */
export const maxTaggingTimeoutSeconds = 120

/** `tagging-timeout`: whole seconds, 1 to 120 (default 90). */
export function readTaggingTimeout(value: string, problem: (message: string) => void): number {
  const text = value.trim() || '90'
  const seconds = Number(text)
  if (!/^\d+$/.test(text) || seconds < 1 || seconds > maxTaggingTimeoutSeconds) {
    problem(`tagging-timeout: expected whole seconds from 1 to ${maxTaggingTimeoutSeconds}, found "${value.trim()}"`)
    return 90
  }
  return seconds
}
