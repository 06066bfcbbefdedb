/**
 * Kept sessions' reconnect backoff, with a clock of our own and a fake
 * database that closes every connection at once (connect fails fast): no
 * connect attempt while the backoff runs, and the wait doubles up to its cap.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Deadline } from '../../../src/core/deadline';
import { CheckError } from '../../../src/core/errors';
import { BACKOFF_FIRST_MS, BACKOFF_MAX_MS, backoffMs, keptSessions } from '../../../src/resident/kept-sessions';
import { FakeServer } from '../../support/exchange';

let fake: FakeServer;
before(async () => {
  fake = await FakeServer.start('close');
});
after(() => fake?.close());

test('backoffMs doubles from the first wait up to the cap', () => {
  assert.equal(backoffMs(1), BACKOFF_FIRST_MS);
  assert.equal(backoffMs(2), 2 * BACKOFF_FIRST_MS);
  assert.equal(backoffMs(3), 4 * BACKOFF_FIRST_MS);
  assert.equal(backoffMs(1000), BACKOFF_MAX_MS);
  for (let n = 1; n < 100; n++) assert.ok(backoffMs(n + 1) >= backoffMs(n) && backoffMs(n) <= BACKOFF_MAX_MS);
});

test('a failed connect is not retried before its backoff has passed, and the answer says why at once', async () => {
  let clock = 1_000_000;
  const sessions = keptSessions({ local: { host: '127.0.0.1', port: fake.port, user: 'u' }, peer: undefined }, () => clock);
  const attempt = async (): Promise<CheckError> => {
    try {
      await sessions.acquire('local', Deadline.in(2000));
    } catch (e) {
      assert.ok(e instanceof CheckError);
      return e;
    }
    assert.fail('connected to a server that closes every connection');
  };
  const first = await attempt();
  assert.equal(fake.connections, 1);
  assert.match(first.message, /^local server: /);

  const during = await attempt();
  assert.equal(fake.connections, 1, 'no connect attempt during the backoff');
  assert.equal(during.code, first.code);
  assert.match(during.message, new RegExp(`next connect in ${BACKOFF_FIRST_MS} ms`));

  clock += BACKOFF_FIRST_MS;
  await attempt();
  assert.equal(fake.connections, 2, 'retried once the backoff passed');
  assert.match((await attempt()).message, new RegExp(`next connect in ${2 * BACKOFF_FIRST_MS} ms`));
  assert.equal(fake.connections, 2);
  sessions.close();
});

test('a refused login asks once for other credentials and tries them at once; the same ones are not tried again', async () => {
  const refusing = await FakeServer.start('refuse');
  try {
    const local = { host: '127.0.0.1', port: refusing.port, user: 'u', password: 'old' };
    const asked: Array<{ role: string; password: string | undefined }> = [];
    let answer: typeof local | undefined = { ...local, password: 'new' };
    const sessions = keptSessions(
      { local, peer: undefined },
      {
        onLoginRefused: (role, tried) => {
          asked.push({ role, password: tried.password });
          return answer;
        },
      },
    );
    const refusal = await sessions.acquire('local', Deadline.in(2000)).then(
      () => assert.fail('the fake server refuses every login'),
      (e: unknown) => e,
    );
    assert.ok(refusal instanceof CheckError);
    assert.equal(refusal.code, 'AUTH_FAILED');
    assert.equal(refusal.serverErrno, 1045);
    assert.deepEqual(asked, [{ role: 'local', password: 'old' }], 'asked once, about the refused credentials');
    assert.equal(refusing.connections, 2, 'the new credentials were tried at once');
    sessions.close();

    // Nothing new to try: one connect, and the refusal is the answer.
    answer = local;
    const again = keptSessions({ local, peer: undefined }, { onLoginRefused: () => answer });
    await again.acquire('local', Deadline.in(2000)).catch(() => undefined);
    assert.equal(refusing.connections, 3);
    again.close();
  } finally {
    await refusing.close();
  }
});

test('a connect that fails for another reason (closed, not refused) does not ask for credentials', async () => {
  let asked = 0;
  const sessions = keptSessions(
    { local: { host: '127.0.0.1', port: fake.port, user: 'u' }, peer: undefined },
    {
      onLoginRefused: () => {
        asked++;
        return { host: '127.0.0.1', port: fake.port, user: 'other' };
      },
    },
  );
  await sessions.acquire('local', Deadline.in(2000)).catch(() => undefined);
  assert.equal(asked, 0);
  sessions.close();
});
