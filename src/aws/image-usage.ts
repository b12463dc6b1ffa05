// Which AMIs are in use, so that retention never deregisters one: by an instance in any state
// but terminated, or by a launch template version. DescribeImageReferences answers both in one
// call; where the credentials may not make it, instances and every launch template version
// are read instead.
import {
  paginateDescribeImageReferences,
  paginateDescribeInstances,
  paginateDescribeLaunchTemplateVersions,
  paginateDescribeLaunchTemplates,
  type EC2Client
} from '@aws-sdk/client-ec2'
import { isAccessDenied } from './failures.js'

/** AMI ID → what uses it, in words ("instance i-…", "launch template lt-…"). */
export type ImageUsers = Map<string, string[]>

const liveStates = ['pending', 'running', 'shutting-down', 'stopping', 'stopped']
// DescribeImageReferences checks only a launch template's 10 newest versions unless told more.
const allVersions = '10000'

function add(users: ImageUsers, amiId: string, user: string): void {
  const list = users.get(amiId) ?? []
  if (!list.includes(user)) list.push(user)
  users.set(amiId, list)
}

async function fromImageReferences(ec2: EC2Client, amiIds: string[]): Promise<ImageUsers> {
  const users: ImageUsers = new Map()
  const pages = paginateDescribeImageReferences(
    { client: ec2 },
    {
      ImageIds: amiIds,
      ResourceTypes: [
        { ResourceType: 'ec2:Instance', ResourceTypeOptions: [{ OptionName: 'state-name', OptionValues: liveStates }] },
        { ResourceType: 'ec2:LaunchTemplate', ResourceTypeOptions: [{ OptionName: 'version-depth', OptionValues: [allVersions] }] }
      ]
    }
  )
  for await (const page of pages) {
    for (const reference of page.ImageReferences ?? []) {
      const resource = (reference.Arn ?? '').split(':').at(-1) ?? ''
      const [kind, id] = resource.split('/')
      const user = kind === 'launch-template' ? `launch template ${id}` : kind === 'instance' ? `instance ${id}` : resource
      if (reference.ImageId) add(users, reference.ImageId, user)
    }
  }
  return users
}

async function instanceUsers(ec2: EC2Client, amiIds: string[], users: ImageUsers): Promise<void> {
  const filters = [
    { Name: 'image-id', Values: amiIds },
    { Name: 'instance-state-name', Values: liveStates }
  ]
  for await (const page of paginateDescribeInstances({ client: ec2 }, { Filters: filters })) {
    for (const instance of (page.Reservations ?? []).flatMap((reservation) => reservation.Instances ?? [])) {
      if (instance.ImageId && instance.InstanceId) add(users, instance.ImageId, `instance ${instance.InstanceId}`)
    }
  }
}

// Both lists page even without MaxResults.
async function launchTemplateUsers(ec2: EC2Client, amiIds: string[], users: ImageUsers): Promise<void> {
  for await (const page of paginateDescribeLaunchTemplates({ client: ec2 }, {})) {
    for (const template of page.LaunchTemplates ?? []) {
      for await (const versions of paginateDescribeLaunchTemplateVersions({ client: ec2 }, { LaunchTemplateId: template.LaunchTemplateId })) {
        for (const version of versions.LaunchTemplateVersions ?? []) {
          const amiId = version.LaunchTemplateData?.ImageId
          if (amiId && amiIds.includes(amiId)) add(users, amiId, `launch template ${template.LaunchTemplateId}`)
        }
      }
    }
  }
}

/** Which of `amiIds` are in use, and how that was found out. */
export async function findImageUsers(
  ec2: EC2Client,
  amiIds: string[]
): Promise<{ users: ImageUsers; via: 'DescribeImageReferences' | 'instances and launch template versions' }> {
  if (amiIds.length === 0) return { users: new Map(), via: 'DescribeImageReferences' }
  try {
    return { users: await fromImageReferences(ec2, amiIds), via: 'DescribeImageReferences' }
  } catch (error) {
    if (!isAccessDenied(error)) throw error
  }
  const users: ImageUsers = new Map()
  await instanceUsers(ec2, amiIds, users)
  await launchTemplateUsers(ec2, amiIds, users)
  return { users, via: 'instances and launch template versions' }
}
