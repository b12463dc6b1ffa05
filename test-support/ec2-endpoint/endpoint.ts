import { randomUUID } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import { HANDLERS } from './actions/index.js'
import { Ec2Error, invalidAction } from './errors.js'
import { FaultPlan, type Ec2Faults } from './faults.js'
import type { Params } from './query.js'
import {
  DEFAULT_REGIONS,
  DEFAULT_SEED_IMAGES,
  World,
  type AutoAdvance,
  type BlockDevice,
  type ImageState,
  type InstanceState,
  type IpPermission,
  type SeedImage,
  type SeedInstanceProfile,
  type SeedNetwork,
  type SnapshotState,
  type Tags
} from './world.js'
import { answerSsm, parseSsmBody, ssmErrorDocument, ssmOperation, ssmParams } from './ssm.js'
import { answerIam, IAM_VERSION } from './iam.js'
import { errorDocument, responseDocument } from './xml.js'
import { pageOf } from './paging.js'

export interface Ec2EndpointOptions {
  /** Regions the endpoint serves; a call signed for any other is refused. */
  regions?: string[]
  /** Images present from the start; replaces the default source AMI. */
  seedImages?: SeedImage[]
  /** VPCs and their subnets (ids, tags, zones, CIDR blocks), in every region. */
  seedNetworks?: SeedNetwork[]
  /** IAM instance profiles (and their roles) that exist from the start, as the user's own. */
  seedInstanceProfiles?: SeedInstanceProfile[]
  autoAdvance?: AutoAdvance
  /**
   * The most items one page of a list answer holds (paging.ts): fewer than `MaxResults` asks
   * for, as EC2 may answer, and fewer than the default page of the calls that page without it.
   */
  pageSize?: number
  /** Defaults to a free port chosen by the system. */
  port?: number
  /** Called once each call has been answered. */
  onCall?: (call: Ec2Call) => void
}

export interface Ec2Call {
  action: string
  /** From the SigV4 credential scope; empty when the call was not signed. */
  region: string
  /** The form parameters as sent, without `Action` and `Version`. */
  params: Record<string, string>
  /** The error code answered, if the call failed. */
  error?: string
  /** Set for calls to SSM (JSON protocol) and IAM; EC2 calls leave it out. */
  service?: 'ssm' | 'iam'
  /** The access key ID the call is signed with (its SigV4 credential scope); empty when it was not signed. */
  accessKeyId: string
}

export interface Ec2Image {
  imageId: string
  name: string
  description?: string
  state: ImageState
  ownerId: string
  ownerAlias?: string
  public: boolean
  creationDate: string
  architecture: string
  rootDeviceName: string
  blockDeviceMappings: BlockDevice[]
  sourceInstanceId?: string
  sourceImageId?: string
  sourceImageRegion?: string
  launchPermissions: Array<{ userId?: string; group?: string }>
  productCodes: string[]
  tags: Record<string, string>
  /** As DescribeImages shows it. */
  deregistrationProtection: string
  /** As DescribeImages shows it, when the AMI is deprecated or is to be. */
  deprecationTime?: string
}

export interface Ec2Snapshot {
  snapshotId: string
  volumeId: string
  volumeSize: number
  description: string
  ownerId: string
  encrypted: boolean
  state: SnapshotState
  tags: Record<string, string>
}

export interface Ec2Instance {
  instanceId: string
  imageId: string
  instanceType: string
  keyName?: string
  securityGroupIds: string[]
  subnetId: string
  vpcId: string
  availabilityZone: string
  state: InstanceState
  volumeIds: string[]
  /** The IAM instance profile it was launched with, as DescribeInstances shows it. */
  iamInstanceProfile?: { arn: string; id: string }
  /** The spot instance request EC2 made for it, when a spot fleet launched it. */
  spotInstanceRequestId?: string
  tags: Record<string, string>
}

export interface Ec2Volume {
  volumeId: string
  size: number
  volumeType: string
  snapshotId?: string
  availabilityZone: string
  attachedTo?: string
  tags: Record<string, string>
}

