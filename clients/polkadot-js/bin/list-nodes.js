#!/usr/bin/env node
// List the registered nodes, paged: status, QoS, holdings.
import {
  connect, listNodes, nodeLines, Output, pageDocument, pagingOptions, parseCli, parsePaging, requirePallet, runMain
} from '../lib/index.js';

const spec = {
  description: 'List the registered nodes (storage modelRegistry.nodes, nodeHoldings, nodeNominations,\nnodeEndpoints), sorted by joining block then account, one page at a time: status (Active, Paused,\nLeaving), QoS (0..1000), number of models held and of pending nominations, disk used / declared,\nVRAM, stake, and the endpoint the node serves model pieces at (declared by the node itself).',
  examples: ['list-nodes', 'list-nodes --page 2 --per-page 10', 'list-nodes --json'],
  name: 'list-nodes',
  options: pagingOptions('nodes'),
  positionals: false,
  synopsis: '[--page N] [--per-page M] [--json] [--url WS]'
};

runMain(spec.name, async () => {
  const { values } = parseCli(spec);
  const out = new Output(values);
  const paging = parsePaging(values);
  const api = await connect(values.url);

  try {
    requirePallet(api);

    const page = await listNodes(api, paging);

    out.result(pageDocument('nodes', page), () => nodeLines(page, (v) => api.createType('Balance', v).toHuman()));

    return 0;
  } finally {
    await api.disconnect();
  }
});
