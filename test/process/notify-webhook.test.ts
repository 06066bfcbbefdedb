/**
 * hooks/notify-webhook against a local HTTP server, run as serve runs a
 * hook (runHook) through the wrapper hooks/README.md describes: the JSON
 * it posts parses and carries the values exactly (quotes, backslashes and
 * `$(...)` included, control characters made spaces), the URL may come
 * from a curl config with a header, and an HTTP error or nothing
 * listening is one line and a non-zero exit.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { runHook, type HookEvent } from '../../src/io/hook-runner';
import { refusedPort } from '../support/fault-listener';
import { makeTempDir } from '../support/run-dir';
import { SAMPLE_EVENT } from '../support/hooks';

const HOOK = path.resolve(__dirname, '..', '..', '..', 'hooks', 'notify-webhook');

interface Received {
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

let dir: string;
let server: http.Server;
let port: number;
const received: Received[] = [];

before(async () => {
  dir = makeTempDir('webhook-');
  server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString('utf8')));
    req.on('end', () => {
      received.push({ url: req.url ?? '', headers: req.headers, body });
      res.statusCode = req.url?.endsWith('/fail') ? 500 : 204;
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

after(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

/** A wrapper that sets one variable and execs the hook, as the README shows. */
function wrapper(name: string, variable: string, value: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, `#!/bin/sh\n${variable}='${value}' exec '${HOOK}' "$@"\n`, { mode: 0o755 });
  return file;
}

const EVENT: HookEvent = { ...SAMPLE_EVENT, lag: 7 };

describe('hooks/notify-webhook', () => {
  test('posts the event as JSON that parses, with awkward values carried exactly', async () => {
    received.length = 0;
    const pwned = path.join(dir, 'pwned');
    const node = `db "1" \\ back $(touch ${pwned}) \`touch ${pwned}\``;
    const hook = wrapper('to-url', 'NOTIFY_WEBHOOK_URL', `http://127.0.0.1:${port}/hooks/s3cr3t-token`);
    const run = await runHook(hook, { ...EVENT, node, reason: 'line one\nline\ttwo' }, { timeoutMs: 30_000 });
    assert.equal(run.exitCode, 0, run.output);
    assert.equal(run.output, `notify-webhook: sent down for ${node} (HTTP 204)`);
    assert.equal(received.length, 1);
    const [r] = received;
    assert.equal(r?.url, '/hooks/s3cr3t-token');
    assert.equal(r?.headers['content-type'], 'application/json');
    assert.deepEqual(JSON.parse(r?.body ?? ''), {
      event: 'down',
      node,
      from: 'up',
      to: 'down',
      reason: 'line one line two',
      time: '2024-01-02T03:04:05.678Z',
    });
    assert.equal(fs.existsSync(pwned), false);
  });

  test('takes the URL and a header from a curl config file', async () => {
    received.length = 0;
    const curlrc = path.join(dir, 'webhook.curlrc');
    fs.writeFileSync(curlrc, `url = "http://127.0.0.1:${port}/from-config"\nheader = "Authorization: Bearer abc123"\n`, { mode: 0o600 });
    const run = await runHook(wrapper('to-config', 'NOTIFY_WEBHOOK_CONFIG', curlrc), EVENT, { timeoutMs: 30_000 });
    assert.equal(run.exitCode, 0, run.output);
    assert.equal(received[0]?.url, '/from-config');
    assert.equal(received[0]?.headers['authorization'], 'Bearer abc123');
  });

  test('an HTTP error is one line and a non-zero exit', async () => {
    const run = await runHook(wrapper('to-fail', 'NOTIFY_WEBHOOK_URL', `http://127.0.0.1:${port}/fail`), EVENT, { timeoutMs: 30_000 });
    assert.notEqual(run.exitCode, 0);
    assert.equal(run.output.split('\n').length, 1);
    assert.match(run.output, /^notify-webhook: could not send down for db1: .*500/);
  });

  test('nothing listening is one line and a non-zero exit', async () => {
    const run = await runHook(wrapper('to-nowhere', 'NOTIFY_WEBHOOK_URL', `http://127.0.0.1:${await refusedPort()}/x`), EVENT, {
      timeoutMs: 30_000,
    });
    assert.notEqual(run.exitCode, 0);
    assert.equal(run.timedOut, false, "curl's own timeouts end it");
    assert.match(run.output, /^notify-webhook: could not send down for db1: curl: \(7\)/);
    assert.equal(run.output.split('\n').length, 1);
  });

  test('with neither a URL nor a readable config it sends nothing and says so', async () => {
    const run = await runHook(wrapper('no-config', 'NOTIFY_WEBHOOK_CONFIG', path.join(dir, 'missing.curlrc')), EVENT, {
      timeoutMs: 30_000,
    });
    assert.equal(run.exitCode, 1);
    assert.match(run.output, /^notify-webhook: no NOTIFY_WEBHOOK_URL and cannot read \S+missing\.curlrc; down for db1 not sent$/);
  });
});
