/**
 * SHA-1 (FIPS 180-4), the way node:crypto's createHash('sha1') is used by
 * mysql2's mysql_native_password login: three hashes of a few dozen bytes
 * per login. Loading node:crypto costs a single-shot run more than the
 * rest of its login, and SHA-1 is small; scripts/build.js puts this in
 * front of node:crypto for mysql2 only. Nothing of ours relies on it for
 * protection: it computes what the login protocol asks for.
 */

/** The part of node:crypto's Hash that mysql2's login uses. */
export interface Sha1Hash {
  update(data: string | Uint8Array, inputEncoding?: BufferEncoding): Sha1Hash;
  digest(): Buffer;
  digest(encoding: BufferEncoding): string;
}

const BLOCK = 64;
const INITIAL = [0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0];

const rotl = (x: number, n: number): number => (x << n) | (x >>> (32 - n));

export function createSha1(): Sha1Hash {
  const state = Int32Array.from(INITIAL);
  const w = new Int32Array(80);
  const pending = new Uint8Array(BLOCK);
  let used = 0;
  let total = 0;
  let done = false;

  /** One 64-byte block of `bytes` from `at`. */
  function compress(bytes: Uint8Array, at: number): void {
    const view = new DataView(bytes.buffer, bytes.byteOffset + at, BLOCK);
    for (let i = 0; i < 16; i++) w[i] = view.getInt32(i * 4);
    for (let i = 16; i < 80; i++) w[i] = rotl(w[i - 3]! ^ w[i - 8]! ^ w[i - 14]! ^ w[i - 16]!, 1);
    let a = state[0]!;
    let b = state[1]!;
    let c = state[2]!;
    let d = state[3]!;
    let e = state[4]!;
    for (let i = 0; i < 80; i++) {
      let f: number;
      if (i < 20) f = ((b & c) | (~b & d)) + 0x5a827999;
      else if (i < 40) f = (b ^ c ^ d) + 0x6ed9eba1;
      else if (i < 60) f = ((b & c) | (b & d) | (c & d)) + 0x8f1bbcdc;
      else f = (b ^ c ^ d) + 0xca62c1d6;
      const t = (rotl(a, 5) + f + e + w[i]!) | 0;
      e = d;
      d = c;
      c = rotl(b, 30);
      b = a;
      a = t;
    }
    state[0]! += a;
    state[1]! += b;
    state[2]! += c;
    state[3]! += d;
    state[4]! += e;
  }

  function feed(bytes: Uint8Array): void {
    total += bytes.length;
    let at = 0;
    if (used > 0) {
      at = Math.min(BLOCK - used, bytes.length);
      pending.set(bytes.subarray(0, at), used);
      used += at;
      if (used < BLOCK) return;
      compress(pending, 0);
      used = 0;
    }
    for (; at + BLOCK <= bytes.length; at += BLOCK) compress(bytes, at);
    pending.set(bytes.subarray(at), 0);
    used = bytes.length - at;
  }

  function update(data: string | Uint8Array, inputEncoding?: BufferEncoding): Sha1Hash {
    if (done) throw new Error('Digest already called');
    // As node:crypto: a string is UTF-8 unless an encoding is given.
    feed(typeof data === 'string' ? Buffer.from(data, inputEncoding ?? 'utf8') : data);
    return hash;
  }

  function digest(): Buffer;
  function digest(encoding: BufferEncoding): string;
  function digest(encoding?: BufferEncoding): Buffer | string {
    if (done) throw new Error('Digest already called');
    done = true;
    // Padding: 0x80, zeros, the length in bits as a 64-bit big-endian number.
    const tail = new Uint8Array(used < BLOCK - 8 ? BLOCK : 2 * BLOCK);
    tail.set(pending.subarray(0, used));
    tail[used] = 0x80;
    const view = new DataView(tail.buffer);
    view.setUint32(tail.length - 8, Math.floor(total / 0x20000000));
    view.setUint32(tail.length - 4, (total * 8) >>> 0);
    for (let at = 0; at < tail.length; at += BLOCK) compress(tail, at);
    const out = Buffer.alloc(20);
    for (let i = 0; i < 5; i++) out.writeInt32BE(state[i]!, i * 4);
    return encoding === undefined ? out : out.toString(encoding);
  }

  const hash: Sha1Hash = { update, digest };
  return hash;
}
