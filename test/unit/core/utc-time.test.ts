import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isoUtc } from '../../../src/core/utc-time';

test('isoUtc is toISOString: now, the epoch, both ends of years 0-9999, before 1970, leap days, every millisecond digit', () => {
  const cases = [
    Date.now(),
    0,
    -1,
    new Date('0000-01-01T00:00:00.000Z').getTime(),
    new Date('9999-12-31T23:59:59.999Z').getTime(),
    new Date('2024-02-29T23:59:59.999Z').getTime(),
    new Date('1969-12-31T23:59:59.001Z').getTime(),
    new Date('2038-01-19T03:14:08.010Z').getTime(),
  ];
  for (const ms of cases) assert.equal(isoUtc(ms), new Date(ms).toISOString(), String(ms));
  for (let i = 0; i < 20_000; i++) {
    const ms = Math.floor((Math.random() * 2 - 0.5) * 4e12);
    assert.equal(isoUtc(ms), new Date(ms).toISOString(), String(ms));
  }
});

test('outside years 0-9999, and for an invalid time, exactly what toISOString does', () => {
  for (const ms of [new Date('+010000-01-01T00:00:00.000Z').getTime(), new Date('-000001-06-01T00:00:00.000Z').getTime(), 8.64e15]) {
    assert.equal(isoUtc(ms), new Date(ms).toISOString(), String(ms));
  }
  assert.throws(() => isoUtc(NaN), RangeError);
});
