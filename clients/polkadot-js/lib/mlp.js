// Reference implementation of the safetensors MLP executor (`MlpExecutor`, executor kind `mlp` of
// the off-chain worker: offchain-worker/src/executor/mlp.rs), bit for bit, and the seeded
// generator of its model files.
//
// Model: a safetensors file with exactly `layers.{i}.weight` (F32, [out_i, in_i]) and
// `layers.{i}.bias` (F32, [out_i]) for i in 0..L, L >= 1 (at most 64), in_{i+1} == out_i.
//
//   seed    = sha256("modelnet-mlp-input-v1" ++ input)
//   block_k = sha256(seed ++ u32_le(k))
//   x[j]    = i16_le(block_{j/16}[2 (j%16) ..]) / 32768                 j in 0..in_0
//   per layer: y[o] = b[o]; for j in order: y[o] = f32(y[o] + f32(W[o][j] * x[j]))
//              ReLU (y > 0 ? y : +0) after every layer but the last
//   digest  = sha256("modelnet-mlp-v1" ++ sha256(input) ++ f32_le(y)...)   (NaN as 0x7fc00000)
//
// JavaScript numbers are doubles: the product of two f32 values is exact in a double, and the
// double sum of two f32 values rounded to f32 (Math.fround) equals the f32 sum because double
// has more than 2 * 24 + 2 significand bits (double rounding is innocuous for +, -, *). So
// Math.fround at every step reproduces the Rust f32 arithmetic exactly.
//
// On chain, `input` is the task's challenge followed by the task input (`executorInput`).
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';

/** Domain separator of the MLP result digest. */
export const MLP_DOMAIN = Buffer.from('modelnet-mlp-v1', 'utf8');
/** Domain separator of the input expansion. */
export const MLP_INPUT_DOMAIN = Buffer.from('modelnet-mlp-input-v1', 'utf8');
/** Domain separator of the seeded weight generator. */
export const MLP_GEN_DOMAIN = Buffer.from('modelnet-mlp-gen-v1', 'utf8');
/** Most layers a model may have. */
export const MLP_MAX_LAYERS = 64;
/** The `format` entry of the `__metadata__` the generator writes. */
export const MLP_FORMAT = 'modelnet-mlp-v1';

const sha256 = (...parts) => {
  const h = createHash('sha256');

  for (const p of parts) {
    h.update(p);
  }

  return h.digest();
};

const u32le = (n) => {
  const b = Buffer.alloc(4);

  b.writeUInt32LE(n, 0);

  return b;
};

const u64le = (n) => {
  const b = Buffer.alloc(8);

  b.writeBigUInt64LE(BigInt(n), 0);

  return b;
};

/**
 * The input vector of a task: `dim` values in [-1, 1), multiples of 2^-15.
 *
 * @param {Uint8Array} input executor input (challenge ++ task input)
 * @param {number} dim input dimension of the model
 * @returns {Float32Array}
 */
export function mlpInputVector (input, dim) {
  const seed = sha256(MLP_INPUT_DOMAIN, input);
  const x = new Float32Array(dim);

  for (let j = 0, k = 0; j < dim; k++) {
    const block = sha256(seed, u32le(k));

    for (let i = 0; i < 16 && j < dim; i++, j++) {
      x[j] = block.readInt16LE(2 * i) / 32768;
    }
  }

  return x;
}

/**
 * Parse and validate a model file: the format's rules on tensor names, dtypes and shapes, as the
 * Rust engine checks them (the safetensors crate there also checks that the data offsets are
 * contiguous). Throws on any violation.
 *
 * @param {Uint8Array} bytes the safetensors file
 * @returns {{ inputs: number, outputs: number, weight: Float32Array, bias: Float32Array }[]} the layers
 */
