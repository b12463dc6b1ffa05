// Paths as the runner matches them to files: annotations name files relative to the workspace.
import { isAbsolute, relative, sep } from 'node:path'

/**
 * Whether `path` is `workspace` or lies inside it. A folder whose name begins with `..`
 * (`..cache`) is inside: only `..` itself as the first part leads out.
 */
export function liesInside(path: string, workspace: string): boolean {
  const fromWorkspace = relative(workspace, path)
  return !isAbsolute(fromWorkspace) && fromWorkspace !== '..' && !fromWorkspace.startsWith(`..${sep}`)
}

/** `path` relative to `workspace` when it lies inside it, else the path as it is. */
export function workspaceRelative(path: string, workspace: string): string {
  return liesInside(path, workspace) ? relative(workspace, path) : path
}
