import type { Handler } from './common.js'
import { imageReferenceHandlers } from './image-references.js'
import { imageHandlers } from './images.js'
import { instanceHandlers } from './instances.js'
import { launchTemplateHandlers } from './launch-templates.js'
import { networkHandlers } from './network.js'
import { tagHandlers } from './tags.js'

export const HANDLERS: Readonly<Record<string, Handler>> = {
  ...imageHandlers,
  ...instanceHandlers,
  ...networkHandlers,
  ...tagHandlers,
  ...launchTemplateHandlers,
  ...imageReferenceHandlers
}

export type { CallContext, Handler } from './common.js'
