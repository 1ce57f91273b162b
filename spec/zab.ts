/**
 * The properties of Zab, ZooKeeper's atomic broadcast, after Junqueira, Reed and Serafini, "Zab:
 * High-performance broadcast for primary-backup systems" (DSN 2011), Section III: the properties
 * of atomic broadcast (integrity, total order, agreement) and of primary-backup order (local
 * primary order, global primary order, primary integrity). Stated over what peers delivered, in
 * order, and over what each primary broadcast, in order. Transactions are identified by value and
 * zxid; the primary of epoch e is whichever peer broadcast transactions with epoch e.
 */

/** A transaction <v, z>, z = (epoch, counter). */
export type ZabTxn = { readonly epoch: number; readonly counter: number; readonly value: string };

const same = (a: ZabTxn, b: ZabTxn) => a.epoch === b.epoch && a.counter === b.counter && a.value === b.value;
const indexIn = (sequence: readonly ZabTxn[], txn: ZabTxn) => sequence.findIndex((other) => same(other, txn));

/** Integrity: if some process delivers <v, z>, then some process has broadcast <v, z>. */
export const Integrity = (delivered: readonly (readonly ZabTxn[])[], broadcasts: readonly (readonly ZabTxn[])[]): boolean =>
  delivered.every((sequence) => sequence.every((txn) => broadcasts.some((record) => indexIn(record, txn) >= 0)));

/**
 * Total order: if some process delivers <v, z> before <v', z'>, then any process that delivers
 * <v', z'> must also deliver <v, z>, and before <v', z'>.
 */
export function TotalOrder(delivered: readonly (readonly ZabTxn[])[]): boolean {
  for (const first of delivered) {
    for (const other of delivered) {
      for (let j = 0; j < first.length; j++) {
        const later = indexIn(other, first[j]!);
        if (later < 0) continue;
        for (let i = 0; i < j; i++) {
          const earlier = indexIn(other, first[i]!);
          if (earlier < 0 || earlier > later) return false;
        }
      }
    }
  }
  return true;
}

/**
 * Agreement, in the prefix form Zab provides: the deliveries of any two processes are prefixes of
 * one another. It implies the paper's Agreement (if pi delivers <v, z> and pj delivers <v', z'>,
 * then pi delivers <v', z'> or pj delivers <v, z>).
 */
export function Agreement(delivered: readonly (readonly ZabTxn[])[]): boolean {
  for (const a of delivered) {
    for (const b of delivered) {
      const common = Math.min(a.length, b.length);
      for (let i = 0; i < common; i++) if (!same(a[i]!, b[i]!)) return false;
    }
  }
  return true;
}

/**
 * Local primary order: if a primary broadcasts <v, z> before <v', z'>, then a process that
 * delivers <v', z'> must also deliver <v, z> before <v', z'>. `broadcasts` holds each peer's
 * record in broadcast order; a peer is a different primary in each epoch it leads.
 */
export function LocalPrimaryOrder(delivered: readonly (readonly ZabTxn[])[], broadcasts: readonly (readonly ZabTxn[])[]): boolean {
  for (const record of broadcasts) {
    for (const sequence of delivered) {
      for (let j = 0; j < sequence.length; j++) {
        const k = indexIn(record, sequence[j]!);
        if (k < 0) continue;
        for (let i = 0; i < k; i++) {
          if (record[i]!.epoch !== record[k]!.epoch) continue;
          const earlier = indexIn(sequence, record[i]!);
          if (earlier < 0 || earlier > j) return false;
        }
      }
    }
  }
  return true;
}

/**
 * Global primary order: if primary ρe broadcasts <v, z>, ρe' broadcasts <v', z'>, e < e', and a
 * process delivers both, it delivers <v, z> first. With primaries named by epoch: epochs never
 * decrease along a delivered sequence.
 */
export const GlobalPrimaryOrder = (delivered: readonly (readonly ZabTxn[])[]): boolean =>
  delivered.every((sequence) => sequence.every((txn, i) => i === 0 || sequence[i - 1]!.epoch <= txn.epoch));

/** An established primary of epoch `epoch` and what it has delivered, in order. */
export type ZabPrimary = { readonly epoch: number; readonly delivered: readonly ZabTxn[] };

/**
 * Primary integrity: if ρe broadcasts <v, z> and some process delivers <v', z'> broadcast by ρe',
 * e' < e, then ρe must deliver <v', z'> before it broadcasts <v, z>. Checked of every live
 * established primary (whether or not it has broadcast yet, which makes it stronger): it has
 * delivered every transaction of an earlier epoch delivered anywhere. A primary delivers nothing
 * of an earlier epoch after it starts broadcasting, so "before" holds with "has delivered".
 */
export const PrimaryIntegrity = (primaries: readonly ZabPrimary[], delivered: readonly (readonly ZabTxn[])[]): boolean =>
  primaries.every((primary) =>
    delivered.every((sequence) => sequence.every((txn) => txn.epoch >= primary.epoch || indexIn(primary.delivered, txn) >= 0)),
  );

/**
 * One primary per epoch (the property Zab's discovery ensures and the paper's proofs lean on): no
 * two peers broadcast transactions of the same epoch, and no zxid is used twice.
 */
export function OnePrimaryPerEpoch(broadcasts: readonly (readonly ZabTxn[])[]): boolean {
  const owner = new Map<number, number>();
  const zxids = new Set<string>();
  for (let p = 0; p < broadcasts.length; p++) {
    for (const txn of broadcasts[p]!) {
      if ((owner.get(txn.epoch) ?? p) !== p) return false;
      owner.set(txn.epoch, p);
      const zxid = `${txn.epoch}.${txn.counter}`;
      if (zxids.has(zxid)) return false;
      zxids.add(zxid);
    }
  }
  return true;
}
