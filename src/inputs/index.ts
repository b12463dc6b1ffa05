// Every input is read and checked here, before anything is downloaded, built or sent to AWS.
// Each group of inputs has its reader; all of them report into one collector, so that each
// problem becomes its own message naming the input or file.
import { regionName } from '../common/regions.js'
import { checkVariableNames, readBuildSelection, readVariables, type BuildSelection } from './build-selection.js'
import { foldedInputWarnings, hintFoldedInputs } from './folded.js'
import { readLaunchTemplateInputs, type LaunchTemplateInputs } from './launch-template.js'
import { readPackerInputs, type PackerInputs } from './packer.js'
import { InputReader, type InputGetter } from './reader.js'
import { readRetentionInputs, type RetentionInputs } from './retention.js'
import { actionTagKeys, ownTagProblems, readReuseInputs, type ReuseInputs } from './reuse.js'
import { readSsmParameterInputs, type SsmParameterInputs } from './ssm-parameter.js'
import { checkTagCount, readTagInputs } from './tags.js'
import { checkHclDefaultManifest, checkVersionDemands, readTemplateFiles, type TemplateFiles, type VersionDemands } from './template-files.js'

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
  const { defaultManifestProblems, ...files } = readTemplateFiles(reader, variables, env)
  checkVariableNames(reader, variables, files.templateKind)
  const inputs: Omit<Inputs, keyof RetentionInputs | keyof ReuseInputs> = {
    workspace: reader.workspace,
    ...files,
    ...readBuildSelection(reader, variables, files),
    ...(await readPackerInputs(reader)),
    ...readTagInputs(reader),
    foldedInputs: foldedInputWarnings(reader),
    awsRegion: readAwsRegion(reader, env),
    summary: reader.boolean('summary', true),
    ...readLaunchTemplateInputs(reader),
    ...readSsmParameterInputs(reader)
  }
  const all: Inputs = {
    ...inputs,
    ...readRetentionInputs(reader, inputs.provenanceTags),
    ...(await readReuseInputs(reader, files, inputs.awsRegion))
  }
  // Each gives back the HCL2 template's files with those it parsed, which are not parsed again.
  const parsed = await checkHclDefaultManifest(reader, all, { defaultManifestProblems }, env)
  const hclFiles = await checkVersionDemands(reader, all.packerVersion, { ...all, hclFiles: parsed })
  if (hclFiles) all.hclFiles = hclFiles
  for (const problem of ownTagProblems(all.tags, all)) reader.problem(problem)
  const tooMany = checkTagCount(all.tags, all.provenanceTags, actionTagKeys(all))
  if (tooMany) reader.problem(tooMany)
  hintFoldedInputs(reader)
  reader.done()
  return all
}

/** aws-region, else the region the workflow configured for the AWS SDK. */
function readAwsRegion(reader: InputReader, env: Record<string, string | undefined>): string | undefined {
  const input = reader.text('aws-region')
  const region = input || env.AWS_REGION || env.AWS_DEFAULT_REGION || undefined
  if (region !== undefined && !regionPattern.test(region)) {
    const source = input ? 'aws-region' : env.AWS_REGION ? 'AWS_REGION' : 'AWS_DEFAULT_REGION'
    reader.problem(`${source}: expected an AWS region such as us-east-1, found "${region}"`)
  }
  return region
}
