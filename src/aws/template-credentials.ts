// The credentials a template's builders name of their own (inputs/ami-builds.ts TemplateCredentials),
// made the run's: the action's calls after the build then reach the account Packer built in, with
// the keys, the profile or the role Packer used. Loaded only for a run whose builds name them.
import { fromIni, fromTemporaryCredentials } from '@aws-sdk/credential-providers'
import type { AssumedRole, TemplateCredentials } from '../inputs/ami-builds.js'
import { awsRequestHandler } from './bounds.js'
import { ec2Client } from './client.js'
import { useRunCredentials, type CredentialProvider } from './credentials.js'

/**
 * Makes `credentials` the run's (useRunCredentials); `region` places the STS call of a role to
 * assume, and `mask` is given the secrets of the role's credentials before they are used.
 */
export function useTemplateCredentials(credentials: TemplateCredentials, region: string, mask: (secret: string) => void): void {
  const { keys, profile, credentialsFile, assumeRole } = credentials
  const source: CredentialProvider | undefined = keys
    ? async () => keys
    : profile !== undefined || credentialsFile !== undefined
      ? fromIni({ ...(profile === undefined ? {} : { profile }), ...(credentialsFile === undefined ? {} : { filepath: credentialsFile }) })
      : undefined
  useRunCredentials(assumeRole ? assumed(assumeRole, source ?? stepCredentials(region), region, mask) : (source as CredentialProvider))
}

/** The step's credentials: the default chain's provider, as the run's first client makes it (./credentials.ts). */
function stepCredentials(region: string): CredentialProvider {
  const client = ec2Client(region)
  const { credentials } = client.config
  client.destroy()
  return credentials as CredentialProvider
}

/**
 * The credentials of `role`, assumed with `source` (the SDK's STS provider) as Packer assumes it:
 * its session name, else a name of the time, as the AWS SDK for Go gives Packer's session. Kept
 * for every client of the run, and assumed again 5 minutes before they expire; their secrets are
 * given to `mask` before any use.
 */
function assumed(role: AssumedRole, source: CredentialProvider, region: string, mask: (secret: string) => void): CredentialProvider {
  const assume = fromTemporaryCredentials({
    masterCredentials: source,
    params: {
      RoleArn: role.roleArn,
      RoleSessionName: role.sessionName ?? `${Date.now()}000000`,
      ...(role.externalId ? { ExternalId: role.externalId } : {}),
      ...(role.durationSeconds ? { DurationSeconds: role.durationSeconds } : {}),
      ...(role.policy ? { Policy: role.policy } : {})
    },
    clientConfig: { region, requestHandler: awsRequestHandler() }
  })
  let current: Awaited<ReturnType<typeof assume>> | undefined
  return async () => {
    if (current?.expiration === undefined || current.expiration.getTime() - Date.now() <= 5 * 60_000) {
      const given = await assume()
      mask(given.secretAccessKey)
      if (given.sessionToken) mask(given.sessionToken)
      current = given
    }
    return current
  }
}
