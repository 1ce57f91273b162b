/**
 * "Did you mean …?" for a misspelt model, machine, command or flag: the known names within a
 * small edit distance of what was typed, closest first (Damerau–Levenshtein with adjacent
 * transpositions, so `two-phse` and `tow-phase` both find `two-phase`).
 */
export function closest(typed: string, known: readonly string[], limit = 3): string[] {
  const budget = Math.max(2, Math.floor(typed.length / 4));
  return known
    .map((name) => ({ name, distance: Math.min(distance(typed, name), distance(typed, lastSegment(name)) + 1) }))
    .filter(({ distance }) => distance <= budget)
    .sort((a, b) => a.distance - b.distance || a.name.localeCompare(b.name))
    .slice(0, limit)
    .map(({ name }) => name);
}

/** " (did you mean a, b or c?)", or nothing when no name is close. */
export function didYouMean(typed: string, known: readonly string[], quote = (name: string) => name): string {
  const names = closest(typed, known).map(quote);
  if (names.length === 0) return '';
  const list = names.length === 1 ? names[0]! : `${names.slice(0, -1).join(', ')} or ${names[names.length - 1]}`;
  return `; did you mean ${list}?`;
}

const lastSegment = (name: string): string => name.slice(name.lastIndexOf('/') + 1);

/** The optimal-string-alignment distance between two strings. */
function distance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d = Array.from({ length: rows }, (_, i) => Array.from({ length: cols }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, d[i - 2]![j - 2]! + 1);
      d[i]![j] = best;
    }
  }
  return d[a.length]![b.length]!;
}
