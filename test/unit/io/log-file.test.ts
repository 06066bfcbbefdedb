/**
 * The --log-file line (src/io/log-file.ts): one line, key=value, the detail
 * quoted and on one line, secrets scrubbed there; a log that cannot be
 * written is reported, not thrown.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { appendLogLine, formatLogLine, logDecision } from '../../../src/io/log-file';

let dir = '';

before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'log-file-'));
});

after(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

const FIELDS = {
  tool: 'mysql-failover-snmp',
  verdict: 'DOWN',
  reason: 'local-unreachable',
  detail: 'local server: connect: ECONNREFUSED',
  elapsedMs: 12,
};

describe('log line', () => {
  test('time, tool, pid, verdict, reason, elapsed, then the detail quoted', () => {
    assert.equal(
      formatLogLine(FIELDS, new Date('2026-01-02T03:04:05.678Z')),
      `2026-01-02T03:04:05.678Z mysql-failover-snmp pid=${process.pid} verdict=DOWN reason=local-unreachable elapsed_ms=12 detail="local server: connect: ECONNREFUSED"\n`,
    );
  });

  test('a detail with line breaks and quotes stays one line', () => {
    const line = formatLogLine({ ...FIELDS, detail: 'a\r\nb "c"\nd' }, new Date(0));
    assert.match(line, / detail="a b \\"c\\" d"\n$/);
    assert.equal(line.split('\n').length, 2);
  });

  test('appended, never overwritten; the secrets scrubbed from the detail before it is quoted', () => {
    const file = path.join(dir, 'a.log');
    assert.equal(appendLogLine(file, { ...FIELDS, detail: 'pw "s3cr\\et" in a message' }, ['"s3cr\\et"']), undefined);
    logDecision(file, 'mysql-failover-http', { verdict: 'UP', reason: 'fresh', detail: 'heartbeat age 1 s <= 20 s' }, 5, []);
    const lines = fs.readFileSync(file, 'utf8').trimEnd().split('\n');
    assert.equal(lines.length, 2);
    assert.match(lines[0] ?? '', / detail="pw \*\*\* in a message"$/);
    assert.match(lines[1] ?? '', / mysql-failover-http pid=\d+ verdict=UP reason=fresh elapsed_ms=5 detail="heartbeat age 1 s <= 20 s"$/);
    assert.equal(fs.statSync(file).mode & 0o777 & ~process.umask(), 0o640 & ~process.umask());
  });

  test('only the detail is scrubbed: the fixed words of the line stay what they are', () => {
    const file = path.join(dir, 'b.log');
    appendLogLine(file, FIELDS, ['DOWN']);
    assert.match(fs.readFileSync(file, 'utf8'), / verdict=DOWN reason=local-unreachable /);
  });

  test('a log that cannot be written is returned as an error, not thrown', () => {
    const e = appendLogLine(path.join(dir, 'missing-dir', 'c.log'), FIELDS, []);
    assert.ok(e instanceof Error);
    assert.doesNotThrow(() =>
      logDecision(path.join(dir, 'missing-dir', 'c.log'), 't', { verdict: 'UP', reason: 'fresh', detail: '' }, 0, []),
    );
  });
});
