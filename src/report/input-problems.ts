// The inputs' problems, as annotations: one per problem, so that each points at its input or
// file. Loaded on every run before anything else of the job, so it needs no more than
// @actions/core.
import * as core from '@actions/core'
import type { InputProblem } from '../inputs/index.js'

export function reportInputProblems(problems: InputProblem[]): void {
  for (const { message, location } of problems) {
    core.error(message, {
      title: 'Invalid input',
      file: location?.file,
      startLine: location?.line,
      startColumn: location?.column
    })
  }
  process.exitCode = 1
}
