// Which AMIs this run built: from the manifest file when this run wrote to it, and from the
// artifacts Packer announced on its output (for builds the manifest does not cover).
import { existsSync, mkdirSync, readFileSync } from 'node:fs'
import { dirname } from 'node:path'
import { amisFromAnnouncedArtifacts, parseManifest, type Ami } from './manifest.js'
import type { AnnouncedArtifact } from '../packer/machine-readable.js'

/** The manifest's `last_run_uuid` before the build, to tell this run's entries from older ones. */
export function manifestRunUuid(path: string): string | undefined {
  if (!existsSync(path)) return undefined
  try {
    return parseManifest(readFileSync(path, 'utf8'), path).runUuid
  } catch {
    return undefined
  }
}

export interface BuiltAmis {
  amis: Ami[]
  runUuid?: string
  /** The manifest file read, when this run wrote to it. */
  manifest?: string
  notes: string[]
  /** Why there is no AMI, for a build that succeeded without one. */
  whyNoAmi: string
}

export function readBuiltAmis(
  manifestPath: string,
  runUuidBefore: string | undefined,
  announced: AnnouncedArtifact[]
): BuiltAmis {
  const notes: string[] = []
  let amis: Ami[] = []
  let runUuid: string | undefined
  let manifest: string | undefined
  let buildsWithoutAmi: string[] = []

  // Whatever the file holds, the AMIs Packer announced are real: a manifest that cannot be
  // read only means reading them from Packer's output instead.
  let run: ReturnType<typeof parseManifest> | undefined
  if (existsSync(manifestPath)) {
    try {
      run = parseManifest(readFileSync(manifestPath, 'utf8'), manifestPath)
    } catch (error) {
      notes.push(`Cannot read the manifest: ${(error as Error).message}. Reading the AMIs from Packer's output.`)
    }
  }
  if (run) {
    if (run.runUuid !== undefined && run.runUuid !== runUuidBefore) {
      ;({ amis, runUuid, buildsWithoutAmi } = run)
      manifest = manifestPath
    } else {
      notes.push(`${manifestPath} holds no build of this run; reading the AMIs from Packer's output.`)
    }
  } else if (!existsSync(manifestPath)) {
    notes.push(`No manifest at ${manifestPath}; reading the AMIs from Packer's output.`)
  }

  const seen = new Set(amis.map((ami) => `${ami.region}:${ami.amiId}`))
  for (const ami of amisFromAnnouncedArtifacts(announced)) {
    if (!seen.has(`${ami.region}:${ami.amiId}`)) {
      seen.add(`${ami.region}:${ami.amiId}`)
      amis.push(ami)
    }
  }

  const whyNoAmi =
    buildsWithoutAmi.length > 0
      ? `Packer succeeded, but its builds (${buildsWithoutAmi.join(', ')}) made no AMI: no region:ami-… ` +
        'artifact. The AMIs come from amazon-ebs, amazon-ebssurrogate, amazon-chroot and amazon-instance builds.'
      : `Packer succeeded, but no AMI was found: ${manifestPath} has no build of this run and Packer ` +
        'announced no region:ami-… artifact. Does the template have an AMI builder (amazon-ebs, …)?'
  return { amis, runUuid, manifest, notes, whyNoAmi }
}

/**
 * Creates the directory the manifest is written to, if it is missing: Packer's manifest
 * post-processor does not, and when it fails, Packer deregisters the AMIs the build made.
 * Returns the directory created, if any.
 */
export function prepareManifestDirectory(manifestPath: string): string | undefined {
  const directory = dirname(manifestPath)
  if (existsSync(directory)) return undefined
  mkdirSync(directory, { recursive: true })
  return directory
}
