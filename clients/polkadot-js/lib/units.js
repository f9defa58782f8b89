// Parsing and formatting of the quantities the scripts take on the command line. Parse errors are
// usage errors (exit code 2).
import { UsageError } from './cli.js';

const BYTE_UNITS = {
  '': 1n,
  b: 1n,
  k: 1000n,
  kb: 1000n,
  m: 1000n ** 2n,
  mb: 1000n ** 2n,
  g: 1000n ** 3n,
  gb: 1000n ** 3n,
  t: 1000n ** 4n,
  tb: 1000n ** 4n,
  kib: 1024n,
  mib: 1024n ** 2n,
  gib: 1024n ** 3n,
  tib: 1024n ** 4n
};

/**
 * Parse a byte count: `1048576`, `512MiB`, `10GB`, `1.5GiB` (decimal multiples are powers of 1000,
 * binary ones of 1024).
 *
 * @param {string | number | bigint} value
 * @returns {bigint}
 */
export function parseBytes (value) {
  if (typeof value === 'bigint') {
    return value;
  }

  const text = String(value).trim().replace(/_/g, '');
  const m = /^(\d+)(?:\.(\d+))?\s*([a-zA-Z]*)$/.exec(text);
  const unit = m && BYTE_UNITS[m[3].toLowerCase()];

  if (!m || !unit) {
    throw new UsageError(`invalid byte count "${value}" (examples: 1048576, 512MiB, 10GB)`);
  }

  const frac = m[2] ?? '';
  const scaled = (BigInt(m[1] + frac) * unit) / 10n ** BigInt(frac.length);

  if (frac && (BigInt(m[1] + frac) * unit) % 10n ** BigInt(frac.length) !== 0n) {
    throw new UsageError(`byte count "${value}" is not a whole number of bytes`);
  }

  return scaled;
}

/**
 * Parse a token amount. A bare integer is in the chain's smallest unit (planck); a number followed
 * by the chain's token symbol or by `unit`/`units` is scaled by the chain's decimals.
 *
 * @param {string | number | bigint} value e.g. `1000000000000`, `1000UNIT`, `2.5 units`
 * @param {{ decimals: number, symbol?: string }} chain
 * @returns {bigint}
 */
export function parseAmount (value, { decimals, symbol }) {
  if (typeof value === 'bigint') {
    return value;
  }

  const text = String(value).trim().replace(/_/g, '');
  const m = /^(\d+)(?:\.(\d+))?\s*([a-zA-Z]*)$/.exec(text);

  if (!m) {
    throw new UsageError(`invalid amount "${value}"`);
  }

  const [, whole, frac = '', suffix] = m;

  if (!suffix) {
    if (frac) {
      throw new UsageError(`amount "${value}": a bare number is in the smallest unit and must be whole; add a unit (e.g. "${value}${symbol ?? 'UNIT'}")`);
    }

    return BigInt(whole);
  }

  const s = suffix.toLowerCase();

  if (s !== 'unit' && s !== 'units' && (!symbol || s !== symbol.toLowerCase())) {
    throw new UsageError(`amount "${value}": unknown unit "${suffix}" (use ${symbol ? `"${symbol}" or ` : ''}"units")`);
  }

  if (frac.length > decimals) {
    throw new UsageError(`amount "${value}" has more than ${decimals} decimals`);
  }

  return BigInt(whole) * 10n ** BigInt(decimals) + BigInt(frac.padEnd(decimals, '0') || '0');
}

/**
 * Human-readable byte count (binary multiples).
 *
 * @param {number | bigint} n
 * @returns {string}
 */
export function formatBytes (n) {
  let v = Number(n);
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;

  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }

  return i === 0 ? `${v} B` : `${v.toFixed(2)} ${units[i]}`;
}

/**
 * Validate a model id (SHA-256 of the file) given as hex with or without `0x`.
 *
 * @param {string} value
 * @returns {string} 0x-prefixed lowercase hex of 32 bytes
 */
export function parseModelId (value) {
  const hex = String(value).trim().toLowerCase().replace(/^0x/, '');

  if (!/^[0-9a-f]{64}$/.test(hex)) {
    throw new UsageError(`invalid model id "${value}": expected the 32-byte SHA-256 of the file as hex`);
  }

  return `0x${hex}`;
}

/**
 * Validate a non-negative integer option.
 *
 * @param {string} name option name, for the message
 * @param {string | number} value
 * @returns {number}
 */
export function parseCount (name, value) {
  const n = Number(value);

  if (!Number.isSafeInteger(n) || n < 0 || String(value).trim() === '') {
    throw new UsageError(`--${name}: expected a non-negative integer, got "${value}"`);
  }

  return n;
}
