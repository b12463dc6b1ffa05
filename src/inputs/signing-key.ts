// Input packer-signing-key read with OpenPGP, in a module of its own: OpenPGP loads only when
// a workflow gives a key.
import * as openpgp from 'openpgp'

/** The public key of an ASCII-armored key block; throws OpenPGP's reason when it is none. */
export async function readArmoredKey(armored: string): Promise<openpgp.PublicKey> {
  const key = await openpgp.readKey({ armoredKey: armored })
  return key.toPublic()
}
