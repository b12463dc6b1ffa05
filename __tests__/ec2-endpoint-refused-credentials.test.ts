// The loopback endpoint's refusal of keys a service does not take, as each AWS service words it:
// what the action's and Packer's words about refused credentials are tested against.
import { describe, expect, it } from '@jest/globals'
import { DescribeImagesCommand } from '@aws-sdk/client-ec2'
import { GetRoleCommand } from '@aws-sdk/client-iam'
import { GetParameterCommand } from '@aws-sdk/client-ssm'
import { endpointPerTest } from './support/endpoint-per-test.js'

const codeOf = (call: Promise<unknown>) => call.then(() => 'answered', (error: { name?: string; $metadata?: { httpStatusCode?: number } }) => `${error.name} ${error.$metadata?.httpStatusCode}`)

describe('the loopback endpoint refusing the keys', () => {
  const loopback = endpointPerTest()

  it.each([
    ['unknown-key', ['AuthFailure 401', 'InvalidClientTokenId 403', 'UnrecognizedClientException 400']],
    ['wrong-secret', ['AuthFailure 401', 'SignatureDoesNotMatch 403', 'InvalidSignatureException 400']]
  ] as const)('%s: EC2, IAM and SSM each answer with their own code', async (reason, codes) => {
    await loopback.start({ regions: ['us-east-1'] })
    loopback.endpoint.faults.refuseCredentials({ reason })
    const [ec2, iam, ssm] = [loopback.ec2(undefined, { maxAttempts: 1 }), loopback.iam(), loopback.ssm()]
    const answers = await Promise.all([
      codeOf(ec2.send(new DescribeImagesCommand({ Owners: ['self'] }))),
      codeOf(iam.send(new GetRoleCommand({ RoleName: 'builder' }))),
      codeOf(ssm.send(new GetParameterCommand({ Name: '/images/web' })))
    ])
    for (const client of [ec2, iam, ssm]) client.destroy()
    expect(answers).toEqual(codes)
  })

  it('only the services named refuse; clear() takes the keys again', async () => {
    await loopback.start({ regions: ['us-east-1'] })
    loopback.endpoint.faults.refuseCredentials({ reason: 'unknown-key', services: ['iam'] })
    const ec2 = loopback.ec2(undefined, { maxAttempts: 1 })
    const iam = loopback.iam()
    expect(await codeOf(ec2.send(new DescribeImagesCommand({ Owners: ['self'] })))).toBe('answered')
    expect(await codeOf(iam.send(new GetRoleCommand({ RoleName: 'builder' })))).toBe('InvalidClientTokenId 403')
    loopback.endpoint.faults.clear()
    expect(await codeOf(iam.send(new GetRoleCommand({ RoleName: 'builder' })))).toBe('NoSuchEntityException 404')
    ec2.destroy()
    iam.destroy()
  })
})
