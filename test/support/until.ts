import assert from 'node:assert/strict';

/**
 * Polls `fn` every 100 ms until it says true; fails the test with `what`
 * after `timeoutMs`. For states a test waits on, not for timing.
 */
export async function until(what: string, fn: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await fn()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.fail(`${what}: not within ${timeoutMs} ms`);
}
