/**
 * The resident engine's rules (src/resident/engine.ts) with a probe runner of
 * the test's own: one check at a time whatever asks (a probe, the watcher, a
 * scrape), which kind stamps, what is reused and for how long, and what a
 * reload changes. No server: the runner answers what the test tells it.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Decision, Reason } from '../../../src/core/decide';
import { CheckError } from '../../../src/core/errors';
import { parseArgs } from '../../../src/config/argv';
import { resolveOptions } from '../../../src/config/option-merge';
import { COMMON_OPTIONS } from '../../../src/config/option-specs';
import { checkSettings, type CheckSettings } from '../../../src/config/settings';
import type { ProbeOptions, ProbeResult } from '../../../src/probe/probe';
import { startResident, type ReloadOutcome } from '../../../src/resident/engine';

function settings(...args: string[]): CheckSettings {
  return checkSettings(
    resolveOptions(parseArgs(['--no-defaults', '--host=127.0.0.1', '--port=1', ...args], COMMON_OPTIONS), COMMON_OPTIONS),
  );
}

function decision(reason: Reason, verdict: 'UP' | 'DOWN' = 'UP'): Decision {
  return { verdict, reason, detail: reason, stamp: verdict === 'UP', steps: [], warnings: [] };
}

interface Call {
  settings: CheckSettings;
  opts: ProbeOptions;
  finish(d: Decision): void;
}

/** A runner whose checks end when the test says; `calls` in the order they started. */
function runner(): { calls: Call[]; run: (s: CheckSettings, o: ProbeOptions) => Promise<ProbeResult> } {
  const calls: Call[] = [];
  return {
    calls,
    run: (s, opts) =>
      new Promise<ProbeResult>((resolve) => {
        calls.push({
          settings: s,
          opts,
          finish: (d) =>
            resolve({ decision: d, raw: d, facts: undefined, heartbeat: undefined, stamped: false, elapsedMs: 1, timedOut: false }),
        });
      }),
  };
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('resident engine', () => {
  test('a probe stamps and holds the state as `probe`; a background check tries the stamp only, as `watcher`; both read replication', async () => {
    const r = runner();
    const e = startResident(settings(), { cacheMs: 0 }, r.run);
    const p = e.probe();
    await tick();
    r.calls[0]?.finish(decision('fresh'));
    assert.equal((await p).reason, 'fresh');
    const b = e.background();
    await tick();
    r.calls[1]?.finish(decision('caught-up'));
    assert.equal((await b).result.decision.reason, 'caught-up');
    assert.deepEqual(
      r.calls.map((c) => [c.opts.stamp, c.opts.trialStamp ?? false, c.opts.alwaysReadReplication, c.opts.failover]),
      [
        [true, false, true, { mode: 'write', actor: 'probe' }],
        [false, true, true, { mode: 'write', actor: 'watcher' }],
      ],
    );
    await e.close();
  });

  test('never two checks at once: a probe arriving during a background check gets its answer, and the other way round', async () => {
    const r = runner();
    const e = startResident(settings(), { cacheMs: 0 }, r.run);
    const background = e.background();
    const probes = [e.probe(), e.probe()];
    await tick();
    assert.equal(r.calls.length, 1);
    r.calls[0]?.finish(decision('peer-unreachable'));
    assert.deepEqual(
      (await Promise.all(probes)).map((d) => d.reason),
      ['peer-unreachable', 'peer-unreachable'],
    );
    assert.equal((await background).kind, 'background');

    const probe = e.probe();
    const scrape = e.background();
    await tick();
    assert.equal(r.calls.length, 2);
    r.calls[1]?.finish(decision('fresh'));
    assert.equal((await scrape).kind, 'probe', 'the scrape shares the probe that was running');
    assert.equal((await probe).reason, 'fresh');
    await e.close();
  });

  test('a finished check is reused by both kinds while younger than --cache, then a new one runs', async () => {
    const r = runner();
    const e = startResident(settings(), { cacheMs: 150 }, r.run);
    const first = e.background();
    await tick();
    r.calls[0]?.finish(decision('fresh'));
    await first;
    assert.equal((await e.probe()).reason, 'fresh');
    assert.equal((await e.background()).result.decision.reason, 'fresh');
    assert.equal(r.calls.length, 1);
    await sleep(200);
    const later = e.probe();
    await tick();
    assert.equal(r.calls.length, 2);
    r.calls[1]?.finish(decision('caught-up'));
    assert.equal((await later).reason, 'caught-up');
    await e.close();
  });

  test('a maintenance answer is never reused for a probe (the file is looked at every time), but a scrape may reuse it', async () => {
    const r = runner();
    const e = startResident(settings(), { cacheMs: 60_000 }, r.run);
    const first = e.background();
    await tick();
    r.calls[0]?.finish(decision('maintenance', 'DOWN'));
    await first;
    assert.equal((await e.background()).result.decision.reason, 'maintenance');
    assert.equal(r.calls.length, 1);
    const probe = e.probe();
    await tick();
    assert.equal(r.calls.length, 2);
    r.calls[1]?.finish(decision('fresh'));
    assert.equal((await probe).reason, 'fresh');
    await e.close();
  });

  test('onResult, onCheck and onChecked once per check, with its settings; a throwing callback changes no answer', async () => {
    const r = runner();
    const seen: string[] = [];
    const e = startResident(
      settings(),
      {
        cacheMs: 0,
        onResult: (res, s) => seen.push(`result ${res.decision.reason} ${s.timeoutMs}`),
        onCheck: (d) => {
          seen.push(`check ${d.reason}`);
          throw new Error('a log that cannot be written');
        },
        onChecked: (c) => seen.push(`checked ${c.kind}`),
      },
      r.run,
    );
    const probes = [e.probe(), e.probe(), e.probe()];
    await tick();
    r.calls[0]?.finish(decision('fresh'));
    await Promise.all(probes);
    assert.deepEqual(seen, ['result fresh 3000', 'check fresh', 'checked probe']);
    await e.close();
  });

  test('a check that rejects is DOWN error, not a rejection', async () => {
    const e = startResident(settings(), { cacheMs: 0 }, () => Promise.reject(new CheckError('INTERNAL', 'boom')));
    const d = await e.probe();
    assert.equal(d.verdict, 'DOWN');
    assert.equal(d.reason, 'error');
    await e.close();
  });

  describe('reload', () => {
    test('a changed configuration is applied: named by option, used by the next check, nothing cached survives it', async () => {
      const r = runner();
      const outcomes: Array<[ReloadOutcome, string]> = [];
      let next = settings('--fresh=5');
      const e = startResident(
        settings(),
        { cacheMs: 60_000, configuration: { read: () => next, onReload: (o, t) => outcomes.push([o, t]) } },
        r.run,
      );
      const first = e.probe();
      await tick();
      r.calls[0]?.finish(decision('fresh'));
      await first;

      const applied = e.reload('SIGHUP');
      assert.equal(applied.kind, 'applied');
      assert.deepEqual(applied.kind === 'applied' ? applied.changed : [], ['fresh']);
      assert.equal(e.settings().thresholds.fresh, 5);
      const after = e.probe();
      await tick();
      assert.equal(r.calls.length, 2, 'the cached answer of the old settings is not reused');
      assert.equal(r.calls[1]?.settings.thresholds.fresh, 5);
      r.calls[1]?.finish(decision('caught-up'));
      await after;

      assert.equal(e.reload('SIGHUP').kind, 'unchanged');
      // A password comes from option files only; the settings are what they would hold.
      next = { ...next, local: { ...next.local, password: 'rotated' } };
      const rotated = e.reload('login-refused');
      assert.deepEqual(rotated.kind === 'applied' ? rotated.changed : [], ['password']);
      assert.deepEqual(
        outcomes.map(([o, t]) => `${o.kind} ${t}`),
        ['applied SIGHUP', 'unchanged SIGHUP', 'applied login-refused'],
      );
      await e.close();
    });

    test('a configuration that does not parse is refused: the old settings stay and the outcome says why', async () => {
      const r = runner();
      const before = settings('--fresh=7');
      const e = startResident(
        before,
        {
          cacheMs: 0,
          configuration: {
            read: () => {
              throw new CheckError('OPTION_FILE_SYNTAX', 'Found option without preceding group in option file /x.cnf at line 1');
            },
          },
        },
        r.run,
      );
      const outcome = e.reload('SIGHUP');
      assert.equal(outcome.kind, 'refused');
      assert.equal(outcome.kind === 'refused' ? outcome.error.code : '', 'OPTION_FILE_SYNTAX');
      assert.equal(e.settings(), before);
      await e.close();
    });

    test('without a configuration, reload changes nothing', async () => {
      const e = startResident(settings(), { cacheMs: 0 }, runner().run);
      assert.equal(e.reload('SIGHUP').kind, 'unchanged');
      await e.close();
    });
  });

  test('after close(), a probe gets DOWN error at once and no check starts', async () => {
    const r = runner();
    const e = startResident(settings(), { cacheMs: 0 }, r.run);
    await e.close();
    const d = await e.probe();
    assert.equal(d.reason, 'error');
    assert.match(d.detail, /shutting down/);
    assert.equal(r.calls.length, 0);
  });
});
