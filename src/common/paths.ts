// Paths as the runner matches them to files: annotations name files relative to the workspace.
import { isAbsolute, relative } from 'node:path'

/** `path` relative to `workspace` when it lies inside it, else the path as it is. */
export function workspaceRelative(path: string, workspace: string): string {
  const fromWorkspace = relative(workspace, path)
  return fromWorkspace.startsWith('..') || isAbsolute(fromWorkspace) ? path : fromWorkspace
}
