// The files a template names that reuse cannot see (src/inputs/template-references.ts): one
// outside the workspace, or one whose path only Packer knows. A change to such a file does not
// change the fingerprint, so a run with reuse would ship AMIs built from the old one: each is a
// warning on the template's line that names it. Loaded only for a build with reuse.
import { workspaceRelative } from '../common/paths.js'
import type { Inputs } from '../inputs/index.js'
import type { JsonPath, JsonPosition } from '../inputs/template.js'
import { writtenAsShown, type UnseenReference } from '../inputs/template-references.js'
import { annotateEach, type Annotation } from './annotation.js'
import { fileTexts } from './texts.js'

const stale = 'reuse does not see changes to it, so a changed file would reuse AMIs built from the old one'

function messageOf(reference: UnseenReference): string {
  if (reference.why === 'outside-workspace') {
    return (
      `${reference.setting} names ${reference.path}, outside the workspace: ${stale}. Keep it in the workspace, ` +
      'where the fingerprint covers it, or list the files it is made from in fingerprint-paths.'
    )
  }
  return (
    `${reference.setting} is ${writtenAsShown(reference)}, a path the action cannot work out before Packer runs: ${stale}. ` +
    'List the files it names in fingerprint-paths.'
  )
}

/** Where in its file a reference is written: a JSON template's, or an HCL2 file's (in its JSON syntax too). */
async function placeOf(file: string, text: string, at: JsonPath): Promise<JsonPosition | undefined> {
  if (file.endsWith('.pkr.json')) {
    const { hclJsonPlace } = await import('../inputs/hcl-json.js')
    return hclJsonPlace(text, at)
  }
  if (file.endsWith('.json')) {
    const { jsonPlace } = await import('../common/json-place.js')
    return jsonPlace(text, at)
  }
  const { settingPosition } = await import('../inputs/hcl-parser.js')
  return settingPosition(file, text, at)
}

/** Annotates each reference reuse cannot see, and gives them back for the summary. */
export async function reportUnseenReferences(inputs: Pick<Inputs, 'unseenReferences' | 'workspace' | 'jsonTemplate'>): Promise<Annotation[]> {
  const textOf = fileTexts(inputs.jsonTemplate)
  const made: Annotation[] = []
  for (const reference of inputs.unseenReferences) {
    const text = await textOf(reference.file)
    const place = text === undefined ? undefined : await placeOf(reference.file, text, reference.at)
    made.push({
      level: 'warning',
      message: messageOf(reference),
      title: 'Not fingerprinted',
      file: workspaceRelative(reference.file, inputs.workspace),
      ...(place && { line: place.line, column: place.column })
    })
  }
  // Room left for the job's own warnings after the build (tagging, retention, the summary).
  return annotateEach(made, { warning: 3 })
}
