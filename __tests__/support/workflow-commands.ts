// Reads an action's stdout the way the GitHub runner does, to see which workflow commands it
// would act on: lines end at \n, \r\n or a lone \r (.NET's ReadLine); a command is `::name …::`
// at the start of a line after leading white space, or the older `##[name …]` anywhere in a
// line; `::stop-commands::TOKEN` turns processing off until a `TOKEN` command. (The runner's
// ActionCommand.TryParseV2 / TryParse and ActionCommandManager.TryProcessCommand.)

export interface RunnerCommand {
  name: string
  /** The line the runner read it from. */
  line: string
}

// The commands the runner registers: others are not commands, just text.
const registered = new Set([
  'add-mask',
  'add-matcher',
  'add-path',
  'debug',
  'echo',
  'endgroup',
  'error',
  'group',
  'notice',
  'remove-matcher',
  'save-state',
  'set-env',
  'set-output',
  'stop-commands',
  'warning'
])

function commandName(line: string, extra: Set<string>): string | undefined {
  const known = (name: string): boolean => registered.has(name.toLowerCase()) || extra.has(name.toLowerCase())
  const trimmed = line.trimStart()
  if (trimmed.startsWith('::')) {
    const end = trimmed.indexOf('::', 2)
    if (end >= 0) {
      const info = trimmed.slice(2, end)
      const name = info.split(' ')[0]
      if (known(name)) return name
    }
  }
  const prefix = line.indexOf('##[')
  if (prefix >= 0) {
    const close = line.indexOf(']', prefix)
    if (close >= 0) {
      const name = line.slice(prefix + 3, close).split(' ')[0]
      if (known(name)) return name
    }
  }
  return undefined
}

/** The commands the runner would carry out, in order, for this stdout. */
export function commandsTheRunnerRuns(stdout: string): RunnerCommand[] {
  const processed: RunnerCommand[] = []
  let stopToken: string | undefined
  for (const line of stdout.split(/\r\n|\r|\n/)) {
    const extra = new Set(stopToken ? [stopToken.toLowerCase()] : [])
    const name = commandName(line, extra)
    if (name === undefined) continue
    if (stopToken !== undefined) {
      if (name.toLowerCase() === stopToken.toLowerCase()) {
        stopToken = undefined
        processed.push({ name: 'resume-commands', line })
      }
      continue
    }
    if (name.toLowerCase() === 'stop-commands') {
      const trimmed = line.trimStart()
      stopToken = trimmed.slice(trimmed.indexOf('::', 2) + 2)
    }
    processed.push({ name: name.toLowerCase(), line })
  }
  return processed
}

/**
 * The lines a log page shows inside the first group of this title: from `::group::<title>` to
 * the next `::endgroup::`; undefined when no such group opens.
 */
export function groupLines(stdout: string, title: string): string[] | undefined {
  const lines = stdout.split(/\r\n|\r|\n/)
  const start = lines.indexOf(`::group::${title}`)
  if (start < 0) return undefined
  const end = lines.indexOf('::endgroup::', start + 1)
  return lines.slice(start + 1, end < 0 ? undefined : end)
}

/** What this process writes to stdout while `during` runs (workflow commands and all), kept rather than printed. */
export async function stdoutDuring(during: () => Promise<unknown>): Promise<string> {
  let written = ''
  const write = process.stdout.write.bind(process.stdout)
  process.stdout.write = ((chunk: string | Uint8Array) => {
    written += String(chunk)
    return true
  }) as typeof process.stdout.write
  try {
    await during()
  } finally {
    process.stdout.write = write
  }
  return written
}
