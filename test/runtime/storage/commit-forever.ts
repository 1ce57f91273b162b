/**
 * Child process of the kill -9 test: commits batch after batch to a SqliteStore and prints each
 * batch number once `commit` has returned — the moment a host would release that batch's messages.
 * Batch n sets `lastBatch` to n and appends n three times to `log`.
 *
 *   node --import tsx test/runtime/storage/commit-forever.ts <db file>
 */
import { SqliteStore } from '../../../src/runtime/storage/sqlite-store.ts';

const path = process.argv[2];
if (!path) throw new Error('usage: commit-forever.ts <db file>');
const store = new SqliteStore(path);
const image = store.load();
let batch = typeof image.lastBatch === 'number' ? image.lastBatch + 1 : 0;
for (;;) {
  store.commit([{ set: { lastBatch: batch } }, { append: { log: [batch, batch] } }, { append: { log: [batch] } }]);
  // Writes to a pipe are synchronous on Linux: once this returns, the parent can read the line
  // even if the process is killed the next instant.
  process.stdout.write(`${batch}\n`);
  batch++;
}
