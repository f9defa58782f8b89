// Deterministic test data.
import { createCipheriv, createHash } from 'node:crypto';

/**
 * `size` deterministic pseudo-random bytes for a seed (AES-256-CTR keystream keyed by the seed).
 *
 * @param {string} seed
 * @param {number} size
 * @returns {Buffer}
 */
export function pseudoRandomBytes (seed, size) {
  const key = createHash('sha256').update(`modelnet-test-data:${seed}`).digest();
  const cipher = createCipheriv('aes-256-ctr', key, Buffer.alloc(16));
  const out = Buffer.alloc(size);
  const chunk = 1 << 20;

  for (let off = 0; off < size; off += chunk) {
    const n = Math.min(chunk, size - off);

    cipher.update(Buffer.alloc(n)).copy(out, off);
  }

  return out;
}

/**
 * SHA-256 of a buffer as 0x-hex.
 *
 * @param {Uint8Array} buf
 */
export function sha256Hex (buf) {
  return `0x${createHash('sha256').update(buf).digest('hex')}`;
}
