/** Option values from text (src/config/value-parsers.ts): every accepted form and every refusal names the option. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseHostPort, parsePort, parseSeconds } from '../../../src/config/value-parsers';
import { CheckError } from '../../../src/core/errors';

function refuses(fn: () => unknown, message: RegExp): void {
  assert.throws(fn, (e: unknown) => e instanceof CheckError && e.code === 'USAGE' && message.test(e.message));
}

describe('seconds', () => {
  test('whole and decimal seconds within the bounds, ends included', () => {
    assert.equal(parseSeconds('fresh', '20', { min: 0, max: 60 }), 20);
    assert.equal(parseSeconds('timeout', '0.1', { min: 0.1, max: 3600 }), 0.1);
    assert.equal(parseSeconds('timeout', '3600', { min: 0.1, max: 3600 }), 3600);
    assert.equal(parseSeconds('fresh', '0', { min: 0, max: 60 }), 0);
  });

  test('not a plain decimal number: refused, quoting the text', () => {
    for (const bad of ['abc', '-1', '1e3', '.5', '5.', '', '0x10', '1,5']) {
      refuses(() => parseSeconds('fresh', bad, { min: 0, max: 60 }), /^--fresh must be a number of seconds, got ".*"$/);
    }
  });

  test('outside the bounds: refused, naming them', () => {
    refuses(() => parseSeconds('timeout', '0', { min: 0.1, max: 3600 }), /^--timeout must be between 0\.1 and 3600 seconds, got "0"$/);
    refuses(() => parseSeconds('timeout', '3600.5', { min: 0.1, max: 3600 }), /between 0\.1 and 3600/);
  });
});

describe('ports', () => {
  test('1 to 65535', () => {
    assert.equal(parsePort('port', '1'), 1);
    assert.equal(parsePort('port', '3306'), 3306);
    assert.equal(parsePort('port', '65535'), 65535);
  });

  test('anything else is refused, naming the option', () => {
    for (const bad of ['0', '65536', '-1', 'x', '', '123456', '80.0']) {
      refuses(() => parsePort('peer', bad), /^--peer must be a TCP port \(1-65535\), got ".*"$/);
    }
  });
});

describe('HOST[:PORT]', () => {
  test('a name or address, with or without a port; IPv6 in brackets', () => {
    assert.deepEqual(parseHostPort('peer', 'db2', 3306), { host: 'db2', port: 3306 });
    assert.deepEqual(parseHostPort('peer', 'db2.example.org:3307', 3306), { host: 'db2.example.org', port: 3307 });
    assert.deepEqual(parseHostPort('peer', '10.0.0.2:3307', 3306), { host: '10.0.0.2', port: 3307 });
    assert.deepEqual(parseHostPort('peer', '[::1]', 3306), { host: '::1', port: 3306 });
    assert.deepEqual(parseHostPort('peer', '[fe80::1]:3307', 3306), { host: 'fe80::1', port: 3307 });
  });

  test("the default port is the caller's (0 lets serve insist on one)", () => {
    assert.deepEqual(parseHostPort('http', '127.0.0.1', 0), { host: '127.0.0.1', port: 0 });
  });

  test('anything else is refused, naming the option', () => {
    for (const bad of ['', 'db 2', 'db2:', '::1', '[::1', 'db2:x', 'user@db2']) {
      refuses(() => parseHostPort('peer', bad, 3306), /^--peer must be HOST\[:PORT\], got ".*"$/);
    }
    refuses(() => parseHostPort('peer', 'db2:70000', 3306), /^--peer must be a TCP port/);
  });
});
