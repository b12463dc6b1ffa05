// SSM Parameter Store on the same loopback server: the AWS JSON 1.1 protocol (`POST /`, the
// operation in `X-Amz-Target: AmazonSSM.<Operation>`), reached by an SDK through
// AWS_ENDPOINT_URL_SSM. PutParameter and GetParameter, with Parameter Store's rules for names
// (whose length counts the ARN before them), versions, overwriting and the `aws:ec2:image` data
// type: EC2 checks such a value after PutParameter has answered, and a version whose AMI does
// not exist in the region is dropped. Session Manager's StartSession and TerminateSession, which
// Packer calls for a build that connects with `ssh_interface = "session_manager"`.
import { randomBytes } from 'node:crypto'
import { Ec2Error } from './errors.js'
import { dnsSuffixOf, partitionOf } from './partitions.js'
import { SELF_ACCOUNT_ID, type ParameterRecord, type RegionState } from './world.js'

export const SSM_TARGET_PREFIX = 'AmazonSSM.'

const PARAMETER_NAME = /^\/?[a-zA-Z0-9_.\-/]{1,2047}$/
/**
 * PutParameter's API reference: "The maximum length for a parameter name that you specify is 1011
 * characters. This count of 1011 characters includes the characters in the ARN that precede the
 * name you specify." It gives the rule and, for names, the error code (ValidationException), not
 * the words: the message below says the rule with this name's numbers.
 */
const MAX_NAME_WITH_ARN = 1011
const TYPES = ['String', 'StringList', 'SecureString']
const DATA_TYPES = ['text', 'aws:ec2:image', 'aws:ssm:integration']
const AMI_ID = /^ami-[0-9a-f]{8}([0-9a-f]{9})?$/
const TIERS = ['Standard', 'Advanced', 'Intelligent-Tiering']
/**
 * What SSM answers a put that would make an advanced parameter standard. PutParameter's API
 * reference (Tier): "you can't revert an advanced parameter to a standard parameter", and "if you
 * don't specify a tier in a request, Parameter Store assigns the tier based on the current
 * Parameter Store default tier configuration" (Standard unless the account changed it). The
 * words are SSM's, as terraform-provider-aws quotes them (internal/service/ssm/parameter.go).
 */
const NO_DOWNGRADE =
  "This parameter uses the advanced-parameter tier. You can't downgrade a parameter from the advanced-parameter tier to " +
  'the standard-parameter tier. If necessary, you can delete the advanced parameter and recreate it as a standard parameter.'

type Body = Record<string, unknown>

function validation(message: string): Ec2Error {
  return new Ec2Error('ValidationException', message)
}

function text(body: Body, member: string, required = true): string | undefined {
  const value = body[member]
  if (value === undefined && !required) return undefined
  if (typeof value !== 'string' || value === '') {
    throw validation(`1 validation error detected: Value at '${member.toLowerCase()}' failed to satisfy constraint: Member must not be null`)
  }
  return value
}

/** A parameter's ARN: a path's leading "/" is the one after `parameter` (/a/b is …:parameter/a/b, web is …:parameter/web). */
function parameterArn(region: RegionState, name: string): string {
  return `arn:${partitionOf(region.name)}:ssm:${region.name}:${SELF_ACCOUNT_ID}:parameter/${name.replace(/^\//, '')}`
}

