/**
 * promtool, Prometheus's own checker, on what the project ships: the output
 * of src/answers/metrics.ts (before any evaluation, healthy, IO thread
 * stopped), prometheus/alerts.yml and its unit tests, and
 * prometheus/scrape.yml with the example targets file.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createMetrics, type EvaluationSnapshot } from '../../src/answers/metrics';
import { promtool } from '../support/promtool';
import { healthySnapshot, ioStoppedSnapshot } from '../support/snapshots';
import { makeTempDir } from '../support/run-dir';

const DIR = path.resolve(__dirname, '..', '..', '..', 'prometheus');
const NOW = Date.now();

const healthy = healthySnapshot({ at: NOW - 800 });
const ioStopped = ioStoppedSnapshot({ at: NOW - 800, peer: 'refused' });

async function rendered(s: EvaluationSnapshot | undefined): Promise<string> {
  const m = createMetrics({ version: '0.1.0' });
  m.countProbe('http');
  m.countTransition('up', 'failing');
  m.countHookRun('0');
  if (s !== undefined) m.observeEvaluation(s);
  return (await m.render(NOW)).body;
}

describe('promtool check metrics', () => {
  test('finds something to say about a counter without _total (the check is a real one)', () => {
    const r = promtool(['check', 'metrics'], { input: '# HELP x_checks Checks.\n# TYPE x_checks counter\nx_checks 1\n' });
    assert.notEqual(r.code, 0, r.output);
    assert.match(r.output, /_total/);
  });

  for (const [name, snapshot] of [
    ['before the first evaluation', undefined],
    ['a healthy node', healthy],
    ['the IO thread stopped (lag NaN)', ioStopped],
  ] as const) {
    test(`accepts the metrics of ${name} without a remark`, async () => {
      const text = await rendered(snapshot);
      const r = promtool(['check', 'metrics'], { input: text });
      assert.equal(r.code, 0, r.output);
      assert.equal(r.output.trim(), '', r.output);
    });
  }

  test('the IO-stopped output it accepted does carry the NaN lag sample', async () => {
    assert.match(await rendered(ioStopped), /^mysql_failover_replication_lag_seconds\{channel=""\} NaN$/m);
  });
});

describe('prometheus/alerts.yml', () => {
  test('promtool check rules accepts it: 7 rules', () => {
    const r = promtool(['check', 'rules', path.join(DIR, 'alerts.yml')]);
    assert.equal(r.code, 0, r.output);
    assert.match(r.output, /SUCCESS: 7 rules found/);
  });

  test('promtool test rules passes alerts.test.yml', () => {
    const r = promtool(['test', 'rules', path.join(DIR, 'alerts.test.yml')]);
    assert.equal(r.code, 0, r.output);
    assert.match(r.output, /SUCCESS/);
  });

  test('alerts.test.yml shows every alert both firing and not firing', () => {
    const alerts = [...fs.readFileSync(path.join(DIR, 'alerts.yml'), 'utf8').matchAll(/^\s*- alert: (\S+)$/gm)].map((m) => m[1] as string);
    assert.equal(alerts.length, 7);
    // One entry of an alert_rule_test list per chunk: "- eval_time: ..." or "- { eval_time: ... }".
    const cases = fs
      .readFileSync(path.join(DIR, 'alerts.test.yml'), 'utf8')
      .split(/^\s*- \{? ?eval_time:/m)
      .slice(1)
      .map((chunk) => ({
        alert: /alertname: (\w+)/.exec(chunk)?.[1],
        firing: /exp_labels:/.test(chunk.split(/^\s*- (?:name|interval):/m)[0] ?? ''),
      }));
    for (const alert of alerts) {
      assert.ok(
        cases.some((c) => c.alert === alert && c.firing),
        `${alert}: no test where it fires`,
      );
      assert.ok(
        cases.some((c) => c.alert === alert && !c.firing),
        `${alert}: no test where it does not fire`,
      );
    }
  });

  test('promtool test rules fails when an expectation is wrong (the tests can fail)', () => {
    const dir = makeTempDir('alerts-');
    try {
      fs.copyFileSync(path.join(DIR, 'alerts.yml'), path.join(dir, 'alerts.yml'));
      const tests = fs
        .readFileSync(path.join(DIR, 'alerts.test.yml'), 'utf8')
        .replace('severity: critical\n              pair: orders', 'severity: warning\n              pair: orders');
      assert.ok(tests.includes('severity: warning\n              pair: orders'), 'the expectation to break was not found');
      fs.writeFileSync(path.join(dir, 'alerts.test.yml'), tests);
      const r = promtool(['test', 'rules', path.join(dir, 'alerts.test.yml')]);
      assert.notEqual(r.code, 0, r.output);
      assert.match(r.output, /FAILED/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('prometheus/scrape.yml', () => {
  test('promtool check config accepts it, with the rule file and the file_sd targets it names', () => {
    const r = promtool(['check', 'config', path.join(DIR, 'scrape.yml')]);
    assert.equal(r.code, 0, r.output);
    assert.match(r.output, /SUCCESS: 7 rules found/);
  });

  test('every target, static or in the example targets file, carries a pair and a node label', () => {
    for (const file of ['scrape.yml', path.join('targets', 'mysql-failover.yml')]) {
      const text = fs.readFileSync(path.join(DIR, file), 'utf8');
      const groups = text.split(/^\s*- targets:/m).slice(1);
      assert.ok(groups.length >= 2, `${file}: no targets`);
      for (const g of groups) {
        const block = g.split(/^\s*(?:#|file_sd_configs:)/m)[0] ?? '';
        assert.match(block, /^\s+pair: \S+$/m, `${file}: a target without pair:\n${block}`);
        assert.match(block, /^\s+node: \S+$/m, `${file}: a target without node:\n${block}`);
      }
    }
  });
});
