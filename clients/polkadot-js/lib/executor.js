// The executor kind of a model: how its tasks run. On chain `ExecutorKind`: `SpotCheck`,
// `SafetensorsMlp` or `External(name)`; on the command line `spot-check`, `mlp` or
// `external:NAME`.
import { u8aToHex } from '@polkadot/util';
import { blake2AsU8a } from '@polkadot/util-crypto';

import { UsageError } from './cli.js';

/** Longest engine name of an external executor, in bytes (the pallet's MAX_ENGINE_NAME_LEN). */
export const MAX_ENGINE_NAME_LEN = 32;

/** Command-line names of the built-in kinds, with their chain variant. */
const BUILT_IN = { mlp: 'SafetensorsMlp', 'spot-check': 'SpotCheck' };

/**
 * Whether `name` is a valid engine name: 1 to 32 bytes of `[a-z0-9-]`, not starting with `-`
 * (the pallet's `is_valid_engine_name`).
 *
 * @param {string} name
 */
export function isValidEngineName (name) {
  return typeof name === 'string' && name.length >= 1 && name.length <= MAX_ENGINE_NAME_LEN && /^[a-z0-9][a-z0-9-]*$/.test(name);
}

/**
 * The chain value (for `registerModel`) of an `--executor` argument: `spot-check`, `mlp` or
 * `external:NAME`. Anything else is a usage error.
 *
 * @param {string} text
 * @returns {'SpotCheck' | 'SafetensorsMlp' | { External: string }}
 */
export function parseExecutor (text) {
  const value = String(text ?? '').trim();

  if (Object.hasOwn(BUILT_IN, value)) {
    return BUILT_IN[value];
  }

  if (value.startsWith('external:')) {
    const name = value.slice('external:'.length);

    if (!isValidEngineName(name)) {
      throw new UsageError(`--executor ${value}: the engine name must be 1 to ${MAX_ENGINE_NAME_LEN} characters of a-z, 0-9 and '-', not starting with '-'`);
    }

    return { External: name };
  }

  throw new UsageError(`--executor ${value}: expected spot-check, mlp or external:NAME`);
}

/** UTF-8 text of a 0x hex string (an engine name as `Bytes` JSON); other strings as they are. */
function bytesText (v) {
  if (typeof v === 'string' && /^0x([0-9a-f]{2})*$/i.test(v)) {
    return Buffer.from(v.slice(2), 'hex').toString('utf8');
  }

  return String(v ?? '');
}

/**
 * The command-line form (`spot-check`, `mlp`, `external:NAME`) of an `ExecutorKind` as JSON
 * (`toJSON()`: `"spotCheck"`, `{ "safetensorsMlp": null }`, `{ "external": "0x…" }`) or as the
 * value {@link parseExecutor} returns. A record without the field (an older runtime) is
 * `spot-check`.
 *
 * @param {any} json
 */
export function formatExecutor (json) {
  if (json === undefined || json === null) {
    return 'spot-check';
  }

  const [variant, data] = typeof json === 'string' ? [json, null] : Object.entries(json)[0] ?? ['', null];

  switch (variant.toLowerCase()) {
    case 'spotcheck':
      return 'spot-check';
    case 'safetensorsmlp':
      return 'mlp';
    case 'external':
      return `external:${bytesText(data)}`;
    default:
      return `unknown(${variant})`;
  }
}

/**
 * The sealed form of a task result, what the chain records and publishes
 * (`TaskCompleted.result`, `ResultRevealed.result`, `taskStatus`):
 * `blake2_256("modelnet/sealed" ‖ task (u64 little-endian) ‖ result)`. First-round executors
 * reveal only the seal, so an appeal juror has nothing to copy; a creator checks a completed
 * task by sealing the result it computes itself.
 *
 * @param {bigint | number | string} task task id
 * @param {string | Uint8Array} result 32-byte result (0x-prefixed hex or bytes)
 * @returns {string} 0x-prefixed hex
 */
export function sealedResult (task, result) {
  const bytes = typeof result === 'string' ? Buffer.from(result.replace(/^0x/i, ''), 'hex') : Buffer.from(result);

  if (bytes.length !== 32) {
    throw new Error(`a task result has 32 bytes, got ${bytes.length}`);
  }

  const id = Buffer.alloc(8);

  id.writeBigUInt64LE(BigInt(task), 0);

  return u8aToHex(blake2AsU8a(Buffer.concat([Buffer.from('modelnet/sealed', 'utf8'), id, bytes]), 256));
}