export interface Ec2KeyPair {
  keyName: string
  keyPairId: string
  keyFingerprint: string
  keyType: string
  tags: Record<string, string>
}

export interface Ec2SecurityGroup {
  groupId: string
  groupName: string
  description: string
  vpcId: string
  ingress: IpPermission[]
  tags: Record<string, string>
}

export interface Ec2LaunchTemplate {
  launchTemplateId: string
  launchTemplateName: string
  defaultVersion: number
  /** Each version's `LaunchTemplateData` members as sent (`ImageId`, `InstanceType`, …). */
  versions: Array<{ versionNumber: number; description?: string; data: Record<string, string> }>
}

export interface Ec2Endpoint {
  /** `http://127.0.0.1:<port>`: an SDK's `endpoint`, or Packer's `custom_endpoint_ec2`. */
  readonly url: string
  readonly regions: readonly string[]
  /** Every call in the order it arrived. */
  readonly calls: readonly Ec2Call[]
  callsOf(action: string, region?: string): Ec2Call[]
  /** The distinct actions called so far, sorted. */
  actions(): string[]
  readonly faults: Ec2Faults
  images(region: string): Ec2Image[]
  snapshots(region: string): Ec2Snapshot[]
  instances(region: string): Ec2Instance[]
  volumes(region: string): Ec2Volume[]
  keyPairs(region: string): Ec2KeyPair[]
  securityGroups(region: string): Ec2SecurityGroup[]
  launchTemplates(region: string): Ec2LaunchTemplate[]
  /** SSM parameters of the region: name → the latest value, its version, data type and tier. */
  parameters(region: string): Record<string, { value: string; version: number; dataType: string; tier: string }>
  /** Session Manager sessions of the region, in the order they started: the instance each reaches, and whether it was ended. */
  sessions(region: string): Array<{ sessionId: string; target: string; documentName?: string; parameters: Record<string, string[]>; terminated: boolean }>
  /** IAM's roles (with their inline policies' names) and instance profiles (with their roles'), which are global. */
  iamRoles(): Array<{ roleName: string; policies: string[] }>
  iamInstanceProfiles(): Array<{ instanceProfileName: string; roles: string[] }>
  /** Tags of any resource in the region; empty when it has none (or does not exist). */
  tagsOf(region: string, resourceId: string): Record<string, string>
  /**
   * Moves back by `ms` when a key pair (by name), an instance or an image (by ID) of the region
   * was made (CreateTime, LaunchTime, CreationDate and DeprecationTime): as one made long before
   * the test ran.
   */
  backdate(region: string, nameOrId: string, ms: number): void
  /** Deregisters an AMI of the region at once, as another user of the account would (DeregisterImage). */
  deregister(region: string, imageId: string): void
  /** Disables an AMI of the region at once, as its owner would (DisableImage). */
  disable(region: string, imageId: string): void
  /** Protects an AMI of the region from deregistration at once, as its owner would (EnableImageDeregistrationProtection). */
  protect(region: string, imageId: string, withCooldown?: boolean): void
  close(): Promise<void>
}

const CREDENTIAL_SCOPE = /Credential=[^/,\s]+\/\d{8}\/([^/,\s]+)\/[^/,\s]+\/aws4_request/

function regionOf(request: IncomingMessage, params: Params): string {
  const scope = CREDENTIAL_SCOPE.exec(request.headers.authorization ?? '')
  if (scope !== null) return scope[1]
  const presigned = params['X-Amz-Credential']?.split('/')
  return presigned !== undefined && presigned.length === 5 ? presigned[2] : ''
}

/** The access key ID a call is signed with (SigV4's credential scope, or a presigned URL's). */
function accessKeyIdOf(request: IncomingMessage, params: Params): string {
  const signed = /Credential=([^/,\s]+)\//.exec(request.headers.authorization ?? '')
  return signed?.[1] ?? params['X-Amz-Credential']?.split('/')[0] ?? ''
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of request) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}

function formParams(request: IncomingMessage, body: string): Record<string, string> {
  const query = new URL(request.url ?? '/', 'http://127.0.0.1').searchParams
  return { ...Object.fromEntries(query), ...Object.fromEntries(new URLSearchParams(body)) }
}

