// In a re-run with debug logging, each AWS call of the action has a debug line, those of the
// credential chain too: with a web identity token (AWS_WEB_IDENTITY_TOKEN_FILE, as on EKS or with
// an OIDC role), STS's AssumeRoleWithWebIdentity, made by the client the SDK makes for the chain.
// Real SDK clients over real HTTP: the tagging stage against the loopback EC2 endpoint, STS
// answered by a loopback server of its own.
import { afterAll, beforeAll, expect, it, jest } from '@jest/globals'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { SELF_ACCOUNT_ID, startEc2Endpoint, type Ec2Endpoint } from '../test-support/ec2-endpoint/index.js'
import { tagAmis } from '../src/aws/tagging.js'

const amiId = 'ami-0c0ffee0c0ffee001'
const webIdentityToken = 'eyJ-web-identity-token-7d1e'
const secrets = [webIdentityToken, 'ASIAWEBIDENTITY7D1E', 'web-identity-secret-7d1e', 'web-identity-session-7d1e', 'Signature=']
const saved = { ...process.env }
let endpoint: Ec2Endpoint
let sts: Server
const stsActions: string[] = []
let home: string

beforeAll(async () => {
  endpoint = await startEc2Endpoint({
    regions: ['us-east-1', 'eu-west-1'],
    seedImages: [{ name: 'built', imageId: amiId, ownerId: SELF_ACCOUNT_ID, snapshotId: 'snap-0c0ffee0c0ffee001' }]
  })
  sts = createServer((request, response) => {
    let body = ''
    request.on('data', (chunk: Buffer) => (body += chunk.toString()))
    request.on('end', () => {
      stsActions.push(new URLSearchParams(body).get('Action') ?? '')
      response.setHeader('content-type', 'text/xml')
      response.setHeader('x-amzn-requestid', 'sts-request-7d1e')
      response.end(
        '<AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleWithWebIdentityResult>' +
          `<Credentials><AccessKeyId>${secrets[1]}</AccessKeyId><SecretAccessKey>${secrets[2]}</SecretAccessKey><SessionToken>${secrets[3]}</SessionToken>` +
          `<Expiration>${new Date(Date.now() + 3_600_000).toISOString()}</Expiration></Credentials>` +
          '<AssumedRoleUser><Arn>arn:aws:sts::123456789012:assumed-role/packer-build/run</Arn><AssumedRoleId>AROAEXAMPLE:run</AssumedRoleId></AssumedRoleUser>' +
          '</AssumeRoleWithWebIdentityResult><ResponseMetadata><RequestId>sts-request-7d1e</RequestId></ResponseMetadata></AssumeRoleWithWebIdentityResponse>'
      )
    })
  })
  await new Promise<void>((resolve) => sts.listen(0, '127.0.0.1', resolve))
  home = mkdtempSync(join(tmpdir(), 'aws-call-log-'))
  writeFileSync(join(home, 'token'), webIdentityToken)
  for (const name of Object.keys(process.env)) if (name.startsWith('AWS_')) delete process.env[name]
  Object.assign(process.env, {
    HOME: home,
    RUNNER_DEBUG: '1',
    AWS_CONFIG_FILE: join(home, 'config'),
    AWS_SHARED_CREDENTIALS_FILE: join(home, 'credentials'),
    AWS_REGION: 'us-east-1',
    AWS_ENDPOINT_URL_EC2: endpoint.url,
    AWS_ENDPOINT_URL_STS: `http://127.0.0.1:${(sts.address() as AddressInfo).port}`,
    AWS_WEB_IDENTITY_TOKEN_FILE: join(home, 'token'),
    AWS_ROLE_ARN: 'arn:aws:iam::123456789012:role/packer-build'
  })
})

afterAll(async () => {
  process.env = saved
  await endpoint.close()
  await new Promise((resolve) => sts.close(resolve))
  rmSync(home, { recursive: true, force: true })
})

it("names the credential chain's STS call, the source it took, and each EC2 call; no token, key or signature", async () => {
  const written: string[] = []
  const write = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    written.push(String(chunk))
    return true
  })
  try {
    const results = await tagAmis({ amis: ['us-east-1', 'eu-west-1'].map((region) => ({ region, amiId })), tags: { Team: 'platform' }, tagSnapshots: true })
    expect(results.map(({ tagged }) => tagged)).toEqual([true, true])
  } finally {
    write.mockRestore()
  }
  const log = written.join('')
  const debug = log.split('\n').flatMap((line) => (line.startsWith('::debug::') ? [line.slice('::debug::'.length)] : []))
  expect(stsActions).toEqual(['AssumeRoleWithWebIdentity'])
  const stsHost = new URL(process.env.AWS_ENDPOINT_URL_STS as string).host
  // Unsigned (the token is the proof), so no region of its own but its endpoint's.
  expect(debug).toContainEqual(expect.stringMatching(new RegExp(`^AWS STS AssumeRoleWithWebIdentity at ${stsHost}: HTTP 200, request ID sts-request-7d1e, 1 attempt, \\d+ ms$`)))
  expect(debug.filter((line) => line.startsWith('AWS credentials: '))).toEqual([
    'AWS credentials: from STS AssumeRoleWithWebIdentity; the web identity token file the environment names (AWS_WEB_IDENTITY_TOKEN_FILE)'
  ])
  for (const region of ['us-east-1', 'eu-west-1']) {
    expect(debug).toContainEqual(expect.stringMatching(new RegExp(`^AWS EC2 CreateTags in ${region} at \\S+: HTTP 200, request ID \\S+, 1 attempt, \\d+ ms, 2 resources, 1 tag$`)))
  }
  for (const secret of secrets) expect(log).not.toContain(secret)
  expect(log).not.toContain('platform')
})
