// Faults a test can switch on: throttling, a fixed error per action, eventual consistency of
// copied images, latency, and instances that never start.

import { Ec2Error, notFound, throttled } from './errors.js'
import type { Params } from './query.js'
import { partitionOf } from './partitions.js'
import { callerArn, SELF_ACCOUNT_ID, type World } from './world.js'

export interface ThrottleFault {
  /** Throttle the first N calls (counted from now), then let calls through. */
  firstCalls?: number
  /**
   * Throttle this fraction (0–1) of calls, spread evenly and starting with the first one:
   * 0.5 throttles calls 1, 3, 5, … Applies after `firstCalls`, if both are given.
   */
  rate?: number
  /** Only calls to this region. */
  region?: string
  /**
   * With `rate`: throttle each call with probability `rate`, drawn from a generator seeded with
   * this number, so that a run can be repeated call for call.
   */
  seed?: number
  /** Only calls whose User-Agent contains this, e.g. `aws-sdk-js` (the action, not Packer). */
  userAgent?: string
}

export interface HangFault {
  region?: string
  /** Only calls whose User-Agent contains this. */
  userAgent?: string
  /** Answer the first N matching calls (counted from now), and hang only those after them. */
  afterCalls?: number
}

export interface ErrorFault {
  /** EC2 error code, e.g. `UnauthorizedOperation`, `InternalError`. */
  code: string
  /** Defaults to EC2's message for the code (for UnauthorizedOperation, with an encoded message). */
  message?: string
  /** Defaults to the status EC2 sends with the code (400 for most). */
  status?: number
  /** Fail only the first N calls (counted from now); otherwise every call. */
  firstCalls?: number
  region?: string
  /** Only calls whose User-Agent contains this. */
  userAgent?: string
}

export interface ExpiryFault {
  /** Only credentials with this access key ID (the one in the call's SigV4 credential scope) expire. */
  accessKeyId?: string
  /** Answer this many calls signed with them (counted from now) first; those after them are refused. */
  afterCalls?: number
  /** Answer calls until one of this action has been answered; those after it are refused. */
  after?: string
}

/** Keys a service does not take: an access key ID no account has, or a secret that is not the key's. */
export interface RefusedCredentialsFault {
  reason: 'unknown-key' | 'wrong-secret'
  /** Only these services refuse them (all three when not given); the others answer as usual. */
  services?: Array<'ec2' | 'iam' | 'ssm'>
}

/**
 * What each service answers a call signed with keys it does not take: EC2 `AuthFailure` (401) for
 * both; IAM and STS (Query APIs) `InvalidClientTokenId` or `SignatureDoesNotMatch` (403); SSM (a
 * JSON API) `UnrecognizedClientException` or `InvalidSignatureException` (400).
 */
export function refusedCredentialsError(service: 'ec2' | 'iam' | 'ssm', reason: RefusedCredentialsFault['reason']): Ec2Error {
  if (service === 'ec2') return new Ec2Error('AuthFailure', 'AWS was not able to validate the provided access credentials', 401)
  const unknown = reason === 'unknown-key'
  if (service === 'iam') {
    return unknown
      ? new Ec2Error('InvalidClientTokenId', 'The security token included in the request is invalid.', 403)
      : new Ec2Error('SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.', 403)
  }
  return unknown
    ? new Ec2Error('UnrecognizedClientException', 'The security token included in the request is invalid.', 400)
    : new Ec2Error('InvalidSignatureException', 'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.', 400)
}

export interface Ec2Faults {
  /** `RequestLimitExceeded` (HTTP 503). With no options, every call to the action. */
  throttle(action: string, fault?: ThrottleFault): void
  fail(action: string, fault: ErrorFault): void
  /** Every AMI made by CopyImage from now on is "not found" by the next N calls that name it. */
  hideCopiedImages(calls: number): void
  /** Delay before each answer; per action, or for all actions when no action is given. */
  latency(ms: number, action?: string): void
  /**
   * Accept the call and never answer it (the connection stays open until the client gives up
   * or the endpoint closes). Per action, or every action when none is given.
   */
  hang(action?: string, fault?: HangFault): void
  /** Pending instances stay pending (they can still be terminated). */
  holdInstancesPending(hold?: boolean): void
  /** AMIs made by CopyImage stay pending (they can still be deregistered): a copy that takes long. */
  holdCopiesPending(hold?: boolean): void
  /** AMIs made by CreateImage or RegisterImage stay pending: an AMI that takes long to become available. */
  holdCreatedImagesPending(hold?: boolean): void
  /**
   * Carry out each call to the action at once and hold its answer for `ms`: EC2 has done it (an
   * instance runs) before the caller hears of it.
   */
  answerLate(action: string, ms: number): void
  /**
   * Carry out each call to the action at once and hold its answer until releaseAnswers(action):
   * the caller waits as long as a test needs, with no clock involved. With `accessKeyId`, only
   * calls signed with that key are held: one of two runs in the account is slow, the other not.
   */
  holdAnswers(action: string, fault?: { accessKeyId?: string }): void
  /** Sends the answers held for the action, and stops holding them. */
  releaseAnswers(action: string): void
  /**
   * The session's credentials expire: from then on, every call signed with them, EC2's, IAM's and
   * SSM's, is refused as each service refuses a session token that has expired (expiredTokenError).
   * With no options, at once.
   */
  expireCredentials(fault?: ExpiryFault): void
  /** The step's keys are refused, by every service or those `services` names (refusedCredentialsError), from now on. */
  refuseCredentials(fault: RefusedCredentialsFault): void
  /** Switches every fault off (and sends every answer held). */
  clear(): void
}

