// Which AMIs this run built: from the manifest file when this run wrote to it, and from the
// artifacts Packer announced on its output (for builds the manifest does not cover).
import { existsSync, readFileSync } from 'node:fs'
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

  if (existsSync(manifestPath)) {
    const run = parseManifest(readFileSync(manifestPath, 'utf8'), manifestPath)
    if (run.runUuid !== undefined && run.runUuid !== runUuidBefore) {
      ;({ amis, runUuid, buildsWithoutAmi } = run)
      manifest = manifestPath
    } else {
      notes.push(`${manifestPath} holds no build of this run; reading the AMIs from Packer's output.`)
    }
  } else {
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
