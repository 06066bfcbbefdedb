/**
 * src/io/iconv-ascii.ts against iconv-lite itself (mysql2's copy): the same
 * strings for ASCII and for everything else, iconv-lite loaded only when
 * a value is not ASCII or another encoding is asked for.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { asciiFirst, type IconvLite } from '../../../src/io/iconv-ascii';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const iconv = require('iconv-lite') as IconvLite;

/** As mysql2's parsers/string.js decodes a value. */
function decode(lib: IconvLite, bytes: Buffer, encoding: string): string {
  const d = lib.getDecoder(encoding);
  const text = d.write(bytes);
  const rest = d.end();
  return rest ? text + rest : text;
}

function counting(): { lib: IconvLite; loads: () => number } {
  let loads = 0;
  return {
    lib: asciiFirst(() => {
      loads++;
      return iconv;
    }),
    loads: () => loads,
  };
}

test('ASCII cesu8 (a greeting, SHOW columns): the same string, iconv-lite never loaded', () => {
  const { lib, loads } = counting();
  const all = Buffer.from(Array.from({ length: 128 }, (_, i) => i));
  for (const bytes of [Buffer.alloc(0), Buffer.from('10.11.19-MariaDB-0+deb12u1-log'), Buffer.from('Waiting for master'), all]) {
    assert.equal(decode(lib, bytes, 'cesu8'), decode(iconv, bytes, 'cesu8'));
  }
  assert.equal(loads(), 0);
});

test('anything else cesu8 (UTF-8, surrogate pairs as CESU-8, a BOM, invalid bytes): what iconv-lite says', () => {
  const { lib, loads } = counting();
  const cases = [
    Buffer.from('caf\u00e9 \u20ac'),
    Buffer.from([0xed, 0xa0, 0xbd, 0xed, 0xb8, 0x80]), // U+1F600 as CESU-8
    Buffer.from([0xef, 0xbb, 0xbf, 0x41]), // BOM + 'A'
    Buffer.from([0x41, 0xc0, 0x80, 0x42, 0xff]),
  ];
  for (const bytes of cases) assert.equal(decode(lib, bytes, 'cesu8'), decode(iconv, bytes, 'cesu8'), bytes.toString('hex'));
  // Twice in a row through the same (cached) decoder, as mysql2 reuses it.
  assert.equal(decode(lib, cases[0]!, 'cesu8'), decode(iconv, cases[0]!, 'cesu8'));
  assert.ok(loads() > 0);
});

test('other encodings and every encoder are iconv-lite', () => {
  const { lib, loads } = counting();
  const bytes = Buffer.from([0x80, 0x41, 0xe9]);
  assert.equal(decode(lib, bytes, 'cp1252'), decode(iconv, bytes, 'cp1252'));
  assert.equal(loads(), 1);
  assert.deepEqual(lib.getEncoder('cp1252').write('\u20acA'), iconv.getEncoder('cp1252').write('\u20acA'));
});
