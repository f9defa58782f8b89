// The registry parameters (`RegistryParams`), read and built from the chain's metadata.
import { PALLET } from './chain.js';
import { UsageError } from './cli.js';

/** Parameter names and defaults of the interface spec (used for --help and as a fallback). */
export const SPEC_PARAMS = {
  initial_replicas: 10,
  low_watermark: 3,
  refill_batch: 10,
  min_replicas: 5,
  max_replicas: 32,
  download_deadline: 100,
  demand_window: 100,
  tasks_per_replica: 10,
  headroom_percent: 200,
  scale_down_hysteresis_percent: 50,
  executors_per_task: 3,
  commit_deadline: 20,
  reveal_deadline: 20,
  qos_kick_threshold: 200,
  slash_fraction: 100_000_000
};

const camel = (s) => s.replace(/_([a-z0-9])/g, (_m, c) => c.toUpperCase());
const snake = (s) => s.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/**
 * The fields of `RegistryParams` as the runtime declares them (the argument of `set_params`).
 *
 * @param {import('@polkadot/api').ApiPromise} api
 * @returns {{ typeId: number, fields: { name: string, key: string, typeName: string, perbill: boolean, bits?: number }[] }}
 *   `name` snake_case as in Rust, `key` camelCase as polkadot.js uses in objects, `bits` the width of
 *   an unsigned integer field (undefined for other types)
 */
export function paramsSchema (api) {
  const call = api.tx[PALLET]?.setParams;

  if (!call) {
    throw new Error('the runtime has no modelRegistry.setParams call');
  }

  const typeId = call.meta.fields[0].type.toNumber();
  const si = api.registry.lookup.getSiType(typeId);

  if (!si.def.isComposite) {
    throw new Error('set_params takes no struct: cannot build parameters');
  }

  const fields = si.def.asComposite.fields.map((f) => {
    const name = f.name.unwrap().toString();
    const fieldType = api.registry.lookup.getSiType(f.type);
    const path = fieldType.path.map((p) => p.toString()).join('::');
    const typeName = f.typeName.isSome ? f.typeName.unwrap().toString() : path;
    const prim = fieldType.def.isPrimitive ? fieldType.def.asPrimitive.type.toString() : '';
    const bits = /^U(8|16|32|64|128)$/.test(prim) ? Number(prim.slice(1)) : undefined;

    return { bits, key: camel(name), name, perbill: /Perbill$/.test(path) || /Perbill$/.test(typeName), typeName };
  });

  return { fields, typeId };
}

/**
 * Read the current parameters: from the pallet's storage item holding `RegistryParams`, or the spec's
 * defaults if the pallet keeps none.
 *
 * @param {import('@polkadot/api').ApiPromise} api
 * @returns {Promise<{ params: Record<string, any>, source: string }>} keys camelCase
 */
export async function readParams (api) {
  const { fields, typeId } = paramsSchema(api);
  const storage = api.query[PALLET] ?? {};

  for (const [name, entry] of Object.entries(storage)) {
    const type = (entry.creator?.meta ?? entry.meta)?.type;

    if (type?.isPlain && type.asPlain.toNumber() === typeId) {
      const value = await entry();
      const json = (value.isSome !== undefined && value.unwrap) ? (value.isSome ? value.unwrap().toJSON() : null) : value.toJSON();

      if (json) {
        return { params: json, source: `storage ${PALLET}.${name}` };
      }
    }
  }

  const params = {};

  for (const f of fields) {
    params[f.key] = SPEC_PARAMS[f.name] ?? 0;
  }

  return { params, source: 'spec defaults (no parameters in storage)' };
}

/**
 * Parse one parameter value from the command line: integers within the field's width (u32 when
 * unknown), and for Perbill parts per billion (at most 10^9) or a percentage like `10%` or `2.5%`.
 *
 * @param {{ name: string, perbill: boolean, bits?: number }} field
 * @param {string} value
 * @returns {number | bigint} a bigint beyond 2^53 - 1
 */
export function parseParamValue (field, value) {
  const text = String(value).trim();
  const flag = `--${field.name.replace(/_/g, '-')}`;

  if (field.perbill) {
    const pct = /^(\d+)(?:\.(\d{1,7}))?%$/.exec(text);

    if (pct) {
      const ppb = BigInt(pct[1]) * 10_000_000n + BigInt((pct[2] ?? '').padEnd(7, '0'));

      if (ppb > 1_000_000_000n) {
        throw new UsageError(`${flag}: ${text} is more than 100%`);
      }

      return Number(ppb);
    }
  }

  if (!/^\d+$/.test(text)) {
    throw new UsageError(`${flag}: expected a non-negative integer${field.perbill ? ' (parts per billion) or a percentage like 10% (at most 7 decimals)' : ''}, got "${value}"`);
  }

  const n = BigInt(text);
  const max = field.perbill ? 1_000_000_000n : 2n ** BigInt(field.bits ?? 32) - 1n;

  if (n > max) {
    throw new UsageError(field.perbill
      ? `${flag}: at most 1000000000 parts per billion`
      : `${flag}: ${n} is more than ${max} (u${field.bits ?? 32})`);
  }

  return n > BigInt(Number.MAX_SAFE_INTEGER) ? n : Number(n);
}

/**
 * Merge overrides (keyed by snake_case, kebab-case or camelCase names) into current parameters.
 *
 * @param {import('@polkadot/api').ApiPromise} api
 * @param {Record<string, any>} current camelCase keys
 * @param {Record<string, string | number>} overrides
 * @returns {Record<string, any>} a complete parameter object, camelCase keys
 */
export function mergeParams (api, current, overrides) {
  const { fields } = paramsSchema(api);
  const out = {};

  for (const f of fields) {
    out[f.key] = current[f.key] ?? current[f.name] ?? SPEC_PARAMS[f.name] ?? 0;
  }

  for (const [k, v] of Object.entries(overrides)) {
    const name = snake(k.replace(/-/g, '_'));
    const f = fields.find((x) => x.name === name);

    if (!f) {
      throw new UsageError(`unknown parameter "${k}"; the runtime's parameters are: ${fields.map((x) => x.name).join(', ')}`);
    }

    out[f.key] = typeof v === 'number' ? v : parseParamValue(f, v);
  }

  return out;
}