interface Counted<T> {
  fault: T
  calls: number
  random?: () => number
}

function matches(fault: { region?: string; userAgent?: string }, region: string, userAgent = ''): boolean {
  return (
    (fault.region === undefined || fault.region === region) &&
    (fault.userAgent === undefined || userAgent.includes(fault.userAgent))
  )
}

/** mulberry32: a small seeded generator of numbers in [0, 1). */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

function resourceArn(action: string, region: string, params: Params): string {
  const id = params['ResourceId.1'] ?? params.ImageId ?? params['InstanceId.1'] ?? params.SnapshotId
  const ec2 = `arn:${partitionOf(region)}:ec2:${region}`
  if (id?.startsWith('ami-')) return `${ec2}::image/${id}`
  if (id?.startsWith('snap-')) return `${ec2}::snapshot/${id}`
  if (id?.startsWith('i-')) return `${ec2}:${SELF_ACCOUNT_ID}:instance/${id}`
  return `${ec2}:${SELF_ACCOUNT_ID}:*/${action}`
}

function unauthorizedMessage(action: string, region: string, params: Params): string {
  const resource = resourceArn(action, region, params)
  const user = callerArn(region)
  const decision = JSON.stringify({
    allowed: false,
    explicitDeny: false,
    matchedStatements: { items: [] },
    context: { principal: { arn: user }, action: `ec2:${action}`, resource }
  })
  const encoded = Buffer.from(decision).toString('base64url')
  return (
    `You are not authorized to perform this operation. User: ${user} is not authorized ` +
    `to perform: ec2:${action} on resource: ${resource} because no identity-based policy ` +
    `allows the ec2:${action} action. Encoded authorization failure message: ${encoded}`
  )
}

const DEFAULT_MESSAGES: Record<string, string> = {
  InternalError: 'An internal error has occurred',
  Unavailable: 'The service is unavailable. Please try again shortly.',
  RequestLimitExceeded: 'Request limit exceeded.',
  AuthFailure: 'AWS was not able to validate the provided access credentials'
}

/**
 * What each service answers a call whose session token has expired. EC2 says `RequestExpired`
 * (HTTP 400, "Request has expired."), the code the AWS SDK for Go v1 lists among its expired
 * credentials' codes as "EC2 Only"; IAM, a Query API too, `ExpiredToken` (403); SSM, a JSON API,
 * `ExpiredTokenException` (400), each with "The security token included in the request is expired".
 */
export function expiredTokenError(service: 'ec2' | 'iam' | 'ssm'): Ec2Error {
  const message = 'The security token included in the request is expired'
  if (service === 'iam') return new Ec2Error('ExpiredToken', message, 403)
  if (service === 'ssm') return new Ec2Error('ExpiredTokenException', message, 400)
  return new Ec2Error('RequestExpired', 'Request has expired.', 400)
}

export class FaultPlan implements Ec2Faults {
  private readonly world: World
  private readonly throttles = new Map<string, Counted<ThrottleFault>>()
  private readonly failures = new Map<string, Counted<ErrorFault>>()
  private readonly latencies = new Map<string, number>()
  private readonly lateAnswers = new Map<string, number>()
  private readonly hangs = new Map<string, Counted<HangFault>>()
  private readonly heldAnswers = new Map<string, { released: Promise<void>; release: () => void; accessKeyId?: string }>()
  private hiddenCalls = 0
  private expiry: { fault: ExpiryFault; calls: number; expired: boolean } | undefined
  private refusal: RefusedCredentialsFault | undefined
  private readonly hidden = new Map<string, number>()

  constructor(world: World) {
    this.world = world
  }

  throttle(action: string, fault: ThrottleFault = {}): void {
    const random = fault.seed === undefined ? undefined : seededRandom(fault.seed)
    this.throttles.set(action, { fault, calls: 0, random })
  }

  hang(action?: string, fault: HangFault = {}): void {
    this.hangs.set(action ?? '*', { fault, calls: 0 })
  }

  /** Whether this call is to go unanswered. */
  isHung(action: string, region: string, userAgent: string): boolean {
    const hang = this.hangs.get(action) ?? this.hangs.get('*')
    if (hang === undefined || !matches(hang.fault, region, userAgent)) return false
    hang.calls += 1
    return hang.calls > (hang.fault.afterCalls ?? 0)
  }

  fail(action: string, fault: ErrorFault): void {
    this.failures.set(action, { fault, calls: 0 })
  }

