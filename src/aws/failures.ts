// AWS errors in the user's words, for the stages after tagging: the error code, the missing
// permission when the call was denied, and the service's own message.
import { errorMessage } from '../common/errors.js'
import { connectionTimeoutMs, requestTimeoutMs } from './bounds.js'

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

/** "Code: message", or the message alone for an error without a code. */
export function awsErrorText(error: unknown): string {
  const code = awsErrorCode(error)
  return code === 'Error' ? errorMessage(error) : `${code}: ${errorMessage(error)}`
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
  if (code === 'TimeoutError') return `${code} — ${unanswered(error, permission)}`
  const headline = isAccessDenied(error) ? `${code} — the credentials lack ${permission}.` : `${code} —`
  return message === '' || message === code ? headline.replace(/ —$/, '.') : `${headline} ${message}`
}

/** "SSM did not answer ssm:PutParameter in time (3 attempts, …)": the SDK's own words name its internals. */
function unanswered(error: unknown, permission: string): string {
  const service = permission.split(':')[0].toUpperCase()
  const attempts = (error as { $metadata?: { attempts?: unknown } }).$metadata?.attempts
  const tries = typeof attempts === 'number' && attempts > 1 ? `${attempts} attempts` : 'one attempt'
  return (
    `${service} did not answer ${permission} in time (${tries}, each given ` +
    `${connectionTimeoutMs / 1000} s to connect and ${requestTimeoutMs / 1000} s to answer).`
  )
}
