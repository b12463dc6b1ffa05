// Inputs that say which Packer to run and how: command, on-error, force, packer-version,
// packer-releases-url, packer-signing-key, plugins, github-token and cache. Each is checked
// here, once, and handed on as a typed value the installer and the plugin stage trust.
import type { PublicKey } from 'openpgp'
import { errorMessage } from '../common/errors.js'
import { readGithubToken } from './checks.js'
import { parsePluginRequirements, type PluginRequirement } from './plugins.js'
import type { InputReader } from './reader.js'
import { asksForLatest, readPlainVersion, tooOld, type VersionRequest } from './version-request.js'

export type Command = 'build' | 'validate'
export type OnError = 'cleanup' | 'abort' | 'run-cleanup-provisioner'

/** A key trusted to sign Packer's SHA256SUMS. */
export interface SigningKey {
  key: PublicKey
  /** How messages refer to the key, e.g. "the key in input packer-signing-key" */
  description: string
}

/** The user and password written into packer-releases-url, decoded from the URL's percent-encoding. */
export interface MirrorCredentials {
  user: string
  /** Empty when a user (a token) is given alone */
  password: string
}

export interface PackerInputs {
  command: Command
  onError: OnError
  force: boolean
  packerVersion: VersionRequest
  /** http(s) URL without a trailing slash, as written: messages name it, and the runner masks its password. */
  packerReleasesUrl: string
  /** The credentials written into packer-releases-url, sent to the mirror as HTTP basic auth */
  packerReleasesCredentials?: MirrorCredentials
  /** The key in packer-signing-key; HashiCorp's pinned key when undefined. */
  packerSigningKey?: SigningKey
  plugins: PluginRequirement[]
  githubToken: string
  cache: boolean
}

const commands = ['build', 'validate'] as const
const onErrorModes = ['cleanup', 'abort', 'run-cleanup-provisioner'] as const
export const defaultReleasesUrl = 'https://releases.hashicorp.com'
const armorHeader = '-----BEGIN PGP PUBLIC KEY BLOCK-----'

export async function readPackerInputs(reader: InputReader): Promise<PackerInputs> {
  const command = reader.oneOf('command', commands, 'build')
  const onError = reader.oneOf('on-error', onErrorModes, 'cleanup')
  const packerVersion = await readVersionRequest(reader)
  const { url: packerReleasesUrl, credentials: packerReleasesCredentials } = readReleasesUrl(reader)
  const packerSigningKey = await readSigningKey(reader)
  let plugins: PluginRequirement[] = []
  try {
    plugins = parsePluginRequirements(reader.lines('plugins'))
  } catch (error) {
    reader.problem(errorMessage(error))
  }
  return {
    command,
    onError,
    packerVersion,
    packerReleasesUrl,
    packerReleasesCredentials,
    packerSigningKey,
    plugins,
    githubToken: readGithubToken(reader.raw('github-token'), (message) => reader.problem(message)),
    cache: reader.boolean('cache', true),
    force: reader.boolean('force', false)
  }
}

/**
 * semver loads only for an input that asks for more than latest, the default, or a plain version
 * such as 1.11.2: its checks are a file of their own (dist/stages/packer-version.js).
 */
async function readVersionRequest(reader: InputReader): Promise<VersionRequest> {
  const input = reader.text('packer-version', 'latest')
  if (asksForLatest(input)) return { kind: 'latest' }
  const plain = readPlainVersion(input)
  if (plain) {
    if (plain.tooOld) reader.problem(tooOld(input))
    return { kind: 'exact', version: plain.version }
  }
  const { parseVersionRequest, packerVersionProblem } = await import('./packer-version.js')
  const request = parseVersionRequest(input)
  if (!request) {
    reader.problem(`packer-version: expected latest, a version such as 1.11.2 or a range such as ~1.11, found "${input}"`)
    return { kind: 'latest' }
  }
  const problem = packerVersionProblem(request, input)
  if (problem) reader.problem(problem)
  return request
}

function readReleasesUrl(reader: InputReader): { url: string; credentials?: MirrorCredentials } {
  const input = reader.text('packer-releases-url', defaultReleasesUrl)
  let parsed: URL | undefined
  try {
    parsed = new URL(input)
  } catch {
    // Reported below, like a URL of another scheme.
  }
  if (parsed?.protocol !== 'https:' && parsed?.protocol !== 'http:') {
    reader.problem(`packer-releases-url: expected an http(s) URL, found "${input}"`)
    return { url: defaultReleasesUrl }
  }
  const url = input.replace(/\/+$/, '')
  if (parsed.username === '' && parsed.password === '') return { url }
  // As curl and Go read a URL's user and password: percent-decoded, so a password holding
  // `@`, `:` or `/` can be written (%40, %3A, %2F).
  try {
    return { url, credentials: { user: decodeURIComponent(parsed.username), password: decodeURIComponent(parsed.password) } }
  } catch {
    reader.problem(
      'packer-releases-url: the user and password in the URL are not percent-encoded as a URL needs ' +
        '(a % must be followed by two hex digits; write % itself as %25)'
    )
    return { url }
  }
}

/**
 * The credentials written into packer-releases-url (`https://user:password@mirror`), as written
 * and decoded: the password, or the user when there is none (a token given as the user). Every
 * message about the release index or a download names the URL, as does a problem with it: one
 * written without its scheme (`user:password@mirror`) too, which the problem quotes whole, and
 * which Go (Packer) takes for an http:// proxy in HTTPS_PROXY.
 */
export function releasesUrlSecrets(input: string): string[] {
  const userinfo = /^(?:[^:/?#@]*:\/\/)?([^/?#]*)@/.exec(input.trim())?.[1] ?? ''
  const colon = userinfo.indexOf(':')
  const secret = colon < 0 ? userinfo : userinfo.slice(colon + 1)
  if (secret === '') return []
  let decoded = secret
  try {
    decoded = decodeURIComponent(secret)
  } catch {
    // Not percent-encoded as a URL would be: only as written, then.
  }
  return [...new Set([secret, decoded])]
}

/** OpenPGP is loaded only when a key is given: most runs trust HashiCorp's pinned key. */
async function readSigningKey(reader: InputReader): Promise<SigningKey | undefined> {
  const armored = reader.text('packer-signing-key')
  if (armored === '') return undefined
  const expected = `packer-signing-key: expected an ASCII-armored PGP public key (${armorHeader})`
  if (!armored.includes(armorHeader)) {
    reader.problem(expected)
    return undefined
  }
  try {
    const { readArmoredKey } = await import('./signing-key.js')
    return { key: await readArmoredKey(armored), description: 'the key in input packer-signing-key' }
  } catch (error) {
    reader.problem(`${expected}, but it could not be read: ${errorMessage(error)}`)
    return undefined
  }
}
