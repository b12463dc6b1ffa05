// Input only/except against an HCL2 template's builds, once Packer has listed them. A file of
// its own so that the glob matcher loads with the job, not with the input checks every run makes.
import { minimatch } from 'minimatch'
import * as semver from 'semver'
import { everyBuildExcepted } from './build-selection.js'
import type { TemplateKind } from './template.js'

/**
 * Whether Packer's list of the builds names them as it builds them. Packer before 1.7 lists a
 * build that a build block names (`source "amazon-ebs.base" { name = "noble" }`, built as
 * amazon-ebs.noble) by its source block's name (amazon-ebs.base), though `-only` takes the
 * build's own name.
 */
export function listNamesBuilds(packerVersion: string, renamesSources: boolean): boolean {
  return !renamesSources || semver.gte(semver.coerce(packerVersion) ?? '0.0.0', '1.7.0')
}

/**
 * Input only/except against an HCL2 template's builds as Packer lists them. Packer matches
 * each entry as a glob against the full build name, and a name that matches nothing builds
 * nothing and still exits 0, so such an entry is refused, as is an except that leaves no build
 * to a build command (everyBuildExcepted). An except entry may instead match a post-processor's
 * name, or its type when unnamed (`postProcessors`; undefined when only Packer knows a name):
 * Packer then skips it.
 */
export function checkHclBuildSelection(
  selection: { only: string[]; except: string[]; command?: string },
  builds: string[],
  postProcessors: string[] | undefined
): string[] {
  const problems: string[] = []
  const excepted = selection.command === 'build' && selection.only.length === 0 ? everyBuildExcepted(selection.except, builds, (build, entry) => matchesAny([build], entry)) : undefined
  if (excepted !== undefined) problems.push(excepted)
  for (const entry of selection.only) {
    if (!matchesAny(builds, entry)) problems.push(`only: "${entry}" matches none of the template's builds (${builds.join(', ')}); ${howNamed}`)
  }
  for (const entry of selection.except) {
    if (matchesAny(builds, entry) || postProcessors === undefined || matchesAny(postProcessors, entry)) continue
    const listed = postProcessors.length > 0 ? ` nor its post-processors (${postProcessors.join(', ')})` : ''
    problems.push(`except: "${entry}" matches none of the template's builds (${builds.join(', ')})${listed}; ${howNamed}`)
  }
  return problems
}

/**
 * Whether `only`/`except` let Packer run `build`. An HCL2 template's entries are globs matched
 * against the full build name; a JSON template's name a build whole, as Packer matches exact names
 * there (build-selection.ts).
 */
export function selectsBuild(selection: { only: string[]; except: string[] }, kind: TemplateKind, build: string): boolean {
  const matches = (entry: string): boolean => (kind === 'hcl' ? matchesAny([build], entry) : build === entry)
  if (selection.only.length > 0) return selection.only.some(matches)
  return !selection.except.some(matches)
}

/**
 * Whether an `except` entry matches none of the run's builds: Packer then takes it for a
 * post-processor's name (or, unnamed, its type) and skips that post-processor in every build.
 */
export function exceptSkipsPostProcessor(except: string[], kind: TemplateKind, buildNames: string[]): boolean {
  return except.some((entry) => buildNames.every((build) => selectsBuild({ only: [], except: [entry] }, kind, build)))
}

/** Whether an only/except entry, a glob as Packer takes it, matches one of `names` whole. */
export function matchesAny(names: string[], entry: string): boolean {
  return names.some((name) => minimatch(name, entry, { dot: true }))
}

const howNamed = 'HCL2 builds are named SOURCE_TYPE.SOURCE_NAME, with BUILD. in front for a named build block'
