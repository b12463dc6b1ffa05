// IAM on the same loopback server, for the temporary instance profile and role that Packer makes
// for `temporary_iam_instance_profile_policy_document`: the Query protocol with IAM's own XML
// (a `<Action>Result` element, lists of `<member>`, `<ErrorResponse>`), told from an EC2 call by
// its `Version`. Packer 1.6.6 sends its IAM calls to `custom_endpoint_ec2`; an SDK reaches it
// through AWS_ENDPOINT_URL_IAM. IAM is global: one set of roles and instance profiles, whose ARNs
// are in the partition of the region the call is signed for (arn:aws-us-gov:iam::… for us-gov-west-1).
import { Ec2Error } from './errors.js'
import { partitionOf } from './partitions.js'
import type { Params } from './query.js'
import { iamUniqueId, instanceProfileArn, SELF_ACCOUNT_ID, type IamInstanceProfile, type IamRole, type IamState } from './world.js'
import { element, escapeXml, type XmlValue } from './xml.js'

export const IAM_VERSION = '2010-05-08'
const IAM_NAMESPACE = 'https://iam.amazonaws.com/doc/2010-05-08/'
const NAME = /^[\w+=,.@-]{1,128}$/

function iamError(code: string, message: string, status: number): Ec2Error {
  return new Ec2Error(code, message, status)
}

function noSuchEntity(message: string): Ec2Error {
  return iamError('NoSuchEntity', message, 404)
}

function named(params: Params, member: string): string {
  const name = params[member]
  if (name === undefined || !NAME.test(name)) {
    throw iamError('ValidationError', `1 validation error detected: Value '${name ?? ''}' at '${member}' failed to satisfy constraint`, 400)
  }
  return name
}

function role(iam: IamState, params: Params): IamRole {
  const name = named(params, 'RoleName')
  const found = iam.roles.get(name)
  if (found === undefined) throw noSuchEntity(`The role with name ${name} cannot be found.`)
  return found
}

function profile(iam: IamState, params: Params): IamInstanceProfile {
  const name = named(params, 'InstanceProfileName')
  const found = iam.instanceProfiles.get(name)
  if (found === undefined) throw noSuchEntity(`Instance Profile ${name} cannot be found.`)
  return found
}

function roleXml(found: IamRole, region: string): XmlValue {
  return {
    Path: '/',
    RoleName: found.roleName,
    RoleId: found.roleId,
    Arn: `arn:${partitionOf(region)}:iam::${SELF_ACCOUNT_ID}:role/${found.roleName}`,
    CreateDate: found.createDate,
    AssumeRolePolicyDocument: encodeURIComponent(found.assumeRolePolicyDocument)
  }
}

function profileXml(iam: IamState, found: IamInstanceProfile, region: string): XmlValue {
  return {
    Path: '/',
    InstanceProfileName: found.instanceProfileName,
    InstanceProfileId: found.instanceProfileId,
    Arn: instanceProfileArn(region, found.instanceProfileName),
    CreateDate: found.createDate,
    Roles: found.roles.flatMap((name) => {
      const member = iam.roles.get(name)
      return member ? [roleXml(member, region)] : []
    })
  }
}

/** `region`: the one the call is signed for, whose partition its ARNs are in. */
type IamHandler = (iam: IamState, params: Params, region: string) => XmlValue

