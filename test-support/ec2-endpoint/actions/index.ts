import type { Handler } from './common.js'
import { imageHandlers } from './images.js'
import { instanceHandlers } from './instances.js'
import { networkHandlers } from './network.js'
import { tagHandlers } from './tags.js'

export const HANDLERS: Readonly<Record<string, Handler>> = {
  ...imageHandlers,
  ...instanceHandlers,
  ...networkHandlers,
  ...tagHandlers
}

export type { CallContext, Handler } from './common.js'
