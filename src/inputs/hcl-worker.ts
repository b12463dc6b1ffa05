// The HCL2 template read in a thread of its own (src/inputs/hcl-thread.ts starts it): the job
// sends the inputs that name the files, and gets back what they tell.
import { parentPort, workerData } from 'node:worker_threads'
import { readHclTemplate, type HclTemplateRequest } from './hcl.js'

parentPort?.postMessage(await readHclTemplate(workerData as HclTemplateRequest))
