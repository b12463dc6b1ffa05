// The run's AWS credentials are resolved once, whatever the number of regions: with a role from
// a credentials endpoint (a container, EKS, an instance profile), each region's client would
// otherwise ask that endpoint, or STS, again. Real SDK clients over real HTTP: the tagging stage
// against the loopback EC2 endpoint, credentials from a loopback container credentials endpoint.
import { afterAll, beforeAll, expect, it } from '@jest/globals'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { SELF_ACCOUNT_ID, startEc2Endpoint, type Ec2Endpoint } from '../test-support/ec2-endpoint/index.js'
import { tagAmis } from '../src/aws/tagging.js'

const regions = ['us-east-1', 'eu-west-1', 'us-west-2', 'ap-southeast-2']
const amiId = 'ami-0c0ffee0c0ffee000'
const saved = { ...process.env }
let endpoint: Ec2Endpoint
let credentialsServer: Server
let credentialRequests = 0
let home: string

beforeAll(async () => {
  endpoint = await startEc2Endpoint({
    regions,
    seedImages: [{ name: 'built', imageId: amiId, ownerId: SELF_ACCOUNT_ID, snapshotId: 'snap-0c0ffee0c0ffee000' }]
  })
  credentialsServer = createServer((_request, response) => {
    credentialRequests++
    response.setHeader('content-type', 'application/json')
    response.end(
      JSON.stringify({
        AccessKeyId: 'ASIACONTAINERROLE',
        SecretAccessKey: 'container-role-secret',
        Token: 'container-role-token',
        Expiration: new Date(Date.now() + 3_600_000).toISOString()
      })
    )
  })
  await new Promise<void>((resolve) => credentialsServer.listen(0, '127.0.0.1', resolve))
  home = mkdtempSync(join(tmpdir(), 'aws-credentials-'))
  for (const name of Object.keys(process.env)) if (name.startsWith('AWS_')) delete process.env[name]
  Object.assign(process.env, {
    HOME: home,
    AWS_CONFIG_FILE: join(home, 'config'),
    AWS_SHARED_CREDENTIALS_FILE: join(home, 'credentials'),
    AWS_ENDPOINT_URL_EC2: endpoint.url,
    AWS_CONTAINER_CREDENTIALS_FULL_URI: `http://127.0.0.1:${(credentialsServer.address() as AddressInfo).port}/role`
  })
})

afterAll(async () => {
  process.env = saved
  await endpoint.close()
  await new Promise((resolve) => credentialsServer.close(resolve))
  rmSync(home, { recursive: true, force: true })
})

it('asks the credentials endpoint once to tag in four regions', async () => {
  const results = await tagAmis({
    amis: regions.map((region) => ({ region, amiId })),
    tags: { Team: 'platform' },
    tagSnapshots: true
  })

  expect(results.map(({ region, tagged, error }) => ({ region, tagged, error }))).toEqual(
    regions.map((region) => ({ region, tagged: true, error: undefined }))
  )
  for (const region of regions) {
    expect(endpoint.callsOf('CreateTags', region).map((call) => call.params['Tag.1.Value'])).toEqual(['platform'])
  }
  expect(credentialRequests).toBe(1)
})
