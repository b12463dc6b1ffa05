// Loads the provenance stage, whose @actions/github reads the runner's event file as it loads.
import { readFileSync } from 'node:fs'

/** The provenance stage, and why the runner's event file was left out of the run's context, if it was. */
export type ProvenanceStage = typeof import('./provenance.js') & { eventFileProblem?: string }

/**
 * The provenance stage, with @actions/github's context of the run read from the runner's GITHUB_*
 * variables and event file (GITHUB_EVENT_PATH). The toolkit parses that file as its module loads
 * and throws a bare "Unexpected token" when it is not JSON (a runner stand-in's, or one cut short
 * on a full disk), which would fail a build whose provenance the variables alone tell: the payload
 * adds only the sender, who is the actor already. Without GITHUB_EVENT_PATH the toolkit reads the
 * variables alone, so such a file is kept out of its sight while it loads, and the problem given.
 */
export async function loadProvenanceStage(): Promise<ProvenanceStage> {
  const eventPath = process.env['GITHUB_EVENT_PATH']
  const problem = eventPath ? eventFileProblem(eventPath) : undefined
  if (problem === undefined) return import('./provenance.js')
  delete process.env['GITHUB_EVENT_PATH']
  try {
    return {
      ...(await import('./provenance.js')),
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
