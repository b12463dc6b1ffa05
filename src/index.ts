// The action's entry point: the runner runs `node dist/index.js`. Until the inputs are checked
// it loads @actions/core and the input checks, nothing else: the job (dist/main.js, with Node's
// crypto and child_process, Packer's log and the report) loads once they are valid, so a run
// with a bad input ends about as soon as any action can.
import { checkedInputs } from './checked-inputs.js'
import { endIfGaveUp, endNow } from './common/waiting.js'
import { errorMessage } from './common/errors.js'
import { failStep } from './report/annotation.js'

try {
  const inputs = await checkedInputs()
  // Every problem is reported and nothing else was started: the step ends here, without the
  // garbage collection V8 would otherwise run before Node exits (~3 ms of CPU).
  if (!inputs) await endNow()
  else {
    // The job's first step asks the packer on PATH for its version, which starts Packer: asked
    // here, Packer answers while the job loads instead of after.
    const { askPackerOnPath } = await import('./install/on-path.js')
    const asked = askPackerOnPath()
    await asked.asked
    // An HCL2 template is read while Packer answers (dist/stages/hcl-template.js). Not sooner:
    // loading the parser would hold up finding and starting Packer, which is the longer wait.
    const hclTemplate =
      inputs.templateKind === 'hcl'
        ? import('./inputs/hcl.js').then(({ readHclTemplate }) => readHclTemplate(inputs))
        : undefined
    hclTemplate?.catch(() => undefined)
    await (await import('./main.js')).run(inputs, asked, hclTemplate)
  }
} catch (error) {
  failStep(errorMessage(error))
}
await endIfGaveUp()
