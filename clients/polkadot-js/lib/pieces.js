// The piece manifest of a model file: the SHA-256 "leaf" hash of every fixed-size piece and
// their Merkle root. Nodes fetch a model piece by piece (from holders, other nominees and the
// registered sources) and check each piece against its leaf, so a registration carries the
// whole leaf layer. The rules match the pallet and the node bit for bit:
//
//   pieceSize(size) = clamp(nextPowerOfTwo(ceil(size / 1024)), 4 MiB, 256 MiB)
//   pieceCount      = ceil(size / pieceSize)            (the last piece may be short)
//   leaf_i          = SHA-256(0x00 ‖ piece_i)
//   inner           = SHA-256(0x01 ‖ left ‖ right)      (an odd last node is carried up unchanged;
//                                                        the root of one leaf is that leaf)
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';

/** Smallest piece: 4 MiB. */
export const MIN_PIECE_SIZE = 4 * 1024 * 1024;
/** Largest piece: 256 MiB. */
export const MAX_PIECE_SIZE = 256 * 1024 * 1024;
/** Most pieces a model may have (the pallet's bound on the leaf list). */
export const MAX_PIECES = 1024;

const LEAF_PREFIX = Buffer.from([0x00]);
const INNER_PREFIX = Buffer.from([0x01]);

/** A byte count as a bigint (number, bigint or decimal string). */
function toBig (size) {
  const n = BigInt(size);

  if (n < 0n) {
    throw new RangeError(`size must not be negative, got ${size}`);
  }

  return n;
}

/** The smallest power of two >= n (1 for 0, as Rust's `next_power_of_two`). */
function nextPowerOfTwo (n) {
  let p = 1n;

  while (p < n) {
    p <<= 1n;
  }

  return p;
}

/**
 * Piece size of a model of `size` bytes: clamp(nextPowerOfTwo(ceil(size / 1024)), 4 MiB, 256 MiB).
 *
 * @param {number | bigint | string} size
 * @returns {number}
 */
export function pieceSize (size) {
  const n = toBig(size);
  const p = nextPowerOfTwo((n + 1023n) / 1024n);
  const clamped = p < BigInt(MIN_PIECE_SIZE) ? BigInt(MIN_PIECE_SIZE) : p > BigInt(MAX_PIECE_SIZE) ? BigInt(MAX_PIECE_SIZE) : p;

  return Number(clamped);
}

/**
 * Number of pieces of a model of `size` bytes: ceil(size / pieceSize(size)).
 *
 * @param {number | bigint | string} size
 * @returns {number}
 */
export function pieceCount (size) {
  const n = toBig(size);
  const ps = BigInt(pieceSize(n));

  return Number((n + ps - 1n) / ps);
}

/** 32 bytes from a Buffer/Uint8Array or 0x-hex. */
function bytes32 (h) {
  const b = typeof h === 'string' ? Buffer.from(h.replace(/^0x/i, ''), 'hex') : Buffer.from(h);

  if (b.length !== 32) {
    throw new TypeError(`a hash is 32 bytes, got ${b.length}`);
  }

  return b;
}

const hex = (b) => `0x${Buffer.from(b).toString('hex')}`;

/**
 * Leaf hash of one piece: SHA-256(0x00 ‖ bytes), 0x-hex.
 *
 * @param {Uint8Array} piece
 */
export function leafHash (piece) {
  return hex(createHash('sha256').update(LEAF_PREFIX).update(piece).digest());
}

/**
 * Inner node: SHA-256(0x01 ‖ left ‖ right), 0x-hex.
 *
 * @param {string | Uint8Array} left
 * @param {string | Uint8Array} right
 */
export function innerHash (left, right) {
  return hex(createHash('sha256').update(INNER_PREFIX).update(bytes32(left)).update(bytes32(right)).digest());
}

/**
 * Merkle root of a leaf layer: pairs hashed with {@link innerHash} level by level, an odd last
 * node carried up unchanged; the root of one leaf is that leaf.
 *
 * @param {(string | Uint8Array)[]} leaves at least one
 * @returns {string} 0x-hex
 */
