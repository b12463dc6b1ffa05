// The run's provenance, from @actions/github's context of the run: which commit was built, by
// which run, started how and by whom. Loaded apart from the other inputs (with the toolkit's
// GitHub client), once the inputs are known to be good.
import { readFileSync } from 'node:fs'
import { maxTagValueLength, provenanceTagKeys, type Provenance, type RunContext } from './tags.js'

/** The run's context, and why the runner's event file was left out of it, if it was. */
export interface RunContextRead {
  context: RunContext
  eventFileProblem?: string
}

/**
 * The run's context as @actions/github reads it from the runner's GITHUB_* variables and event
 * file (GITHUB_EVENT_PATH). The toolkit parses that file as it loads and throws a bare
 * "Unexpected token" when it is not JSON (a runner stand-in's, or one cut short on a full disk),
 * which would fail a build whose provenance the variables alone tell: the payload adds only the
 * sender, who is the actor already. Such a file is left out, and the problem given.
 */
export async function loadRunContext(): Promise<RunContextRead> {
  const eventPath = process.env['GITHUB_EVENT_PATH']
  const problem = eventPath ? eventFileProblem(eventPath) : undefined
  if (problem === undefined) return { context: (await import('@actions/github')).context }
  // Without GITHUB_EVENT_PATH the toolkit reads the context from the variables alone, with no
  // payload: so it loads with the variable out of its sight.
  delete process.env['GITHUB_EVENT_PATH']
  try {
    return {
      context: (await import('@actions/github')).context,
      eventFileProblem: `GITHUB_EVENT_PATH ${eventPath} ${problem}: the provenance tags and the summary take the run's context from its GITHUB_* variables alone.`
    }
  } finally {
    process.env['GITHUB_EVENT_PATH'] = eventPath
  }
}

/** What is wrong with the event file at `path` for @actions/github, or undefined when nothing is. */
function eventFileProblem(path: string): string | undefined {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (error) {
    // A file that is not there the toolkit skips (and says so itself).
    const code = (error as NodeJS.ErrnoException).code
    return code === 'ENOENT' ? undefined : `cannot be read (${code ?? (error as Error).message})`
  }
  let payload: unknown
  try {
    payload = JSON.parse(text)
  } catch (error) {
    return `is not JSON (${(error as Error).message})`
  }
  return typeof payload === 'object' && payload !== null && !Array.isArray(payload) ? undefined : 'holds no JSON object'
}

/**
 * Provenance from the context the runner describes to every step. Outside a runner some of
 * it is missing; what is missing stays undefined rather than empty.
 */
export function readProvenance(context: RunContext): Provenance {
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
    runUrl:
      repository && Number.isInteger(context.runId)
        ? `${serverUrl}/${repository}/actions/runs/${context.runId}${attempt}`
        : undefined
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

