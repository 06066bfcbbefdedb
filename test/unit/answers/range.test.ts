/** Monitoring Plugins threshold ranges (src/answers/range.ts): every form and every edge. */
import { describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { describeRange, parseRange, rangeAlerts } from '../../../src/answers/range';
import { CheckError } from '../../../src/core/errors';

/** value -> alerts? for one range text */
function table(text: string, cases: Array<[number, boolean]>): void {
  const r = parseRange(text);
  for (const [value, alerts] of cases) {
    assert.equal(rangeAlerts(r, value), alerts, `range ${JSON.stringify(text)} value ${value}: expected alert=${alerts}`);
  }
}

describe('parseRange: the forms of the guidelines', () => {
  test('N means 0..N: alert below 0 or above N, both ends inclusive', () => {
    assert.deepEqual(parseRange('10'), { text: '10', start: 0, end: 10, inside: false });
    table('10', [
      [-1, true],
      [-0.001, true],
      [0, false],
      [5, false],
      [10, false],
      [10.001, true],
      [11, true],
    ]);
  });

  test('N: means N..+inf: alert below N only', () => {
    assert.deepEqual(parseRange('10:'), { text: '10:', start: 10, end: Infinity, inside: false });
    table('10:', [
      [9.999, true],
      [10, false],
      [1e12, false],
      [-5, true],
    ]);
  });

  test('~:N means -inf..N: alert above N only', () => {
    assert.deepEqual(parseRange('~:10'), { text: '~:10', start: -Infinity, end: 10, inside: false });
    table('~:10', [
      [-1e12, false],
      [0, false],
      [10, false],
      [10.5, true],
    ]);
  });

  test('A:B: alert outside A..B, ends inclusive', () => {
    assert.deepEqual(parseRange('10:20'), { text: '10:20', start: 10, end: 20, inside: false });
    table('10:20', [
      [9, true],
      [10, false],
      [15, false],
      [20, false],
      [21, true],
    ]);
  });

  test('@A:B: alert inside A..B, ends inclusive', () => {
    assert.deepEqual(parseRange('@10:20'), { text: '@10:20', start: 10, end: 20, inside: true });
    table('@10:20', [
      [9.99, false],
      [10, true],
      [15, true],
      [20, true],
      [20.01, false],
    ]);
  });

  test('@N inverts 0..N; @N: and @~:N invert the open forms', () => {
    table('@10', [
      [-1, false],
      [0, true],
      [10, true],
      [11, false],
    ]);
    table('@10:', [
      [9, false],
      [10, true],
      [1e9, true],
    ]);
    table('@~:10', [
      [-1e9, true],
      [10, true],
      [10.1, false],
    ]);
  });

  test('a missing start is 0 (:N is 0:N)', () => {
    assert.deepEqual(parseRange(':10'), { text: ':10', start: 0, end: 10, inside: false });
    table(':10', [
      [-1, true],
      [0, false],
      [10, false],
      [11, true],
    ]);
  });

  test('0 alerts on anything but 0; A:A alerts on anything but A', () => {
    table('0', [
      [0, false],
      [0.5, true],
      [-0.5, true],
    ]);
    table('5:5', [
      [5, false],
      [4.9, true],
      [5.1, true],
    ]);
    table('@5:5', [
      [5, true],
      [4.9, false],
    ]);
  });

  test('~: never alerts, @~: always does', () => {
    table('~:', [
      [-1e300, false],
      [0, false],
      [1e300, false],
    ]);
    table('@~:', [
      [-1e300, true],
      [1e300, true],
    ]);
  });

  test('decimals, signs and negative ranges', () => {
    assert.deepEqual(parseRange('0.5:1.5'), { text: '0.5:1.5', start: 0.5, end: 1.5, inside: false });
    assert.deepEqual(parseRange('.5'), { text: '.5', start: 0, end: 0.5, inside: false });
    assert.deepEqual(parseRange('5.'), { text: '5.', start: 0, end: 5, inside: false });
    assert.deepEqual(parseRange('+3'), { text: '+3', start: 0, end: 3, inside: false });
    assert.deepEqual(parseRange('-10:-5'), { text: '-10:-5', start: -10, end: -5, inside: false });
    assert.deepEqual(parseRange('~:-5'), { text: '~:-5', start: -Infinity, end: -5, inside: false });
    assert.deepEqual(parseRange('-5:'), { text: '-5:', start: -5, end: Infinity, inside: false });
    table('-10:-5', [
      [-11, true],
      [-10, false],
      [-5, false],
      [-4, true],
    ]);
  });
});

describe('parseRange: bad input is a USAGE error naming the bad value', () => {
  const bad: Array<[string, RegExp]> = [
    ['', /empty range ""/],
    ['@', /empty range "@"/],
    [':', /empty range ":"/],
    ['@:', /empty range "@:"/],
    ['~', /'~' needs a ':'/],
    ['abc', /bad end "abc" in range "abc"/],
    ['10s', /bad end "10s"/],
    ['1,5', /bad end "1,5"/],
    ['10:abc', /bad end "abc" in range "10:abc"/],
    ['abc:10', /bad start "abc" in range "abc:10"/],
    ['~10', /bad end "~10"/],
    ['10:~', /bad end "~"/],
    ['1:2:3', /more than one ':' in "1:2:3"/],
    ['@@10', /bad end "@10"/],
    ['20:10', /start 20 is greater than end 10 in "20:10"/],
    ['@20:10', /start 20 is greater than end 10/],
    ['-10', /start 0 is greater than end -10 in "-10"/],
    [' 10', /bad end " 10"/],
    ['10 ', /bad end "10 "/],
    ['0x10', /bad end "0x10"/],
    ['1e3', /bad end "1e3"/],
    ['NaN', /bad end "NaN"/],
    ['Infinity', /bad end "Infinity"/],
    ['9'.repeat(400), /range too long/],
  ];
  for (const [text, message] of bad) {
    test(`${JSON.stringify(text.length > 20 ? `${text.slice(0, 20)}...` : text)} is refused`, () => {
      assert.throws(
        () => parseRange(text, '-w/--warning'),
        (e: unknown) => {
          assert.ok(e instanceof CheckError);
          assert.equal(e.code, 'USAGE');
          assert.match(e.message, /^-w\/--warning: /);
          assert.match(e.message, message);
          return true;
        },
      );
    });
  }

  test('long numbers are read exactly as doubles; more than 64 characters is refused', () => {
    assert.equal(parseRange('1' + '0'.repeat(40)).end, 1e40);
    assert.equal(parseRange('9'.repeat(64)).end, Number('9'.repeat(64)));
    assert.throws(() => parseRange('9'.repeat(65)), /range too long/);
  });
});

describe('describeRange', () => {
  test('says in words when the alert is raised', () => {
    assert.equal(describeRange(parseRange('10')), 'alert when < 0 or > 10');
    assert.equal(describeRange(parseRange('10:')), 'alert when < 10');
    assert.equal(describeRange(parseRange('~:10')), 'alert when > 10');
    assert.equal(describeRange(parseRange('@10:20')), 'alert when 10 <= x <= 20');
    assert.equal(describeRange(parseRange('@~:20')), 'alert when <= 20');
    assert.equal(describeRange(parseRange('@20:')), 'alert when >= 20');
    assert.equal(describeRange(parseRange('~:')), 'never alert');
    assert.equal(describeRange(parseRange('@~:')), 'always alert');
  });
});
