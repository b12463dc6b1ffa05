// The credentials a template's builders name of their own (inputs/ami-builds.ts TemplateCredentials),
// made the run's: the action's calls after the build then reach the account Packer built in, with
// the keys, the profile or the role Packer used. Loaded only for a run whose builds name them.
import { fromIni } from '@aws-sdk/credential-provider-ini'
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
 * The credentials of `role`, assumed with `source` as Packer assumes it: its session name, else a name of the time, as the AWS SDK for
 * Go gives Packer's session. Refreshed before they expire.
 */
function assumed(role: AssumedRole, source: CredentialProvider, region: string, mask: (secret: string) => void): CredentialProvider {
  let current: { accessKeyId: string; secretAccessKey: string; sessionToken?: string; expiration?: Date } | undefined
  return async () => {
    if (current?.expiration && current.expiration.getTime() - Date.now() > 5 * 60_000) return current
    const { STSClient, AssumeRoleCommand } = await import('@aws-sdk/nested-clients/sts')
    const sts = new STSClient({ region, credentials: source, requestHandler: awsRequestHandler() })
    try {
      const { Credentials: given } = await sts.send(
        new AssumeRoleCommand({
          RoleArn: role.roleArn,
          RoleSessionName: role.sessionName ?? `${Date.now()}000000`,
          ...(role.externalId ? { ExternalId: role.externalId } : {}),
          ...(role.durationSeconds ? { DurationSeconds: role.durationSeconds } : {}),
          ...(role.policy ? { Policy: role.policy } : {})
        })
      )
      if (!given?.AccessKeyId || !given.SecretAccessKey) throw new Error(`STS AssumeRole of ${role.roleArn} gave no credentials`)
      mask(given.SecretAccessKey)
      if (given.SessionToken) mask(given.SessionToken)
      current = { accessKeyId: given.AccessKeyId, secretAccessKey: given.SecretAccessKey, sessionToken: given.SessionToken, expiration: given.Expiration }
      return current
    } finally {
      sts.destroy()
    }
  }
}
