/**
 * mysql-failover-check as a process at a shell, without a server: a reader
 * that stops early (`| head -1`) ends it quietly, as any Unix filter.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { binPath } from '../support/run-bin';

test('`oid NAME | head -1` prints one line, and no EPIPE complaint: exit 0 under pipefail', () => {
  // Enough lines that the pipe closes while it is still writing.
  const r = spawnSync(
    'bash',
    ['-c', `set -o pipefail; for i in 1 2 3 4 5 6 7 8; do '${binPath('mysql-failover-check')}' oid mysql_failover --json; done | head -1`],
    {
      encoding: 'utf8',
    },
  );
  assert.equal(r.stderr, '');
  assert.equal(r.status, 0);
  assert.equal(r.stdout, '[\n');
});
