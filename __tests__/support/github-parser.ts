// GitHub's own parser for the files GitHub reads (npm @actions/workflow-parser, the parser of
// GitHub's Actions language services, with the workflow and action.yml schemas). jest loads its
// ES build through __tests__/support/json-import-attributes.cjs.
import { convertWorkflowTemplate, NoOperationTraceWriter, parseWorkflow } from '@actions/workflow-parser'
import { parseAction } from '@actions/workflow-parser/actions/index'

/** Every YAML, schema and expression error GitHub's parser finds in an action.yml. */
export function actionYmlErrors(name: string, content: string): string[] {
  const result = parseAction({ name, content }, new NoOperationTraceWriter())
  const errors = result.context.errors.getErrors().map((error) => error.message)
  if (result.value === undefined && errors.length === 0) errors.push(`${name}: GitHub's parser read nothing`)
  return errors
}

/**
 * Every YAML, schema and expression error GitHub's parser finds in a workflow, then those
 * found when it turns the workflow into jobs (unknown `needs`, bad matrices, …).
 */
export async function workflowErrors(name: string, content: string): Promise<string[]> {
  const result = parseWorkflow({ name, content }, new NoOperationTraceWriter())
  const errors = result.context.errors.getErrors().map((error) => error.message)
  if (result.value === undefined) return errors.length > 0 ? errors : [`${name}: GitHub's parser read nothing`]
  const template = await convertWorkflowTemplate(result.context, result.value)
  for (const error of template.errors ?? []) if (!errors.includes(error.Message)) errors.push(error.Message)
  return errors
}
