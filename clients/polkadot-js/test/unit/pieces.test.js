// Piece manifests: piece sizes at their boundaries, the Merkle root on hand-checkable vectors
// (independent SHA-256 values computed outside this code), and a file hashed two ways.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';

import {
  formatPieces, innerHash, leafHash, MAX_PIECE_SIZE, MAX_PIECES, merkleRoot, MIN_PIECE_SIZE, parsePieces, pieceCount,
  pieceManifest, pieceManifestOf, pieceSize
} from '../../lib/pieces.js';
import { sha256File } from '../../lib/hash.js';
import { pseudoRandomBytes, sha256Hex } from '../support/fixtures.js';

const KiB = 1024;
const MiB = 1024 * KiB;
const GiB = 1024 * MiB;
const dir = mkdtempSync(join(tmpdir(), 'modelnet-pieces-'));

after(() => rmSync(dir, { force: true, recursive: true }));

const a = `0x${'11'.repeat(32)}`;
const b = `0x${'22'.repeat(32)}`;
const c = `0x${'33'.repeat(32)}`;
const sha = (...parts) => `0x${parts.reduce((h, p) => h.update(p), createHash('sha256')).digest('hex')}`;
const raw = (h) => Buffer.from(h.slice(2), 'hex');

describe('pieceSize and pieceCount', () => {
  it('are 4 MiB pieces up to 4 GiB', () => {
    assert.equal(pieceSize(1), MIN_PIECE_SIZE);
    assert.equal(pieceCount(1), 1);
    assert.equal(pieceSize(4 * MiB), 4 * MiB);
    assert.equal(pieceCount(4 * MiB), 1, 'exactly 4 MiB: one full piece');
    assert.equal(pieceSize(4 * MiB + 1), 4 * MiB);
    assert.equal(pieceCount(4 * MiB + 1), 2, '4 MiB + 1: a second piece of one byte');
    assert.equal(pieceSize(4 * GiB), 4 * MiB, 'ceil(4 GiB / 1024) = 4 MiB, a power of two');
    assert.equal(pieceCount(4 * GiB), 1024);
  });

  it('double above 4 GiB, up to 256 MiB pieces at 256 GiB, then stay', () => {
    assert.equal(pieceSize(4 * GiB + 1), 8 * MiB, 'ceil((4 GiB + 1) / 1024) = 4 MiB + 1 → 8 MiB');
    assert.equal(pieceCount(4 * GiB + 1), 513);
    assert.equal(pieceSize(8 * GiB), 8 * MiB);
    assert.equal(pieceSize(256n * BigInt(GiB)), MAX_PIECE_SIZE);
    assert.equal(pieceCount(256n * BigInt(GiB)), MAX_PIECES, '256 GiB: 1024 pieces of 256 MiB');
    assert.equal(pieceSize(256n * BigInt(GiB) + 1n), MAX_PIECE_SIZE, 'clamped at 256 MiB');
    assert.equal(pieceCount(256n * BigInt(GiB) + 1n), MAX_PIECES + 1, 'beyond what a registration may carry');
    assert.equal(pieceSize('1099511627776'), MAX_PIECE_SIZE, 'a decimal string works (1 TiB)');
  });

  it('never exceed 1024 pieces up to 256 GiB', () => {
    for (const size of [1, 3 * MiB, 17 * MiB + 5, 3 * GiB, 5 * GiB + 7, 100 * GiB + 1]) {
      assert.ok(pieceCount(size) <= MAX_PIECES, `${size}: ${pieceCount(size)} pieces`);
      assert.ok(pieceSize(size) * pieceCount(size) >= size && pieceSize(size) * (pieceCount(size) - 1) < size, `${size}: the last piece is not empty`);
    }
  });

  it('refuse negative sizes', () => {
    assert.throws(() => pieceSize(-1), RangeError);
  });
});

