// The registry parameters (`RegistryParams`), read and built from the chain's metadata.
import { PALLET } from './chain.js';

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
  scale_down_hysteresis_percent: 25,
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
 * @returns {{ typeId: number, fields: { name: string, key: string, typeName: string, perbill: boolean }[] }}
 *   `name` snake_case as in Rust, `key` camelCase as polkadot.js uses in objects
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

    return { key: camel(name), name, perbill: /Perbill$/.test(path) || /Perbill$/.test(typeName), typeName };
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
 * Parse one parameter value from the command line: integers, and for Perbill also `10%`.
 *
 * @param {{ name: string, perbill: boolean }} field
 * @param {string} value
 */
export function parseParamValue (field, value) {
  const text = String(value).trim();

  if (field.perbill) {
    const pct = /^(\d+(?:\.\d+)?)%$/.exec(text);

    if (pct) {
      return Math.round(Number(pct[1]) * 10_000_000);
    }
  }

  if (!/^\d+$/.test(text)) {
    throw new Error(`--${field.name.replace(/_/g, '-')}: expected a non-negative integer${field.perbill ? ' (parts per billion) or a percentage like 10%' : ''}, got "${value}"`);
  }

  const n = Number(text);

  if (field.perbill && n > 1_000_000_000) {
    throw new Error(`--${field.name.replace(/_/g, '-')}: at most 1000000000 parts per billion`);
  }

  return n;
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
      throw new Error(`unknown parameter "${k}"; the runtime's parameters are: ${fields.map((x) => x.name).join(', ')}`);
    }

    out[f.key] = typeof v === 'number' ? v : parseParamValue(f, v);
  }

  return out;
}
