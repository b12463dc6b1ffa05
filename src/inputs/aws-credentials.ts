// What the step's environment tells of the AWS credentials a build uses, before anything is
// installed: a key without its secret, and, when the credential chain finds none, why that may be
// and what to change. Read here, once; the chain itself is walked by the AWS stage (aws/client.ts).
import { readFileSync } from 'node:fs'
import { isAbsolute, resolve } from 'node:path'
import { isRecord } from '../common/values.js'
import type { AmiBuild, TemplateCredentials } from './ami-builds.js'

type Env = Record<string, string | undefined>

const keyId = 'AWS_ACCESS_KEY_ID'
const secret = 'AWS_SECRET_ACCESS_KEY'

/** Whether the step's environment holds static keys, both of the pair: the SDK and Packer use them without a call. */
export function keysInEnvironment(env: Env): boolean {
  return Boolean(env[keyId]) && Boolean(env[secret])
}

/**
 * The problem of an environment that holds one of the key pair without the other: the AWS SDK and
 * Packer skip such a pair and look for credentials elsewhere, to fail later with words that do
 * not name it. An empty value is not set (a secret a workflow is not given is empty).
 */
export function halfSetKeysProblem(env: Env): string | undefined {
  const [set, unset] = env[keyId] ? [keyId, secret] : [secret, keyId]
  if (!env[set] || env[unset]) return undefined
  return (
    `${set} is set but ${unset} is ${unset in env ? 'empty' : 'not set'}: AWS credentials need both. ` +
    'Set the two together (aws-actions/configure-aws-credentials sets both), or neither, for a profile or an instance role'
  )
}

/**
 * Whether the builds that the template tells of need the step's credentials: it is an Amazon
 * build that names no credentials of its own. Undefined builds (the template not read whole) are
 * left to Packer.
 */
export function buildsNeedStepCredentials(builds: AmiBuild[] | undefined): boolean {
  if (builds === undefined || builds.length === 0) return false
  return builds.some((build) => build.type.startsWith('amazon-')) && !builds.some((build) => build.ownCredentials?.stepFree)
}

/** A pull request from a fork, as the event file of a `pull_request` run tells it. */
export interface ForkPullRequest {
  number?: number
  /** The fork, `owner/name`; undefined when GitHub no longer knows it (a deleted fork). */
  head?: string
  base?: string
}

const pullRequestEvents = new Set(['pull_request', 'pull_request_review', 'pull_request_review_comment'])

/**
 * The pull request from a fork that the run is for, if it is one: GitHub gives a workflow run for
 * such a pull request no secrets (pull_request_target runs get them, and are not counted).
 */
export function forkPullRequest(env: Env): ForkPullRequest | undefined {
  if (!pullRequestEvents.has(env.GITHUB_EVENT_NAME ?? '') || !env.GITHUB_EVENT_PATH) return undefined
  let payload: unknown
  try {
    payload = JSON.parse(readFileSync(env.GITHUB_EVENT_PATH, 'utf8'))
  } catch {
    return undefined
  }
  const pull = isRecord(payload) && isRecord(payload.pull_request) ? payload.pull_request : undefined
  const repoOf = (side: unknown): string | undefined => {
    const repo = isRecord(side) && isRecord(side.repo) ? side.repo : undefined
    return typeof repo?.full_name === 'string' ? repo.full_name : undefined
  }
  if (pull === undefined) return undefined
  const head = repoOf(pull.head)
  const base = repoOf(pull.base)
  if (head !== undefined && head === base) return undefined
  return { ...(typeof pull.number === 'number' ? { number: pull.number } : {}), ...(head ? { head } : {}), ...(base ? { base } : {}) }
}

/**
 * The failure of a build step in which the AWS credential chain found no credentials: where it
 * looked, what in the environment points it the wrong way, and what to change.
 */
export function noCredentialsText(env: Env, fork = forkPullRequest(env)): string {
  const looked =
    `No AWS credentials were found for the build: none in the environment (${keyId} and ${secret}), ` +
    (env.AWS_PROFILE ? `none for the profile "${env.AWS_PROFILE}" that AWS_PROFILE names in the runner's AWS files (~/.aws/config, ~/.aws/credentials), ` : 'no profile, ') +
    'no web identity token (AWS_WEB_IDENTITY_TOKEN_FILE), no container credentials, and ' +
    (/^true$/i.test(env.AWS_EC2_METADATA_DISABLED ?? '') ? 'no instance role (AWS_EC2_METADATA_DISABLED is true). ' : 'no instance role (the instance metadata service gave none). ')
  const why =
    fork === undefined
      ? ''
      : `This run is for pull request ${fork.number === undefined ? '' : `#${fork.number} `}from a fork${fork.head ? ` (${fork.head})` : ''}, ` +
        'and GitHub gives no secrets to workflows run for pull requests from forks: run the build on push or workflow_dispatch, ' +
        'or with command: validate for pull requests from forks (packer validate needs no AWS credentials). '
  const add = env.AWS_PROFILE ? 'Unset AWS_PROFILE or give the runner that profile, or add' : 'Add'
  const change = fork === undefined ? `${add} aws-actions/configure-aws-credentials before this step (a role to assume with OIDC, or keys from secrets). ` : ''
  return `${looked}${why}${change}Nothing was installed or built.`
}

