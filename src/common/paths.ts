// Paths as the runner matches them to files: annotations name files relative to the workspace.
// `paths` is the runner's own path module; a test passes path.win32 to read paths as Windows does.
import * as nodePath from 'node:path'
import type { PlatformPath } from 'node:path'

/**
 * Whether `path` is `workspace` or lies inside it. A folder whose name begins with `..`
 * (`..cache`) is inside: only `..` itself as the first part leads out.
 */
export function liesInside(path: string, workspace: string, paths: PlatformPath = nodePath): boolean {
  const fromWorkspace = paths.relative(workspace, path)
  return !paths.isAbsolute(fromWorkspace) && fromWorkspace !== '..' && !fromWorkspace.startsWith(`..${paths.sep}`)
}

/**
 * `path` relative to `workspace` when it lies inside it, `/` between its parts, else the path as
 * it is. The runner passes an annotation's relative file on as it is given (it makes `/` of the
 * separators only of an absolute one), and the repository, like the summary's links to it, names
 * files with `/`: a Windows runner's `templates\web.pkr.hcl` would name no file there.
 */
export function workspaceRelative(path: string, workspace: string, paths: PlatformPath = nodePath): string {
  return liesInside(path, workspace, paths) ? paths.relative(workspace, path).split(paths.sep).join('/') : path
}

/**
 * Whether Packer reads `character` as a separator of a path's folders (Go's os.IsPathSeparator):
 * `/` everywhere, and `\` too on Windows, where elsewhere it is part of a name.
 */
export function isPathSeparator(character: string, platform: NodeJS.Platform = process.platform): boolean {
  return character === '/' || (platform === 'win32' && character === '\\')
}

/**
 * `path` as a pattern of the glob library (@actions/glob) that matches it alone: `*`, `?`, `[`
 * and `\` are the library's, each written as a class of itself (`\` doubled), and so is white
 * space at the end, which the library trims. A line break, where the library ends a pattern,
 * becomes `?`: the pattern may then match a few more paths, never fewer. On Windows `\` is the
 * path's separator, which the library never reads as an escape, so it stays as it is.
 */
export function globLiteral(path: string, platform: NodeJS.Platform = process.platform): string {
  return (platform === 'win32' ? path : path.replace(/\\/g, '\\\\'))
    .replace(/[[?*]/g, '[$&]')
    .replace(/\n/g, '?')
    .replace(/\s+$/, (end) => [...end].map((character) => `[${character}]`).join(''))
}

/**
 * The environment of a program that a shell starts in `directory`: PWD names that directory,
 * which a template reads as `{{env `PWD`}}` (HCL2: `env("PWD")`). The runner starts the action
 * with its own PWD, or none, wherever the step's working directory is.
 */
export function startedIn<Env extends Record<string, string | undefined>>(directory: string, env: Env): Env {
  return { ...env, PWD: directory }
}

/**
 * The template as its repository names it: its path from the workspace (`images/web`,
 * `images/web/ami.pkr.hcl`), `.` for the workspace itself. The `template` input alone is
 * relative to working-directory: in a repository of several templates, `.` names none of them.
 */
export function templateInWorkspace(files: { workspace: string; workingDirectory: string; template: string }): string {
  return workspaceRelative(nodePath.resolve(files.workingDirectory, files.template), files.workspace) || '.'
}
