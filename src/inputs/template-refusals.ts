// What the job refuses a template for before Packer is installed, besides its provisioners and
// the files it names that are not there: each kind of problem the template's files tell, found
// in one pass, so that one run names them all (main.ts annotates them and fails; readInputs names
// them with refused inputs). The rules are those of their own modules; this only runs them, in
// the order the failure names them, and stops where what a later one would tell is false.
import { crossPartitionProblems, ownKeyProblems, noAmiProblems, repeatedBuildProblems, tagCountProblems, type AmiBuild } from './ami-builds.js'
import type { HclTemplate } from './hcl.js'
import type { Inputs } from './index.js'
import type { InputProblem } from './reader.js'
import { actionTagKeys, keysGoneBy } from './reuse.js'
import { sessionManagerProblems } from './session-manager.js'
import { actionTagSet } from './tags.js'

/** A kind of problem found, with how the failure names it after "The template" (`'s …` or ` …`). */
export interface RefusedKind {
  problems: InputProblem[]
  said: string
  /**
   * Problems of an input (variables) that the template tells, placed on no file: alone, they fail
   * the run as a refused input's do, without the failure that names kinds.
   */
  ofInput?: true
  /** One problem whose failure says "the error above": a template that builds nothing. */
  single?: true
}

/**
 * What of the run is known for sure: all of it once the inputs pass. With refused inputs, a check
 * that goes by one that could not be read is left out (readInputs), as its value may be another.
 */
export interface KnownInputs {
  /** only, except and command. */
  selection: boolean
  /** tags, provenance-tags, tag-snapshots, keep-images, image-family and reuse. */
  tagging: boolean
}

const allKnown: KnownInputs = { selection: true, tagging: true }

/**
 * The kinds of problem the template's files tell before the install, in the order its failure
 * names them; none for an HCL2 template the parser could not read (`template` undefined where the
 * kind is hcl), which packer validate refuses, saying where. Each check is the one rule of its
 * module: a valid template runs each once, and reads nothing more.
 */
export async function templateRefusals(
  inputs: Inputs,
  template: HclTemplate | undefined,
  known: KnownInputs = allKnown,
  /** Whether a program is on the runner's PATH (sessionManagerProblems' own look, unless a test gives one). */
  onPath?: (program: string) => Promise<boolean>
): Promise<RefusedKind[]> {
  if (inputs.templateKind === 'hcl' && template === undefined) return []
  const found: RefusedKind[] = []
  const add = (problems: InputProblem[], said: string, as: Pick<RefusedKind, 'ofInput' | 'single'> = {}): boolean => {
    if (problems.length > 0) found.push({ problems: onceEach(problems), said, ...as })
    return problems.length > 0
  }
  // Build blocks that name sources Packer cannot build: what the later checks tell of the builds
  // would be of builds Packer never makes. Stops here.
  if (add(template?.sourceReferenceProblems ?? [], "'s build blocks name sources Packer cannot build")) return found
  // A template that builds nothing: no source of it is built, so nothing its sources set matters. Stops here.
  if (add(template?.buildlessProblems ?? [], ' builds nothing', { single: true })) return found
  // An Amazon source's settings that EC2 or IAM refuse only once the build runs, and (of either
  // kind of template; a JSON one's other settings are checked with the inputs) paths not where
  // Packer runs but beside the template. Left to Packer with only or except, which may leave the
  // source out.
  const selects = inputs.only.length > 0 || inputs.except.length > 0
  if (!selects && known.selection) {
    add(template?.regionProblems ?? [], ' names regions with spaces in them')
    add(template?.accountProblems ?? [], ' shares its AMIs with accounts that are no account IDs')
    add(template?.instanceProfileProblems ?? [], ' names an instance profile IAM would refuse')
    add(template?.misplacedReferenceProblems ?? inputs.jsonMisplacedReferenceProblems ?? [], ' names files that are not where Packer runs')
    add(template?.imageFilterProblems ?? [], ' filters its source AMI on names EC2 would refuse')
    add(template?.volumeTypeProblems ?? [], ' gives volumes a type EC2 does not have')
    // An HCL2 provisioner's or post-processor's Go template data (a JSON template's is refused
    // with the inputs): left to Packer with only or except, which may leave its builds out.
    add(template?.templateDataProblems ?? [], ' reads template data Packer does not give where it is read')
  }
  const builds: AmiBuild[] | undefined = template ? template.amiBuilds : inputs.jsonAmiBuilds
  if (known.selection) {
    // A run that makes no AMI: what the checks after it tell of its AMIs' names and tags is of
    // AMIs it never makes. Stops here.
    if (add(await noAmiProblems(builds, inputs), ' builds no AMI in this run')) return found
    // JSON builds are never of an HCL2 source block (AmiBuild.made): nothing to repeat.
    add(await repeatedBuildProblems(template ? builds : undefined, inputs), ' builds a source twice with the same settings, which EC2 refuses the second time')
    // What the runner lacks for a build it does run: Packer finds out only once the instance runs.
    add(await sessionManagerProblems(builds, inputs, onPath), " connects through Session Manager, and the runner has no session-manager-plugin")
    add(await crossPartitionProblems(builds, inputs), ' copies AMIs to regions of another partition, which EC2 cannot do')
  }
  if (known.selection && known.tagging) {
    // Both hold once the other is fixed: a key both write counts once.
    add(await ownKeyProblems(builds, inputs, keysGoneBy(inputs)), ' gives tags that the action writes itself')
    const actionKeys = actionTagSet(inputs.tags, inputs.provenanceTags, actionTagKeys(inputs))
    add(await tagCountProblems(builds, inputs, actionKeys), "'s tags and the action's would be more than EC2 allows")
  }
  // Packer refuses an input variable an HCL2 template does not declare, whatever else it builds.
  const undeclared = (template?.variablesProblems ?? []).map((message) => ({ message }))
  add(undeclared, ' does not declare every variable the variables input sets', { ofInput: true })
  return found
}

/**
 * Each problem once: a source built twice (repeatedBuildProblems) is two builds of the same
 * settings, whose tags give the same problem on the same place.
 */
function onceEach(problems: InputProblem[]): InputProblem[] {
  const seen = new Set<string>()
  return problems.filter((problem) => {
    const key = JSON.stringify([problem.message, problem.location])
    if (seen.has(key)) return false
    seen.add(key)
    return true
  })
}

/**
 * The failure of a run refused for `kinds`: each named, in their order, after "The template"
 * (`'s …` becomes `its …` after the first), and what was not done.
 */
export function refusedKindsFailure(kinds: RefusedKind[]): string {
  const [first, ...rest] = kinds
  const then = rest.map(({ said }) => (said.startsWith("'s ") ? `its ${said.slice(3)}` : said.trimStart()))
  const see = kinds.length === 1 && first.single ? 'error' : 'errors'
  return `The template${first.said}${then.map((each) => `, and ${each}`).join('')} (see the ${see} above); nothing was installed or built.`
}
