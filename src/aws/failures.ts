// AWS errors in the user's words, for the stages after tagging: the error code, the missing
// permission when the call was denied, and the service's own message.
import { errorMessage } from '../common/errors.js'

const accessDeniedCodes = new Set(['UnauthorizedOperation', 'AccessDenied', 'AccessDeniedException'])

interface ErrorFields {
  name?: unknown
  message?: unknown
}

/** The error code as AWS documents it (the SDK puts it in `name`). */
export function awsErrorCode(error: unknown): string {
  const { name } = (typeof error === 'object' && error !== null ? error : {}) as ErrorFields
  return typeof name === 'string' && name !== '' && name !== 'Error' ? name : 'Error'
}

export function isAccessDenied(error: unknown): boolean {
  return accessDeniedCodes.has(awsErrorCode(error))
}

/** "UnauthorizedOperation — the credentials lack ec2:CreateLaunchTemplateVersion." and the like. */
export function describeAwsFailure(error: unknown, permission: string): string {
  const code = awsErrorCode(error)
  // The encoded authorization message is long and says nothing until decoded; tagging's
  // messages show how to decode it.
  const message = errorMessage(error).replace(/\s*Encoded authorization failure message:.*$/s, '').trim()
  if (code === 'CredentialsProviderError') {
    return 'no AWS credentials were found. Configure them before this step, for example with aws-actions/configure-aws-credentials.'
  }
  const headline = isAccessDenied(error) ? `${code} — the credentials lack ${permission}.` : `${code} —`
  return message === '' || message === code ? headline.replace(/ —$/, '.') : `${headline} ${message}`
}
