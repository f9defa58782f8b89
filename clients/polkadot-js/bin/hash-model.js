#!/usr/bin/env node
// SHA-256 and size of a model file (its ModelId), streamed; needs no chain.
import { formatBytes, parseCli, runMain, sha256File, UsageError } from '../lib/index.js';

const spec = {
  chain: false,
  description: 'Print the SHA-256 (the model id) and the size of a model file. The file is streamed, never\nloaded whole into memory. No chain connection is needed.',
  examples: ['hash-model ./model.safetensors', 'hash-model --json ./model.gguf'],
  name: 'hash-model',
  options: {
    id: { description: 'print only the model id (0x-prefixed SHA-256)', type: 'boolean' },
    json: { description: 'print {"sha256": ..., "size": ...} as JSON', type: 'boolean' },
    progress: { description: 'show progress on stderr', type: 'boolean' }
  },
  synopsis: '[--json | --id] [--progress] <file>'
};

runMain(spec.name, async () => {
  const { positionals, values } = parseCli(spec);

  if (positionals.length !== 1) {
    throw new UsageError('expected exactly one file');
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

  if (values.id) {
    console.log(sha256);
  } else if (values.json) {
    console.log(JSON.stringify({ file: positionals[0], sha256, size }));
  } else {
    console.log(`sha256: ${sha256}`);
    console.log(`size:   ${size} (${formatBytes(size)})`);
  }
});
