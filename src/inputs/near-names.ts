// Which declared variable a name that the template does not declare was probably meant to be.
// Packer takes such a name without a word (a variables file's key, a JSON template's input) or
// with a warning that does not say (an HCL2 variables file's key), and builds with the declared
// one left at its default. Variables files are shared between templates, so a key a template
// does not declare is no mistake in itself: only one a small edit from a declared name is named.

/**
 * The one name of `declared` that `name` is probably a misspelling of: the same but for case and
 * `-`/`_`, else a letter or two away (Damerau-Levenshtein, adjacent letters swapped counting as
 * one edit): one for names of 4 to 7 characters, two from 8 on, none below 4, where one letter
 * makes another word. Names whose digits differ are different things (`subnet_1`, `ubuntu_2004`),
 * and two declared names as near are no answer; undefined then, and when none is near.
 */
export function meantName(name: string, declared: Iterable<string>): string | undefined {
  const wanted = normalName(name)
  let best: { name: string; distance: number; tie: boolean } | undefined
  for (const candidate of declared) {
    if (candidate === name || digitsOf(candidate) !== digitsOf(name)) continue
    const normal = normalName(candidate)
    const distance = editDistance(wanted, normal)
    if (distance > allowedEdits(Math.min(wanted.length, normal.length))) continue
    if (best === undefined || distance < best.distance) best = { name: candidate, distance, tie: false }
    else if (distance === best.distance) best.tie = true
  }
  return best && !best.tie ? best.name : undefined
}

function normalName(name: string): string {
  return name.toLowerCase().replaceAll('-', '_')
}

function digitsOf(name: string): string {
  return name.replace(/\D/g, '')
}

function allowedEdits(length: number): number {
  return length >= 8 ? 2 : length >= 4 ? 1 : 0
}

/**
 * Edits from `a` to `b`: a letter added, dropped or changed, or two adjacent letters swapped
 * (the optimal string alignment form of Damerau-Levenshtein). A few lines of our own: the
 * input checks load every module they use before the job starts.
 */
function editDistance(a: string, b: string): number {
  let before: number[] = []
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const current = [i]
    for (let j = 1; j <= b.length; j++) {
      const changed = a[i - 1] === b[j - 1] ? 0 : 1
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + changed)
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) current[j] = Math.min(current[j], before[j - 2] + 1)
    }
    before = previous
    previous = current
  }
  return previous[b.length]
}
