// The credentials the main step made the run's (inputs/aws-credentials.ts RunCredentials), left
// for the post step: its clean-up after a cancelled or killed build then reaches the account
// Packer built in, with the keys, the profile or the role Packer used. Kept apart from the
// leftovers (./leftovers.ts) so that those hold nothing secret, and light, so that the post
// step loads the SDK's providers only when it has AWS work to do.
//
// The runner keeps a step's state in a file of its own on the runner and hands it to the post
// step as STATE_ variables, never in the log; a debug run's "Save intra-action state" line goes
// through the runner's masker, and the main step registers the secrets before it saves them.
import type { AssumedRole, TemplateCredentials } from '../inputs/ami-builds.js'

/** The name under which the main step saves SavedCredentials for the post step. */
export const RUN_CREDENTIALS_STATE = 'run-credentials'

export interface SavedCredentials {
  credentials: TemplateCredentials
  /** Where the STS call of a role to assume goes, as in the main step. */
  region: string
}

/** Parses the saved state; undefined for an empty or foreign value (the post step then uses the step's credentials). */
export function parseSavedCredentials(text: string): SavedCredentials | undefined {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return undefined
  }
  if (!isRecord(value) || !isRecord(value.credentials) || !isText(value.region)) return undefined
  const { keys, profile, credentialsFile, assumeRole } = value.credentials
  const credentials: TemplateCredentials = {
    ...(isRecord(keys) && isText(keys.accessKeyId) && isText(keys.secretAccessKey)
      ? { keys: { accessKeyId: keys.accessKeyId, secretAccessKey: keys.secretAccessKey, ...(isText(keys.sessionToken) ? { sessionToken: keys.sessionToken } : {}) } }
      : {}),
    ...(isText(profile) ? { profile } : {}),
    ...(isText(credentialsFile) ? { credentialsFile } : {}),
    ...(isRecord(assumeRole) && isText(assumeRole.roleArn) ? { assumeRole: assumedRole(assumeRole) } : {})
  }
  return Object.keys(credentials).length === 0 ? undefined : { credentials, region: value.region }
}

/** The secrets of saved credentials, which the post step registers before anything else. */
export function secretsOf({ credentials }: SavedCredentials): string[] {
  return [credentials.keys?.secretAccessKey, credentials.keys?.sessionToken].filter(isText)
}

function assumedRole(role: Record<string, unknown>): AssumedRole {
  const { roleArn, sessionName, externalId, durationSeconds, policy } = role
  return {
    roleArn: roleArn as string,
    ...(isText(sessionName) ? { sessionName } : {}),
    ...(isText(externalId) ? { externalId } : {}),
    ...(Number.isSafeInteger(durationSeconds) ? { durationSeconds: durationSeconds as number } : {}),
    ...(isText(policy) ? { policy } : {})
  }
}

// Not common/values.ts's: that module shares a chunk of the bundle with the job's, which the post step must not load.
function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function isText(value: unknown): value is string {
  return typeof value === 'string' && value !== ''
}
