// The loopback EC2 endpoint as a test file's tests drive it through the SDK's own clients: one
// endpoint per test, closed after it, and clients that talk to it without retries.
import { afterEach } from '@jest/globals'
import { CreateKeyPairCommand, EC2Client, RunInstancesCommand, type EC2ClientConfig } from '@aws-sdk/client-ec2'
import { IAMClient } from '@aws-sdk/client-iam'
import { SSMClient } from '@aws-sdk/client-ssm'
import { SOURCE_AMI_ID, startEc2Endpoint, type Ec2Endpoint, type Ec2EndpointOptions } from '../../test-support/ec2-endpoint/index.js'

const credentials = { accessKeyId: 'AKIDLOOPBACK', secretAccessKey: 'x' }

/** What an SDK client needs to reach `endpoint` in `region`, failing on the first error. */
export function loopbackClientConfig(endpoint: Ec2Endpoint, region: string) {
  return { region, endpoint: endpoint.url, credentials, maxAttempts: 1 }
}

/**
 * What a build Packer never cleaned up leaves in `region` of `endpoint`: its key pair and an
 * instance launched with it, and the resources as the main step saves them for the post step.
 */
export async function leftByABuild(endpoint: Ec2Endpoint, region: string) {
  const ec2 = new EC2Client(loopbackClientConfig(endpoint, region))
  const keyName = 'packer_6b164ef8-e5c4-4c3e-69ff-feeac7e0c4a8'
  await ec2.send(new CreateKeyPairCommand({ KeyName: keyName }))
  const launched = await ec2.send(new RunInstancesCommand({ ImageId: SOURCE_AMI_ID, MinCount: 1, MaxCount: 1, KeyName: keyName }))
  ec2.destroy()
  const instanceId = launched.Instances?.[0]?.InstanceId as string
  const resources = { instanceIds: [instanceId], keyPairs: [keyName], securityGroups: [], images: [], imageInstances: [], snapshotVolumes: [], launchTemplates: [], instanceProfiles: [], roles: [], copyRegions: [] }
  return { instanceId, keyName, resources }
}

export interface EndpointPerTest {
  /** The running test's endpoint; `start` must have been called. */
  readonly endpoint: Ec2Endpoint
  start(options?: Ec2EndpointOptions): Promise<Ec2Endpoint>
  ec2(region?: string, config?: Partial<EC2ClientConfig>): EC2Client
  iam(): IAMClient
  ssm(region?: string): SSMClient
}

/** Registers the closing of each test's endpoint; `home` is the clients' default region. */
export function endpointPerTest(home = 'us-east-1'): EndpointPerTest {
  let current: Ec2Endpoint | undefined
  afterEach(async () => {
    await current?.close()
    current = undefined
  })
  const running = (): Ec2Endpoint => {
    if (current === undefined) throw new Error('no loopback endpoint: call start() first')
    return current
  }
  return {
    get endpoint() {
      return running()
    },
    async start(options = {}) {
      current = await startEc2Endpoint(options)
      return current
    },
    ec2: (region = home, config = {}) => new EC2Client({ ...loopbackClientConfig(running(), region), ...config }),
    iam: () => new IAMClient(loopbackClientConfig(running(), home)),
    ssm: (region = home) => new SSMClient(loopbackClientConfig(running(), region))
  }
}