const handlers: Record<string, IamHandler> = {
  CreateRole: (iam, params, region) => {
    const name = named(params, 'RoleName')
    if (iam.roles.has(name)) throw iamError('EntityAlreadyExists', `Role with name ${name} already exists.`, 409)
    const created: IamRole = {
      roleName: name,
      roleId: iamUniqueId('AROA'),
      createDate: new Date(),
      assumeRolePolicyDocument: params.AssumeRolePolicyDocument ?? '',
      policies: new Map()
    }
    iam.roles.set(name, created)
    return { Role: roleXml(created, region) }
  },
  GetRole: (iam, params, region) => ({ Role: roleXml(role(iam, params), region) }),
  DeleteRole: (iam, params) => {
    const found = role(iam, params)
    if (found.policies.size > 0) throw iamError('DeleteConflict', 'Cannot delete entity, must delete policies first.', 409)
    if ([...iam.instanceProfiles.values()].some((one) => one.roles.includes(found.roleName))) {
      throw iamError('DeleteConflict', 'Cannot delete entity, must remove roles from instance profile first.', 409)
    }
    iam.roles.delete(found.roleName)
    return undefined
  },
  PutRolePolicy: (iam, params) => {
    role(iam, params).policies.set(named(params, 'PolicyName'), params.PolicyDocument ?? '')
    return undefined
  },
  DeleteRolePolicy: (iam, params) => {
    const found = role(iam, params)
    const policy = named(params, 'PolicyName')
    if (!found.policies.delete(policy)) throw noSuchEntity(`The role policy with name ${policy} cannot be found.`)
    return undefined
  },
  CreateInstanceProfile: (iam, params, region) => {
    const name = named(params, 'InstanceProfileName')
    if (iam.instanceProfiles.has(name)) throw iamError('EntityAlreadyExists', `Instance Profile ${name} already exists.`, 409)
    const created: IamInstanceProfile = { instanceProfileName: name, instanceProfileId: iamUniqueId('AIPA'), createDate: new Date(), roles: [] }
    iam.instanceProfiles.set(name, created)
    return { InstanceProfile: profileXml(iam, created, region) }
  },
  GetInstanceProfile: (iam, params, region) => ({ InstanceProfile: profileXml(iam, profile(iam, params), region) }),
  DeleteInstanceProfile: (iam, params) => {
    const found = profile(iam, params)
    if (found.roles.length > 0) throw iamError('DeleteConflict', 'Cannot delete entity, must remove roles from instance profile first.', 409)
    iam.instanceProfiles.delete(found.instanceProfileName)
    return undefined
  },
  AddRoleToInstanceProfile: (iam, params) => {
    const [found, member] = [profile(iam, params), role(iam, params)]
    // An instance profile holds one role.
    if (found.roles.length === 0) found.roles.push(member.roleName)
    else throw iamError('LimitExceeded', 'Cannot exceed quota for InstanceSessionsPerInstanceProfile: 1', 409)
    return undefined
  },
  RemoveRoleFromInstanceProfile: (iam, params) => {
    const found = profile(iam, params)
    const name = named(params, 'RoleName')
    if (!found.roles.includes(name)) throw noSuchEntity(`The role with name ${name} cannot be found in instance profile ${found.instanceProfileName}.`)
    found.roles = found.roles.filter((one) => one !== name)
    return undefined
  }
}

/** Answers an IAM call signed for `region`: the status and the XML body, success or error. */
export function answerIam(
  iam: IamState,
  action: string,
  params: Params,
  region: string,
  requestId: string,
  /** Throws what the call runs into before IAM looks at it (credentials that have expired). */
  authenticate: () => void = () => undefined
): { status: number; body: string } {
  const metadata = `<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata>`
  try {
    authenticate()
    const handler = handlers[action]
    if (handler === undefined) throw iamError('InvalidAction', `Could not find operation ${action} for version ${IAM_VERSION}`, 400)
    const result = handler(iam, params, region)
    const body = result === undefined ? '' : element(`${action}Result`, result, 'member')
    return { status: 200, body: `<${action}Response xmlns="${IAM_NAMESPACE}">${body}${metadata}</${action}Response>` }
  } catch (error) {
    const failure = error instanceof Ec2Error ? error : iamError('ServiceFailure', String(error), 500)
    return {
      status: failure.status,
      body:
        `<ErrorResponse xmlns="${IAM_NAMESPACE}"><Error><Type>Sender</Type><Code>${escapeXml(failure.code)}</Code>` +
        `<Message>${escapeXml(failure.message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`
    }
  }
}
