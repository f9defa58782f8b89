// Checked numbers from the command line: unsigned integers of the chain's widths, byte counts,
// amounts, and paging of listings.
import { UsageError } from './cli.js';
import { parseAmount, parseBytes } from './units.js';

/** Largest values of the chain's unsigned integer types. */
export const UINT_MAX = Object.freeze({
  u8: 2n ** 8n - 1n,
  u16: 2n ** 16n - 1n,
  u32: 2n ** 32n - 1n,
  u64: 2n ** 64n - 1n,
  u128: 2n ** 128n - 1n
});

/** Default and largest page sizes of the listings. */
export const DEFAULT_PER_PAGE = 50;
export const MAX_PER_PAGE = 10_000;

/**
 * Parse an unsigned integer option: decimal digits only (`_` allowed as a separator), within
 * `min..max` (default `0..u32::MAX`). Rejects negatives, fractions, exponents, hex and overflow.
 *
 * @param {string} name the flag, for the message (e.g. `--task`)
 * @param {string | number | bigint} value
 * @param {{ type?: keyof UINT_MAX, min?: bigint | number, max?: bigint | number }} [opts]
 * @returns {bigint}
 */
export function parseUintBig (name, value, { max, min = 0n, type = 'u32' } = {}) {
  const hi = BigInt(max ?? UINT_MAX[type]);
  const lo = BigInt(min);
  const text = String(value ?? '').trim();

  if (!/^\d+(_\d+)*$/.test(text)) {
    throw new UsageError(`${name}: expected a whole number in ${lo}..${hi}, got "${value}"`);
  }

  const n = BigInt(text.replace(/_/g, ''));

  if (n < lo || n > hi) {
    throw new UsageError(`${name}: ${n} is out of range ${lo}..${hi}${n > hi && max === undefined ? ` (${type})` : ''}`);
  }

  return n;
}

/**
 * {@link parseUintBig} as a JavaScript number (for counts, ports, seconds: at most 2^53 - 1).
 *
 * @param {string} name
 * @param {string | number} value
 * @param {{ type?: keyof UINT_MAX, min?: number, max?: number }} [opts]
 * @returns {number}
 */
export function parseUint (name, value, opts = {}) {
  const max = opts.max ?? (opts.type && UINT_MAX[opts.type] > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : undefined);

  return Number(parseUintBig(name, value, { ...opts, max }));
}

/**
 * A byte count option (`512MiB`, `10GB`, `1048576`) that must fit the chain's type (u64 by default).
 *
 * @param {string} name
 * @param {string} value
 * @param {{ max?: bigint, min?: bigint }} [opts]
 * @returns {bigint}
 */
export function parseByteCount (name, value, { max = UINT_MAX.u64, min = 0n } = {}) {
  let n;

  try {
    n = parseBytes(value);
  } catch (e) {
    throw new UsageError(`${name}: ${e.message}`);
  }

  if (n > max) {
    throw new UsageError(`${name}: ${n} bytes is more than ${max}${max === UINT_MAX.u64 ? ' (u64)' : ''}`);
  }

  if (n < min) {
    throw new UsageError(`${name}: at least ${min} bytes`);
  }

  return n;
}

/**
 * Check an amount's syntax before connecting (the chain's decimals are not known yet).
 *
 * @param {string} name
 * @param {string} value
 */
export function checkAmountSyntax (name, value) {
  if (!/^\s*\d+(_\d+)*(\.\d+)?\s*[a-zA-Z]*\s*$/.test(String(value))) {
    throw new UsageError(`${name}: invalid amount "${value}" (examples: 1000000000000, 1.5UNIT)`);
  }
}

/**
 * An amount option scaled by the chain's decimals; must fit a u128 balance.
 *
 * @param {string} name
 * @param {string} value
 * @param {{ decimals: number, symbol?: string }} chain
 * @returns {bigint}
 */
export function parseAmountOption (name, value, chain) {
  let n;

  try {
    n = parseAmount(value, chain);
  } catch (e) {
    throw new UsageError(`${name}: ${e.message}`);
  }

  if (n > UINT_MAX.u128) {
    throw new UsageError(`${name}: ${n} is more than the largest balance (u128)`);
  }

  return n;
}

/**
 * The --page and --per-page options of a listing (pages count from 1).
 *
 * @param {{ page?: string, 'per-page'?: string }} values
 * @returns {{ page: number, perPage: number }}
 */
export function parsePaging (values) {
  return {
    page: parseUint('--page', values.page ?? '1', { max: 2 ** 32 - 1, min: 1 }),
    perPage: parseUint('--per-page', values['per-page'] ?? String(DEFAULT_PER_PAGE), { max: MAX_PER_PAGE, min: 1 })
  };
}

/**
 * One page of a sorted list.
 *
 * @template T
 * @param {T[]} items already sorted
 * @param {{ page: number, perPage: number }} paging
 * @returns {{ items: T[], page: number, perPage: number, pages: number, total: number, first: number }}
 *   `first`: 0-based position of the page's first item
 */
export function paginate (items, { page, perPage }) {
  const total = items.length;
  const pages = Math.max(1, Math.ceil(total / perPage));
  const first = (page - 1) * perPage;

  return { first, items: items.slice(first, first + perPage), page, pages, perPage, total };
}

/**
 * Compare for a deterministic order: numbers/bigints by value, anything else as lowercase strings;
 * several keys compared in turn.
 *
 * @param {...[unknown, unknown]} pairs
 */
export function compareKeys (...pairs) {
  for (const [a, b] of pairs) {
    const numeric = (x) => typeof x === 'number' || typeof x === 'bigint';
    let c;

    if (numeric(a) && numeric(b)) {
      c = BigInt(a) < BigInt(b) ? -1 : BigInt(a) > BigInt(b) ? 1 : 0;
    } else {
      const x = String(a ?? '').toLowerCase();
      const y = String(b ?? '').toLowerCase();

      c = x < y ? -1 : x > y ? 1 : 0;
    }

    if (c) {
      return c;
    }
  }

  return 0;
}

/** Largest --timeout in seconds (the longest a Node.js timer can wait). */
export const MAX_TIMEOUT_SECONDS = Math.floor((2 ** 31 - 1) / 1000);
