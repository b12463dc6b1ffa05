// The run's AWS credentials, resolved once for all of its clients. Each SDK client otherwise
// walks the default credential chain on its own, once per region: with a web identity token
// (AWS_WEB_IDENTITY_TOKEN_FILE, as on EKS), a container or an instance role, that is a call to
// STS or a metadata endpoint per region, where one is enough. The first client's provider,
// which the SDK memoizes and refreshes before the credentials expire, serves every later one.
//
// Every client the action makes comes from here, so here too each is given, in a re-run with
// debug logging, a debug line per call (./call-log.ts, loaded by the first call of such a run).
import { isDebug } from '@actions/core'
import type { EC2Client } from '@aws-sdk/client-ec2'
import type { MiddlewareStack, Pluggable } from '@smithy/types'

export type CredentialProvider = Extract<EC2Client['config']['credentials'], (...args: never[]) => unknown>

let shared: CredentialProvider | undefined

/**
 * Makes `provider` the run's credentials, before any client is made: the templates' own, which
 * Packer builds with (./template-credentials.ts), in place of the default chain's.
 */
export function useRunCredentials(provider: CredentialProvider): void {
  shared = provider
}

/** Logs each call of the stack it is applied to; no more than that, until the first call. */
const callLog: Pluggable<object, object> = {
  applyToStack(stack: MiddlewareStack<object, object>): void {
    stack.add((next, context) => async (args) => (await import('./call-log.js')).logged(next, context, args), {
      // First of all: its time and its outcome are the whole call's, retries and signing included.
      step: 'initialize',
      priority: 'high',
      name: 'packerAmiActionCallLog',
      override: true
    })
  }
}

/**
 * A client made by `make` with the run's credentials, once a client has made them (before that,
 * with none given, so the chain applies); the first client's provider is kept for the others.
 * In a debug re-run, the client's calls are logged, and so are those of the clients the chain
 * makes for the first one (STS, for a web identity or a role to assume): the SDK gives them the
 * `clientPlugins` of the client whose chain it walks.
 */
export function withRunCredentials<Client extends { config: { credentials?: unknown }; middlewareStack: object }>(
  make: (options: { credentials?: CredentialProvider; clientPlugins?: Array<Pluggable<object, object>> }) => Client
): Client {
  const debug = isDebug()
  const client = make(shared ? { credentials: shared } : debug ? { clientPlugins: [callLog] } : {})
  if (debug) callLog.applyToStack(client.middlewareStack as MiddlewareStack<object, object>)
  if (shared === undefined && typeof client.config.credentials === 'function') {
    shared = client.config.credentials as CredentialProvider
  }
  return client
}
