// The run's provenance, from @actions/github's context of the run: which commit was built, by
// which run, started how and by whom. Loaded apart from the other inputs, once the inputs are
// known to be good, through run-context.ts, which checks the event file the toolkit reads as it
// loads.
import * as github from '@actions/github'
import { maxTagValueLength, provenanceTagKeys, type Provenance, type RunContext } from './tags.js'

/**
 * Provenance from the context the runner describes to every step. Outside a runner some of
 * it is missing; what is missing stays undefined rather than empty. nektos/act (which sets ACT)
 * runs the workflow where it is started, with a run ID of its own (1 unless told otherwise): no
 * run of that ID on the server built the AMIs, and run 1 there is another, the repository's first.
 * Its commit may be one never pushed, and its actor is act's own unless told (`local`).
 */
export function readProvenance(context: RunContext = github.context, env: NodeJS.ProcessEnv = process.env): Provenance {
  let repository: string | undefined
  try {
    repository = `${context.repo.owner}/${context.repo.repo}`
  } catch {
    // context.repo throws when neither the runner nor the event names a repository.
  }
  const serverUrl = context.serverUrl || 'https://github.com'
  const attempt = Number.isInteger(context.runAttempt) ? `/attempts/${context.runAttempt}` : ''
  return {
    repository,
    commit: context.sha || undefined,
    ref: context.ref || undefined,
    eventName: context.eventName || undefined,
    actor: context.actor || (context.payload.sender?.login as string | undefined) || undefined,
    serverUrl,
    ...(Number.isInteger(context.runAttempt) ? { runAttempt: context.runAttempt } : {}),
    runUrl:
      repository && Number.isInteger(context.runId) && !env['ACT']
        ? `${serverUrl}/${repository}/actions/runs/${context.runId}${attempt}`
        : undefined,
    ...(env['ACT'] ? { local: true as const } : {})
  }
}

/** The provenance tags: what the run's context says, and the build time. */
export function provenanceTags(provenance: Provenance, buildTime: Date): Record<string, string> {
  const tags: Record<string, string> = {}
  const set = (key: string, value: string | undefined): void => {
    if (value) tags[key] = value.slice(0, maxTagValueLength)
  }
  set(provenanceTagKeys.repository, provenance.repository)
  set(provenanceTagKeys.commit, provenance.commit)
  set(provenanceTagKeys.ref, provenance.ref)
  set(provenanceTagKeys.event, provenance.eventName)
  set(provenanceTagKeys.actor, provenance.actor)
  set(provenanceTagKeys.runUrl, provenance.runUrl)
  set(provenanceTagKeys.buildTime, buildTime.toISOString().replace(/\.\d{3}Z$/, 'Z'))
  return tags
}

