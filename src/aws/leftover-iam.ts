// The temporary instance profile and role that Packer makes for a build with
// `temporary_iam_instance_profile_policy_document` (step_iam_instance_profile), as a Packer that
// died before its own clean-up left them: the profile, the role in it, and the role's inline
// policy, all named `packer-<UUID>` as its log announced them. A leftover role keeps the
// template's permissions, and anyone who may pass it to an instance can use them. Loaded by the
// post step's clean-up only when a build announced them, and with it the IAM client.
import {
  DeleteInstanceProfileCommand,
  DeleteRoleCommand,
  DeleteRolePolicyCommand,
  GetInstanceProfileCommand,
  GetRoleCommand,
  IAMClient,
  RemoveRoleFromInstanceProfileCommand
} from '@aws-sdk/client-iam'
import { withRunCredentials } from './credentials.js'
import { awsErrorCode, awsErrorText } from './failures.js'
import { madeSincePackerStarted } from './leftovers.js'
import { awsRequestHandler } from './bounds.js'

export interface IamCleanupOptions {
  /** What the build announced. */
  instanceProfiles: string[]
  roles: string[]
  /** When Packer started (ISO 8601): a role or profile made before it is not the build's. */
  packerStarted?: string
  /** The home region, which tells the IAM client its partition (IAM itself is global). */
  region: string
  iam?: IAMClient
  abortSignal: AbortSignal
  log: (message: string) => void
  warn: (message: string) => void
}

export interface IamCleanupReport {
  /** `role packer-…`, `instance profile packer-…` */
  deleted: string[]
  leftBehind: string[]
}

const isGone = (error: unknown): boolean => awsErrorCode(error) === 'NoSuchEntityException'

/**
 * Removes the announced roles from the announced instance profiles, deletes the profiles, then
 * each role's inline policy (named as the role) and the role. Each is first looked up, and left
 * if it was made before Packer started. Never throws.
 */
export async function cleanUpIam(options: IamCleanupOptions): Promise<IamCleanupReport> {
  const iam = options.iam ?? withRunCredentials((credentials) => new IAMClient({ region: options.region, maxAttempts: 3, ...credentials, requestHandler: awsRequestHandler() }))
  const cleanup = new IamCleanup(iam, options)
  try {
    await cleanup.profiles()
    await cleanup.roles()
    return cleanup.report
  } finally {
    if (!options.iam) iam.destroy()
  }
}

class IamCleanup {
  readonly report: IamCleanupReport = { deleted: [], leftBehind: [] }

  constructor(
    private readonly iam: IAMClient,
    private readonly options: IamCleanupOptions
  ) {}

  private get send(): { abortSignal: AbortSignal } {
    return { abortSignal: this.options.abortSignal }
  }

  /** Whether `created` is after Packer started; else says why the entity is left. */
  private madeByTheBuild(what: string, created: Date | undefined): boolean {
    if (created === undefined || madeSincePackerStarted(created, this.options.packerStarted)) return true
    this.options.warn(`The ${what} was made before Packer started (${created.toISOString()}): it is not this build's, and is left as it is.`)
    return false
  }

  async profiles(): Promise<void> {
    for (const name of this.options.instanceProfiles) {
      const what = `instance profile ${name}`
      try {
        const { InstanceProfile } = await this.iam.send(new GetInstanceProfileCommand({ InstanceProfileName: name }), this.send)
        if (!this.madeByTheBuild(what, InstanceProfile?.CreateDate)) continue
        const inside = (InstanceProfile?.Roles ?? []).flatMap((role) => (role.RoleName ? [role.RoleName] : []))
        const others = inside.filter((role) => !this.options.roles.includes(role))
        if (others.length > 0) {
          this.options.warn(`The ${what} holds ${others.join(', ')}, which Packer did not announce: it is left as it is.`)
          this.report.leftBehind.push(name)
          continue
        }
        for (const role of inside) {
          await this.iam.send(new RemoveRoleFromInstanceProfileCommand({ InstanceProfileName: name, RoleName: role }), this.send)
        }
        await this.iam.send(new DeleteInstanceProfileCommand({ InstanceProfileName: name }), this.send)
        this.options.log(`IAM: deleted instance profile ${name}${inside.length > 0 ? `, after removing ${inside.join(', ')} from it` : ''}.`)
        this.report.deleted.push(`instance profile ${name}`)
      } catch (error) {
        this.failed(what, name, error)
      }
    }
  }

  async roles(): Promise<void> {
    for (const name of this.options.roles) {
      const what = `role ${name}`
      try {
        const { Role } = await this.iam.send(new GetRoleCommand({ RoleName: name }), this.send)
        if (!this.madeByTheBuild(what, Role?.CreateDate)) continue
        // Packer names the role's one inline policy as the role; it may not have attached it yet.
        await this.iam.send(new DeleteRolePolicyCommand({ RoleName: name, PolicyName: name }), this.send).catch((error: unknown) => {
          if (!isGone(error)) throw error
        })
        await this.iam.send(new DeleteRoleCommand({ RoleName: name }), this.send)
        this.options.log(`IAM: deleted role ${name} and its policy.`)
        this.report.deleted.push(`role ${name}`)
      } catch (error) {
        this.failed(what, name, error)
      }
    }
  }

  private failed(what: string, name: string, error: unknown): void {
    if (isGone(error)) {
      this.options.log(`IAM: the ${what} is already gone.`)
      return
    }
    this.options.warn(`Could not delete the ${what}: ${awsErrorText(error)}`)
    this.report.leftBehind.push(name)
  }
}
