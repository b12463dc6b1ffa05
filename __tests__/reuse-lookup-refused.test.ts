// A look-up for a set to reuse that EC2 refuses: keys it does not take are told apart from the
// failures a build may get past (throttling, a missing permission, a region it has not), since
// Packer's first call would meet the same keys.
import { afterEach, beforeEach, expect, it } from '@jest/globals'
import { EC2Client } from '@aws-sdk/client-ec2'
import { startEc2Endpoint, type Ec2Endpoint } from '../test-support/ec2-endpoint/index.js'
import { loopbackClientConfig } from './support/endpoint-per-test.js'
import { findReusableSet } from '../src/aws/reuse.js'

const fingerprint = 'a'.repeat(64)
let endpoint: Ec2Endpoint

beforeEach(async () => {
  endpoint = await startEc2Endpoint({ regions: ['us-east-1'] })
})
afterEach(async () => {
  await endpoint.close()
})

const lookup = () =>
  findReusableSet({ fingerprint, homeRegion: 'us-east-1', ec2For: (region) => new EC2Client(loopbackClientConfig(endpoint, region)) })

it.each(['unknown-key', 'wrong-secret'] as const)('keys EC2 refuses (%s): failed, with the code of the refusal', async (reason) => {
  endpoint.faults.refuseCredentials({ reason })
  const found = await lookup()
  expect(found).toEqual({ why: expect.stringMatching(/^looking for AMIs to reuse failed: AuthFailure — /), failed: true, refusedCredentials: 'AuthFailure' })
})

it('keys that have expired: failed, and said to be expired', async () => {
  endpoint.faults.expireCredentials()
  const found = await lookup()
  expect(found).toEqual({ why: expect.stringMatching(/^looking for AMIs to reuse failed: RequestExpired/), failed: true, expiredCredentials: true })
})

it.each([
  ['throttled', { code: 'RequestLimitExceeded', status: 503 }],
  ['denied', { code: 'UnauthorizedOperation' }],
  ['signed for a region EC2 has not', { code: 'AuthFailure', status: 401, message: "Credential should be scoped to a valid region, not 'us-east-7'." }]
])('%s: failed, with no refusal of the keys', async (_, fault) => {
  endpoint.faults.fail('DescribeImages', fault)
  const found = await lookup()
  expect(found).toEqual({ why: expect.stringContaining(fault.code), failed: true })
})