export function merkleRoot (leaves) {
  if (!leaves.length) {
    throw new RangeError('a Merkle root needs at least one leaf');
  }

  let level = leaves.map(bytes32);

  while (level.length > 1) {
    const next = [];

    for (let i = 0; i < level.length; i += 2) {
      next.push(i + 1 < level.length ? bytes32(innerHash(level[i], level[i + 1])) : level[i]);
    }

    level = next;
  }

  return hex(level[0]);
}

/**
 * The piece manifest of a file in one streamed read: the SHA-256 of the whole file (the model
 * id), its size, the piece size, every piece's leaf hash and their root. Never holds more than
 * one read buffer of the file in memory.
 *
 * @param {string} path
 * @param {{ onProgress?: (done: number, total: number) => void }} [opts]
 * @returns {Promise<{ sha256: string, size: number, pieceSize: number, pieces: string[], root: string | null }>}
 *   `root` is null for an empty file (no pieces)
 */
export async function pieceManifest (path, opts = {}) {
  const { size: total } = await stat(path);
  const ps = pieceSize(total);
  const file = createHash('sha256');
  const pieces = [];
  let leaf = createHash('sha256').update(LEAF_PREFIX);
  let inPiece = 0;
  let size = 0;

  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) {
    file.update(chunk);

    let off = 0;

    while (off < chunk.length) {
      const n = Math.min(ps - inPiece, chunk.length - off);

      leaf.update(chunk.subarray(off, off + n));
      inPiece += n;
      off += n;

      if (inPiece === ps) {
        pieces.push(hex(leaf.digest()));
        leaf = createHash('sha256').update(LEAF_PREFIX);
        inPiece = 0;
      }
    }

    size += chunk.length;
    opts.onProgress?.(size, total);
  }

  if (inPiece > 0) {
    pieces.push(hex(leaf.digest()));
  }

  if (size !== total) {
    throw new Error(`${path} changed size while it was read (${total} bytes, then ${size})`);
  }

  return { pieceSize: ps, pieces, root: pieces.length ? merkleRoot(pieces) : null, sha256: hex(file.digest()), size };
}

/**
 * The piece manifest of bytes in memory (tests, generated models).
 *
 * @param {Uint8Array} data
 */
export function pieceManifestOf (data) {
  const ps = pieceSize(data.length);
  const pieces = [];

  for (let off = 0; off < data.length; off += ps) {
    pieces.push(leafHash(data.subarray(off, Math.min(data.length, off + ps))));
  }

  return {
    pieceSize: ps,
    pieces,
    root: pieces.length ? merkleRoot(pieces) : null,
    sha256: hex(createHash('sha256').update(data).digest()),
    size: data.length
  };
}

/**
 * The text of a piece file: one leaf per line, 0x-hex, newline-terminated.
 *
 * @param {string[]} pieces
 */
export function formatPieces (pieces) {
  return pieces.map((p) => `${p}\n`).join('');
}

/**
 * Parse a piece file (as written by {@link formatPieces}; blank lines and `#` comments are
 * ignored, the 0x prefix is optional). Throws a plain Error naming the line on a bad entry, and on
 * a count other than `expected` when given.
 *
 * @param {string} text
 * @param {{ expected?: number }} [opts]
 * @returns {string[]} 0x-prefixed lowercase hex
 */
export function parsePieces (text, { expected } = {}) {
  const out = [];

  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();

    if (!line || line.startsWith('#')) {
      return;
    }

    if (!/^(0x)?[0-9a-fA-F]{64}$/.test(line)) {
      throw new Error(`line ${i + 1}: expected a 32-byte hex hash, got "${line.length > 80 ? `${line.slice(0, 80)}...` : line}"`);
    }

    out.push(`0x${line.replace(/^0x/i, '').toLowerCase()}`);
  });

  if (expected !== undefined && out.length !== expected) {
    throw new Error(`${out.length} piece hashes, expected ${expected} (the piece count of the size)`);
  }

  return out;
}
