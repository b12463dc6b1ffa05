// Inputs launch-template and launch-template-default: which launch template gets a new version
// pointing at the new AMI, and whether that version becomes its default.
import { cutSafely } from '../common/cut.js'
import type { InputReader } from './reader.js'

/** A launch template as the user named it: by ID (one region's) or by name (any region's). */
export type LaunchTemplateRef = { id: string; name?: undefined } | { name: string; id?: undefined }

export interface LaunchTemplateInputs {
  launchTemplate?: LaunchTemplateRef
  /** Make the new version the template's default. */
  launchTemplateDefault: boolean
}

const launchTemplateId = /^lt-([0-9a-f]{8}|[0-9a-f]{17})$/
// EC2's rule for launch template names.
const launchTemplateName = /^[a-zA-Z0-9().\-/_]{3,128}$/

export function readLaunchTemplateInputs(reader: InputReader): LaunchTemplateInputs {
  const launchTemplateDefault = reader.boolean('launch-template-default', true)
  const value = reader.text('launch-template')
  if (value === '') return { launchTemplateDefault }
  if (launchTemplateId.test(value)) return { launchTemplate: { id: value }, launchTemplateDefault }
  if (!value.startsWith('lt-') && launchTemplateName.test(value)) {
    return { launchTemplate: { name: value }, launchTemplateDefault }
  }
  reader.problem(
    `launch-template: expected a launch template ID (lt- and 17 hex digits) or a name of 3 to 128 ` +
      `letters, digits and ( ) . - / _, found "${cutSafely(value, 140, '…')}"`
  )
  return { launchTemplateDefault }
}
