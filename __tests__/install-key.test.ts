// The HashiCorp key pinned in the source must be the one HashiCorp publishes, and usable.
import { describe, expect, it } from '@jest/globals'
import * as openpgp from 'openpgp'
import {
  HASHICORP_SIGNING_KEY,
  HASHICORP_SIGNING_KEY_FINGERPRINT
} from '../src/install/hashicorp-key.js'
import { formatFingerprint, readTrustedKey } from '../src/install/verify.js'

describe('the pinned HashiCorp signing key', () => {
  it('parses and has the fingerprint HashiCorp publishes', async () => {
    const key = await openpgp.readKey({ armoredKey: HASHICORP_SIGNING_KEY })

    expect(key.isPrivate()).toBe(false)
    expect(key.getFingerprint().toUpperCase()).toBe('C874011F0AB405110D02105534365D9472D7468F')
    expect(HASHICORP_SIGNING_KEY_FINGERPRINT).toBe('C874011F0AB405110D02105534365D9472D7468F')
    expect(formatFingerprint(key.getFingerprint())).toBe(
      'C874 011F 0AB4 0511 0D02  1055 3436 5D94 72D7 468F'
    )
  })

  it('is intact: its self-signatures verify and it names HashiCorp Security', async () => {
    const key = await openpgp.readKey({ armoredKey: HASHICORP_SIGNING_KEY })

    await expect(key.verifyPrimaryKey()).resolves.toBeUndefined()
    expect(key.getUserIDs()).toEqual([
      'HashiCorp Security (hashicorp.com/security) <security@hashicorp.com>'
    ])
  })

  it('has a valid signing subkey and expires on 2030-03-01', async () => {
    const key = await openpgp.readKey({ armoredKey: HASHICORP_SIGNING_KEY })

    const signingKey = await key.getSigningKey()
    expect(signingKey.getFingerprint().toUpperCase()).toBe(
      '374EC75B485913604A831CC7C820C6D5CD27AB87'
    )
    const expires = await key.getExpirationTime()
    expect(expires instanceof Date && expires.toISOString().slice(0, 10)).toBe('2030-03-01')
  })

  it('is what installs trust when input packer-signing-key is empty', async () => {
    const trusted = await readTrustedKey(undefined)

    expect(trusted.key.getFingerprint().toUpperCase()).toBe(HASHICORP_SIGNING_KEY_FINGERPRINT)
    expect(trusted.description).toBe("HashiCorp's release signing key")
  })
})
