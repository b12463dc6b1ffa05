// The fingerprint with the source AMIs that builds' source_ami_filter pick now (withSourceAmis):
// a template without a filter keeps the fingerprint earlier versions computed, and one with a
// filter gets a new one whenever the AMI it picks changes. The bundled action's runs are in
// e2e-reuse-source-filter.test.ts.
import { describe, expect, it } from '@jest/globals'
import { withSourceAmis } from '../src/inputs/fingerprint.js'

const fingerprint = 'a'.repeat(64)
const picked = { build: 'amazon-ebs.demo', region: 'us-east-1', amiId: 'ami-0123456789abcdef0' }

describe('withSourceAmis', () => {
  it('leaves the fingerprint as it is where no build picks its source AMI with a filter', () => {
    expect(withSourceAmis(fingerprint, [])).toBe(fingerprint)
  })

  it('changes it with the AMI a build picks, its region or build, and not with the order the builds are looked up in', () => {
    const other = { build: 'amazon-ebs.arm', region: 'eu-west-1', amiId: 'ami-0fedcba9876543210' }
    const folded = withSourceAmis(fingerprint, [picked, other])
    expect(folded).toMatch(/^[0-9a-f]{64}$/)
    expect(folded).not.toBe(fingerprint)
    expect(withSourceAmis(fingerprint, [other, picked])).toBe(folded)
    expect(withSourceAmis(fingerprint, [{ ...picked, amiId: 'ami-0aaaaaaaaaaaaaaaa' }, other])).not.toBe(folded)
    expect(withSourceAmis(fingerprint, [{ ...picked, region: 'us-west-2' }, other])).not.toBe(folded)
    expect(withSourceAmis('b'.repeat(64), [picked, other])).not.toBe(folded)
  })
})
