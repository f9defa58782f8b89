import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  checkAmountSyntax, compareKeys, DEFAULT_PER_PAGE, paginate, parseAmountOption, parseByteCount, parsePaging, parseUint,
  parseUintBig, UINT_MAX, UsageError
} from '../../lib/index.js';

const usage = (fn, re) => assert.throws(fn, (e) => e instanceof UsageError && (!re || re.test(e.message)));

describe('parseUint / parseUintBig', () => {
  it('takes decimal integers within the type', () => {
    assert.equal(parseUint('--n', '0'), 0);
    assert.equal(parseUint('--n', ' 42 '), 42);
    assert.equal(parseUint('--n', '1_000'), 1000);
    assert.equal(parseUint('--n', '4294967295'), 4294967295);
    assert.equal(parseUintBig('--n', '18446744073709551615', { type: 'u64' }), UINT_MAX.u64);
    assert.equal(parseUintBig('--n', String(UINT_MAX.u128), { type: 'u128' }), UINT_MAX.u128);
  });

  it('rejects negatives, fractions, exponents, hex, empty and junk', () => {
    for (const bad of ['-1', '1.5', '1e3', '0x10', '', ' ', 'abc', '1_', '_1', '+1', 'Infinity', 'NaN', undefined]) {
      usage(() => parseUint('--n', bad), /--n: expected a whole number/);
    }
  });

  it('rejects overflow of the type and values outside min..max', () => {
    usage(() => parseUint('--n', '4294967296'), /out of range 0\.\.4294967295 \(u32\)/);
    usage(() => parseUintBig('--n', '18446744073709551616', { type: 'u64' }), /\(u64\)/);
    usage(() => parseUintBig('--n', (UINT_MAX.u128 + 1n).toString(), { type: 'u128' }), /\(u128\)/);
    usage(() => parseUint('--page', '0', { min: 1 }), /--page: 0 is out of range 1\.\./);
    usage(() => parseUint('--port', '65536', { max: 65535 }), /out of range 0\.\.65535$/);
  });

  it('keeps parseUint within safe JavaScript integers', () => {
    usage(() => parseUint('--n', '9007199254740992', { type: 'u64' }));
    assert.equal(parseUint('--n', '9007199254740991', { type: 'u64' }), Number.MAX_SAFE_INTEGER);
  });
});

describe('byte counts and amounts', () => {
  it('parseByteCount takes units and bounds at u64', () => {
    assert.equal(parseByteCount('--disk', '1KiB'), 1024n);
    assert.equal(parseByteCount('--disk', '18446744073709551615'), UINT_MAX.u64);
    usage(() => parseByteCount('--disk', '18446744073709551616'), /--disk: .* \(u64\)/);
    usage(() => parseByteCount('--disk', '20EiB'), /--disk: invalid byte count/);
    usage(() => parseByteCount('--disk', '-1'), /--disk/);
    usage(() => parseByteCount('--size', '0', { min: 1n }), /at least 1/);
  });

  it('checkAmountSyntax accepts what parseAmount may take', () => {
    for (const ok of ['1', '1000000000000', '1.5UNIT', '2 units', '1_000MDL']) {
      checkAmountSyntax('--fee', ok);
    }

    for (const bad of ['-1', '1.2.3', 'lots', '', '0x10']) {
      usage(() => checkAmountSyntax('--fee', bad), /--fee: invalid amount/);
    }
  });

  it('parseAmountOption scales and bounds at u128', () => {
    const chain = { decimals: 12, symbol: 'MDL' };

    assert.equal(parseAmountOption('--fee', '1MDL', chain), 10n ** 12n);
    usage(() => parseAmountOption('--fee', (UINT_MAX.u128 + 1n).toString(), chain), /u128/);
    usage(() => parseAmountOption('--fee', '1DOT', chain), /--fee: .*unknown unit/);
  });
});

describe('paging', () => {
  it('parses --page and --per-page with defaults', () => {
    assert.deepEqual(parsePaging({}), { page: 1, perPage: DEFAULT_PER_PAGE });
    assert.deepEqual(parsePaging({ page: '3', 'per-page': '10' }), { page: 3, perPage: 10 });
    usage(() => parsePaging({ page: '0' }), /--page/);
    usage(() => parsePaging({ 'per-page': '0' }), /--per-page/);
    usage(() => parsePaging({ 'per-page': '1.5' }), /--per-page/);
  });

  it('cuts pages and counts them', () => {
    const items = Array.from({ length: 7 }, (_, i) => i);

    assert.deepEqual(paginate(items, { page: 1, perPage: 3 }), { first: 0, items: [0, 1, 2], page: 1, pages: 3, perPage: 3, total: 7 });
    assert.deepEqual(paginate(items, { page: 3, perPage: 3 }).items, [6]);
    assert.deepEqual(paginate(items, { page: 4, perPage: 3 }).items, []);
    assert.equal(paginate([], { page: 1, perPage: 3 }).pages, 1);
  });

  it('compares keys in turn, numbers by value, strings case-insensitively', () => {
    assert.equal(compareKeys([2, 10]), -1);
    assert.equal(compareKeys([10n, 2]), 1);
    assert.equal(compareKeys([1, 1], ['0xAB', '0xab']), 0);
    assert.equal(compareKeys([1, 1], ['0xab', '0xac']), -1);
  });
});
