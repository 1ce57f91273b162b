/**
 * The order in which coordinators take over in 3PC's termination protocol: the original
 * coordinator, then the participants by id. Skeen and BHG assume an election among the
 * operational sites; a fixed order with "the first one not known to have failed" is the usual
 * deterministic one (e.g. BHG §7.5's suggestion of electing by site number).
 */
export function backupOrder(coordinator: string, participants: readonly string[]): string[] {
  return [coordinator, ...[...participants].sort()];
}

/**
 * The next coordinator after `current` in `order` that is not in `suspected`. `self` is never
 * suspected by itself; if every node after `current` is suspected, or `current` is not in the
 * order, the node leads on its own.
 */
export function nextCoordinator(order: readonly string[], current: string, suspected: readonly string[], self: string): string {
  const from = order.indexOf(current);
  if (from < 0) return self;
  for (let i = from + 1; i < order.length; i++) {
    const candidate = order[i]!;
    if (candidate === self || !suspected.includes(candidate)) return candidate;
  }
  return self;
}

/** Whether `node` comes at or after `current` in `order`: a coordinator not yet given up on. */
export function notBefore(order: readonly string[], node: string, current: string): boolean {
  return order.indexOf(node) >= order.indexOf(current);
}
