// Every input is read and checked here, before anything is downloaded, built or sent to AWS.
// Each group of inputs has its reader; all of them report into one collector, so that each
// problem becomes its own message naming the input or file.
import { regionName } from '../common/regions.js'
import { halfSetKeysProblem } from './aws-credentials.js'
import { checkVariableNames, readBuildSelection, readVariables, type BuildSelection } from './build-selection.js'
import { foldedInputWarnings, hintFoldedInputs } from './folded.js'
import { readLaunchTemplateInputs, type LaunchTemplateInputs } from './launch-template.js'
import { readPackerInputs, type PackerInputs } from './packer.js'
import { InputReader, type InputGetter, type InputProblem } from './reader.js'
import { readRetentionInputs, type RetentionInputs } from './retention.js'
import { actionTagKeys, ownTagProblems, readReuseInputs, type ReuseInputs } from './reuse.js'
import { readSsmParameterInputs, type SsmParameterInputs } from './ssm-parameter.js'
import { checkTagCount, readTagInputs } from './tags.js'
import { withoutValues } from './template-regions.js'
import type { HclTemplate } from './hcl.js'
import type { KnownInputs } from './template-refusals.js'
import { checkHclDefaultManifest, checkVersionDemands, readTemplateFiles, type TemplateFiles, type VersionDemands } from './template-files.js'
import { temporaryFolderProblem } from './temporary-folder.js'

export { InputError, inputLines, inputList, type InputProblem, type ProblemLocation } from './reader.js'
export type { Command, OnError, SigningKey } from './packer.js'
export type { VersionRequest } from './version-request.js'
export type { LaunchTemplateRef } from './launch-template.js'
export type { InputGetter }

export interface Inputs extends TemplateFiles, VersionDemands, BuildSelection, PackerInputs, LaunchTemplateInputs, SsmParameterInputs, RetentionInputs, ReuseInputs {
  /** Absolute workspace: annotations name files relative to it. */
  workspace: string
  /** The user's tags; provenance tags are added to them when `provenanceTags`. */
  tags: Record<string, string>
  provenanceTags: boolean
  /**
   * The provenance keys that an AMI or snapshot of the build keeps when the template gives it
   * them itself (templateKeeps): set once the provenance tags are added to `tags`.
   */
  templateKeeps?: string[]
  tagSnapshots: boolean
  /** The longest the tagging stage may take, in seconds. */
  taggingTimeoutSeconds: number
  /**
   * A warning for each of tags and variables given as one line that holds several NAME=VALUE,
   * as YAML makes of a folded block: the run goes on with what the line says.
   */
  foldedInputs: string[]
  awsRegion?: string
  summary: boolean
}

const regionPattern = new RegExp(`^${regionName}$`)

/**
 * Reads and checks all inputs; throws an InputError listing every problem. `env` gives
 * AWS_REGION and the workspace.
 */
export async function readInputs(
  get: InputGetter,
  env: Record<string, string | undefined> = process.env
): Promise<Inputs> {
  const reader = new InputReader(get, env.GITHUB_WORKSPACE || process.cwd())
  // Variables first: a JSON template's build names and manifest path can come from them.
  const variables = readVariables(reader)
  // Nothing is read before the variables: a problem so far is one of theirs.
  const variablesRead = reader.problems.length === 0
  // A build that names no region builds in the home region: its regions are known with it.
  const { defaultManifestProblems, varFilesRead, ...files } = readTemplateFiles(reader, variables, env, { variablesRead, homeRegion: homeRegionOf(reader, env) })
  const namesBefore = reader.problems.length
  checkVariableNames(reader, variables, files.templateKind)
  const valuesKnown = variablesRead && varFilesRead && reader.problems.length === namesBefore
  // Whether what the template's checks go by was read without a problem (KnownInputs), counted
  // around each read: a refused input's value is a fallback, and may be another.
  let before = reader.problems.length
  const selection = readBuildSelection(reader, variables, files)
  const onlyExceptRead = reader.problems.length === before
  const packerInputs = await readPackerInputs(reader)
  // A command refused is read as build, its default.
  const selectionRead = onlyExceptRead && packerInputs.command === reader.text('command', 'build')
  before = reader.problems.length
  const tagInputs = readTagInputs(reader)
  const tagsRead = reader.problems.length === before
  const inputs: Omit<Inputs, keyof RetentionInputs | keyof ReuseInputs> = {
    workspace: reader.workspace,
    ...files,
    ...selection,
    ...packerInputs,
    ...tagInputs,
    foldedInputs: foldedInputWarnings(reader),
    awsRegion: readAwsRegion(reader, env),
    summary: reader.boolean('summary', true),
    ...readLaunchTemplateInputs(reader),
    ...readSsmParameterInputs(reader)
  }
  // Checked for a build only: packer validate makes no AWS call.
  const halfSetKeys = packerInputs.command === 'build' ? halfSetKeysProblem(env) : undefined
  if (halfSetKeys) reader.problem(halfSetKeys)
  const temporaryFolder = temporaryFolderProblem(env)
  if (temporaryFolder) reader.problem(temporaryFolder)
  before = reader.problems.length
  const all: Inputs = {
    ...inputs,
    ...readRetentionInputs(reader, inputs.provenanceTags),
    ...(await readReuseInputs(reader, files, inputs.awsRegion))
  }
  const taggingRead = tagsRead && reader.problems.length === before
  // Each gives back the HCL2 template's files with those it parsed, which are not parsed again.
  const parsed = await checkHclDefaultManifest(reader, all, { defaultManifestProblems }, env)
  const hclFiles = await checkVersionDemands(reader, all.packerVersion, { ...all, hclFiles: parsed })
  if (hclFiles) all.hclFiles = hclFiles
  const ownTags = ownTagProblems(all.tags, all)
  for (const problem of ownTags) reader.problem(problem)
  const tooMany = checkTagCount(all.tags, all.provenanceTags, actionTagKeys(all))
  if (tooMany) reader.problem(tooMany)
  // Tags refused as given will be others: what the template's tags make with them is not known.
  const known = { selection: selectionRead, tagging: taggingRead && ownTags.length === 0 && tooMany === undefined }
  hintFoldedInputs(reader)
  if (reader.problems.length > 0) {
    for (const { message, location } of await refusedWithTheInputs(all, { valuesKnown, ...known }, env)) reader.problem(message, location)
  }
  reader.done()
  return all
}

