// The MLP executor's reference: a hand-checked network, the fixed summation order, the input
// expansion against independent SHA-256 calls, the seeded generator and the cross-check vector
// shared with the Rust engine (offchain-worker/src/executor/mlp/tests.rs asserts the same hex).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

import {
  encodeSafetensors, generateMlpModel, mlpDigest, mlpForward, mlpInputVector, mlpResult, mlpResultOfFile,
  parseLayerDims, parseMlpModel
} from '../../lib/mlp.js';

const dir = mkdtempSync(join(tmpdir(), 'modelnet-mlp-'));
const bin = join(dirname(fileURLToPath(import.meta.url)), '../../bin/make-mlp-model.js');

after(() => rmSync(dir, { force: true, recursive: true }));

const sha = (...parts) => parts.reduce((h, p) => h.update(p), createHash('sha256')).digest();
const t = (name, shape, values) => ({ name, shape, values: Float32Array.from(values) });

/** Shared with the Rust engine's test `cross_check_vector_shared_with_js`. */
const CROSS_CHECK_FILE_SHA256 = '97616a38ad192a4c915f446a3dc61426894dfb19754039b0cbf0fd03a5abd2e3';
const CROSS_CHECK_DIGEST = '0xb35f7c1d0f08d4d544884bd504dfaa87075b4931294ba15ee9be07df8b2c0f7a';
const crossCheckInput = Buffer.concat([Buffer.alloc(32, 0x11), Buffer.from('modelnet cross-check')]);

/** 2 inputs, 2 hidden units, 1 output (the Rust test's `tiny`). */
const tiny = () => encodeSafetensors([
  t('layers.0.weight', [2, 2], [1, 2, -1, 0.5]),
  t('layers.0.bias', [2], [0.5, -1]),
  t('layers.1.weight', [1, 2], [2, 3]),
  t('layers.1.bias', [1], [0.25])
]);

