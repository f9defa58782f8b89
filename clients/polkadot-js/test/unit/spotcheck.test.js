import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';

import { executorInput, spotCheckFile, spotCheckWindows } from '../../lib/spotcheck.js';
import { pseudoRandomBytes } from '../support/fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'modelnet-spotcheck-'));

after(() => rmSync(dir, { force: true, recursive: true }));

/** Bytes i % 251 (the fixture the golden values below were computed on). */
function ramp (n) {
  const b = Buffer.alloc(n);

  for (let i = 0; i < n; i++) {
    b[i] = i % 251;
  }

  return b;
}

function fixture (name, data) {
  const path = join(dir, name);

  writeFileSync(path, data);

  return path;
}

/**
 * Straightforward reference: the whole file in memory, offsets by plain slicing, 64-bit
 * arithmetic through a hex string rather than Buffer integer readers.
 */
function reference (data, input) {
  const S = BigInt(data.length);
  const seed = createHash('sha256').update(input).digest();
  const h = createHash('sha256');
  const len = Buffer.from(BigInt(input.length).toString(16).padStart(16, '0'), 'hex').reverse();

  h.update('modelnet-spot-check-v2');
  h.update(len);
  h.update(input);

  for (let i = 0; i < 256; i++) {
    const start = S * BigInt(i) / 256n;
    const stripe = S * BigInt(i + 1) / 256n - start;
    const W = stripe < 4194304n ? stripe : 4194304n;

    if (W === 0n) {
      continue;
    }

    const le = Buffer.from([i & 0xff, (i >> 8) & 0xff, (i >> 16) & 0xff, (i >>> 24) & 0xff]);
    const d = createHash('sha256').update(Buffer.concat([seed, le])).digest();
    const u64 = BigInt(`0x${Buffer.from(d.subarray(0, 8)).reverse().toString('hex')}`);
    const off = Number(start + u64 % (stripe - W + 1n));

    h.update(data.slice(off, off + Number(W)));
  }

  return `0x${h.digest('hex')}`;
}

// Golden values computed with an independent implementation in another language
// (Python hashlib/struct) on ramp(n) files; the node's Rust executor checks the same values.
const GOLDEN = [
  { expected: '0x54db17faacca3c70642e0ff6a90eb93f3644dbe4cfafb84a0570cdd00dde4de0', input: Buffer.from('hello modelnet'), n: 10_000 },
  { expected: '0xcc33c93b45c1e256456070da55dfb7b7b3beb744f041417f597b5fbfef2276f8', input: Buffer.alloc(0), n: 100 },
  { expected: '0xf79804282c98d331372f05b8321b300693b24cc930fc8ced93a76a15ce907f8f', input: Buffer.from('x'), n: 0 },
  { expected: '0x264b3ad6f58b636004eca15eabfdc8e7f95f18f6f21925623080b27f3170c602', input: Buffer.from('abc'), n: 4096 },
  { expected: '0x54bd14cc0d218dd6354e8b574b73e8f851e0ea468df4619e7e36d76e84fc589d', input: Buffer.from('abc'), n: 4097 },
  { expected: '0xe085148393a8bd02cf8c7c7f3c25d42df6395f7ced927b6ca2583c7cab921ab6', input: Buffer.from([0, 1, 2, 255]), n: 1 << 20 },
  { expected: '0xabfb4fb451c5e155062221dcd9d4cfb7ab124edc56a08499a5a6d41b57e8610f', input: Buffer.from('abc'), n: 255 }
];

describe('spot-check', () => {
  for (const { expected, input, n } of GOLDEN) {
    it(`matches the golden value for a ${n}-byte file, input ${input.toString('hex') || '(empty)'}`, async () => {
      const path = fixture(`ramp-${n}-${input.toString('hex')}`, ramp(n));

      assert.equal(await spotCheckFile(path, input), expected);
      assert.equal(reference(readFileSync(path), input), expected);
    });
  }

  it('agrees with the whole-file reference on random files and inputs', async () => {
    for (const [n, text] of [[1, 'a'], [4095, 'b'], [65_537, 'prompt'], [3_000_001, 'a longer task input ✓']]) {
      const data = pseudoRandomBytes(`spot-${n}`, n);
      const path = fixture(`rand-${n}`, data);

      assert.equal(await spotCheckFile(path, text), reference(data, Buffer.from(text, 'utf8')), `size ${n}`);
    }
  });

  it('takes a string input as UTF-8', async () => {
    const path = fixture('utf8', ramp(10_000));

    assert.equal(await spotCheckFile(path, 'hello modelnet'), GOLDEN[0].expected);
  });

  it('depends on every byte of a file up to 1 GiB and on the input', async () => {
    const data = pseudoRandomBytes('dep', 200_000);
    const path = fixture('dep', data);
    const base = await spotCheckFile(path, 'in');

    for (const position of [0, 99_999, 199_999]) {
      const changed = Buffer.from(data);

      changed[position] ^= 1;
      assert.notEqual(await spotCheckFile(fixture(`dep-${position}`, changed), 'in'), base, `byte ${position}`);
    }

    assert.notEqual(await spotCheckFile(path, 'in2'), base);
  });

  it('reads files up to 1 GiB whole, larger ones at 256 places (golden layouts from Python)', () => {
    for (const size of [0, 1, 255, 256, 10_000, 2 ** 30]) {
      let next = 0;

      for (const { length, offset } of spotCheckWindows(size, 'q')) {
        assert.equal(offset, next, `a ${size}-byte file is read whole, in order`);
        next += length;
      }

      assert.equal(next, size);
    }

    const big = spotCheckWindows(2 ** 30 + 12_345, 'big');

    assert.equal(big.length, 256);
    assert.deepEqual([big[0], big[1], big[255]], [
      { length: 4_194_304, offset: 1 },
      { length: 4_194_304, offset: 4_194_381 },
      { length: 4_194_304, offset: 1_069_559_857 }
    ]);

    const huge = spotCheckWindows(200 * 2 ** 30, 'big');

    assert.deepEqual([huge[0].offset, huge[1].offset, huge[255].offset], [377_452_587, 1_196_181_758, 214_640_968_473]);
  });

  it('fails on a missing file', async () => {
    await assert.rejects(spotCheckFile(join(dir, 'nope'), 'x'), /ENOENT/);
  });
});

describe('executorInput', () => {
  it('puts the 32-byte challenge before the input', () => {
    const challenge = `0x${'ab'.repeat(32)}`;
    const bytes = executorInput(challenge, 'hi');

    assert.equal(bytes.length, 34);
    assert.equal(bytes.subarray(0, 32).toString('hex'), 'ab'.repeat(32));
    assert.equal(bytes.subarray(32).toString('utf8'), 'hi');
  });

  it('refuses a challenge that is not 32 bytes', () => {
    assert.throws(() => executorInput('0xabcd', 'hi'), /32 bytes/);
  });
});
