/** Redaction (src/core/redact.ts): every occurrence of every secret becomes ***, nothing else changes. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { redact } from '../../../src/core/redact';

describe('redact', () => {
  test('every occurrence of every secret', () => {
    assert.equal(redact('pw1 and pw1, also pw2', ['pw1', 'pw2']), '*** and ***, also ***');
  });

  test('secrets with characters special elsewhere (regex, quotes, #) are plain text here', () => {
    assert.equal(redact("user 'm' pw a.b*c#'d", ["a.b*c#'d"]), "user 'm' pw ***");
    assert.equal(redact('axbxc', ['a.b']), 'axbxc');
  });

  test('no secrets, or an empty one: the text unchanged', () => {
    assert.equal(redact('nothing to hide', []), 'nothing to hide');
    assert.equal(redact('nothing to hide', ['']), 'nothing to hide');
  });
});
