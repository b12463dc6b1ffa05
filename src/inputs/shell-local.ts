// A shell-local provisioner or post-processor runs its scripts on the runner, in place: Packer
// puts each one's absolute path into its execute_command (packer-plugin-sdk shell-local/run.go,
// the same from Packer 1.6.6 to the newest SDK).
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
  const { script, scripts } = settings
  const written: Array<{ path: unknown; at: JsonPath }> =
    script !== undefined ? [{ path: script, at: ['script'] }] : Array.isArray(scripts) ? scripts.map((path, index) => ({ path, at: ['scripts', index] })) : []
  return written.filter((each): each is { path: string; at: JsonPath } => typeof each.path === 'string' && each.path !== '' && literal(each.path))
}
