#!/usr/bin/env node
// Writes a seeded feed-forward network as a safetensors file for the MLP executor (models
// registered with `--executor mlp`); needs no chain.
import { createHash } from 'node:crypto';
import { writeFile } from 'node:fs/promises';

import { parseCli, runMain, UsageError } from '../lib/cli.js';
import { generateMlpModel, parseLayerDims } from '../lib/mlp.js';
import { Output } from '../lib/output.js';
import { formatBytes } from '../lib/units.js';

const spec = {
  chain: false,
  description: 'Write a feed-forward network (dense layers, ReLU between them, f32) as a safetensors file in\nthe format of the node\'s MLP executor: tensors layers.{i}.weight [out, in] and layers.{i}.bias\n[out]. The weights come from a SHA-256 stream keyed by --seed, so the same seed and layers\nalways give the same file (and model id). The default layers make a 27 MB file.',
  examples: ['make-mlp-model --out mlp.safetensors --seed 7', 'make-mlp-model --out small.safetensors --layers 64,48,32,10 --json'],
  name: 'make-mlp-model',
  options: {
    layers: { arg: 'DIMS', default: '1024,2048,2048,256', description: 'dimensions, input first, comma-separated (default 1024,2048,2048,256)', type: 'string' },
    out: { arg: 'FILE', description: 'the file to write (required)', type: 'string' },
    seed: { arg: 'S', default: '0', description: 'seed, an integer in 0..2^64 (default 0)', type: 'string' }
  },
  positionals: false,
  synopsis: '--out FILE [--seed S] [--layers DIMS] [--json]'
};

runMain(spec.name, async () => {
  const { values } = parseCli(spec);
  const out = new Output(values);

  if (!values.out) {
    throw new UsageError('--out FILE is required');
  }

  if (!/^(0|[1-9][0-9]*)$/.test(values.seed) || BigInt(values.seed) >= 2n ** 64n) {
    throw new UsageError(`--seed must be an integer in 0..2^64, got "${values.seed}"`);
  }

  let layers;

  try {
    layers = parseLayerDims(values.layers);
  } catch (e) {
    throw new UsageError(`--layers: ${e.message}`);
  }

  const params = layers.slice(1).reduce((sum, outputs, i) => sum + outputs * (layers[i] + 1), 0);

  if (params > 2 ** 28) {
    throw new UsageError(`--layers: ${params} parameters, the node accepts at most 2^28 by default`);
  }

  const bytes = generateMlpModel({ layers, seed: BigInt(values.seed) });
  const sha256 = `0x${createHash('sha256').update(bytes).digest('hex')}`;

  await writeFile(values.out, bytes);
  out.result(
    { file: values.out, layers, params, seed: values.seed, sha256, size: bytes.length },
    [
      `file:   ${values.out}`,
      `layers: ${layers.join(',')} (${params} parameters)`,
      `sha256: ${sha256}`,
      `size:   ${bytes.length} (${formatBytes(bytes.length)})`
    ]
  );
});
