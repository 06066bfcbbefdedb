/** Monitoring Plugins performance data (src/answers/perfdata.ts), pure. */
import { describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { formatPerfdatum, perfLabel } from '../../../src/answers/perfdata';

describe('perfdata', () => {
  test('perfdata: quoted labels, U for unknown, trailing empty fields dropped', () => {
    assert.equal(formatPerfdatum({ label: 'lag', value: 3, uom: 's', warn: '5', crit: '10', min: 0 }), "'lag'=3s;5;10;0");
    assert.equal(formatPerfdatum({ label: 'lag', value: null, uom: 's' }), "'lag'=U");
    assert.equal(formatPerfdatum({ label: 'x', value: 0.1234567, uom: 's' }), "'x'=0.123s");
    assert.equal(formatPerfdatum({ label: 'p', value: 1, min: 0, max: 1 }), "'p'=1;;;0;1");
    assert.equal(formatPerfdatum({ label: 'h', value: -5, uom: 's', crit: '@10:20' }), "'h'=-5s;;@10:20");
  });

  test("labels: a quote is doubled, '=' replaced", () => {
    assert.equal(perfLabel("lag_it's"), "'lag_it''s'");
    assert.equal(perfLabel('lag_a=b'), "'lag_a_b'");
    assert.equal(perfLabel('lag with space'), "'lag with space'");
  });
});
