// Builds that reach their instance through AWS Systems Manager (`ssh_interface =
// "session_manager"`): Packer opens the SSH port through a port-forwarding session, which it
// starts with AWS's `session-manager-plugin`, run on the runner (StepCreateSSMTunnel, 1.6.6 and
// the Amazon plugin since). Packer looks for the plugin only once the instance runs: without it,
// Packer 1.6.6 starts a new SSM session again and again, logging "executable file not found in
// $PATH" for each (thousands a minute, none of them ended until the build is), until the SSH
// timeout (5 minutes unless ssh_timeout says otherwise) fails the build with "Timeout waiting for
// SSH.", which names no plugin. GitHub-hosted runner images have the plugin; self-hosted runners
// and containers often do not.
import type { AmiBuild } from './ami-builds.js'
import type { InputProblem } from './reader.js'
import type { TemplateKind } from './template.js'

/** The program Packer runs for the session, as it looks it up on PATH. */
export const sessionManagerPlugin = 'session-manager-plugin'

/** The Amazon builders that launch an instance and connect to it through their RunConfig (not amazon-chroot). */
const connectingBuilders = new Set(['amazon-ebs', 'amazon-ebssurrogate', 'amazon-ebsvolume', 'amazon-instance'])

/**
 * Whether a build, by its settings with the run's values, connects through Session Manager: its
 * ssh_interface is "session_manager" and its communicator SSH (unset is SSH, the Amazon builders'
 * default). "none" connects nothing, and Packer refuses WinRM with it itself. A value only Packer
 * knows is not counted.
 */
export function connectsThroughSessionManager(type: string, sshInterface: string | undefined, communicator: string | undefined | null): boolean {
  return connectingBuilders.has(type) && sshInterface === 'session_manager' && (communicator === null || communicator === 'ssh')
}

/**
 * A problem on each build of the run (only and except honoured; a build whose name only Packer
 * knows counts) that connects through Session Manager, on its ssh_interface, when the runner has
 * no session-manager-plugin on its PATH. A command that builds nothing connects nothing.
 */
export async function sessionManagerProblems(
  builds: AmiBuild[] | undefined,
  given: { command: string; only: string[]; except: string[]; templateKind: TemplateKind },
  onPath: (program: string) => Promise<boolean> = async (program) => (await (await import('@actions/io')).which(program, false)) !== ''
): Promise<InputProblem[]> {
  const connecting = (builds ?? []).filter((build) => build.sessionManager !== undefined)
  if (connecting.length === 0 || given.command !== 'build') return []
  const { selectsBuild } = given.only.length === 0 && given.except.length === 0 ? { selectsBuild: undefined } : await import('./hcl-build-selection.js')
  const running = connecting.filter(({ name }) => name === undefined || selectsBuild === undefined || selectsBuild(given, given.templateKind, name))
  if (running.length === 0 || (await onPath(sessionManagerPlugin))) return []
  return running.map((build) => {
    const location = build.sessionManager as NonNullable<AmiBuild['sessionManager']>
    const named = build.name === undefined ? '' : ` ${build.name}`
    return {
      message:
        `template: ${location.file}: build${named} (builder ${build.type}) connects through Session Manager (ssh_interface ` +
        `"session_manager"), and the runner has no ${sessionManagerPlugin} on its PATH: Packer would launch the instance, fail to ` +
        `start the plugin (opening SSM session after SSM session meanwhile), and fail only once the SSH timeout (5 minutes unless ` +
        `ssh_timeout says otherwise) has passed, with "Timeout waiting for SSH.". Install the plugin in a step ` +
        `before this one (AWS's guide: "Install the Session Manager plugin for the AWS CLI"); GitHub-hosted runner images have it.`,
      location
    }
  })
}
