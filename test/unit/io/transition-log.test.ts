import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Transition } from '../../../src/core/failover-state';
import { formatTransitionLine, logTransitions } from '../../../src/io/transition-log';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'mfc-tlog-'));
after(() => fs.rmSync(root, { recursive: true, force: true }));

const T: Transition = {
  from: 'up',
  to: 'failing',
  at: Date.UTC(2024, 4, 1, 12, 0, 0, 5),
  reason: 'holding-up',
  detail: 'failing since 2024-05-01T12:00:00.005Z: local-unreachable for 0 s of --down-after 4 s',
  actor: 'probe',
};

test('a transition line: its own time, tool, pid, then key=value with the detail quoted', () => {
  assert.equal(
    formatTransitionLine(T, 'mysql-failover-snmp'),
    '2024-05-01T12:00:00.005Z' +
      ` mysql-failover-snmp pid=${process.pid} transition=up->failing reason=holding-up actor=probe ` +
      `detail="failing since 2024-05-01T12:00:00.005Z: local-unreachable for 0 s of --down-after 4 s"\n`,
  );
});

test('a detail with newlines and quotes stays on one line', () => {
  const line = formatTransitionLine({ ...T, from: 'none', detail: 'a "b"\nc\r\nd' }, 'serve');
  assert.equal(line.split('\n').length, 2);
  assert.match(line, / transition=none->failing .* detail="a \\"b\\" c d"\n$/);
});

test('logTransitions appends one line per transition; an unwritable log is returned, not thrown', () => {
  const log = path.join(root, 'check.log');
  fs.writeFileSync(log, 'earlier line\n');
  assert.equal(logTransitions(log, 'serve', [T, { ...T, from: 'failing', to: 'down', reason: 'local-unreachable' }]), undefined);
  assert.equal(logTransitions(log, 'serve', []), undefined);
  const lines = fs.readFileSync(log, 'utf8').split('\n');
  assert.equal(lines.length, 4);
  assert.match(lines[1] ?? '', / transition=up->failing /);
  assert.match(lines[2] ?? '', / transition=failing->down reason=local-unreachable /);
  const error = logTransitions(path.join(root, 'missing', 'check.log'), 'serve', [T]);
  assert.ok(error instanceof Error);
});
