/**
 * src/core/sha1.ts against node:crypto's SHA-1: the published test vectors,
 * every length across the block and padding boundaries, updates split at
 * every point, strings in UTF-8 and in a named encoding, and mysql2's own
 * use (its mysql_native_password token, computed with both).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { createSha1 } from '../../../src/core/sha1';

const reference = (...parts: Array<string | Uint8Array>): string => {
  const h = createHash('sha1');
  for (const p of parts) h.update(p);
  return h.digest('hex');
};

const ours = (...parts: Array<string | Uint8Array>): string => {
  const h = createSha1();
  for (const p of parts) h.update(p);
  return h.digest('hex');
};

test('FIPS 180 vectors', () => {
  assert.equal(ours(''), 'da39a3ee5e6b4b0d3255bfef95601890afd80709');
  assert.equal(ours('abc'), 'a9993e364706816aba3e25717850c26c9cd0d89d');
  assert.equal(ours('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq'), '84983e441c3bd26ebaae4aa1f95129e5e54670f1');
  assert.equal(ours('a'.repeat(1_000_000)), '34aa973cd4c4daa4f61eeb2bdbad27316534016f');
});

test('every length from 0 to 300 bytes, as node:crypto', () => {
  const data = randomBytes(300);
  for (let n = 0; n <= 300; n++) assert.equal(ours(data.subarray(0, n)), reference(data.subarray(0, n)), `length ${n}`);
});

test('updates split anywhere give the one-piece digest', () => {
  const data = randomBytes(200);
  const whole = reference(data);
  for (let i = 0; i <= data.length; i += 7) {
    for (let j = i; j <= data.length; j += 13) {
      assert.equal(ours(data.subarray(0, i), data.subarray(i, j), data.subarray(j)), whole, `split at ${i} and ${j}`);
    }
  }
});

test('strings: UTF-8 by default, or the encoding named', () => {
  for (const s of ['', 'password', 'pässwörd €', '\u{1F511} key', 'x'.repeat(130)]) {
    assert.equal(ours(s), reference(s), s);
    assert.equal(createSha1().update(s, 'latin1').digest('hex'), createHash('sha1').update(s, 'latin1').digest('hex'), `${s} latin1`);
  }
});

test('digest() is a Buffer, digest(encoding) a string; a second digest or update throws, as node:crypto', () => {
  const h = createSha1().update('abc');
  const d = h.digest();
  assert.ok(Buffer.isBuffer(d));
  assert.deepEqual(d, createHash('sha1').update('abc').digest());
  assert.throws(() => h.digest());
  assert.throws(() => h.update('x'));
  assert.equal(createSha1().update('abc').digest('base64'), createHash('sha1').update('abc').digest('base64'));
});

test("mysql2's mysql_native_password token, from our SHA-1 and from node:crypto", () => {
  // token = SHA1(password) XOR SHA1(scramble(20 bytes) + SHA1(SHA1(password)))
  const token = (sha1: (...p: Uint8Array[]) => Buffer, password: string, scramble: Buffer): Buffer => {
    const stage1 = sha1(Buffer.from(password, 'utf8'));
    const stage3 = sha1(scramble.subarray(0, 8), scramble.subarray(8, 20), sha1(stage1));
    return Buffer.from(stage3.map((b, i) => b ^ (stage1[i] ?? 0)));
  };
  const viaOurs = (...p: Uint8Array[]): Buffer => p.reduce((h, x) => h.update(x), createSha1()).digest();
  const viaNode = (...p: Uint8Array[]): Buffer => p.reduce((h, x) => h.update(x), createHash('sha1')).digest();
  for (let i = 0; i < 50; i++) {
    const scramble = randomBytes(20);
    const password = randomBytes(1 + (i % 40)).toString('base64');
    assert.deepEqual(token(viaOurs, password, scramble), token(viaNode, password, scramble));
  }
});
