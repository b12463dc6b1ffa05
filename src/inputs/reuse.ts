// Inputs reuse and fingerprint-paths: whether a build whose inputs have not changed is skipped
// for the AMIs it made last time, and which files, besides the template and its variables
// files, make up those inputs.
import { existsSync } from 'node:fs'
import { dirname, relative, resolve, sep } from 'node:path'
import { errorMessage } from '../common/errors.js'
import { optionalBoolean } from './optional.js'
import { isDirectory, type InputReader } from './reader.js'
import type { TemplateFiles } from './template-files.js'
import { hclTemplateFiles } from './template.js'

/** The tags by which a later run with reuse finds a build's AMIs. */
export const reuseTagKeys = {
  fingerprint: 'BuildFingerprint',
  /** `<run UUID> <number of AMIs> <region,region,…>`: the same on every AMI of one build. */
  set: 'BuildSet',
  /** `<builder type> <build name>`: what the artifacts output says of the AMI. */
  build: 'PackerBuild'
} as const

export interface ReuseInputs {
  reuse: boolean
  /**
   * Every file the fingerprint covers, absolute, sorted: the template's, the variables files
   * and those fingerprint-paths matches. Empty unless reuse is true.
   */
  fingerprintFiles: string[]
}

// Written by Packer or git, not by the user: they change from run to run without changing the image.
const neverFingerprinted = ['.git', 'packer_cache']

function templateFilesOf(files: TemplateFiles): string[] {
  const template = resolve(files.workingDirectory, files.template)
  const own = files.templateKind === 'json' || !isDirectory(template) ? [template] : hclTemplateFiles(template)
  return [...own, ...files.varFiles.map((varFile) => resolve(files.workingDirectory, varFile))]
}

/** The patterns, relative to working-directory; the template's directory when none are given. */
function patternsOf(reader: InputReader, files: TemplateFiles): string[] {
  const template = resolve(files.workingDirectory, files.template)
  const lines = reader.lines('fingerprint-paths')
  if (lines.length === 0) return [isDirectory(template) ? template : dirname(template)]
  return lines.map((line) => {
    const negated = line.startsWith('!')
    const pattern = resolve(files.workingDirectory, negated ? line.slice(1) : line)
    return negated ? `!${pattern}` : pattern
  })
}

/** Loaded only with reuse: true, so other runs never load the glob library. */
async function matchedFiles(patterns: string[]): Promise<string[]> {
  const { matchedFiles: match } = await import('./fingerprint-globs.js')
  return match(patterns)
}

/** `homeRegion` is where earlier builds' AMIs are looked for first. */
export async function readReuseInputs(reader: InputReader, files: TemplateFiles, homeRegion?: string): Promise<ReuseInputs> {
  const reuse = optionalBoolean(reader, 'reuse', false)
  if (reuse && homeRegion === undefined) {
    reader.problem('reuse: needs aws-region (or AWS_REGION) to know where to look for the AMIs of earlier builds')
  }
  if (!reuse || !existsSync(files.workingDirectory)) return { reuse, fingerprintFiles: [] }
  let matched: string[] = []
  try {
    matched = await matchedFiles(patternsOf(reader, files))
  } catch (error) {
    reader.problem(`fingerprint-paths: ${errorMessage(error)}`)
  }
  const inScope = matched.filter((file) => {
    const parts = relative(files.workingDirectory, file).split(sep)
    return file !== files.manifest && !parts.some((part) => neverFingerprinted.includes(part))
  })
  const all = [...new Set([...templateFilesOf(files), ...inScope])].filter((file) => existsSync(file)).sort()
  return { reuse, fingerprintFiles: all }
}