describe('merkleRoot', () => {
  it('is the leaf itself for one leaf', () => {
    assert.equal(merkleRoot([a]), a);
  });

  it('is H(01 ‖ a ‖ b) for two leaves', () => {
    const expected = '0x1d8f52d3ec81ac02cd97cb3281523be47af850c0f0295af866f04bc245f46bbf';

    assert.equal(sha(Buffer.from([1]), raw(a), raw(b)), expected, 'the vector itself');
    assert.equal(innerHash(a, b), expected);
    assert.equal(merkleRoot([a, b]), expected);
  });

  it('carries an odd last node up: root([a, b, c]) = H(01 ‖ H(01 ‖ a ‖ b) ‖ c)', () => {
    const expected = '0xadc505e99f1e9887777a6aa5d140106fcc012a2e4430875f3c2e135124145842';

    assert.equal(sha(Buffer.from([1]), raw(innerHash(a, b)), raw(c)), expected, 'the vector itself');
    assert.equal(merkleRoot([a, b, c]), expected);
    assert.equal(merkleRoot([raw(a), raw(b), raw(c)]), expected, 'byte arrays work too');
  });

  it('pairs level by level for five leaves', () => {
    const d = `0x${'44'.repeat(32)}`;
    const e = `0x${'55'.repeat(32)}`;

    assert.equal(merkleRoot([a, b, c, d, e]), innerHash(innerHash(innerHash(a, b), innerHash(c, d)), e));
  });

  it('refuses no leaves and leaves that are not 32 bytes', () => {
    assert.throws(() => merkleRoot([]), RangeError);
    assert.throws(() => merkleRoot(['0x1234']), TypeError);
  });
});

describe('leafHash', () => {
  it('is SHA-256 of 0x00 ‖ bytes', () => {
    assert.equal(leafHash(Buffer.alloc(0)), '0x6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d');
    assert.equal(leafHash(Buffer.from('abc')), '0x609f6e36d2405585188d5cfd761f407c7cc46a7d3f314c88270469dde315fcd1');
  });
});

describe('pieceManifest', () => {
  it('streams a file to the same manifest as hashing its pieces in memory', async () => {
    // 3 full pieces and a short one; read buffers (1 MiB) do not align with the pieces' ends.
    const data = pseudoRandomBytes('pieces', 3 * MIN_PIECE_SIZE + 12_345);
    const path = join(dir, 'model.bin');

    writeFileSync(path, data);

    const seen = [];
    const m = await pieceManifest(path, { onProgress: (done) => seen.push(done) });
    const ps = MIN_PIECE_SIZE;
    const byHand = [0, 1, 2, 3].map((i) => sha(Buffer.from([0]), data.subarray(i * ps, Math.min(data.length, (i + 1) * ps))));

    assert.equal(m.size, data.length);
    assert.equal(m.pieceSize, ps);
    assert.deepEqual(m.pieces, byHand, 'each leaf is SHA-256(00 ‖ piece), the last one short');
    assert.equal(m.root, innerHash(innerHash(byHand[0], byHand[1]), innerHash(byHand[2], byHand[3])));
    assert.equal(m.sha256, sha256Hex(data), 'the same pass gives the file hash');
    assert.deepEqual(await sha256File(path), { sha256: m.sha256, size: m.size });
    assert.deepEqual(pieceManifestOf(data), m);
    assert.equal(seen.at(-1), data.length);
  });

  it('has one piece (root = leaf) for a small file, none for an empty one', async () => {
    const path = join(dir, 'small.bin');

    writeFileSync(path, 'abc');

    const m = await pieceManifest(path);

    assert.deepEqual(m.pieces, ['0x609f6e36d2405585188d5cfd761f407c7cc46a7d3f314c88270469dde315fcd1']);
    assert.equal(m.root, m.pieces[0]);

    writeFileSync(path, '');
    assert.deepEqual((await pieceManifest(path)).pieces, []);
    assert.equal((await pieceManifest(path)).root, null);
  });
});

describe('piece files', () => {
  it('round-trip, one leaf per line', () => {
    const text = formatPieces([a, b, c]);

    assert.equal(text, `${a}\n${b}\n${c}\n`);
    assert.deepEqual(parsePieces(text, { expected: 3 }), [a, b, c]);
    assert.deepEqual(parsePieces(`# leaves\n${a.slice(2).toUpperCase()}\r\n\n${b}\n`), [a, b], 'comments, blank lines, CRLF, no 0x');
  });

  it('refuse a wrong count or a line that is not a 32-byte hash', () => {
    assert.throws(() => parsePieces(`${a}\n${b}\n`, { expected: 3 }), /2 piece hashes, expected 3/);
    assert.throws(() => parsePieces(`${a}\n0x1234\n`), /line 2: expected a 32-byte hex hash/);
    assert.throws(() => parsePieces(`${a}zz\n`), /line 1/);
  });
});
