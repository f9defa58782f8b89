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
  const S = data.length;
  const L = Math.min(4096, S);
  const seed = createHash('sha256').update(input).digest();
  const h = createHash('sha256');

  h.update('modelnet-spot-check-v1');
  h.update(input);

  for (let i = 0; i < 16; i++) {
    const le = Buffer.from([i & 0xff, (i >> 8) & 0xff, (i >> 16) & 0xff, (i >>> 24) & 0xff]);
    const d = createHash('sha256').update(Buffer.concat([seed, le])).digest();
    const u64 = BigInt(`0x${Buffer.from(d.subarray(0, 8)).reverse().toString('hex')}`);
    const off = Number(u64 % BigInt(S - L + 1));

    h.update(data.slice(off, off + L));
  }

  return `0x${h.digest('hex')}`;
}

// Golden values computed with an independent implementation in another language
// (Python hashlib/struct) on ramp(n) files. Native executors should reproduce them too.
const GOLDEN = [
  { expected: '0xfb7e7dd2950573a6fa2260a62791242213872081cea722b4f84693e9eb2153f9', input: Buffer.from('hello modelnet'), n: 10_000 },
  { expected: '0x24f9d234f313deab663b32900a9ba8dd84c8bb8e1211d0c78424cfc471ed3571', input: Buffer.alloc(0), n: 100 },
  { expected: '0xabee5b35a8d8ede029a9c40829c91f213851c109f29447131a5e88ac1038fb3e', input: Buffer.from('x'), n: 0 },
  { expected: '0xfc406f2e45f548726d57a7c1b37808129fadc781b277dadf0d0d5671937af584', input: Buffer.from('abc'), n: 4096 },
  { expected: '0xbb0a0e6289faa4c22f62b091d13ca89ab3badaca611339d951dda12b8856cdd3', input: Buffer.from('abc'), n: 4097 },
  { expected: '0x33d01e019c33f860fc540e44c20a605a76b82655b10736232d8b3f2b44ae561f', input: Buffer.from([0, 1, 2, 255]), n: 1 << 20 }
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

  it('depends on the bytes in the windows and on the input', async () => {
    const data = pseudoRandomBytes('dep', 200_000);
    const path = fixture('dep', data);
    const base = await spotCheckFile(path, 'in');
    const [{ offset }] = spotCheckWindows(data.length, 'in');
    const changed = Buffer.from(data);

    changed[offset] ^= 1;
    assert.notEqual(await spotCheckFile(fixture('dep2', changed), 'in'), base);
    assert.notEqual(await spotCheckFile(path, 'in2'), base);
  });

  it('reads 16 windows of min(4096, size) bytes inside the file', () => {
    for (const size of [0, 1, 4096, 4097, 1 << 30]) {
      const w = spotCheckWindows(size, 'q');

      assert.equal(w.length, 16);

      for (const { length, offset } of w) {
        assert.equal(length, Math.min(4096, size));
        assert.ok(offset >= 0 && offset + length <= size);
      }
    }
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
