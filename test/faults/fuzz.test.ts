/**
 * Bounded fuzz (docs/design.md, "Bounds and failures") of the two readers
 * that take untrusted bytes: the
 * option-file parser and the HTTP request reader. Inputs are mutations of
 * valid seeds (bit flips, byte inserts/deletes, splices, repeats, control
 * bytes). Every input must be parsed or rejected with a coded CheckError: no
 * other exception, and no single input may take longer than 1 s.
 *
 *   MFC_FUZZ_SEED=N       replay a run (the seed is printed)
 *   MFC_FUZZ_SECONDS=S    total budget, split between the two readers (default 60)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseOptionFileText } from '../../src/config/option-file-parser';
import { parseRequest } from '../../src/answers/http';
import type { ReadEnd } from '../../src/io/bounded-io';
import { CheckError } from '../../src/core/errors';

const SEED = Number(process.env['MFC_FUZZ_SEED']) || Date.now() % 2 ** 31;
const BUDGET_MS = (Number(process.env['MFC_FUZZ_SECONDS']) || 60) * 1000;
process.stdout.write(`fuzz seed ${SEED} (replay with MFC_FUZZ_SEED=${SEED})\n`);

/** mulberry32: small, fast, reproducible. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const INTERESTING = [
  '\n',
  '\r',
  '\0',
  '=',
  '[',
  ']',
  '#',
  ';',
  '"',
  "'",
  '\\',
  '!include ',
  '!includedir ',
  ' ',
  '\t',
  '\xff',
  '\r\n\r\n',
  ':',
  '%',
  'é',
];

function mutate(seed: Buffer, r: () => number, pool: readonly Buffer[]): Buffer {
  let b = Buffer.from(seed);
  const n = 1 + Math.floor(r() * 8);
  for (let i = 0; i < n; i++) {
    const pos = Math.floor(r() * (b.length + 1));
    switch (Math.floor(r() * 7)) {
      case 0: // bit flip
        if (b.length) b[Math.min(pos, b.length - 1)]! ^= 1 << Math.floor(r() * 8);
        break;
      case 1: // random byte inserted
        b = Buffer.concat([b.subarray(0, pos), Buffer.from([Math.floor(r() * 256)]), b.subarray(pos)]);
        break;
      case 2: // a run deleted
        b = Buffer.concat([b.subarray(0, pos), b.subarray(pos + Math.floor(r() * 16))]);
        break;
      case 3: // an interesting token inserted
        b = Buffer.concat([b.subarray(0, pos), Buffer.from(INTERESTING[Math.floor(r() * INTERESTING.length)]!, 'latin1'), b.subarray(pos)]);
        break;
      case 4: {
        // splice with another seed
        const o = pool[Math.floor(r() * pool.length)]!;
        b = Buffer.concat([b.subarray(0, pos), o.subarray(Math.floor(r() * o.length))]);
        break;
      }
      case 5: {
        // a slice repeated
        const len = Math.floor(r() * 64);
        const slice = b.subarray(pos, pos + len);
        b = Buffer.concat([b.subarray(0, pos), ...Array.from({ length: 1 + Math.floor(r() * 50) }, () => slice), b.subarray(pos)]);
        break;
      }
      default: // truncated
        b = b.subarray(0, pos);
    }
  }
  return b;
}

function fuzz(name: string, seeds: readonly string[], budgetMs: number, run: (input: Buffer) => void): void {
  const r = rng(SEED ^ name.length);
  const pool = seeds.map((s) => Buffer.from(s, 'latin1'));
  const until = Date.now() + budgetMs;
  let count = 0;
  let rejected = 0;
  while (Date.now() < until) {
    const input = mutate(pool[Math.floor(r() * pool.length)]!, r, pool);
    const t0 = Date.now();
    try {
      run(input);
    } catch (e) {
      if (!(e instanceof CheckError) || typeof e.code !== 'string') {
        assert.fail(
          `${name}: input #${count} (seed ${SEED}) threw ${String(e)}: ${JSON.stringify(input.toString('latin1').slice(0, 500))}`,
        );
      }
      rejected++;
    }
    const took = Date.now() - t0;
    assert.ok(took < 1000, `${name}: input #${count} (seed ${SEED}) took ${took} ms`);
    count++;
  }
  process.stdout.write(`fuzz ${name}: ${count} inputs, ${rejected} rejected with a coded error, seed ${SEED}\n`);
}

const OPTION_SEEDS = [
  '[client]\nuser=monitor\npassword="s3cret; #pw"\n[mysql-failover-check]\nhost=127.0.0.1\nport=3306\ntable=status_example.lastcheck\n',
  "# comment\n[client]\npassword = 'a\\tb\\\\c'\nsocket=/run/mysqld/mysqld.sock\n!include /nonexistent.cnf\n!includedir /nonexistent.d\n",
  '[mysql-failover-check]\ntimeout=2\nfresh=20\nmax_lag=1\nskip-something\nlog-file=/var/log/x.log ; trailing\n',
];

const HTTP_SEEDS = [
  'GET / HTTP/1.1\r\nHost: db1\r\nUser-Agent: HAProxy\r\n\r\n',
  'HEAD /health HTTP/1.0\r\n\r\n',
  'OPTIONS * HTTP/1.1\r\nConnection: close\r\nContent-Length: 0\r\n\r\n',
  'POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello',
];
const ENDS: readonly ReadEnd[] = ['complete', 'eof', 'limit', 'timeout', 'error'];

test('option-file reader: mutated inputs are parsed or rejected with a coded error', () => {
  fuzz('option-files', OPTION_SEEDS, BUDGET_MS / 2, (input) => {
    parseOptionFileText(input, 'fuzz.cnf');
  });
});

test('HTTP request reader: mutated inputs get a request or a 400/405, never an exception', () => {
  let i = 0;
  fuzz('http-request', HTTP_SEEDS, BUDGET_MS / 2, (input) => {
    const end = ENDS[i++ % ENDS.length]!;
    const p = parseRequest(input, end);
    if (p.ok) {
      assert.ok(['GET', 'HEAD', 'OPTIONS'].includes(p.method), `method ${p.method}`);
    } else {
      assert.ok(p.status === 400 || p.status === 405, `status ${String(p.status)}`);
      assert.equal(typeof p.problem, 'string');
      assert.ok(!/[\r\n]/.test(p.problem), `the problem text must be one line: ${JSON.stringify(p.problem)}`);
    }
  });
});
