// The run's AWS credentials, resolved once for all of its clients. Each SDK client otherwise
// walks the default credential chain on its own, once per region: with a web identity token
// (AWS_WEB_IDENTITY_TOKEN_FILE, as on EKS), a container or an instance role, that is a call to
// STS or a metadata endpoint per region, where one is enough. The first client's provider,
// which the SDK memoizes and refreshes before the credentials expire, serves every later one.
import type { EC2Client } from '@aws-sdk/client-ec2'

type CredentialProvider = Extract<EC2Client['config']['credentials'], (...args: never[]) => unknown>

let shared: CredentialProvider | undefined

/**
 * A client made by `make` with the run's credentials, once a client has made them (before that,
 * with none given, so the chain applies); the first client's provider is kept for the others.
 */
export function withRunCredentials<Client extends { config: { credentials?: unknown } }>(
  make: (options: { credentials?: CredentialProvider }) => Client
): Client {
  const client = make(shared ? { credentials: shared } : {})
  if (shared === undefined && typeof client.config.credentials === 'function') {
    shared = client.config.credentials as CredentialProvider
  }
  return client
}
