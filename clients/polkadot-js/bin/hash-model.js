#!/usr/bin/env node
// SHA-256 and size of a model file (its ModelId), streamed; needs no chain.
import { formatBytes, Output, parseCli, runMain, sha256File, UsageError } from '../lib/index.js';

const spec = {
  chain: false,
  description: 'Print the SHA-256 (the model id) and the size of a model file. The file is streamed, never\nloaded whole into memory. No chain connection is needed.',
  examples: ['hash-model ./model.safetensors', 'hash-model --json ./model.gguf'],
  name: 'hash-model',
  options: {
    id: { description: 'print only the model id (0x-prefixed SHA-256)', type: 'boolean' },
    json: { description: 'print {"file": ..., "sha256": ..., "size": ...} as JSON', type: 'boolean' },
    progress: { description: 'show progress on stderr', type: 'boolean' }
  },
  synopsis: '[--json | --id] [--progress] <file>'
};

runMain(spec.name, async () => {
  const { positionals, values } = parseCli(spec);
  const out = new Output(values);

  if (positionals.length !== 1) {
    throw new UsageError('expected exactly one file');
  }

  if (values.id && values.json) {
    throw new UsageError('give --json or --id, not both');
  }

  let last = 0;
  const { sha256, size } = await sha256File(positionals[0], {
    onProgress: values.progress
      ? (done, total) => {
        const now = Date.now();

        if (now - last > 500 || done === total) {
          last = now;
          process.stderr.write(`\r${formatBytes(done)} / ${formatBytes(total)}`);
        }
      }
      : undefined
  });

  if (values.progress) {
    process.stderr.write('\n');
  }

  out.result({ file: positionals[0], sha256, size }, values.id ? sha256 : [`sha256: ${sha256}`, `size:   ${size} (${formatBytes(size)})`]);
});