  expireCredentials(fault: ExpiryFault = {}): void {
    this.expiry = { fault, calls: 0, expired: fault.afterCalls === undefined && fault.after === undefined }
  }

  /**
   * Throws what the service answers a call signed with credentials that have expired, if these
   * have; a call of the action `after` names is answered, and expires them for the calls after it.
   */
  refuseCredentials(fault: RefusedCredentialsFault): void {
    this.refusal = fault
  }

  checkExpiry(service: 'ec2' | 'iam' | 'ssm', action: string, accessKeyId: string): void {
    const refusal = this.refusal
    if (refusal !== undefined && (refusal.services ?? [service]).includes(service)) throw refusedCredentialsError(service, refusal.reason)
    const expiry = this.expiry
    if (expiry === undefined || (expiry.fault.accessKeyId !== undefined && expiry.fault.accessKeyId !== accessKeyId)) return
    if (!expiry.expired) {
      expiry.calls += 1
      if (expiry.fault.afterCalls !== undefined && expiry.calls > expiry.fault.afterCalls) expiry.expired = true
      else {
        if (action === expiry.fault.after) expiry.expired = true
        return
      }
    }
    throw expiredTokenError(service)
  }

  hideCopiedImages(calls: number): void {
    this.hiddenCalls = calls
  }

  latency(ms: number, action?: string): void {
    this.latencies.set(action ?? '*', ms)
  }

  holdInstancesPending(hold = true): void {
    this.world.holdInstancesPending = hold
  }

  holdCopiesPending(hold = true): void {
    this.world.holdCopiesPending = hold
  }

  holdCreatedImagesPending(hold = true): void {
    this.world.holdCreatedImagesPending = hold
  }

  answerLate(action: string, ms: number): void {
    this.lateAnswers.set(action, ms)
  }

  holdAnswers(action: string, fault: { accessKeyId?: string } = {}): void {
    if (this.heldAnswers.has(action)) return
    let release = (): void => {}
    const released = new Promise<void>((resolve) => (release = resolve))
    this.heldAnswers.set(action, { released, release, accessKeyId: fault.accessKeyId })
  }

  releaseAnswers(action: string): void {
    this.heldAnswers.get(action)?.release()
    this.heldAnswers.delete(action)
  }

  /** Resolves once the answer to a call of the action may be sent. */
  answerReleased(action: string, accessKeyId = ''): Promise<void> {
    const held = this.heldAnswers.get(action)
    if (held === undefined || (held.accessKeyId !== undefined && held.accessKeyId !== accessKeyId)) return Promise.resolve()
    return held.released
  }

  /** How long the answer to a call of the action is held once the call is carried out. */
  answerDelayFor(action: string): number {
    return this.lateAnswers.get(action) ?? 0
  }

  clear(): void {
    this.throttles.clear()
    this.failures.clear()
    this.latencies.clear()
    this.hangs.clear()
    this.lateAnswers.clear()
    for (const action of [...this.heldAnswers.keys()]) this.releaseAnswers(action)
    this.hidden.clear()
    this.hiddenCalls = 0
    this.expiry = undefined
    this.refusal = undefined
    this.world.holdInstancesPending = false
    this.world.holdCopiesPending = false
    this.world.holdCreatedImagesPending = false
  }

  latencyFor(action: string): number {
    return this.latencies.get(action) ?? this.latencies.get('*') ?? 0
  }

  imageCopied(imageId: string): void {
    if (this.hiddenCalls > 0) this.hidden.set(imageId, this.hiddenCalls)
  }

  /** Throws the fault this call runs into, if any. */
  check(action: string, region: string, params: Params, userAgent = ''): void {
    const throttle = this.throttles.get(action)
    if (throttle !== undefined && matches(throttle.fault, region, userAgent)) {
      throttle.calls += 1
      if (this.isThrottled(throttle)) throw throttled()
    }
    const failure = this.failures.get(action)
    if (failure !== undefined && matches(failure.fault, region, userAgent)) {
      failure.calls += 1
      const { fault } = failure
      if (fault.firstCalls === undefined || failure.calls <= fault.firstCalls) {
        const message =
          fault.message ??
          (fault.code === 'UnauthorizedOperation'
            ? unauthorizedMessage(action, region, params)
            : (DEFAULT_MESSAGES[fault.code] ?? `${fault.code} (injected by the loopback endpoint)`))
        throw new Ec2Error(fault.code, message, fault.status)
      }
    }
    for (const value of new Set(Object.values(params))) {
      const remaining = this.hidden.get(value)
      if (remaining === undefined || remaining <= 0) continue
      this.hidden.set(value, remaining - 1)
      throw notFound('ami', [value])
    }
  }

  private isThrottled({ fault, calls, random }: Counted<ThrottleFault>): boolean {
    const first = fault.firstCalls ?? 0
    if (calls <= first) return true
    if (fault.rate === undefined) return fault.firstCalls === undefined
    if (random !== undefined) return random() < fault.rate
    const n = calls - first
    return Math.ceil(n * fault.rate) > Math.ceil((n - 1) * fault.rate)
  }
}
