// A shell-local provisioner or post-processor runs its scripts on the runner, in place: Packer
// puts each one's absolute path into its execute_command (packer-plugin-sdk shell-local/run.go,
// the same from Packer 1.6.6 to the newest SDK). A shell provisioner uploads its scripts to the
// instance and runs them there: with `binary` set, as they are saved.
import { literalBoolean } from '../common/values.js'
import type { JsonPath } from './template.js'

/**
 * The scripts a shell-local's `settings` run through Packer's default execute_command, each
 * as written and where among the settings, where that is certain: a path written literally
 * (`literal`), no execute_command set, and a runner other than Windows, whose only_on, when set,
 * lists the runner's system. Windows is left to Packer: its default differs (`cmd /V /C {{.Vars}}
 * call {{.Script}}`), Go quotes each argument that holds a space, and cmd /C then strips the first
 * and the last quote of its line, which leaves what runs to cmd's own rules.
 */
export function shellLocalScripts(
  settings: Record<string, unknown>,
  literal: (text: string) => boolean,
  platform: NodeJS.Platform = process.platform
): Array<{ path: string; at: JsonPath }> {
  if (platform === 'win32' || settings.execute_command !== undefined) return []
  const onlyOn = settings.only_on
  if (onlyOn !== undefined && !(Array.isArray(onlyOn) && onlyOn.includes(platform))) return []
  return writtenScripts(settings, literal)
}

/**
 * The scripts a `shell` provisioner's `settings` upload as they are and run as files, each as
 * written and where among the settings, where that is certain: `binary` literally true, with which
 * Packer leaves a script's line endings as they are (else its upload makes them LF), a path written
 * literally (`literal`), and no execute_command set, so that Packer's default runs the file itself
 * (`chmod +x {{.Path}}; {{.Vars}} {{.Path}}`, Packer 1.6.6 and the newest SDK alike), which the
 * system then runs by its `#!` line. The script runs on the instance: the runner's system does not
 * matter. A JSON provisioner's override may set another execute_command for a build: left to Packer.
 */
export function binaryShellScripts(settings: Record<string, unknown>, literal: (text: string) => boolean): Array<{ path: string; at: JsonPath }> {
  if (literalBoolean(settings.binary) !== true || settings.execute_command !== undefined || settings.override !== undefined) return []
  return writtenScripts(settings, literal)
}

/** The paths of `script`, or else of `scripts`, written literally (`literal`), each where among the settings. */
function writtenScripts(settings: Record<string, unknown>, literal: (text: string) => boolean): Array<{ path: string; at: JsonPath }> {
  const { script, scripts } = settings
  const written: Array<{ path: unknown; at: JsonPath }> =
    script !== undefined ? [{ path: script, at: ['script'] }] : Array.isArray(scripts) ? scripts.map((path, index) => ({ path, at: ['scripts', index] })) : []
  return written.filter((each): each is { path: string; at: JsonPath } => typeof each.path === 'string' && each.path !== '' && literal(each.path))
}