const record = (tags: Tags): Record<string, string> => Object.fromEntries(tags)

export async function startEc2Endpoint(options: Ec2EndpointOptions = {}): Promise<Ec2Endpoint> {
  const world = new World(
    options.regions ?? DEFAULT_REGIONS,
    options.seedImages ?? DEFAULT_SEED_IMAGES,
    options.autoAdvance
  )
  for (const network of options.seedNetworks ?? []) world.seedNetwork(network)
  for (const profile of options.seedInstanceProfiles ?? []) world.seedInstanceProfile(profile)
  const faults = new FaultPlan(world)
  const calls: Ec2Call[] = []
  const { iam } = world

  async function answer(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const requestId = randomUUID()
    const raw = await readBody(request)
    const ssm = ssmOperation(request.headers['x-amz-target']?.toString())
    if (ssm !== undefined) return answerSsmCall(request, response, ssm, raw, requestId)
    const all = formParams(request, raw)
    const action = all.Action ?? ''
    const params = { ...all }
    delete params.Action
    delete params.Version
    const region = regionOf(request, all)
    if (all.Version === IAM_VERSION) {
      const call: Ec2Call = { action, region, params, service: 'iam', accessKeyId: accessKeyIdOf(request, all) }
      calls.push(call)
      const { status, body } = answerIam(iam, action, params, region, requestId, () => faults.checkExpiry('iam', action, accessKeyIdOf(request, all)))
      if (status !== 200) call.error = /<Code>([^<]*)<\/Code>/.exec(body)?.[1]
      response.writeHead(status, { 'Content-Type': 'text/xml', 'x-amzn-RequestId': requestId })
      response.end(body)
      options.onCall?.(call)
      return
    }
    const call: Ec2Call = { action, region, params, accessKeyId: accessKeyIdOf(request, all) }
    calls.push(call)
    const userAgent = `${request.headers['user-agent'] ?? ''} ${request.headers['x-amz-user-agent'] ?? ''}`
    // Left unanswered: the connection stays open until the client gives up or close().
    if (faults.isHung(action, region, userAgent)) {
      call.error = 'NoAnswer'
      return
    }
    let status = 200
    let body: string
    try {
      const delay = faults.latencyFor(action)
      if (delay > 0) await sleep(delay)
      world.tick()
      if (region === '') {
        throw new Ec2Error(
          'AuthFailure',
          'AWS was not able to validate the provided access credentials'
        )
      }
      if (!world.regions.has(region)) {
        throw new Ec2Error(
          'AuthFailure',
          `Credential should be scoped to a valid region, not '${region}'.`
        )
      }
      if (action === '') {
        throw new Ec2Error('MissingAction', 'The request must contain the parameter Action')
      }
      faults.checkExpiry('ec2', action, accessKeyIdOf(request, all))
      const handler = HANDLERS[action]
      if (handler === undefined) throw invalidAction(action)
      faults.check(action, region, params, userAgent)
      const result = await handler({ world, region: world.region(region), params })
      if (action === 'CopyImage' && typeof result.imageId === 'string') {
        faults.imageCopied(result.imageId)
      }
      body = responseDocument(action, requestId, pageOf(action, params, result, options.pageSize))
    } catch (error) {
      const failure =
        error instanceof Ec2Error
          ? error
          : new Ec2Error('InternalError', `Internal error in the loopback endpoint: ${String(error)}`)
      call.error = failure.code
      status = failure.status
      body = errorDocument(failure.code, failure.message, requestId)
    }
    const late = faults.answerDelayFor(action)
    if (late > 0) await sleep(late)
    await faults.answerReleased(action, call.accessKeyId)
    response.writeHead(status, {
      'Content-Type': 'text/xml;charset=UTF-8',
      'x-amzn-RequestId': requestId
    })
    response.end(body)
    options.onCall?.(call)
  }

  /** An SSM call: recorded like an EC2 call, its JSON body's members as the params. */
  async function answerSsmCall(
    request: IncomingMessage,
    response: ServerResponse,
    operation: string,
    raw: string,
    requestId: string
  ): Promise<void> {
    const region = regionOf(request, {})
    const call: Ec2Call = { action: operation, region, params: {}, service: 'ssm', accessKeyId: accessKeyIdOf(request, {}) }
    calls.push(call)
    const userAgent = `${request.headers['user-agent'] ?? ''} ${request.headers['x-amz-user-agent'] ?? ''}`
    // Left unanswered, as EC2 calls are.
    if (faults.isHung(operation, region, userAgent)) {
      call.error = 'NoAnswer'
      return
    }
    let status = 200
    let body: string
    try {
      const parsed = parseSsmBody(raw)
      call.params = ssmParams(parsed)
      if (!world.regions.has(region)) {
        throw new Ec2Error('UnrecognizedClientException', `The security token included in the request is invalid (region '${region}').`)
      }
      faults.checkExpiry('ssm', operation, accessKeyIdOf(request, {}))
      faults.check(operation, region, call.params)
      body = answerSsm(world.region(region), operation, parsed)
    } catch (error) {
      const failure = error instanceof Ec2Error ? error : new Ec2Error('InternalServerError', String(error), 500)
      call.error = failure.code
      status = failure.status
      body = ssmErrorDocument(failure)
    }
    await faults.answerReleased(operation, call.accessKeyId)
    response.writeHead(status, { 'Content-Type': 'application/x-amz-json-1.1', 'x-amzn-RequestId': requestId })
    response.end(body)
    options.onCall?.(call)
  }

  const server = createServer((request, response) => {
    answer(request, response).catch((error: unknown) => {
      response.destroy(error instanceof Error ? error : new Error(String(error)))
    })
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject)
      resolve()
    })
  })
  const { port } = server.address() as AddressInfo

  const regionState = (name: string) => {
    world.tick()
    return world.region(name)
  }

  return {
    url: `http://127.0.0.1:${port}`,
    regions: [...world.regions.keys()],
    calls,
    callsOf: (action, region) =>
      calls.filter(
        (call) => call.action === action && (region === undefined || call.region === region)
      ),
    actions: () => [...new Set(calls.map((call) => call.action))].sort(),
    faults,
    images: (name) =>
      [...regionState(name).images.values()].map((image) => ({
        imageId: image.imageId,
        name: image.name,
        description: image.description,
        state: image.state,
        ownerId: image.ownerId,
        ownerAlias: image.ownerAlias,
        public: image.public,
        creationDate: image.creationDate.toISOString(),
        architecture: image.architecture,
        rootDeviceName: image.rootDeviceName,
        blockDeviceMappings: image.blockDevices.map((device) => ({ ...device })),
        sourceInstanceId: image.sourceInstanceId,
        sourceImageId: image.sourceImageId,
        sourceImageRegion: image.sourceImageRegion,
        launchPermissions: image.launchPermissions.map((p) => ({ ...p })),
        productCodes: [...image.productCodes],
        tags: record(image.tags),
        deregistrationProtection: image.deregistrationProtection ?? 'disabled',
        deprecationTime: image.deprecationTime?.toISOString()
      })),
    snapshots: (name) =>
      [...regionState(name).snapshots.values()].map((snapshot) => ({
        snapshotId: snapshot.snapshotId,
        volumeId: snapshot.volumeId,
        volumeSize: snapshot.volumeSize,
        description: snapshot.description,
        ownerId: snapshot.ownerId,
        encrypted: snapshot.encrypted,
        state: snapshot.state,
        tags: record(snapshot.tags)
      })),
    instances: (name) =>
      [...regionState(name).instances.values()].map((instance) => ({
        instanceId: instance.instanceId,
        imageId: instance.imageId,
        instanceType: instance.instanceType,
        keyName: instance.keyName,
        securityGroupIds: [...instance.securityGroupIds],
        subnetId: instance.subnetId,
        vpcId: instance.vpcId,
        availabilityZone: instance.availabilityZone,
        state: instance.state,
        volumeIds: instance.attachments.map((attachment) => attachment.volumeId),
        iamInstanceProfile: instance.iamInstanceProfile && { ...instance.iamInstanceProfile },
        spotInstanceRequestId: instance.spotInstanceRequestId,
        tags: record(instance.tags)
      })),
    volumes: (name) =>
      [...regionState(name).volumes.values()].map((volume) => ({
        volumeId: volume.volumeId,
        size: volume.size,
        volumeType: volume.volumeType,
        snapshotId: volume.snapshotId,
        availabilityZone: volume.availabilityZone,
        attachedTo: volume.attachment?.instanceId,
        tags: record(volume.tags)
      })),
    keyPairs: (name) =>
      [...regionState(name).keyPairs.values()].map((key) => ({
        keyName: key.keyName,
        keyPairId: key.keyPairId,
        keyFingerprint: key.keyFingerprint,
        keyType: key.keyType,
        tags: record(key.tags)
      })),
    securityGroups: (name) =>
      [...regionState(name).securityGroups.values()].map((group) => ({
        groupId: group.groupId,
        groupName: group.groupName,
        description: group.description,
        vpcId: group.vpcId,
        ingress: group.ingress.map((rule) => ({ ...rule, cidrIps: [...rule.cidrIps] })),
        tags: record(group.tags)
      })),
    launchTemplates: (name) =>
      [...regionState(name).launchTemplates.values()].map((template) => ({
        launchTemplateId: template.launchTemplateId,
        launchTemplateName: template.launchTemplateName,
        defaultVersion: template.defaultVersion,
        versions: template.versions.map(({ versionNumber, description, data }) => ({
          versionNumber,
          description,
          data: { ...data }
        }))
      })),
    parameters: (name) =>
      Object.fromEntries(
        [...regionState(name).parameters.values()].flatMap((parameter) => {
          const latest = parameter.versions.at(-1)
          const { name, dataType, tier } = parameter
          return latest ? [[name, { value: latest.value, version: latest.version, dataType, tier }]] : []
        })
      ),
    sessions: (name) => [...regionState(name).sessions.values()].map((session) => ({ ...session, parameters: { ...session.parameters } })),
    iamRoles: () => [...iam.roles.values()].map((role) => ({ roleName: role.roleName, policies: [...role.policies.keys()] })),
    iamInstanceProfiles: () =>
      [...iam.instanceProfiles.values()].map((one) => ({ instanceProfileName: one.instanceProfileName, roles: [...one.roles] })),
    tagsOf: (name, resourceId) => {
      const resource = regionState(name).taggable(resourceId)
      return resource === undefined ? {} : record(resource.tags)
    },
    deregister: (name, imageId) => {
      const state = regionState(name)
      const image = state.images.get(imageId)
      if (image === undefined) throw new Error(`No image ${imageId} in ${name}`)
      world.deregister(state, image)
    },
    disable: (name, imageId) => {
      const image = regionState(name).images.get(imageId)
      if (image === undefined) throw new Error(`No image ${imageId} in ${name}`)
      world.disable(image)
    },
    protect: (name, imageId, withCooldown = false) => {
      const image = regionState(name).images.get(imageId)
      if (image === undefined) throw new Error(`No image ${imageId} in ${name}`)
      image.deregistrationProtection = withCooldown ? 'enabled-with-cooldown' : 'enabled-without-cooldown'
    },
    backdate: (name, nameOrId, ms) => {
      const state = regionState(name)
      const key = state.keyPairs.get(nameOrId)
      const instance = state.instances.get(nameOrId)
      const image = state.images.get(nameOrId)
      if (key === undefined && instance === undefined && image === undefined) throw new Error(`No key pair, instance or image ${nameOrId} in ${name}`)
      if (key !== undefined) key.createTime = new Date(key.createTime.getTime() - ms)
      if (instance !== undefined) instance.launchTime = new Date(instance.launchTime.getTime() - ms)
      // An image's times move together: a deprecation set for an hour after it was made is then past too.
      if (image !== undefined) {
        image.creationDate = new Date(image.creationDate.getTime() - ms)
        if (image.deprecationTime !== undefined) image.deprecationTime = new Date(image.deprecationTime.getTime() - ms)
      }
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()))
        server.closeAllConnections()
      })
  }
}
