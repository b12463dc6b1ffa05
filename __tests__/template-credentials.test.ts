// A template's assume_role, followed by the action's calls: the role is assumed through STS with
// the step's credentials, as Packer assumes it, and the EC2 calls are signed with the role's. The
// real Packer 1.6.6 cannot be run with one here: it sends its AssumeRole to STS's own address,
// whatever the template's custom_endpoint_ec2, so an STS stand-in answers the action alone.
import { afterAll, beforeAll, expect, it } from '@jest/globals'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { DescribeImagesCommand } from '@aws-sdk/client-ec2'
import { startEc2Endpoint, type Ec2Endpoint } from '../test-support/ec2-endpoint/index.js'
import { useTemplateCredentials } from '../src/aws/template-credentials.js'
import { ec2Client } from '../src/aws/client.js'

let endpoint: Ec2Endpoint
let sts: Server
const asked: Array<{ params: Record<string, string>; signedWith: string }> = []
const saved = { ...process.env }

beforeAll(async () => {
  endpoint = await startEc2Endpoint({ regions: ['us-east-1'] })
  sts = createServer((request, response) => {
    let body = ''
    request.on('data', (chunk: Buffer) => (body += chunk.toString()))
    request.on('end', () => {
      const signedWith = /Credential=([^/]+)\//.exec(request.headers.authorization ?? '')?.[1] ?? ''
      asked.push({ params: Object.fromEntries(new URLSearchParams(body)), signedWith })
      const expiration = new Date(Date.now() + 3600_000).toISOString()
      response.setHeader('Content-Type', 'text/xml')
      response.end(
        '<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult><Credentials>' +
          `<AccessKeyId>ASIAIMAGESROLE</AccessKeyId><SecretAccessKey>role-secret</SecretAccessKey><SessionToken>role-token</SessionToken><Expiration>${expiration}</Expiration>` +
          '</Credentials><AssumedRoleUser><Arn>arn:aws:sts::222222222222:assumed-role/images/s</Arn><AssumedRoleId>AROA:s</AssumedRoleId></AssumedRoleUser></AssumeRoleResult></AssumeRoleResponse>'
      )
    })
  })
  await new Promise<void>((resolve) => sts.listen(0, '127.0.0.1', resolve))
  Object.assign(process.env, {
    AWS_ACCESS_KEY_ID: 'AKIDSTEP',
    AWS_SECRET_ACCESS_KEY: 'step-secret',
    AWS_ENDPOINT_URL_EC2: endpoint.url,
    AWS_ENDPOINT_URL_STS: `http://127.0.0.1:${(sts.address() as AddressInfo).port}`
  })
})

afterAll(async () => {
  process.env = saved
  await endpoint.close()
  await new Promise((resolve) => sts.close(resolve))
})

it("assumes the template's role with the step's credentials, and signs the EC2 calls with the role's", async () => {
  const masked: string[] = []
  const role = { roleArn: 'arn:aws:iam::222222222222:role/images', sessionName: 'ci-images', externalId: 'images-x' }
  useTemplateCredentials({ assumeRole: role }, 'us-east-1', (secret) => masked.push(secret))
  await ec2Client('us-east-1').send(new DescribeImagesCommand({ Owners: ['self'] }))
  await ec2Client('us-east-1').send(new DescribeImagesCommand({ Owners: ['self'] }))
  expect(asked).toEqual([
    { signedWith: 'AKIDSTEP', params: expect.objectContaining({ Action: 'AssumeRole', RoleArn: role.roleArn, RoleSessionName: 'ci-images', ExternalId: 'images-x' }) }
  ])
  expect(endpoint.calls.map((call) => call.accessKeyId)).toEqual(['ASIAIMAGESROLE', 'ASIAIMAGESROLE'])
  expect(masked).toEqual(['role-secret', 'role-token'])
})
