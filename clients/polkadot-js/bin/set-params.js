#!/usr/bin/env node
// Change the registry parameters through sudo (modelRegistry.set_params is a root call).
import {
  connect, eventHuman, findEvent, mergeParams, parseCli, PALLET, readParams, requirePallet, runMain, SPEC_PARAMS,
  signerFrom, sudoAndWait, UsageError
} from '../lib/index.js';

const kebab = (s) => s.replace(/_/g, '-');
const paramOptions = Object.fromEntries(Object.entries(SPEC_PARAMS).map(([name, def]) => [kebab(name), {
  arg: name === 'slash_fraction' ? 'PERBILL|PCT%' : 'N',
  description: `(spec default ${name === 'slash_fraction' ? '10%' : def})`,
  type: 'string'
}]));

const spec = {
  description: 'Set the ModelRegistry parameters (set_params, a root call) through sudo, signed by the sudo\nkey (--suri, default //Alice on a dev chain). Parameters not given keep their current value\n(read from the chain). The field list is taken from the runtime\'s metadata; --set NAME=VALUE\nreaches a field this script has no option for. The runtime refuses inconsistent sets\n(InvalidParams), e.g. min_replicas must exceed low_watermark.',
  examples: [
    'set-params --executors-per-task 1 --initial-replicas 1 --low-watermark 0 --min-replicas 1',
    'set-params --slash-fraction 5% --dry-run'
  ],
  name: 'set-params',
  options: {
    ...paramOptions,
    'dry-run': { description: 'print the resulting parameters, submit nothing', type: 'boolean' },
    set: { arg: 'NAME=VALUE', description: 'set any parameter by its field name', multiple: true, type: 'string' }
  },
  positionals: false,
  synopsis: '[--executors-per-task N] [--initial-replicas N] ... [--set NAME=VALUE]... [--dry-run]'
};

runMain(spec.name, async () => {
  const { values } = parseCli(spec);
  const overrides = {};

  for (const name of Object.keys(paramOptions)) {
    if (values[name] !== undefined) {
      overrides[name] = values[name];
    }
  }

  for (const kv of values.set ?? []) {
    const i = kv.indexOf('=');

    if (i <= 0) {
      throw new UsageError(`--set ${kv}: expected NAME=VALUE`);
    }

    overrides[kv.slice(0, i).trim()] = kv.slice(i + 1).trim();
  }

  if (!Object.keys(overrides).length && !values['dry-run']) {
    throw new UsageError('no parameter given');
  }

  const api = await connect(values.url);

  try {
    requirePallet(api);

    const { params: current, source } = await readParams(api);
    const params = mergeParams(api, current, overrides);

    console.log(`current (${source}) -> new:`);

    for (const [k, v] of Object.entries(params)) {
      const changed = JSON.stringify(current[k]) !== JSON.stringify(v);

      console.log(`  ${k}: ${changed ? `${current[k]} -> ${v}` : v}`);
    }

    if (values['dry-run']) {
      return 0;
    }

    const { blockNumber, events } = await sudoAndWait(api, api.tx[PALLET].setParams(params), signerFrom(values.suri));
    const ev = findEvent(events, 'ParamsUpdated');

    console.log(`parameters set in block #${blockNumber}${ev ? '' : ' (no ParamsUpdated event seen)'}`);

    if (ev && process.env.MODELNET_DEBUG) {
      console.log(JSON.stringify(eventHuman(ev)));
    }

    return 0;
  } finally {
    await api.disconnect();
  }
});
