// Streaming SHA-256 of a file: the content hash that identifies a model (its ModelId).
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';

/**
 * Hash a file without loading it into memory.
 *
 * @param {string} path file to hash
 * @param {{ onProgress?: (done: number, total: number) => void }} [opts]
 * @returns {Promise<{ sha256: string, size: number }>} `sha256` as 0x-prefixed lowercase hex
 */
export async function sha256File (path, opts = {}) {
  const { size: total } = await stat(path);
  const hash = createHash('sha256');
  let size = 0;
  const stream = createReadStream(path, { highWaterMark: 1 << 20 });

  for await (const chunk of stream) {
    hash.update(chunk);
    size += chunk.length;
    opts.onProgress?.(size, total);
  }

  return { sha256: `0x${hash.digest('hex')}`, size };
}
