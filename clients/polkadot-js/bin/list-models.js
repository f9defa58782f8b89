#!/usr/bin/env node
// List the registered models, paged: holders, target, demand, source failures.
import {
  connect, listModels, modelLines, Output, pageDocument, pagingOptions, parseCli, parsePaging, requirePallet, runMain
} from '../lib/index.js';

const spec = {
  description: 'List the registered models (storage modelRegistry.models, holders, modelSources, modelPieces), sorted by\nregistration block then model id, one page at a time. Columns: holders, replication target,\navailable (active) holders, pending nominations, demand (tasks this window / last window),\nsource failures in a row (3 stop nominations: sources-failing), size, pieces (count x piece\nsize, from modelPieces; the piece root on the next line), state flags (retiring, parked,\nqueued). --details adds each model\'s holders and source URLs; --json always has them.',
  examples: ['list-models', 'list-models --page 2 --per-page 20', 'list-models --details', 'list-models --json'],
  name: 'list-models',
  options: {
    details: { description: 'list the holders and sources under each model', type: 'boolean' },
    ...pagingOptions('models')
  },
  positionals: false,
  synopsis: '[--page N] [--per-page M] [--details] [--json] [--url WS]'
};

runMain(spec.name, async () => {
  const { values } = parseCli(spec);
  const out = new Output(values);
  const paging = parsePaging(values);
  const api = await connect(values.url);

  try {
    requirePallet(api);

    const page = await listModels(api, paging);

    out.result(pageDocument('models', page, ({ holderList, pieces, sources, ...r }) => ({ ...r, holderList: holderList ?? [], pieces: pieces ?? null, sources: sources ?? [] })), () => modelLines(page, { details: values.details }));

    return 0;
  } finally {
    await api.disconnect();
  }
});
