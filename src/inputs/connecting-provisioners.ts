// The provisioners that work only through a communicator: a module of its own, so that reading
// an HCL2 template finds them without loading the checks of build-variables.ts and the glob
// matcher they use, which load only for a template that has such a provisioner.

/**
 * The provisioners that work only through a communicator, on the instance, and how they fail
 * there: Packer (1.6.6 and the newest alike) gives a build whose communicator is "none" one that
 * uploads nothing and whose commands print nothing and exit 0. Shell, powershell and windows-shell
 * retry their script's upload for their start_retry_timeout (5 minutes); windows-restart waits
 * its restart_timeout (5 minutes) for a sign the machine restarted; file fails at once, and so
 * do ansible-local, chef-solo, puppet-masterless and salt-masterless, which upload their files
 * to the instance before they run anything there ("Upload is not implemented when communicator =
 * 'none'"). The error-cleanup-provisioner is run through the same communicator (StepProvision's
 * cleanup).
 */
export const connectingFailures: Record<string, string> = {
  shell: ', after retrying its upload for 5 minutes',
  powershell: ', after retrying its upload for 5 minutes',
  'windows-shell': ', after retrying its upload for 5 minutes',
  'windows-restart': ', after waiting 5 minutes for the machine to restart',
  file: '',
  'ansible-local': ', as it uploads its playbook',
  'chef-solo': ', as it uploads its configuration',
  'puppet-masterless': ', as it uploads its manifests',
  'salt-masterless': ', as it uploads its state tree'
}

/** The types of the provisioners that work only through a communicator. */
export const connectingProvisioners = Object.keys(connectingFailures)

/** The types of the provisioners provisionerProblems checks (build-variables.ts): any other passes. */
export const checkedProvisioners = [...connectingProvisioners, 'breakpoint', 'shell-local']

/**
 * The values a communicator gives a build once it has connected (PopulateProvisionHookData in
 * Packer's plugin SDK): a build that connects none has none of them.
 */
export const connectionAttributes = ['Host', 'Port', 'User', 'Password', 'ConnType', 'SSHPublicKey', 'SSHPrivateKey', 'WinRMPassword']