describe('MLP reference', () => {
  it('computes a tiny network by hand', () => {
    const layers = parseMlpModel(tiny());

    // h = relu([0.5 + 1 - 1, -1 - 1 - 0.25]) = [0.5, 0]; y = 0.25 + 1 = 1.25
    assert.deepEqual([...mlpForward(layers, Float32Array.from([1, -0.5]))], [1.25]);
    // h = [0.5, 0.25]; y = 0.25 + 1 + 0.75 = 2
    assert.deepEqual([...mlpForward(layers, Float32Array.from([-1, 0.5]))], [2]);
    assert.throws(() => mlpForward(layers, Float32Array.from([1])), /takes 2 values/);
  });

  it('sums in index order with f32 rounding', () => {
    // (((0 + 1e8) + 1) - 1e8) is 0 in f32, 1 in exact or double arithmetic.
    const layers = parseMlpModel(encodeSafetensors([
      t('layers.0.weight', [1, 3], [1e8, 1, -1e8]),
      t('layers.0.bias', [1], [0])
    ]));

    assert.deepEqual([...mlpForward(layers, Float32Array.from([1, 1, 1]))], [0]);
  });

  it('expands the input with SHA-256 blocks into multiples of 2^-15 in [-1, 1)', () => {
    const input = Buffer.from('some input');
    const seed = sha(Buffer.from('modelnet-mlp-input-v1'), input);
    const block0 = sha(seed, Buffer.from([0, 0, 0, 0]));
    const block1 = sha(seed, Buffer.from([1, 0, 0, 0]));
    const x = mlpInputVector(input, 17);

    assert.equal(x[0], block0.readInt16LE(0) / 32768);
    assert.equal(x[15], block0.readInt16LE(30) / 32768);
    assert.equal(x[16], block1.readInt16LE(0) / 32768);

    for (const v of mlpInputVector(input, 1000)) {
      assert.ok(v >= -1 && v < 1 && Number.isInteger(v * 32768), `${v}`);
    }
  });

  it('writes NaN outputs as one bit pattern and keeps the sign of zero', () => {
    const nan = new Float32Array(new Uint32Array([0xffc00001]).buffer);

    assert.equal(mlpDigest(Buffer.from('i'), nan), mlpDigest(Buffer.from('i'), Float32Array.from([NaN])));
    assert.notEqual(mlpDigest(Buffer.from('i'), Float32Array.from([-0])), mlpDigest(Buffer.from('i'), Float32Array.from([0])));
  });

  it('matches the cross-check vector of the Rust engine', async () => {
    const bytes = generateMlpModel({ layers: [64, 48, 32, 10], seed: 42 });

    assert.equal(sha(bytes).toString('hex'), CROSS_CHECK_FILE_SHA256);
    assert.equal(mlpResult(bytes, crossCheckInput), CROSS_CHECK_DIGEST);

    const path = join(dir, 'cross.safetensors');

    writeFileSync(path, bytes);
    assert.equal(await mlpResultOfFile(path, crossCheckInput), CROSS_CHECK_DIGEST);

    // The challenge changes the result.
    const other = Buffer.from(crossCheckInput);

    other[0] ^= 1;
    assert.notEqual(mlpResult(bytes, other), CROSS_CHECK_DIGEST);
  });

  it('rejects malformed files', () => {
    const w0 = t('layers.0.weight', [2, 2], [1, 1, 1, 1]);
    const b0 = t('layers.0.bias', [2], [0, 0]);

    assert.throws(() => parseMlpModel(Buffer.from('short')), /not a safetensors file/);
    assert.throws(() => parseMlpModel(encodeSafetensors([b0])), /no layers/);
    assert.throws(() => parseMlpModel(encodeSafetensors([w0])), /layers\.0\.bias is missing/);
    assert.throws(() => parseMlpModel(encodeSafetensors([w0, b0, t('extra', [1], [1])])), /unexpected tensor extra/);
    assert.throws(() => parseMlpModel(encodeSafetensors([w0, t('layers.0.bias', [3], [0, 0, 0])])), /shape/);
    assert.throws(() => parseMlpModel(encodeSafetensors([
      w0, b0, t('layers.1.weight', [1, 3], [1, 1, 1]), t('layers.1.bias', [1], [0])
    ])), /layers\.1\.weight has shape/);

    const f16 = encodeSafetensors([w0, b0]);
    const n = Number(f16.readBigUInt64LE(0));
    const header = f16.subarray(8, 8 + n).toString().replace('"F32"', '"F16"');

    assert.throws(() => parseMlpModel(Buffer.concat([f16.subarray(0, 8), Buffer.from(header), f16.subarray(8 + n)])), /dtype F16/);
  });
});

describe('make-mlp-model', () => {
  it('generates the same file for the same seed and another for another seed', () => {
    const a = generateMlpModel({ layers: [20, 10, 3], seed: 1 });

    assert.deepEqual(generateMlpModel({ layers: [20, 10, 3], seed: 1n }), a);
    assert.notDeepEqual(generateMlpModel({ layers: [20, 10, 3], seed: 2 }), a);

    const layers = parseMlpModel(a);

    assert.deepEqual(layers.map((l) => [l.outputs, l.inputs]), [[10, 20], [3, 10]]);

    // |w| <= 2^15 / 2^(15 + s), 4^s the least power of four >= in: s = 3 for in = 20.
    for (const v of layers[0].weight) {
      assert.ok(Math.abs(v) <= 1 / 8, `${v}`);
    }
  });

  it('parses layer lists', () => {
    assert.deepEqual(parseLayerDims('1024, 2048,256'), [1024, 2048, 256]);
    assert.throws(() => parseLayerDims('1024'), /2 to 65/);
    assert.throws(() => parseLayerDims('10,0'), /positive integers/);
    assert.throws(() => parseLayerDims('10,x'), /positive integers/);
  });

  it('writes the cross-check model from the command line', () => {
    const out = join(dir, 'cli.safetensors');
    const doc = JSON.parse(execFileSync(process.execPath, [bin, '--out', out, '--layers', '64,48,32,10', '--seed', '42', '--json'], { encoding: 'utf8' }));

    assert.equal(doc.sha256, `0x${CROSS_CHECK_FILE_SHA256}`);
    assert.equal(doc.params, 5018);
    assert.equal(doc.size, readFileSync(out).length);
    assert.throws(() => execFileSync(process.execPath, [bin, '--out', out, '--seed', '-1'], { stdio: 'pipe' }), /--seed/);
  });
});
