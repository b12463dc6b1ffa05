// Packer's events as a reader of the job log sees them: plain lines, and errors as
// annotations on the template file and line when Packer says where.
import * as core from '@actions/core'
import { resolve } from 'node:path'
import { workspaceRelative } from '../common/paths.js'
import { locateError, renderEvent, type PackerEvent } from './machine-readable.js'
import type { PackerLog } from './run.js'

export interface AnnotationContext {
  /** Directory Packer runs in: HCL2 diagnostics name files relative to it. */
  workingDirectory: string
  /** The template, relative to workingDirectory: JSON parse errors point into it. */
  template: string
  /** Annotations name files relative to the workspace. */
  workspace: string
}

export function annotationFor(message: string, context: AnnotationContext): core.AnnotationProperties {
  const location = locateError(message)
  if (!location) return { title: 'Packer' }
  const file = resolve(context.workingDirectory, location.file ?? context.template)
  return {
    title: 'Packer',
    file: workspaceRelative(file, context.workspace),
    startLine: location.line,
    startColumn: location.column
  }
}

export function actionsLog(context: AnnotationContext): PackerLog {
  return {
    event(event: PackerEvent): void {
      const rendered = renderEvent(event)
      if (!rendered) return
      if (rendered.level === 'error') core.error(rendered.text, annotationFor(rendered.text, context))
      else core.info(rendered.text)
    },
    raw(line: string): void {
      core.info(line)
    }
  }
}
