#!/usr/bin/env node
// SHA-256, size and piece manifest of a model file (its ModelId and piece root), streamed; needs no chain.
import { writeFile } from 'node:fs/promises';

import { formatBytes, formatPieces, Output, parseCli, pieceManifest, runMain, UsageError } from '../lib/index.js';

const spec = {
  chain: false,
  description: 'Print the SHA-256 (the model id), the size and the piece manifest of a model file: the piece\nsize, the number of pieces and the Merkle root of their leaf hashes (what register-model\nregisters). The file is streamed once, never loaded whole into memory. --pieces-out writes the\nleaf hashes (hex, one per line) for register-model --pieces. No chain connection is needed.',
  examples: ['hash-model ./model.safetensors', 'hash-model --json ./model.gguf', 'hash-model ./model.bin --pieces-out model.pieces'],
  name: 'hash-model',
  options: {
    id: { description: 'print only the model id (0x-prefixed SHA-256)', type: 'boolean' },
    json: { description: 'print {"file", "sha256", "size", "pieceSize", "pieceCount", "pieceRoot"} as JSON', type: 'boolean' },
    'pieces-out': { arg: 'FILE', description: 'write the piece leaf hashes to FILE (hex, one per line)', type: 'string' },
    progress: { description: 'show progress on stderr', type: 'boolean' }
  },
  synopsis: '[--json | --id] [--pieces-out FILE] [--progress] <file>'
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

  if (values['pieces-out'] === '') {
    throw new UsageError('--pieces-out needs a file name');
  }

  let last = 0;
  const { pieceSize, pieces, root, sha256, size } = await pieceManifest(positionals[0], {
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

  if (values['pieces-out']) {
    await writeFile(values['pieces-out'], formatPieces(pieces));
  }

  out.result(
    { file: positionals[0], pieceCount: pieces.length, pieceRoot: root, pieceSize, ...(values['pieces-out'] ? { piecesFile: values['pieces-out'] } : {}), sha256, size },
    values.id
      ? sha256
      : [
        `sha256: ${sha256}`,
        `size:   ${size} (${formatBytes(size)})`,
        `pieces: ${pieces.length} of ${formatBytes(pieceSize)}${pieces.length > 1 ? ' (the last may be short)' : ''}`,
        `root:   ${root ?? '-'}`,
        ...(values['pieces-out'] ? [`leaf hashes written to ${values['pieces-out']}`] : [])
      ]
  );
});
