#!/usr/bin/env node
// Change the registry parameters through sudo (modelRegistry.set_params is a root call).
import {
  callDocument, connect, eventData, eventHuman, findEvent, mergeParams, Output, parseCli, parseParamValue, PALLET, readParams,
  requirePallet, runMain, SPEC_PARAMS, signerReady, sudoAndWait, toJson, UsageError
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
  synopsis: '[--executors-per-task N] [--initial-replicas N] ... [--set NAME=VALUE]... [--dry-run] [--json]'
};

runMain(spec.name, async () => {
  const { values } = parseCli(spec);
  const out = new Output(values);
  const overrides = {};

  for (const name of Object.keys(paramOptions)) {
    if (values[name] !== undefined) {
      // Checked before connecting as the spec types them (u32, Perbill); again against the runtime's.
      parseParamValue({ name: name.replace(/-/g, '_'), perbill: name === 'slash-fraction' }, values[name]);
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

  const signer = await signerReady(values.suri);
  const api = await connect(values.url);

  try {
    requirePallet(api);

    const { params: current, source } = await readParams(api);
    const params = mergeParams(api, current, overrides);
    const changed = Object.keys(params).filter((k) => toJson(current[k]) !== toJson(params[k]));
    const summary = { changed, current, dryRun: !!values['dry-run'], params, source };

    out.line(`current (${source}) -> new:`);

    for (const [k, v] of Object.entries(params)) {
      out.line(`  ${k}: ${changed.includes(k) ? `${current[k]} -> ${v}` : v}`);
    }

    if (values['dry-run']) {
      out.result(summary);

      return 0;
    }

    const res = await sudoAndWait(api, api.tx[PALLET].setParams(params), signer);
    const ev = findEvent(res.events, 'ParamsUpdated');

    out.result(
      { ...callDocument(`${PALLET}.setParams`, signer, res, { event: ev ? { data: eventData(ev), method: 'ParamsUpdated', section: PALLET } : null }), ...summary },
      [
        `parameters set in block #${res.blockNumber}${ev ? '' : ' (no ParamsUpdated event seen)'}`,
        ...(ev && process.env.MODELNET_DEBUG ? [JSON.stringify(eventHuman(ev))] : [])
      ]
    );

    return 0;
  } finally {
    await api.disconnect();
  }
});
