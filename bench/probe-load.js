'use strict';
/**
 * Probe clients for the resident-mode benchmark (bench/run.js): each probe is
 * what a balancer does, a fresh TCP connection per HTTP or agent check, timed
 * from the connect to the whole answer (pass_persist is played by the tests'
 * PersistClient). Bounded: every probe gives up after
 * PROBE_LIMIT_MS. (Storms are wrk's job, see bench/run.js.)
 */
const net = require('node:net');

const PROBE_LIMIT_MS = 10_000;

/** One probe over a fresh connection: `request` is sent (if any), the answer read until the server closes. */
function tcpProbe(host, port, request) {
  return new Promise((resolve) => {
    const started = process.hrtime.bigint();
    const chunks = [];
    let done = false;
    const finish = (error) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      resolve({ ms, answer: Buffer.concat(chunks).toString('latin1'), error });
    };
    const socket = net.connect({ host, port });
    const timer = setTimeout(() => finish('timeout'), PROBE_LIMIT_MS);
    socket.on('connect', () => {
      if (request) socket.write(request);
    });
    socket.on('data', (d) => chunks.push(d));
    socket.on('end', () => finish(undefined));
    socket.on('error', (e) => finish(e.code ?? String(e)));
  });
}

const HTTP_REQUEST = 'GET / HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n';

/** HAProxy httpchk: the status code is the answer. */
async function httpProbe(host, port) {
  const r = await tcpProbe(host, port, HTTP_REQUEST);
  const status = /^HTTP\/1\.[01] (\d{3})/.exec(r.answer)?.[1];
  return { ms: r.ms, answer: r.error ?? status ?? 'garbled' };
}

const METRICS_REQUEST = 'GET /metrics HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n';

/** A Prometheus scrape: `metrics` when the answer is 200 in the text exposition format, else what came instead. */
async function metricsProbe(host, port) {
  const r = await tcpProbe(host, port, METRICS_REQUEST);
  const status = /^HTTP\/1\.[01] (\d{3})/.exec(r.answer)?.[1];
  const body = r.answer.slice(r.answer.indexOf('\r\n\r\n') + 4);
  const exposition = status === '200' && /^# (HELP|TYPE) /m.test(body);
  return { ms: r.ms, answer: r.error ?? (exposition ? 'metrics' : `HTTP ${status ?? 'garbled'}, not the Prometheus text format`) };
}

/** HAProxy agent-check: the server speaks first, one line, and closes. */
async function agentProbe(host, port) {
  const r = await tcpProbe(host, port, undefined);
  return { ms: r.ms, answer: r.error ?? (r.answer.trim() || 'empty') };
}

/** `n` probes one after the other. */
async function sequential(probe, n) {
  const results = [];
  for (let i = 0; i < n; i++) results.push(await probe());
  return results;
}

function percentile(xs, p) {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
}

/** Latency summary and the answers seen (answer -> count). */
function summarise(results) {
  const ms = results.map((r) => r.ms);
  const answers = {};
  for (const r of results) answers[r.answer] = (answers[r.answer] ?? 0) + 1;
  return {
    n: results.length,
    median: percentile(ms, 50),
    p99: percentile(ms, 99),
    min: Math.min(...ms),
    max: Math.max(...ms),
    answers,
  };
}

module.exports = { httpProbe, agentProbe, metricsProbe, sequential, summarise };
