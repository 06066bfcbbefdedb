/**
 * The --step pause on a stream standing in for stdin: Enter, the end of the
 * input, the bound; and it leaves the stream as it found it.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { waitForEnter } from '../../../src/demo/step-pause';

const settled = (p: Promise<unknown>): Promise<boolean> =>
  Promise.race([p.then(() => true), new Promise<boolean>((r) => setImmediate(() => r(false)))]);

describe('waitForEnter', () => {
  test('text without a newline is not Enter; the newline is', async () => {
    const input = new PassThrough();
    const pause = waitForEnter(input, 60_000);
    input.write('abc');
    assert.equal(await settled(pause), false);
    input.write('\n');
    assert.equal(await pause, 'enter');
    assert.equal(input.listenerCount('data'), 0);
    assert.equal(input.isPaused(), true);
  });

  test('the end of the input ends the pause, and every later one at once', async () => {
    const input = new PassThrough();
    const pause = waitForEnter(input, 60_000);
    input.end();
    assert.equal(await pause, 'end-of-input');
    assert.equal(await waitForEnter(input, 60_000), 'end-of-input');
  });

  test('nobody presses Enter: the bound ends it', async () => {
    const input = new PassThrough();
    assert.equal(await waitForEnter(input, 20), 'timeout');
    assert.equal(input.listenerCount('data'), 0);
  });
});
