// The default task executor's spot-check, as specified in the interface spec (the node's
// `offchain-worker/src/executor/spot_check.rs`):
//
//   S = file size in bytes; seed = sha256(input)
//   h = sha256(); h.update("modelnet-spot-check-v2"); h.update(u64_le(len(input))); h.update(input)
//   for i in 0u32..256:
//     start = floor(S*i/256); end = floor(S*(i+1)/256); W = min(4 MiB, end - start)
//     if W == 0: skip
//     d = sha256(seed ++ i.to_le_bytes())
//     off = start + u64_le(d[0..8]) % (end - start - W + 1)
//     h.update(file[off .. off + W])
//   result = h.finalize()
//
// A file of up to 1 GiB is read whole (each window is its whole stripe), so the result depends
// on every byte; a larger one at 256 places, 1 GiB in all.
//
// On chain, `input` is the task's challenge (32 bytes, drawn when the executors are assigned;
// `ExecutorsAssigned.challenge`) followed by the task input: see `executorInput`.
import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';

/** Domain separation prefix of the spot-check digest. */
export const SPOT_CHECK_DOMAIN = Buffer.from('modelnet-spot-check-v2', 'utf8');
/** Number of stripes the file is cut into; one window is read from each. */
export const SPOT_CHECK_STRIPES = 256;
/** Longest window read from a stripe (4 MiB). */
export const SPOT_CHECK_MAX_WINDOW = 4 * 1024 * 1024;
/** Bytes read per call while hashing a window. */
const READ_CHUNK = 1 << 20;

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
 * The windows the spot-check reads for a file of `size` bytes and a task input, in order (the
 * empty stripes of a file under 256 bytes have none).
 *
 * @param {number} size file size in bytes
 * @param {Uint8Array | string} input task input
 * @returns {{ offset: number, length: number }[]}
 */
export function spotCheckWindows (size, input) {
  if (!Number.isSafeInteger(size) || size < 0) {
    throw new RangeError(`invalid file size ${size}`);
  }

  const total = BigInt(size);
  const stripes = BigInt(SPOT_CHECK_STRIPES);
  const seed = createHash('sha256').update(inputBytes(input)).digest();
  const windows = [];

  for (let i = 0; i < SPOT_CHECK_STRIPES; i++) {
    const start = total * BigInt(i) / stripes;
    const end = total * BigInt(i + 1) / stripes;
    const stripe = end - start;
    const length = stripe < BigInt(SPOT_CHECK_MAX_WINDOW) ? stripe : BigInt(SPOT_CHECK_MAX_WINDOW);

    if (length === 0n) {
      continue;
    }

    const index = Buffer.alloc(4);

    index.writeUInt32LE(i, 0);

    const d = createHash('sha256').update(seed).update(index).digest();
    const offset = start + d.readBigUInt64LE(0) % (stripe - length + 1n);

    windows.push({ length: Number(length), offset: Number(offset) });
  }

  return windows;
}

/**
 * Run the spot-check on a file.
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
    const length = Buffer.alloc(8);

    length.writeBigUInt64LE(BigInt(bytes.length), 0);

    const h = createHash('sha256').update(SPOT_CHECK_DOMAIN).update(length).update(bytes);
    const buf = Buffer.alloc(Math.min(READ_CHUNK, size));

    for (const { length: windowLength, offset } of spotCheckWindows(size, bytes)) {
      let done = 0;

      while (done < windowLength) {
        const want = Math.min(READ_CHUNK, windowLength - done);
        const { bytesRead } = await fh.read(buf, 0, want, offset + done);

        if (bytesRead === 0) {
          throw new Error(`${path}: file shrank while reading (offset ${offset + done})`);
        }

        h.update(buf.subarray(0, bytesRead));
        done += bytesRead;
      }
    }

    return `0x${h.digest('hex')}`;
  } finally {
    await fh.close();
  }
}
