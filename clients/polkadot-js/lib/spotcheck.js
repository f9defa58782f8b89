// The default task executor's spot-check, as specified in the interface spec:
//
//   L = min(4096, S)                      S = file size in bytes
//   seed = sha256(input)
//   h = sha256(); h.update("modelnet-spot-check-v1"); h.update(input)
//   for i in 0u32..16:
//     d = sha256(seed ++ i.to_le_bytes())
//     off = u64_le(d[0..8]) % (S - L + 1)
//     h.update(file[off .. off + L])
//   result = h.finalize()
//
// Only the 16 windows are read from disk, so the cost does not depend on the model size.
//
// On chain, `input` is the task's challenge (32 bytes, drawn when the executors are assigned;
// `ExecutorsAssigned.challenge`) followed by the task input: see `executorInput`.
import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';

/** Domain separation prefix of the spot-check digest. */
export const SPOT_CHECK_DOMAIN = Buffer.from('modelnet-spot-check-v1', 'utf8');
/** Number of windows read from the file. */
export const SPOT_CHECK_WINDOWS = 16;
/** Maximal window length in bytes. */
export const SPOT_CHECK_WINDOW_LEN = 4096;

/**
 * Normalise a task input to bytes: a Buffer/Uint8Array as is, a string as UTF-8.
 *
 * @param {Uint8Array | string} input
 * @returns {Buffer}
 */
function inputBytes (input) {
  if (typeof input === 'string') {
    return Buffer.from(input, 'utf8');
  }

  return Buffer.from(input.buffer, input.byteOffset, input.byteLength);
}

/**
 * What executors compute on: the task's 32-byte challenge followed by its input, so that no
 * result can be known before the task is assigned.
 *
 * @param {string | Uint8Array} challenge 0x-prefixed hex or 32 bytes
 * @param {Uint8Array | string} input task input (a string is taken as UTF-8)
 * @returns {Buffer}
 */
export function executorInput (challenge, input) {
  const c = typeof challenge === 'string'
    ? Buffer.from(challenge.replace(/^0x/, ''), 'hex')
    : Buffer.from(challenge);

  if (c.length !== 32) {
    throw new Error(`a task challenge has 32 bytes, got ${c.length}`);
  }

  return Buffer.concat([c, inputBytes(input)]);
}

/**
 * The windows the spot-check reads for a file of `size` bytes and a task input.
 *
 * @param {number} size file size in bytes
 * @param {Uint8Array | string} input task input
 * @returns {{ offset: number, length: number }[]} always 16 entries
 */
export function spotCheckWindows (size, input) {
  if (!Number.isSafeInteger(size) || size < 0) {
    throw new RangeError(`invalid file size ${size}`);
  }

  const length = Math.min(SPOT_CHECK_WINDOW_LEN, size);
  const span = BigInt(size - length + 1);
  const seed = createHash('sha256').update(inputBytes(input)).digest();
  const windows = [];

  for (let i = 0; i < SPOT_CHECK_WINDOWS; i++) {
    const index = Buffer.alloc(4);

    index.writeUInt32LE(i, 0);

    const d = createHash('sha256').update(seed).update(index).digest();

    windows.push({ length, offset: Number(d.readBigUInt64LE(0) % span) });
  }

  return windows;
}

/**
 * Run the spot-check on a file, reading only its 16 windows.
 *
 * @param {string} path model file
 * @param {Uint8Array | string} input task input (a string is taken as UTF-8)
 * @returns {Promise<string>} the 32-byte result as 0x-prefixed hex (what `TaskCompleted.result` carries)
 */
export async function spotCheckFile (path, input) {
  const bytes = inputBytes(input);
  const fh = await open(path, 'r');

  try {
    const { size } = await fh.stat();
    const h = createHash('sha256').update(SPOT_CHECK_DOMAIN).update(bytes);
    const windows = spotCheckWindows(size, bytes);
    const buf = Buffer.alloc(Math.min(SPOT_CHECK_WINDOW_LEN, size));

    for (const { length, offset } of windows) {
      let filled = 0;

      while (filled < length) {
        const { bytesRead } = await fh.read(buf, filled, length - filled, offset + filled);

        if (bytesRead === 0) {
          throw new Error(`${path}: file shrank while reading (offset ${offset + filled})`);
        }

        filled += bytesRead;
      }

      h.update(buf.subarray(0, length));
    }

    return `0x${h.digest('hex')}`;
  } finally {
    await fh.close();
  }
}