/**
 * The credentials the action's own AWS calls (the look-up for a set to reuse, the tagging, and
 * what follows it) are made with, so that they reach the account Packer built in: the step's,
 * unless every build of the run gives its builder credentials of its own that the template tells
 * with this run's values (`use`), the same for all. Where that is not known for sure (`unsure`),
 * the calls keep the step's, and why is said of the first build it concerns.
 */
export type RunCredentials = { use?: TemplateCredentials; unsure?: { build: AmiBuild; why: string } }

/**
 * RunCredentials of the builds the run runs that make AMIs (amiBuildsOfRun), in this environment,
 * Packer running in `workingDirectory`.
 */
export function runCredentialsOf(builds: AmiBuild[], env: Env, workingDirectory: string): RunCredentials {
  if (!builds.some((build) => build.ownCredentials)) return {}
  const used = builds.map((build) => ({ build, ...credentialsOfBuild(build, env, workingDirectory) }))
  const unsure = used.find((each) => each.why !== undefined)
  if (unsure) return { unsure: { build: unsure.build, why: unsure.why as string } }
  const distinct = new Set(used.map(({ credentials }) => JSON.stringify(credentials ?? null)))
  if (distinct.size > 1) {
    const own = used.find(({ credentials }) => credentials !== undefined) as (typeof used)[number]
    return { unsure: { build: own.build, why: 'the builds of this run do not all use the same credentials, and the action makes its calls with one set' } }
  }
  return used[0].credentials === undefined ? {} : { use: used[0].credentials }
}

/**
 * The credentials Packer builds `build` with, as its AWS access config takes them (Packer 1.6.6,
 * aws-sdk-go-base): the builder's keys, else the step's keys from the environment, else the
 * profile of the shared files; then the builder's role, assumed with those. Undefined
 * `credentials`: the step's. A `why` where the template does not tell them for sure.
 */
function credentialsOfBuild(build: AmiBuild, env: Env, workingDirectory: string): { credentials?: TemplateCredentials; why?: string } {
  if (!build.ownCredentials) return {}
  const given = build.ownCredentials.given
  if (given === undefined) {
    return { why: 'its builder\'s credentials are only known to Packer (a value the action cannot work out before the build, vault_aws_engine, mfa_code, or an assume_role setting it does not pass on)' }
  }
  const { keys, profile, credentialsFile, assumeRole } = given
  const fromFiles = keys === undefined && (profile !== undefined || credentialsFile !== undefined)
  if (fromFiles && keysInEnvironment(env)) {
    return {
      why:
        `its builder names ${profile === undefined ? 'a shared_credentials_file' : `the profile "${profile}"`} while the step has ${keyId} and ${secret}: ` +
        'Packer 1.6.6 builds with the step\'s keys, later versions of the Amazon plugin with the profile'
    }
  }
  // Packer opens a relative shared_credentials_file from the directory it runs in, working-directory,
  // and a `~/` one in the home directory, as the SDK does; the action runs in the workspace.
  const file = credentialsFile === undefined || isAbsolute(credentialsFile) || credentialsFile.startsWith('~/') ? credentialsFile : resolve(workingDirectory, credentialsFile)
  const source = keys ? { keys } : fromFiles ? { ...(profile ? { profile } : {}), ...(file ? { credentialsFile: file } : {}) } : {}
  const credentials = { ...source, ...(assumeRole ? { assumeRole } : {}) }
  return Object.keys(credentials).length === 0 ? {} : { credentials }
}

/** The warning of a run whose builds' credentials the action cannot follow (RunCredentials.unsure). */
export function stepCredentialsText({ build, why }: NonNullable<RunCredentials['unsure']>): string {
  const named = build.name === undefined ? ` (builder ${build.type})` : ` ${build.name}`
  return (
    `The action makes its own AWS calls (the tagging, and the look-ups and clean-up around it) with the step's credentials, not with build${named}'s: ${why}. ` +
    'Where Packer builds in another account, those calls do not find its AMIs (InvalidAMIID.NotFound) or are refused. ' +
    'Give the step the credentials the build uses instead (aws-actions/configure-aws-credentials with role-to-assume for the role of assume_role), ' +
    'and drop them from the builder, or write them in the builder with values the action can read (literal, or from the variables input).'
  )
}
