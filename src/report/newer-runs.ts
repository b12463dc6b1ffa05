// The words of what a run left to another that overlapped it (aws/newer-runs.ts): the same for the
// SSM parameter and the launch templates.
import type { NewerRunAmi } from '../aws/newer-runs.js'

/** What keeps two runs of one image family from overlapping. */
export const oneAfterTheOther = 'A concurrency group on the workflow (see the README) runs them one after the other.'

/** "ami-…, built by <run URL>, a run that started after this one (BuildTime …)". */
export function newerRunText(newer: NewerRunAmi): string {
  return `${newer.amiId}, built by ${newer.builtBy ?? 'another run'}, a run that started after this one (BuildTime ${newer.buildTime})`
}

/** Why a newer run's AMI was left where this run's would go. */
export function rollBack(amiId: string, left = 'it is not put there'): string {
  return `this run's ${amiId} would roll it back, so ${left}. Two runs of one image family overlapped. ${oneAfterTheOther}`
}
