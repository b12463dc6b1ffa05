// The action's entry point: the runner runs `node dist/index.js`. Until the inputs are checked
// it loads @actions/core and the input checks, nothing else: the job (dist/main.js, with Node's
// crypto and child_process, Packer's log and the report) loads once they are valid, so a run
// with a bad input ends about as soon as any action can.
import * as core from '@actions/core'
import { checkedInputs } from './checked-inputs.js'
import { errorMessage } from './common/errors.js'

try {
  const inputs = await checkedInputs()
  if (inputs) await (await import('./main.js')).run(inputs)
} catch (error) {
  core.setFailed(errorMessage(error))
}
