import { test } from 'node:test';
import assert from 'node:assert/strict';
import { autoPeerSource, isHostPort, namesToResolve, peerAnswered, peerIsSource } from '../../../src/core/peer-source';
import { channel } from '../../support/channels';

const none = new Map<string, string[]>();

test('--peer auto: the one channel gives the peer, its port defaulting to 3306', () => {
  assert.deepEqual(autoPeerSource([channel({ sourceHost: 'db2', sourcePort: 3307 })], undefined), { host: 'db2', port: 3307 });
  assert.deepEqual(autoPeerSource([channel({ sourceHost: 'db2', sourcePort: null })], undefined), { host: 'db2', port: 3306 });
});

test('--peer auto: several channels need --channel; no channel or no host gives no peer, with the reason', () => {
  const two = [channel({ name: 'a', sourceHost: 'db2' }), channel({ name: 'b', sourceHost: 'db3', sourcePort: 3310 })];
  const ambiguous = autoPeerSource(two, undefined);
  assert.ok(!isHostPort(ambiguous));
  assert.match(ambiguous.message, /2 replication channels: name one with --channel/);
  assert.deepEqual(autoPeerSource(two, 'b'), { host: 'db3', port: 3310 });
  const missing = autoPeerSource(two, 'c');
  assert.ok(!isHostPort(missing) && /no replication channel 'c'/.test(missing.message));
  const empty = autoPeerSource([], undefined);
  assert.ok(!isHostPort(empty) && empty.code === 'PEER_UNRESOLVED');
  const noHost = autoPeerSource([channel({ sourceHost: null })], undefined);
  assert.ok(!isHostPort(noHost) && /names no source host/.test(noHost.message));
});

test('--peer matches a source by name (any case) and port, or by a resolved address', () => {
  const chans = [channel({ sourceHost: 'DB2', sourcePort: 3306 })];
  assert.equal(peerIsSource({ host: 'db2', port: 3306 }, chans, none), true);
  assert.equal(peerIsSource({ host: 'db2', port: 3307 }, chans, none), false);
  assert.equal(peerIsSource({ host: '10.0.0.2', port: 3306 }, chans, none), undefined, 'db2 unresolved: cannot tell');
  assert.equal(peerIsSource({ host: '10.0.0.2', port: 3306 }, chans, new Map([['db2', ['10.0.0.2']]])), true);
  assert.equal(peerIsSource({ host: '10.0.0.3', port: 3306 }, chans, new Map([['db2', ['10.0.0.2']]])), false);
  assert.equal(peerIsSource({ host: '127.0.0.1', port: 3306 }, [channel({ sourceHost: '127.0.0.2' })], none), false);
  assert.equal(peerIsSource({ host: 'db2', port: 3306 }, [], none), undefined, 'no channel: cannot tell');
  assert.deepEqual(namesToResolve({ host: '10.0.0.1', port: 1 }, [channel({ sourceHost: 'Db2' }), channel({ sourceHost: '::1' })]), [
    'db2',
  ]);
});

test('a peer that sent an error packet, or greeted and failed TLS, answered; silence and dropped lines did not', () => {
  assert.equal(peerAnswered({ code: 'AUTH_FAILED', message: '', errno: 1045 }), true);
  assert.equal(peerAnswered({ code: 'TOO_MANY_CONNECTIONS', message: '', errno: 1040 }), true);
  assert.equal(peerAnswered({ code: 'CONNECTION_LOST', message: '', errno: 1053 }), true, 'server shutdown is an error packet');
  assert.equal(peerAnswered({ code: 'TLS_FAILED', message: '' }), true);
  assert.equal(peerAnswered({ code: 'INTERNAL', message: '' }), true, 'when in doubt, alive');
  for (const code of ['CONNECT_FAILED', 'TIMEOUT', 'CONNECTION_LOST']) assert.equal(peerAnswered({ code, message: '' }), false, code);
});