/**
 * What the job would refuse the template for before the install, once the inputs pass: each kind
 * of problem its files tell (templateRefusals), its provisioners that cannot work on a runner
 * (provisionerProblems) and the files it names that are not there (missingFilesRead), in the order
 * main.ts names them. Named with the inputs' problems too, so that a fix of these does not end in
 * a failure on those; only what is known for sure: with a variables file or an input variable that
 * could not be read (`valuesKnown` false), which may set any value, an HCL2 template is not read,
 * and of a JSON one only the provisioners and the paths worked out without a variable are named
 * (describeJson); a check that goes by a refused input (KnownInputs) is left out. An HCL2 template
 * is read here only for this: the job reads it once the inputs pass (src/index.ts).
 */
async function refusedWithTheInputs(
  inputs: Inputs,
  { valuesKnown, ...known }: KnownInputs & { valuesKnown: boolean },
  env: Record<string, string | undefined>
): Promise<InputProblem[]> {
  let uses = inputs.jsonProvisionerUses ?? []
  let notThere = inputs.jsonMissingReferenceProblems ?? []
  let sensitive = inputs.sensitiveValues
  // A JSON template's settings made from a variable may be others.
  let template: HclTemplate | undefined
  let refusable = valuesKnown
  if (inputs.templateKind === 'hcl') {
    if (!valuesKnown || inputs.hclFiles === undefined) return []
    const { readHclTemplate } = await import('./hcl.js')
    // A template the parser cannot read is left to the run after, whose packer validate says where.
    template = await readHclTemplate(inputs, env).catch(() => undefined)
    uses = template?.provisionerUses ?? []
    // A variables file the parser could not read may set any value.
    refusable = template?.unreadable.length === 0
    notThere = refusable && template ? template.missingReferenceProblems : []
    sensitive = template?.sensitiveValues ?? sensitive
  }
  // A JSON template's are all left to only, except and command (templateRefusals): none without them.
  const refused = refusable && (template !== undefined || known.selection) ? await templateProblems(inputs, template, known) : []
  if (refused.length === 0 && uses.length === 0 && notThere.length === 0) return []
  const { missingFilesRead, provisionerProblems } = await import('./build-variables.js')
  // As before the install: an HCL2 error-cleanup-provisioner waits for the release it runs under.
  const version = inputs.packerVersion.kind === 'exact' ? inputs.packerVersion.version : undefined
  // Refused inputs leave the sensitive values unmasked: a problem that would quote one is left out.
  return withoutValues([...refused, ...provisionerProblems(uses, inputs, version), ...missingFilesRead(notThere, inputs)], sensitive)
}

/** The problems of each kind templateRefusals finds, its stage loaded only for them. */
async function templateProblems(inputs: Inputs, template: HclTemplate | undefined, known: KnownInputs): Promise<InputProblem[]> {
  const { templateRefusals } = await import('./template-refusals.js')
  return (await templateRefusals(inputs, template, known)).flatMap(({ problems }) => problems)
}

/** The home region: aws-region, else AWS_REGION, else AWS_DEFAULT_REGION; Packer is given it as AWS_REGION. */
function homeRegionOf(reader: InputReader, env: Record<string, string | undefined>): string | undefined {
  return reader.text('aws-region') || env.AWS_REGION || env.AWS_DEFAULT_REGION || undefined
}

/** aws-region, else the region the workflow configured for the AWS SDK (homeRegionOf), checked. */
function readAwsRegion(reader: InputReader, env: Record<string, string | undefined>): string | undefined {
  const input = reader.text('aws-region')
  const region = homeRegionOf(reader, env)
  if (region !== undefined && !regionPattern.test(region)) {
    const source = input ? 'aws-region' : env.AWS_REGION ? 'AWS_REGION' : 'AWS_DEFAULT_REGION'
    reader.problem(`${source}: expected an AWS region such as us-east-1, found "${region}"`)
  }
  return region
}
