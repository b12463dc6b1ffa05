// The one Packer stand-in the tests use where the real Packer would not do: it answers like
// Packer 1.6.6 in machine-readable mode (or any version it is told), writes a real manifest,
// records every call and "installs" plugins. See packer-stand-in.cjs for its settings.
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** A folder holding `packer`, the stand-in, to put first on PATH. */
export const standInDirectory = dirname(fileURLToPath(import.meta.url))

/**
 * The environment that puts the stand-in first on PATH, its calls appended to `argsLog` when given,
 * with the AWS keys a build step has (the action refuses a build with none before the install);
 * the stand-in itself calls no AWS. An environment spread after it gives its own.
 */
export function standInOnPath(argsLog?: string): Record<string, string> {
  return {
    PATH: `${standInDirectory}:${process.env.PATH}`,
    AWS_ACCESS_KEY_ID: 'AKIASTANDINEXAMPLE',
    AWS_SECRET_ACCESS_KEY: 'stand-in-secret-access-key',
    ...(argsLog === undefined ? {} : { STANDIN_ARGS_LOG: argsLog })
  }
}
const script = join(standInDirectory, 'packer-stand-in.cjs')

/** A `packer` executable's text that runs the stand-in as Packer `version`, with `env` set. */
export function standInExecutable(version: string, env: Record<string, string> = {}): string {
  const settings = Object.entries({ STANDIN_VERSION: version, ...env })
    .map(([name, value]) => `${name}='${value}'`)
    .join(' ')
  return `#!/bin/sh\n${settings} exec '${process.execPath}' '${script}' "$@"\n`
}

export interface PackerCall {
  args: string[]
  token: string
  pluginPath: string
  /** Whether the plugin it installs was already in pluginPath when it was called. */
  pluginPresent: boolean
  cwd: string
  /** The stand-in's process ID: its process group's too, as the action starts Packer. */
  pid: number
}

/** Reads the calls a stand-in appended to its STANDIN_ARGS_LOG file. */
export function readCalls(log: string): PackerCall[] {
  if (!existsSync(log)) return []
  // Read while a stand-in may be appending (the file even exists empty first): whole lines only.
  const text = readFileSync(log, 'utf8')
  return text
    .slice(0, text.lastIndexOf('\n') + 1)
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as PackerCall)
}

export interface PackerStandIn {
  path: string
  calls(): PackerCall[]
}

/**
 * A stand-in `packer` of its own in a new folder, whose plugin commands exit with `failWith`,
 * or never end with `hang` (until SIGTERM, or until killed when 'ignoring SIGTERM'); whose
 * `inspect` never ends with `inspectHangs`.
 */
export function packerStandIn(
  version: string,
  options: { failWith?: number; hang?: true | 'ignoring SIGTERM'; inspectHangs?: true } = {}
): PackerStandIn {
  const directory = mkdtempSync(join(tmpdir(), 'packer-stand-in-'))
  const log = join(directory, 'calls.log')
  const path = join(directory, 'packer')
  writeFileSync(
    path,
    standInExecutable(version, {
      STANDIN_ARGS_LOG: log,
      STANDIN_PLUGINS_EXIT: String(options.failWith ?? 0),
      ...(options.hang ? { STANDIN_PLUGINS_HANG: options.hang === true ? '1' : options.hang } : {}),
      ...(options.inspectHangs ? { STANDIN_INSPECT_HANG: '1' } : {})
    })
  )
  chmodSync(path, 0o755)
  return { path, calls: () => readCalls(log) }
}