export function parseMlpModel (bytes) {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);

  if (buf.length < 8) {
    throw new Error('not a safetensors file: shorter than the header length');
  }

  const n = Number(buf.readBigUInt64LE(0));

  if (n > 1 << 20 || 8 + n > buf.length) {
    throw new Error(`not a safetensors file: header length ${n}`);
  }

  const header = JSON.parse(buf.subarray(8, 8 + n).toString('utf8'));
  const data = buf.subarray(8 + n);
  const names = Object.keys(header).filter((k) => k !== '__metadata__');
  let count = 0;

  while (count <= MLP_MAX_LAYERS && `layers.${count}.weight` in header) {
    count++;
  }

  if (count === 0) {
    throw new Error('the model has no layers');
  }

  if (count > MLP_MAX_LAYERS) {
    throw new Error(`the model has more than ${MLP_MAX_LAYERS} layers`);
  }

  for (const name of names) {
    const m = /^layers\.(0|[1-9][0-9]*)\.(weight|bias)$/.exec(name);

    if (!m || Number(m[1]) >= count) {
      throw new Error(`unexpected tensor ${name}`);
    }
  }

  const tensor = (name, shape) => {
    const info = header[name];

    if (!info) {
      throw new Error(`tensor ${name} is missing`);
    }

    if (info.dtype !== 'F32') {
      throw new Error(`tensor ${name} has dtype ${info.dtype}, expected F32`);
    }

    if (info.shape.length !== shape.length || info.shape.some((d, i) => d <= 0 || (shape[i] !== undefined && d !== shape[i]))) {
      throw new Error(`tensor ${name} has shape [${info.shape}]`);
    }

    const [start, end] = info.data_offsets;
    const elements = info.shape.reduce((a, b) => a * b, 1);

    if (end - start !== 4 * elements || start < 0 || end > data.length) {
      throw new Error(`tensor ${name}: data offsets do not match its shape`);
    }

    const values = new Float32Array(elements);

    for (let i = 0; i < elements; i++) {
      values[i] = data.readFloatLE(start + 4 * i);
    }

    return { shape: info.shape, values };
  };

  const layers = [];

  for (let i = 0; i < count; i++) {
    const prev = layers[i - 1];
    const w = tensor(`layers.${i}.weight`, [undefined, prev?.outputs]);
    const [outputs, inputs] = w.shape;
    const b = tensor(`layers.${i}.bias`, [outputs]);

    layers.push({ bias: b.values, inputs, outputs, weight: w.values });
  }

  return layers;
}

/**
 * The forward pass: sequential f32 sums in index order, ReLU between layers.
 *
 * @param {{ inputs: number, outputs: number, weight: Float32Array, bias: Float32Array }[]} layers
 * @param {Float32Array} x input vector
 * @returns {Float32Array} the output vector
 */
export function mlpForward (layers, x) {
  let current = x;

  layers.forEach(({ bias, inputs, outputs, weight }, l) => {
    if (current.length !== inputs) {
      throw new Error(`layer ${l} takes ${inputs} values, got ${current.length}`);
    }

    const relu = l < layers.length - 1;
    const y = new Float32Array(outputs);

    for (let o = 0; o < outputs; o++) {
      const row = o * inputs;
      let acc = bias[o];

      for (let j = 0; j < inputs; j++) {
        acc = Math.fround(acc + Math.fround(weight[row + j] * current[j]));
      }

      y[o] = relu ? (acc > 0 ? acc : 0) : acc;
    }

    current = y;
  });

  return current;
}

/**
 * The result digest of an output vector.
 *
 * @param {Uint8Array} input executor input
 * @param {Float32Array} output
 * @returns {string} 0x-prefixed hex
 */
export function mlpDigest (input, output) {
  const bytes = Buffer.alloc(4 * output.length);

  output.forEach((v, i) => {
    if (Number.isNaN(v)) {
      bytes.writeUInt32LE(0x7fc00000, 4 * i);
    } else {
      bytes.writeFloatLE(v, 4 * i);
    }
  });

  return `0x${sha256(MLP_DOMAIN, sha256(input), bytes).toString('hex')}`;
}

/**
 * What an honest node commits for a task on a model file in memory.
 *
 * @param {Uint8Array} bytes the safetensors file
 * @param {Uint8Array} input executor input (challenge ++ task input, see `executorInput`)
 * @returns {string} 0x-prefixed hex
 */
