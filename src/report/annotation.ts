// An annotation the job makes about the template or its variables, kept for the job summary:
// GitHub shows a step's first ten errors and first ten warnings as annotations, and the rest
// only in the log; the summary lists them all, each with a link to its line.
import * as core from '@actions/core'

export interface Annotation {
  level: 'error' | 'warning'
  message: string
  title?: string
  /** Relative to the workspace, as the runner takes it. */
  file?: string
  line?: number
  column?: number
}

/** Makes the annotation, and gives it back to be listed in the summary. */
export function annotate(annotation: Annotation): Annotation {
  const { level, message, title, file, line, column } = annotation
  const properties = { title, file, startLine: line, startColumn: column }
  if (level === 'warning') core.warning(message, properties)
  else core.error(message, properties)
  return annotation
}
