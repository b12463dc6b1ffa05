// Reads an HCL2 template in a worker thread. Starting HashiCorp's parser (Go compiled to
// WebAssembly) takes ~130 ms of CPU before the first file is read. In a thread of its own it
// runs on another core while the job asks Packer its version, installs Packer and lists the
// builds, instead of before all that; the job waits for it only before Packer's output is
// logged, which needs the sensitive values masked first. The thread ends once it has answered
// (the process keeps most of the memory it used, so the peak RSS stays as it was).
import type { HclTemplate, HclTemplateRequest } from './hcl.js'
import type { Inputs } from './index.js'

/** `worker` is the bundled src/inputs/hcl-worker.ts (dist/stages/hcl-template.js). */
export async function readHclTemplateInThread(inputs: Inputs, worker: URL): Promise<HclTemplate> {
  const { Worker } = await import('node:worker_threads')
  // Only the inputs that name the files: the rest need not cross to the thread.
  const { workingDirectory, template, varFiles, variables, manifest, manifestGiven, sensitiveValues } = inputs
  const request: HclTemplateRequest = { workingDirectory, template, varFiles, variables, manifest, manifestGiven, sensitiveValues }
  return new Promise((resolve, reject) => {
    const thread = new Worker(worker, { workerData: request })
    thread.once('message', (template: HclTemplate) => {
      resolve(template)
      void thread.terminate()
    })
    // What the thread threw, rebuilt as an Error here.
    thread.once('error', (error: Error) => reject(new Error(`Reading ${request.template} with the HCL parser: ${error.message}`)))
    thread.once('exit', (code) =>
      reject(new Error(`Reading ${request.template} with the HCL parser: its thread ended (exit code ${code}) without an answer`))
    )
  })
}
