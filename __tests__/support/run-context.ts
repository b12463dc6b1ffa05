// A run's context as @actions/github's `context` describes it, for unit tests. The process
// tests get the real one: the bundle builds it from the runner's variables and event file.
import type { RunContext } from '../../src/inputs/tags.js'

/** Unset fields are what the context holds outside a runner; without `repository`, `repo` throws as it does. */
export function runContext(fields: Partial<Omit<RunContext, 'repo'>> & { repository?: string }): RunContext {
  const { repository, ...rest } = fields
  return {
    sha: '',
    ref: '',
    eventName: '',
    actor: '',
    runId: NaN,
    runAttempt: NaN,
    serverUrl: 'https://github.com',
    payload: {},
    ...rest,
    get repo() {
      if (!repository) throw new Error("context.repo requires a GITHUB_REPOSITORY environment variable like 'owner/repo'")
      const [owner, repo] = repository.split('/')
      return { owner, repo }
    }
  }
}
