/**
 * Numeric OIDs (src/answers/oid.ts): those of an snmpd `extend` entry, and
 * those `mysql-failover-snmp --persist` serves under its base.
 */
import { describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import {
  compareOids,
  DEFAULT_PERSIST_BASE,
  extendIndex,
  extendOids,
  parseOid,
  parsePersistBase,
  persistOids,
} from '../../../src/answers/oid';
import { CheckError } from '../../../src/core/errors';

const BASE = parsePersistBase(DEFAULT_PERSIST_BASE);

describe('oid', () => {
  test('the index is the length, then one sub-identifier per byte', () => {
    assert.equal(extendIndex('mfc'), '3.109.102.99');
    assert.equal(extendIndex('a'), '1.97');
  });

  test('nsExtendOutput1Line, nsExtendOutputFull, nsExtendResult', () => {
    const oids = extendOids('mysql_failover');
    const idx = '14.109.121.115.113.108.95.102.97.105.108.111.118.101.114';
    assert.deepEqual(
      oids.map((o) => [o.symbolic, o.numeric]),
      [
        ['nsExtendOutput1Line."mysql_failover"', `1.3.6.1.4.1.8072.1.3.2.3.1.1.${idx}`],
        ['nsExtendOutputFull."mysql_failover"', `1.3.6.1.4.1.8072.1.3.2.3.1.2.${idx}`],
        ['nsExtendResult."mysql_failover"', `1.3.6.1.4.1.8072.1.3.2.3.1.4.${idx}`],
      ],
    );
  });

  test('names snmpd cannot take in one token are refused', () => {
    for (const bad of ['', 'a b', 'tab\tname', 'é', 'x'.repeat(101), 'line\n']) {
      assert.throws(
        () => extendIndex(bad),
        (e: unknown) => e instanceof CheckError && e.code === 'USAGE',
      );
    }
    assert.equal(extendIndex('x'.repeat(100)).split('.').length, 101);
  });
});

describe('numeric OIDs', () => {
  test('parseOid takes them with or without the leading dot and rejects anything else', () => {
    assert.deepEqual(parseOid('.1.3.6.1'), [1, 3, 6, 1]);
    assert.deepEqual(parseOid('1.3.6.1'), [1, 3, 6, 1]);
    assert.deepEqual(parseOid('0'), [0]);
    assert.deepEqual(parseOid('1.4294967295'), [1, 4294967295]);
    for (const bad of ['', '.', '1..3', '1.3.', '..1', '1.3.a', ' 1.3', '1.4294967296', '-1.3', '1.3 6', `1${'.1'.repeat(128)}`]) {
      assert.equal(parseOid(bad), undefined, JSON.stringify(bad));
    }
    assert.equal(parseOid(`1${'.1'.repeat(127)}`)?.length, 128);
  });

  test('compareOids is SNMP order: sub-identifier by sub-identifier, numerically, a prefix first', () => {
    assert.equal(compareOids([1, 3], [1, 3]), 0);
    assert.equal(compareOids([1, 3], [1, 3, 0]), -1);
    assert.equal(compareOids([1, 3, 0], [1, 3]), 1);
    assert.equal(compareOids([1, 9], [1, 10]), -1, 'numeric, not textual');
    assert.equal(compareOids([2], [1, 99]), 1);
  });

  test('the default base is under netSnmpPlaypen and the objects sit below it in walk order', () => {
    assert.ok(DEFAULT_PERSIST_BASE.startsWith('1.3.6.1.4.1.8072.9999.9999.'));
    const objects = persistOids(BASE);
    assert.deepEqual(
      objects.map((o) => [o.object, o.numeric, o.type]),
      [
        ['mfcVerdict', `${DEFAULT_PERSIST_BASE}.1.0`, 'INTEGER'],
        ['mfcReason', `${DEFAULT_PERSIST_BASE}.2.0`, 'STRING'],
      ],
    );
    for (let i = 1; i < objects.length; i++) assert.equal(compareOids(objects[i - 1]!.oid, objects[i]!.oid), -1);
  });

  test('--oid-base: a numeric OID with room below it, leading dot optional', () => {
    assert.deepEqual(parsePersistBase('.1.3.6.1.4.1.99'), [1, 3, 6, 1, 4, 1, 99]);
    for (const bad of ['', 'netSnmpPlaypen', '1', '1.3.x', `1${'.1'.repeat(126)}`]) {
      assert.throws(() => parsePersistBase(bad), { code: 'USAGE' }, JSON.stringify(bad));
    }
  });
});
