import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { enumName, field, sameValue } from '../../lib/events.js';
import { parseRange } from '../../lib/range.js';
import { formatBytes, parseAmount, parseBytes, parseCount, parseModelId } from '../../lib/units.js';

describe('parseBytes', () => {
  it('parses plain and suffixed byte counts', () => {
    assert.equal(parseBytes('1048576'), 1048576n);
    assert.equal(parseBytes('512MiB'), 512n * 1024n * 1024n);
    assert.equal(parseBytes('10GB'), 10_000_000_000n);
    assert.equal(parseBytes('1.5GiB'), 1610612736n);
    assert.equal(parseBytes('24 gib'), 24n * 1024n ** 3n);
    assert.equal(parseBytes('0'), 0n);
  });

  it('refuses nonsense', () => {
    for (const bad of ['', '-1', '1.5', '12 parsecs', 'MiB', '0x10']) {
      assert.throws(() => parseBytes(bad), /byte count/, bad);
    }
  });
});

describe('parseAmount', () => {
  const chain = { decimals: 12, symbol: 'UNIT' };

  it('takes bare integers as planck', () => {
    assert.equal(parseAmount('1000', chain), 1000n);
    assert.equal(parseAmount('1_000_000', chain), 1_000_000n);
  });

  it('scales amounts with a unit by the chain decimals', () => {
    assert.equal(parseAmount('1UNIT', chain), 10n ** 12n);
    assert.equal(parseAmount('2.5 unit', chain), 25n * 10n ** 11n);
    assert.equal(parseAmount('3units', chain), 3n * 10n ** 12n);
    assert.equal(parseAmount('0.000000000001UNIT', chain), 1n);
  });

  it('refuses fractions of planck and unknown units', () => {
    assert.throws(() => parseAmount('1.5', chain), /smallest unit/);
    assert.throws(() => parseAmount('1DOT', chain), /unknown unit/);
    assert.throws(() => parseAmount('0.0000000000001UNIT', chain), /decimals/);
    assert.throws(() => parseAmount('abc', chain), /invalid amount/);
  });
});

describe('misc parsing', () => {
  it('validates model ids', () => {
    const h = 'AB'.repeat(32);

    assert.equal(parseModelId(h), `0x${h.toLowerCase()}`);
    assert.equal(parseModelId(`0x${h}`), `0x${h.toLowerCase()}`);
    assert.throws(() => parseModelId('0x1234'), /32-byte/);
  });

  it('validates counts', () => {
    assert.equal(parseCount('n', '3'), 3);
    assert.throws(() => parseCount('n', '-1'), /--n/);
    assert.throws(() => parseCount('n', ''), /--n/);
  });

  it('formats bytes', () => {
    assert.equal(formatBytes(10), '10 B');
    assert.equal(formatBytes(1536), '1.50 KiB');
    assert.equal(formatBytes(32n * 1024n * 1024n), '32.00 MiB');
  });
});

describe('parseRange', () => {
  it('handles open, closed and suffix ranges', () => {
    assert.equal(parseRange(undefined, 100), null);
    assert.deepEqual(parseRange('bytes=10-', 100), { end: 99, start: 10 });
    assert.deepEqual(parseRange('bytes=10-19', 100), { end: 19, start: 10 });
    assert.deepEqual(parseRange('bytes=90-200', 100), { end: 99, start: 90 });
    assert.deepEqual(parseRange('bytes=-10', 100), { end: 99, start: 90 });
    assert.equal(parseRange('bytes=100-', 100), 'unsatisfiable');
    assert.equal(parseRange('bytes=5-4', 100), 'unsatisfiable');
    assert.equal(parseRange('bytes=0-1,5-6', 100), null);
    assert.equal(parseRange('items=0-1', 100), null);
  });
});

describe('event helpers', () => {
  it('reads fields by any of several names', () => {
    assert.equal(field({ modelId: '0x01' }, 'model', 'modelId'), '0x01');
    assert.equal(field({ model: '0x02', modelId: '0x01' }, 'model', 'modelId'), '0x02');
    assert.equal(field({}, 'model'), undefined);
  });

  it('compares loosely and names enum values', () => {
    assert.ok(sameValue('0xAB', '0xab'));
    assert.ok(sameValue(7, '7'));
    assert.ok(!sameValue(7, 8));
    assert.ok(!sameValue(undefined, 0));
    assert.equal(enumName('HashMismatch'), 'HashMismatch');
    assert.equal(enumName({ diskBudgetExceeded: null }), 'DiskBudgetExceeded');
    assert.equal(enumName(null), undefined);
  });
});
