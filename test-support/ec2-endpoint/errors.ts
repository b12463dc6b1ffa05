// Errors worded and coded the way EC2 words and codes them, so that both SDKs classify them
// (retryable, throttling, not found) exactly as they would a real answer.

const STATUS_BY_CODE: Record<string, number> = {
  AuthFailure: 401,
  UnauthorizedOperation: 403,
  RequestLimitExceeded: 503,
  InternalError: 500,
  Unavailable: 503
}

export class Ec2Error extends Error {
  readonly code: string
  readonly status: number

  constructor(code: string, message: string, status?: number) {
    super(message)
    this.name = 'Ec2Error'
    this.code = code
    this.status = status ?? STATUS_BY_CODE[code] ?? 400
  }
}

interface IdKind {
  notFound: string
  malformed: string
  describe: (ids: string[]) => string
}

const plural = (ids: string[], one: string, many: string): string => (ids.length > 1 ? many : one)
const list = (ids: string[]): string => ids.join(', ')
const exist = (ids: string[]): string => plural(ids, 'does not exist', 'do not exist')

// Keyed by the id prefix; the messages follow EC2's own (some quote a bracketed list, some not).
const ID_KINDS: Record<string, IdKind> = {
  ami: {
    notFound: 'InvalidAMIID.NotFound',
    malformed: 'InvalidAMIID.Malformed',
    describe: (ids) => `The image ${plural(ids, 'id', 'ids')} '[${list(ids)}]' ${exist(ids)}`
  },
  snap: {
    notFound: 'InvalidSnapshot.NotFound',
    malformed: 'InvalidSnapshotID.Malformed',
    describe: (ids) => `The ${plural(ids, 'snapshot', 'snapshots')} '${list(ids)}' ${exist(ids)}.`
  },
  i: {
    notFound: 'InvalidInstanceID.NotFound',
    malformed: 'InvalidInstanceID.Malformed',
    describe: (ids) => `The instance ${plural(ids, 'ID', 'IDs')} '${list(ids)}' ${exist(ids)}`
  },
  vol: {
    notFound: 'InvalidVolume.NotFound',
    malformed: 'InvalidVolumeID.Malformed',
    describe: (ids) => `The ${plural(ids, 'volume', 'volumes')} '${list(ids)}' ${exist(ids)}.`
  },
  sg: {
    notFound: 'InvalidGroup.NotFound',
    malformed: 'InvalidGroupId.Malformed',
    describe: (ids) => `The security ${plural(ids, 'group', 'groups')} '${list(ids)}' ${exist(ids)}`
  },
  vpc: {
    notFound: 'InvalidVpcID.NotFound',
    malformed: 'InvalidVpcID.Malformed',
    describe: (ids) => `The vpc ID '${list(ids)}' does not exist`
  },
  subnet: {
    notFound: 'InvalidSubnetID.NotFound',
    malformed: 'InvalidSubnetID.Malformed',
    describe: (ids) => `The subnet ID '${list(ids)}' does not exist`
  },
  sir: {
    notFound: 'InvalidSpotInstanceRequestID.NotFound',
    malformed: 'InvalidSpotInstanceRequestID.Malformed',
    describe: (ids) => `The spot instance request ID '${list(ids)}' does not exist`
  },
  lt: {
    notFound: 'InvalidLaunchTemplateId.NotFound',
    malformed: 'InvalidLaunchTemplateId.Malformed',
    describe: (ids) => `The specified launch template, with template ID ${list(ids)}, does not exist.`
  },
  key: {
    notFound: 'InvalidKeyPair.NotFound',
    malformed: 'InvalidKeyPair.Malformed',
    describe: (ids) => `The key pair '${list(ids)}' does not exist`
  }
}

// EC2 ids are a prefix and 8 (old style) or 17 lower-case hex digits.
const ID_SHAPE = /^([a-z]+)-([0-9a-f]{8}|[0-9a-f]{17})$/

export function idPrefix(id: string): string | undefined {
  const dash = id.indexOf('-')
  const prefix = dash > 0 ? id.slice(0, dash) : undefined
  return prefix !== undefined && prefix in ID_KINDS ? prefix : undefined
}

export function isWellFormedId(id: string, prefix: string): boolean {
  const match = ID_SHAPE.exec(id)
  return match !== null && match[1] === prefix
}

export function malformedId(prefix: string, id: string): Ec2Error {
  return new Ec2Error(ID_KINDS[prefix].malformed, `Invalid id: "${id}" (expecting "${prefix}-...")`)
}

export function notFound(prefix: string, ids: string[]): Ec2Error {
  const kind = ID_KINDS[prefix]
  return new Ec2Error(kind.notFound, kind.describe(ids))
}

export function invalidId(id: string): Ec2Error {
  return new Ec2Error('InvalidID', `The ID '${id}' is not valid`)
}

export function missingParameter(name: string): Ec2Error {
  return new Ec2Error('MissingParameter', `The request must contain the parameter ${name}`)
}

export function invalidParameterValue(message: string): Ec2Error {
  return new Ec2Error('InvalidParameterValue', message)
}

export function invalidFilter(name: string): Ec2Error {
  return new Ec2Error('InvalidParameterValue', `The filter '${name}' is invalid`)
}

export function throttled(): Ec2Error {
  return new Ec2Error('RequestLimitExceeded', 'Request limit exceeded.')
}

export function invalidAction(action: string): Ec2Error {
  return new Ec2Error('InvalidAction', `The action ${action} is not valid for this web service.`)
}
