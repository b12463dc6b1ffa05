// The inputs' problems, as annotations: one per problem, so that each points at its input or
// file; and the warnings about inputs that do not stop the run. Loaded on every run before anything else of the job, so it needs no more than
// @actions/core (annotation.ts); a problem with a value in a JSON file loads the JSON parser that finds its line.
import { readFileSync } from 'node:fs'
import type { InputProblem } from '../inputs/index.js'
import { annotateEach, type Annotation } from './annotation.js'

/**
 * Annotates each problem, in the order of the inputs, and gives them back for the summary.
 * `failureFollows`: the step then fails with a message of its own, which must find room.
 */
export async function reportInputProblems(problems: InputProblem[], { failureFollows = false } = {}): Promise<Annotation[]> {
  const placed = problems.some(({ location }) => location?.value) ? await placeValues(problems) : problems
  process.exitCode = 1
  const annotations = placed.map(({ message, location }): Annotation => ({
    level: 'error',
    message,
    title: 'Invalid input',
    file: location?.file,
    line: location?.line,
    column: location?.column
  }))
  return annotateEach(annotations, {}, { failureFollows })
}

/**
 * Annotates each warning about tags or variables given as one line that YAML probably folded,
 * before anything is installed, and gives them back for the summary.
 */
export function reportFoldedInputs(warnings: string[]): Annotation[] {
  const annotations = warnings.map((message): Annotation => ({ level: 'warning', message, title: 'Lines folded into one' }))
  // Room left for Packer's warnings and the job's own, which come later (as report/variables.ts leaves).
  return annotateEach(annotations, { warning: 3 })
}

/**
 * Annotates each warning (or, with `level`, notice) about the inputs' files that does not stop
 * the run, titled `title`, on its file and line, and gives them back for the summary.
 */
export async function reportInputWarnings(warnings: InputProblem[], title: string, level: 'warning' | 'notice' = 'warning'): Promise<Annotation[]> {
  const placed = warnings.some(({ location }) => location?.value) ? await placeValues(warnings) : warnings
  const annotations = placed.map(({ message, location }): Annotation => ({
    level,
    message,
    title,
    file: location?.file,
    line: location?.line,
    column: location?.column
  }))
  // Room left for Packer's warnings and the job's own, which come later (as report/variables.ts leaves).
  return annotateEach(annotations, { warning: 3 })
}

/** Each problem about a value in a JSON file, on the line of that value. */
async function placeValues(problems: InputProblem[]): Promise<InputProblem[]> {
  const { jsonPlace, jsonValuePlace } = await import('../common/json-place.js')
  return problems.map((problem) => {
    const { location } = problem
    if (!location?.value) return problem
    let place
    try {
      place = (location.value.itself ? jsonValuePlace : jsonPlace)(readFileSync(location.value.path, 'utf8'), location.value.at)
    } catch {
      return problem
    }
    return place ? { ...problem, location: { ...location, line: place.line, column: place.column } } : problem
  })
}
