// Whether the builds a run would run can make an AMI at all: the action exists to tag and hand on
// AMIs, and a run of builds that make none (an amazon-ebsvolume, which launches an instance and
// makes volumes; a null one) would be installed, validated and built, money spent, only to fail
// once Packer is done. Refused only where it is certain: a builder type the action does not know
// (a plugin's), or a name or setting only Packer knows, is left to the build.
import type { InputProblem, ProblemLocation } from './reader.js'
import type { TemplateKind } from './template.js'

/** A build as the template writes it, where its builder or source is. */
export interface AmiBuild {
  /** As -only and -except match it; undefined when only Packer knows it. */
  name?: string
  /** The builder's type, as written. */
  type: string
  /** Its `skip_create_ami` is written true: an amazon-ebs build that makes none. */
  skipsAmi: boolean
  location: ProblemLocation
}

/** The builders that make AMIs: the only builds whose artifacts the action reads. */
export const amiBuilders = ['amazon-ebs', 'amazon-ebssurrogate', 'amazon-instance', 'amazon-chroot']

/**
 * Builder types that make no AMI, as Packer and their plugins document them: a file, volumes,
 * a container, another cloud's or a hypervisor's image.
 */
const makesNoAmi = new Set([
  'null',
  'file',
  'amazon-ebsvolume',
  'docker',
  'googlecompute',
  'azure-arm',
  'azure-chroot',
  'qemu',
  'virtualbox-iso',
  'virtualbox-ovf',
  'virtualbox-vm',
  'vmware-iso',
  'vmware-vmx',
  'hyperv-iso',
  'hyperv-vmcx',
  'parallels-iso',
  'parallels-pvm',
  'vsphere-iso',
  'vsphere-clone',
  'lxc',
  'lxd',
  'digitalocean',
  'hcloud'
])

/**
 * A problem on each build the run would run, when none of them makes an AMI; none when one may,
 * when `builds` is undefined (only Packer knows them), or when the command builds nothing.
 */
export async function noAmiProblems(
  builds: AmiBuild[] | undefined,
  given: { command: string; only: string[]; except: string[]; templateKind: TemplateKind }
): Promise<InputProblem[]> {
  if (builds === undefined || given.command !== 'build') return []
  const running = given.only.length === 0 && given.except.length === 0 ? builds : await selected(builds, given)
  if (running.length === 0 || running.some((build) => !makesNone(build))) return []
  return running.map((build) => {
    const why = build.skipsAmi ? ', as its skip_create_ami is true' : ''
    const named = build.name === undefined ? '' : ` ${build.name}`
    return {
      message:
        `template: ${build.location.file}: build${named} (builder ${build.type}) makes no AMI${why}, and this run builds nothing else: ` +
        `the action builds AMIs, and would fail after the build. Build with a builder that makes one: ${amiBuilders.slice(0, -1).join(', ')} or ${amiBuilders.at(-1)}.`,
      location: build.location
    }
  })
}

/**
 * The builds `only` and `except` leave in; a build whose name only Packer knows may run, and
 * counts. Their matcher (with its glob library) loads only for a run that gives them.
 */
async function selected(builds: AmiBuild[], given: { only: string[]; except: string[]; templateKind: TemplateKind }): Promise<AmiBuild[]> {
  const { selectsBuild } = await import('./hcl-build-selection.js')
  return builds.filter(({ name }) => name === undefined || selectsBuild(given, given.templateKind, name))
}

/**
 * An amazon-ebs build's skip_create_ami is its builder's own setting (the plugin's ebs Config):
 * the other AMI builders' are left to Packer, which validates and builds them.
 */
function makesNone(build: AmiBuild): boolean {
  return makesNoAmi.has(build.type) || (build.type === 'amazon-ebs' && build.skipsAmi)
}
