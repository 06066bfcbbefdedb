/**
 * Progress while the walk waits: on a terminal a line redrawn and erased at
 * the end, in a pipe the label and status lines, and quiet waits silent in a
 * pipe unless they last; the work's result or error passes through.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Progress } from '../../../src/demo/progress';

/** Carriage return and "erase to the end of the line": how a terminal line is redrawn. */
const ERASE = '\r\x1b[K';
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function capture(tty: boolean, lineEverySeconds?: number): { progress: Progress; text: () => string } {
  let out = '';
  const progress = new Progress({ write: (t) => (out += t), tty, ...(lineEverySeconds === undefined ? {} : { lineEverySeconds }) });
  return { progress, text: () => out };
}

describe('Progress', () => {
  test("in a pipe: the label at once, then the status every interval; the work's value comes back", async () => {
    const { progress, text } = capture(false, 0.3);
    const value = await progress.wait(
      'waiting for node a to catch up',
      sleep(1_400).then(() => 42),
      { status: () => '5 s behind' },
    );
    assert.equal(value, 42);
    const lines = text().split('\n').filter(Boolean);
    assert.equal(lines[0], '  waiting for node a to catch up ...');
    assert.ok(lines.length >= 2, text());
    for (const l of lines.slice(1)) assert.match(l, /^ {2}\.\.\. waiting for node a to catch up: 5 s behind \(\d+\.\d s\)$/);
  });

  test('in a pipe, a quiet wait that ends soon says nothing', async () => {
    const { progress, text } = capture(false);
    await progress.wait('asking both nodes', sleep(50), { quiet: true });
    assert.equal(text(), '');
  });

  test('on a terminal: a redrawn line with a spinner, erased at the end, no newline left behind', async () => {
    const { progress, text } = capture(true);
    await progress.wait('starting node a', sleep(350), { status: async () => 'accepting soon' });
    const out = text();
    const frames = out.split(ERASE).filter(Boolean);
    assert.ok(frames.length >= 1, JSON.stringify(out));
    for (const f of frames) assert.match(f, /^ {2}[|/\\-] starting node a(: accepting soon)? \(\d+\.\d s\)$/);
    assert.ok(out.endsWith(ERASE), JSON.stringify(out.slice(-20)));
    assert.ok(!out.includes('\n'));
  });

  test('on a terminal, a line never wider than the terminal (a wrapped line could not be erased)', async () => {
    let out = '';
    const progress = new Progress({ write: (t) => (out += t), tty: true, columns: 30 });
    await progress.wait('waiting for node b to replicate', sleep(250), { status: () => 'IO thread Connecting, SQL thread Yes' });
    const frames = out.split(ERASE).filter(Boolean);
    assert.ok(frames.length >= 1);
    for (const f of frames) assert.equal(f.length <= 29, true, JSON.stringify(f));
  });

  test('a failing wait rejects with its error, and the line is erased', async () => {
    const { progress, text } = capture(true);
    await assert.rejects(
      progress.wait(
        'waiting',
        sleep(150).then(() => Promise.reject(new Error('replication stopped'))),
      ),
      /replication stopped/,
    );
    assert.ok(text().endsWith(ERASE));
  });

  test('a status that throws is left out, the wait goes on', async () => {
    const { progress, text } = capture(false, 0.2);
    await progress.wait('waiting', sleep(700), {
      status: () => {
        throw new Error('node a is not running');
      },
    });
    assert.ok(!text().includes('not running'), text());
  });

  test('a countdown already over returns at once and prints nothing', async () => {
    const { progress, text } = capture(false);
    await progress.countdown('node a stays down', -5);
    assert.equal(text(), '');
  });
});
