// The step's inputs, read and checked; each problem reported where it is. What the entry point
// (src/index.ts) runs before it loads the job, so this imports no more than @actions/core, the
// input checks and their report.
import * as core from '@actions/core'
import { InputError, readInputs, type Inputs } from './inputs/index.js'
import { releasesUrlSecrets } from './inputs/packer.js'
import { reportInputProblems } from './report/input-problems.js'

/** The inputs when they are valid; undefined, with every problem reported, when they are not. */
export async function checkedInputs(): Promise<Inputs | undefined> {
  // Before anything can quote them: a problem with the input, or a download from the mirror.
  for (const secret of releasesUrlSecrets(core.getInput('packer-releases-url'))) core.setSecret(secret)
  // The runner's proxy (the Packer download and the AWS calls go through it) may carry a password.
  for (const name of ['https_proxy', 'HTTPS_PROXY', 'http_proxy', 'HTTP_PROXY']) {
    for (const secret of releasesUrlSecrets(process.env[name] ?? '')) core.setSecret(secret)
  }
  try {
    const inputs = await readInputs((name) => core.getInput(name))
    if (inputs.githubToken) core.setSecret(inputs.githubToken)
    return inputs
  } catch (error) {
    if (!(error instanceof InputError)) throw error
    await reportInputProblems(error.problems)
    return undefined
  }
}
