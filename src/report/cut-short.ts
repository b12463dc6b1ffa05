// What a stage after tagging says when a cancel or a crash cuts it short: the regions (or AMIs)
// it had finished, as it would have shown them, and those whose calls AWS had not answered.

/** What cut the stage short: the runner's cancel, or an error of the action's own. */
export type CutShort = 'cancelled' | 'failed'

/** The heading's addition: the section shows a stage that did not finish. */
export function cutShortHeading(cut: CutShort): string {
  return cut === 'cancelled' ? ' (cut short: the run was cancelled)' : ' (cut short: the action failed)'
}

/** A cell for a region (or AMI) whose call AWS had not answered when the run ended. */
export function unanswered(cut: CutShort, what: string): string {
  return `${cut === 'cancelled' ? 'cancelled' : 'the action failed'} before AWS answered: ${what}`
}

/**
 * "published in a, b; not known in c": each group that has regions, for the failure's message.
 * Each group's regions in name order, not in the order AWS answered.
 */
export function inRegions(groups: Array<[label: string, regions: string[]]>): string {
  return groups
    .filter(([, regions]) => regions.length > 0)
    .map(([label, regions]) => `${label} in ${[...regions].sort().join(', ')}`)
    .join('; ')
}

/**
 * A region stage's rows, in the order of `amiIdsByRegion`: each finished region's own (`rowOf`),
 * and for each other one, the row `unansweredRow` makes; with the regions that had no result.
 */
export function regionRows<Result extends { region: string }>(
  amiIdsByRegion: Record<string, string>,
  finished: Result[],
  rowOf: (result: Result) => string,
  unansweredRow: (region: string, amiId: string) => string
): { rows: string[]; unfinished: string[] } {
  const unfinished: string[] = []
  const rows = Object.entries(amiIdsByRegion).map(([region, amiId]) => {
    const result = finished.find((one) => one.region === region)
    if (result) return rowOf(result)
    unfinished.push(region)
    return unansweredRow(region, amiId)
  })
  return { rows, unfinished }
}

/** The regions whose result has `outcome`. */
export function regionsWith<Result extends { region: string; outcome: string }>(finished: Result[], outcome: Result['outcome']): string[] {
  return finished.filter((result) => result.outcome === outcome).map((result) => result.region)
}