export function mlpResult (bytes, input) {
  const layers = parseMlpModel(bytes);

  return mlpDigest(input, mlpForward(layers, mlpInputVector(input, layers[0].inputs)));
}

/**
 * What an honest node commits for a task on a model file.
 *
 * @param {string} path the safetensors file
 * @param {Uint8Array} input executor input
 * @returns {Promise<string>} 0x-prefixed hex
 */
export async function mlpResultOfFile (path, input) {
  return mlpResult(await readFile(path), input);
}

/**
 * Parse a layer list such as "1024,2048,2048,256" (input dimension first).
 *
 * @param {string} text
 * @returns {number[]}
 */
export function parseLayerDims (text) {
  const dims = text.split(',').map((s) => s.trim());

  if (dims.length < 2 || dims.length > MLP_MAX_LAYERS + 1 || dims.some((d) => !/^[1-9][0-9]*$/.test(d))) {
    throw new Error(`expected 2 to ${MLP_MAX_LAYERS + 1} positive integers separated by commas, got "${text}"`);
  }

  return dims.map(Number);
}

/**
 * A safetensors file of F32 tensors, in the given order and contiguous, with
 * `{"__metadata__":{"format":"modelnet-mlp-v1"}}` first and the JSON header padded with spaces
 * to a multiple of 8 bytes.
 *
 * @param {{ name: string, shape: number[], values: ArrayLike<number> }[]} tensors
 * @returns {Buffer}
 */
export function encodeSafetensors (tensors) {
  const header = { __metadata__: { format: MLP_FORMAT } };
  let offset = 0;

  for (const { name, shape, values } of tensors) {
    header[name] = { dtype: 'F32', shape, data_offsets: [offset, offset + 4 * values.length] };
    offset += 4 * values.length;
  }

  let json = JSON.stringify(header);

  json += ' '.repeat((8 - (json.length % 8)) % 8);

  const out = Buffer.alloc(8 + Buffer.byteLength(json) + offset);

  out.writeBigUInt64LE(BigInt(Buffer.byteLength(json)), 0);

  let pos = 8 + out.write(json, 8, 'utf8');

  for (const { values } of tensors) {
    for (let i = 0; i < values.length; i++, pos += 4) {
      out.writeFloatLE(values[i], pos);
    }
  }

  return out;
}

/**
 * A seeded model file. Values are consecutive i16 (little-endian) of the stream
 * sha256(sha256("modelnet-mlp-gen-v1" ++ u64_le(seed)) ++ u64_le(k)), k = 0, 1, ...; per
 * layer the weights row by row, then the biases. A weight is v / 2^(15 + s) where 4^s is the
 * least power of four >= in (so |w| < 1 / sqrt(in)), a bias v / 2^19: exact in f32.
 *
 * @param {{ seed: number | bigint | string, layers: number[] }} options layers: dimensions, input first
 * @returns {Buffer} the safetensors file
 */
export function generateMlpModel ({ layers, seed }) {
  const key = sha256(MLP_GEN_DOMAIN, u64le(seed));
  let block = Buffer.alloc(0);
  let used = 32;
  let counter = 0n;
  const next = () => {
    if (used === 32) {
      block = sha256(key, u64le(counter++));
      used = 0;
    }

    const v = block.readInt16LE(used);

    used += 2;

    return v;
  };
  const tensors = [];

  for (let i = 0; i + 1 < layers.length; i++) {
    const [inputs, outputs] = [layers[i], layers[i + 1]];
    let s = 0;

    while (4 ** s < inputs) {
      s++;
    }

    const scale = 2 ** (15 + s);
    const weight = new Float32Array(outputs * inputs);
    const bias = new Float32Array(outputs);

    for (let k = 0; k < weight.length; k++) {
      weight[k] = next() / scale;
    }

    for (let k = 0; k < outputs; k++) {
      bias[k] = next() / 2 ** 19;
    }

    tensors.push({ name: `layers.${i}.weight`, shape: [outputs, inputs], values: weight });
    tensors.push({ name: `layers.${i}.bias`, shape: [outputs], values: bias });
  }

  return encodeSafetensors(tensors);
}
