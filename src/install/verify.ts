import * as openpgp from 'openpgp'
import type { SigningKey } from '../inputs/packer.js'
import { HASHICORP_SIGNING_KEY, HASHICORP_SIGNING_KEY_FINGERPRINT } from './hashicorp-key.js'
import { errorMessage } from '../common/errors.js'

/** The key SHA256SUMS signatures must come from. */
export type TrustedKey = SigningKey

/** `C874 011F 0AB4 0511 0D02  1055 3436 5D94 72D7 468F`, the way gpg and HashiCorp print it */
export function formatFingerprint(fingerprint: string): string {
  const groups = fingerprint.toUpperCase().match(/.{1,4}/g) ?? []
  const half = Math.ceil(groups.length / 2)
  return `${groups.slice(0, half).join(' ')}  ${groups.slice(half).join(' ')}`.trim()
}

/**
 * The key release signatures must come from: the one in input `packer-signing-key` when given
 * (read and checked with the inputs), else HashiCorp's pinned key.
 */
export async function readTrustedKey(signingKey?: SigningKey): Promise<TrustedKey> {
  if (signingKey) return signingKey
  const key = await openpgp.readKey({ armoredKey: HASHICORP_SIGNING_KEY })
  if (key.getFingerprint().toUpperCase() !== HASHICORP_SIGNING_KEY_FINGERPRINT) {
    throw new Error('The pinned HashiCorp signing key does not have its published fingerprint')
  }
  return { key: key.toPublic(), description: "HashiCorp's release signing key" }
}

/** The IDs of the key and of its subkeys, primary first, as 16 upper-case hex digits. */
export function keyIdsOf(trusted: TrustedKey): string[] {
  return trusted.key.getKeyIDs().map((id) => id.toHex().toUpperCase())
}

async function readSignature(bytes: Uint8Array, signatureName: string) {
  const text = Buffer.from(bytes).toString('latin1')
  try {
    return text.trimStart().startsWith('-----BEGIN PGP SIGNATURE-----')
      ? await openpgp.readSignature({ armoredSignature: text })
      : await openpgp.readSignature({ binarySignature: bytes })
  } catch (error) {
    throw new Error(
      `${signatureName} is not an OpenPGP signature (${errorMessage(error)}); ` +
        'expected a detached signature of the SHA256SUMS file',
      { cause: error }
    )
  }
}

/**
 * Checks that `signature` is a valid detached signature of `data` made by the trusted key (or
 * one of its subkeys). Throws with a message naming the signature file otherwise.
 */
export async function verifyDetachedSignature(args: {
  data: Uint8Array
  dataName: string
  signature: Uint8Array
  signatureName: string
  trusted: TrustedKey
}): Promise<void> {
  const { data, dataName, signatureName, trusted } = args
  const trustedFingerprint = formatFingerprint(trusted.key.getFingerprint())
  const signature = await readSignature(args.signature, signatureName)
  const message = await openpgp.createMessage({ binary: data })
  const result = await openpgp.verify({
    message,
    signature,
    verificationKeys: trusted.key,
    format: 'binary',
    // HashiCorp renews its key's expiry now and then, and the key it publishes carries only the
    // renewed self-signatures (HashiCorp's pinned one: of 2026-02-18), made after every release
    // signed before them. Checked as at each signature's date, such a key had no valid
    // self-signature yet, and every earlier release would be refused. The key must be valid now.
    config: { allowInsecureVerificationWithReformattedKeys: true }
  })
  // verify() resolves even for bad signatures; the verdict is each `verified` promise, and one
  // left unobserved would surface as an unhandled rejection.
  for (const entry of result.signatures) {
    entry.verified.catch(() => undefined)
    entry.signature.catch(() => undefined)
  }
  const trustedIds = new Set(trusted.key.getKeyIDs().map((id) => id.toHex()))
  const byTrustedKey = result.signatures.filter((entry) => trustedIds.has(entry.keyID.toHex()))
  if (byTrustedKey.length === 0) {
    const found = result.signatures.map((entry) => entry.keyID.toHex().toUpperCase())
    const signers = found.length === 0 ? 'no key' : `key ${found.join(', ')}`
    throw new Error(
      `${signatureName} is signed by ${signers}, not by ${trusted.description} ` +
        `(${trustedFingerprint}). Refusing to install Packer from files nobody trusted signed.`
    )
  }
  let failure: unknown
  for (const entry of byTrustedKey) {
    try {
      if ((await entry.verified) === true) return
    } catch (error) {
      failure = error
    }
  }
  throw new Error(
    `${signatureName} does not match ${dataName}: the signature by ${trusted.description} ` +
      `(${trustedFingerprint}) is invalid (${errorMessage(failure)}). One of the two files was ` +
      'changed after signing.'
  )
}

/** The SHA-256 the sums file lists for `fileName` (lines of `<sha256>  <file name>`). */
export function expectedSha256(sums: string, sumsName: string, fileName: string): string {
  for (const line of sums.split(/\r?\n/)) {
    const match = /^([0-9a-fA-F]{64})\s+\*?(.+?)\s*$/.exec(line)
    if (match && match[2] === fileName) return match[1].toLowerCase()
  }
  throw new Error(
    `${sumsName} has no SHA-256 line for ${fileName}; expected "<sha256>  ${fileName}"`
  )
}
