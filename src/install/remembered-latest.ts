// What `latest` last resolved to, kept in the runner's tool cache. A self-hosted runner that
// builds many times a day then asks the releases site at most once an hour, instead of on
// every run; Packer releases come weeks apart. Hosted runners start with an empty tool cache,
// so for them every run looks `latest` up afresh.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import semver from 'semver'
import { replaceFile } from '../common/tool-cache-file.js'

export const latestIsRememberedForMs = 60 * 60 * 1000

interface Remembered {
  releasesUrl: string
  version: string
  resolvedAt: number
}

// Beside the packer/ folder, not in it: tool-cache reads every entry of packer/ as a version.
function memoFile(): string | undefined {
  const toolCache = process.env['RUNNER_TOOL_CACHE']
  return toolCache ? join(toolCache, 'packer-latest.json') : undefined
}

/**
 * The releases URL the memo is kept for, without the user and password written into it: the
 * tool cache outlives the job on a self-hosted runner, and the answer is the same for any user.
 */
function withoutCredentials(releasesUrl: string): string {
  try {
    const url = new URL(releasesUrl)
    url.username = ''
    url.password = ''
    return url.href.replace(/\/+$/, '')
  } catch {
    return releasesUrl
  }
}

/** The version `latest` resolved to within the last hour from this releases URL, if any. */
export function rememberedLatest(releasesUrl: string, now: number): string | undefined {
  const file = memoFile()
  if (!file) return undefined
  try {
    const memo = JSON.parse(readFileSync(file, 'utf8')) as Partial<Remembered>
    const fresh =
      typeof memo.resolvedAt === 'number' &&
      now >= memo.resolvedAt &&
      now - memo.resolvedAt < latestIsRememberedForMs
    if (memo.releasesUrl === withoutCredentials(releasesUrl) && fresh && semver.valid(memo.version ?? '')) {
      return memo.version
    }
  } catch {
    // No memo yet, or an unreadable one: look latest up.
  }
  return undefined
}

export function rememberLatest(releasesUrl: string, version: string, now: number): void {
  const file = memoFile()
  if (!file) return
  try {
    replaceFile(
      file,
      JSON.stringify({ releasesUrl: withoutCredentials(releasesUrl), version, resolvedAt: now } satisfies Remembered)
    )
  } catch {
    // Only a shortcut for the next run; this one goes on either way.
  }
}
