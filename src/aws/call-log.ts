// One debug line per AWS call, in a re-run with debug logging: which service and operation, in
// which region and at which endpoint, what came back (HTTP status, or the error's code, and the
// request ID AWS support asks for), in how many attempts (the SDK's retries of throttling) and
// how long. Loaded by the first call of a debug run only (./credentials.ts adds the middleware).
//
// Nothing of the request or the answer is read but the counts of a tagging call's resources and
// tags: tag values may be secrets, and headers carry the signature. Of the credentials, only the
// names of the sources the SDK says it took them from (its credential feature tracking, `$source`).
import * as core from '@actions/core'
import type { HandlerExecutionContext, InitializeHandler, InitializeHandlerArguments, InitializeHandlerOutput } from '@smithy/types'

/** What the SDK keeps of a call in its context: the auth scheme chosen (its region, the identity), the endpoint. */
interface CallContext {
  clientName?: string
  commandName?: string
  endpointV2?: { url?: URL }
  __smithy_context?: {
    selectedHttpAuthScheme?: {
      httpAuthOption?: { signingProperties?: { region?: unknown } }
      identity?: { $source?: Record<string, unknown> }
    }
  }
}

interface Metadata {
  httpStatusCode?: number
  requestId?: string
  extendedRequestId?: string
  attempts?: number
}

/** The sources of credentials the SDK names (@aws-sdk/types' feature ids), in the words of its docs. */
const sources: Record<string, string> = {
  CREDENTIALS_CODE: 'given in code',
  CREDENTIALS_ENV_VARS: 'the environment (AWS_ACCESS_KEY_ID)',
  CREDENTIALS_ENV_VARS_STS_WEB_ID_TOKEN: 'the web identity token file the environment names (AWS_WEB_IDENTITY_TOKEN_FILE)',
  CREDENTIALS_STS_ASSUME_ROLE: 'STS AssumeRole',
  CREDENTIALS_STS_ASSUME_ROLE_SAML: 'STS AssumeRoleWithSAML',
  CREDENTIALS_STS_ASSUME_ROLE_WEB_ID: 'STS AssumeRoleWithWebIdentity',
  CREDENTIALS_STS_FEDERATION_TOKEN: 'STS GetFederationToken',
  CREDENTIALS_STS_SESSION_TOKEN: 'STS GetSessionToken',
  CREDENTIALS_PROFILE: 'a profile of the shared config and credentials files',
  CREDENTIALS_PROFILE_SOURCE_PROFILE: "a profile's source_profile",
  CREDENTIALS_PROFILE_NAMED_PROVIDER: "a profile's credential_source",
  CREDENTIALS_PROFILE_STS_WEB_ID_TOKEN: "a profile's web_identity_token_file",
  CREDENTIALS_PROFILE_SSO: "a profile's SSO session",
  CREDENTIALS_SSO: 'IAM Identity Center (SSO)',
  CREDENTIALS_PROFILE_SSO_LEGACY: "a profile's legacy SSO settings",
  CREDENTIALS_SSO_LEGACY: 'IAM Identity Center (SSO, legacy settings)',
  CREDENTIALS_PROFILE_PROCESS: "a profile's credential_process",
  CREDENTIALS_PROCESS: 'a credential process',
  CREDENTIALS_HTTP: 'a container credentials endpoint (AWS_CONTAINER_CREDENTIALS_*)',
  CREDENTIALS_IMDS: "the instance's metadata service (IMDS)",
  CREDENTIALS_PROFILE_LOGIN: "a profile's console login",
  CREDENTIALS_LOGIN: 'a console login'
}

/** The sources last named, so that the log says them once, and again only if they change (a refresh). */
let sourcesNamed = ''

/** Runs the call, then writes its debug line; the call's answer or error passes on as it was. */
export async function logged(
  next: InitializeHandler<object, object>,
  context: HandlerExecutionContext,
  args: InitializeHandlerArguments<object>
): Promise<InitializeHandlerOutput<object>> {
  const started = performance.now()
  try {
    const answer = await next(args)
    const { $metadata } = answer.output as { $metadata?: Metadata }
    write(context, args.input, started, $metadata?.httpStatusCode === undefined ? 'answered' : `HTTP ${$metadata.httpStatusCode}`, $metadata)
    return answer
  } catch (error) {
    const { $metadata } = (error ?? {}) as { $metadata?: Metadata }
    write(context, args.input, started, failure(error, $metadata), $metadata)
    throw error
  }
}

function write(context: HandlerExecutionContext, input: object, started: number, outcome: string, metadata: Metadata | undefined): void {
  const { clientName, commandName, endpointV2, __smithy_context } = context as CallContext
  const service = (clientName ?? 'AWS').replace(/Client$/, '')
  const operation = (commandName ?? 'call').replace(/Command$/, '')
  // The region the call is signed for: an unsigned call (STS's AssumeRoleWithWebIdentity) has
  // none, and its endpoint's host says it.
  const region = __smithy_context?.selectedHttpAuthScheme?.httpAuthOption?.signingProperties?.region
  const where = [typeof region === 'string' ? `in ${region}` : '', endpointV2?.url ? `at ${endpointV2.url.host}` : ''].filter(Boolean).join(' ')
  const parts = [outcome]
  if (metadata?.requestId) parts.push(`request ID ${metadata.requestId}`)
  // An answer without the SDK's retry middleware (or a failure before it) made no count: one try, or none.
  if (metadata?.attempts !== undefined) parts.push(`${metadata.attempts} ${metadata.attempts === 1 ? 'attempt' : 'attempts'}`)
  parts.push(`${Math.round(performance.now() - started)} ms`)
  const counts = countsOf(input)
  if (counts) parts.push(counts)
  nameSources(__smithy_context?.selectedHttpAuthScheme?.identity?.$source)
  core.debug(`AWS ${service} ${operation}${where ? ` ${where}` : ''}: ${parts.join(', ')}`)
}

/** A failure in a word: AWS's error code and HTTP status, or the local error's name and code (ECONNREFUSED, ETIMEDOUT). */
function failure(error: unknown, metadata: Metadata | undefined): string {
  const { name, code, Code } = (error ?? {}) as { name?: unknown; code?: unknown; Code?: unknown }
  const said = [Code, name, code].filter((value): value is string => typeof value === 'string' && value !== '' && value !== 'Error')
  const what = [...new Set(said)].join(' ') || 'failed'
  return metadata?.httpStatusCode === undefined ? what : `${what} (HTTP ${metadata.httpStatusCode})`
}

/** How many resources and tags a tagging call names: never which, nor the tags' values. */
function countsOf(input: object): string | undefined {
  const { Resources, Tags } = input as { Resources?: unknown; Tags?: unknown }
  if (!Array.isArray(Resources)) return undefined
  const resources = `${Resources.length} ${Resources.length === 1 ? 'resource' : 'resources'}`
  return Array.isArray(Tags) ? `${resources}, ${Tags.length} ${Tags.length === 1 ? 'tag' : 'tags'}` : resources
}

function nameSources(source: Record<string, unknown> | undefined): void {
  const named = Object.keys(source ?? {})
    .filter((feature) => feature.startsWith('CREDENTIALS_'))
    .map((feature) => sources[feature] ?? feature)
  if (named.length === 0 || named.join() === sourcesNamed) return
  sourcesNamed = named.join()
  core.debug(`AWS credentials: from ${named.join('; ')}`)
}