function parameterName(region: RegionState, body: Body): string {
  const name = text(body, 'Name') as string
  if (!PARAMETER_NAME.test(name) || /^\/?aws|^\/?ssm/i.test(name)) {
    throw validation(`Parameter name: can't be prefixed with "aws" or "ssm" (case-insensitive), and must use letters, numbers, ".", "-", "_" and "/": ${name}`)
  }
  const arn = parameterArn(region, name)
  if (arn.length > MAX_NAME_WITH_ARN) {
    const before = arn.length - name.replace(/^\//, '').length
    throw validation(
      `Parameter name is too long: with the ${before} characters of the ARN that precede it (${arn.slice(0, before)}), ` +
        `it is ${arn.length} characters; the maximum is ${MAX_NAME_WITH_ARN}.`
    )
  }
  return name
}

function putParameter(region: RegionState, body: Body): Body {
  const name = parameterName(region, body)
  const value = text(body, 'Value') as string
  const existing = region.parameters.get(name)
  const type = text(body, 'Type', false) ?? existing?.type
  if (type === undefined || !TYPES.includes(type)) throw validation(`Parameter type must be one of ${TYPES.join(', ')}.`)
  const dataType = text(body, 'DataType', false) ?? existing?.dataType ?? 'text'
  if (!DATA_TYPES.includes(dataType)) throw validation(`The data type ${dataType} is not supported.`)
  if (dataType === 'aws:ec2:image' && (type !== 'String' || !AMI_ID.test(value))) {
    throw validation(`Parameter value, ${value}, must be a String holding an AMI ID (ami-...) for data type aws:ec2:image.`)
  }
  if (existing !== undefined && body.Overwrite !== true) {
    throw new Ec2Error(
      'ParameterAlreadyExists',
      'The parameter already exists. To overwrite this value, set the overwrite option in the request to true.'
    )
  }
  // SSM keeps the data type a parameter was made with: an overwrite naming another fails, as
  // terraform-provider-aws found (issue #35959: text to aws:ec2:image "apply fails"; data_type
  // now forces a new parameter) and Bottlerocket notes ("the data type can't be changed for
  // existing parameters", bottlerocket-os/bottlerocket#2599). Neither quotes SSM's words, nor
  // does the API reference list the case: the message below is the endpoint's.
  if (existing !== undefined && dataType !== existing.dataType) {
    throw validation(`The data type of parameter ${name} is ${existing.dataType} and can't be changed to ${dataType}.`)
  }
  const tier = parameterTier(body, existing)
  const record: ParameterRecord = existing ?? { name, type, dataType, tier, versions: [] }
  const version = (record.versions.at(-1)?.version ?? 0) + 1
  // EC2 validates the AMI after answering: a version naming no AMI of the region never appears.
  if (dataType !== 'aws:ec2:image' || region.images.has(value)) {
    record.type = type
    record.tier = tier
    record.versions.push({ value, version, modified: new Date() })
    region.parameters.set(name, record)
  }
  return { Version: version, Tier: tier }
}

/**
 * The tier a put leaves the parameter in. No tier is the account's default tier, Standard here.
 * Intelligent-Tiering is taken as standard for a value that needs nothing advanced (no policy,
 * 4 KB at most), unless the parameter is advanced already: the endpoint's reading of the docs.
 */
function parameterTier(body: Body, existing: ParameterRecord | undefined): ParameterRecord['tier'] {
  const sent = text(body, 'Tier', false)
  if (sent !== undefined && !TIERS.includes(sent)) throw validation(`Parameter tier must be one of ${TIERS.join(', ')}.`)
  const tier = sent === 'Advanced' || (sent === 'Intelligent-Tiering' && existing?.tier === 'Advanced') ? 'Advanced' : 'Standard'
  if (existing?.tier === 'Advanced' && tier === 'Standard') throw validation(NO_DOWNGRADE)
  return tier
}

function getParameter(region: RegionState, body: Body): Body {
  const name = parameterName(region, body)
  const record = region.parameters.get(name)
  const latest = record?.versions.at(-1)
  if (record === undefined || latest === undefined) throw new Ec2Error('ParameterNotFound', `Parameter ${name} not found.`)
  return {
    Parameter: {
      Name: record.name,
      Type: record.type,
      Value: latest.value,
      Version: latest.version,
      LastModifiedDate: latest.modified.getTime() / 1000,
      ARN: parameterArn(region, record.name),
      DataType: record.dataType
    }
  }
}

/**
 * A session to an instance of the region. SSM reaches an instance through its SSM agent, which
 * registers only with the rights of an instance profile: an instance that is not running, or was
 * launched with none, is not connected, in the words the AWS CLI shows ("i-… is not connected.").
 * The answer is what the session-manager-plugin takes: the session's id, a token and the
 * ssmmessages stream it opens (`wss://ssmmessages.REGION.DOMAIN/v1/data-channel/ID`).
 */
function startSession(region: RegionState, body: Body): Body {
  const target = text(body, 'Target') as string
  const instance = region.instances.get(target)
  if (instance === undefined || instance.state !== 'running' || instance.iamInstanceProfile === undefined) {
    throw new Ec2Error('TargetNotConnected', `${target} is not connected.`)
  }
  const documentName = text(body, 'DocumentName', false)
  const sent = body.Parameters
  const parameters: Record<string, string[]> =
    typeof sent === 'object' && sent !== null ? Object.fromEntries(Object.entries(sent).map(([key, values]) => [key, Array.isArray(values) ? values.map(String) : [String(values)]])) : {}
  // A session's id is the caller's name and a hex suffix (`alice-0123456789abcdef0`).
  const sessionId = `loopback-${randomBytes(9).toString('hex').slice(0, 17)}`
  region.sessions.set(sessionId, { sessionId, target, ...(documentName !== undefined && { documentName }), parameters, terminated: false })
  return {
    SessionId: sessionId,
    TokenValue: randomBytes(24).toString('base64'),
    StreamUrl: `wss://ssmmessages.${region.name}.${dnsSuffixOf(region.name)}/v1/data-channel/${sessionId}?role=publish_subscribe`
  }
}

/**
 * Ends a session. The API reference lists no error but InternalServerError for it: a session
 * already ended, or one the region never had, is answered as one just ended.
 */
function terminateSession(region: RegionState, body: Body): Body {
  const sessionId = text(body, 'SessionId') as string
  const session = region.sessions.get(sessionId)
  if (session !== undefined) session.terminated = true
  return { SessionId: sessionId }
}

const OPERATIONS: Record<string, (region: RegionState, body: Body) => Body> = {
  PutParameter: putParameter,
  GetParameter: getParameter,
  StartSession: startSession,
  TerminateSession: terminateSession
}

/** The operation named by an `X-Amz-Target` header; undefined when it is not SSM's. */
export function ssmOperation(target: string | undefined): string | undefined {
  return target?.startsWith(SSM_TARGET_PREFIX) ? target.slice(SSM_TARGET_PREFIX.length) : undefined
}

/** The request body's members as strings, for the endpoint's record of calls. */
export function ssmParams(body: Body): Record<string, string> {
  return Object.fromEntries(Object.entries(body).map(([key, value]) => [key, typeof value === 'object' && value !== null ? JSON.stringify(value) : String(value)]))
}

export function parseSsmBody(raw: string): Body {
  try {
    const body = JSON.parse(raw === '' ? '{}' : raw) as unknown
    if (typeof body === 'object' && body !== null && !Array.isArray(body)) return body as Body
  } catch {
    // Answered below, as SSM answers a body it cannot read.
  }
  throw new Ec2Error('SerializationException', 'The request body is not a JSON object.')
}

export function answerSsm(region: RegionState, operation: string, body: Body): string {
  const handler = OPERATIONS[operation]
  if (handler === undefined) {
    throw new Ec2Error('UnknownOperationException', `The operation ${operation} is not served by the loopback endpoint.`)
  }
  return JSON.stringify(handler(region, body))
}

export function ssmErrorDocument(error: Ec2Error): string {
  return JSON.stringify({ __type: error.code, message: error.message })
}
