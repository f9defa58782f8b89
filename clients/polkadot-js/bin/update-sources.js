#!/usr/bin/env node
// Replace the source URLs of a model (owner, or root through --sudo).
import {
  callDocument, chainLimits, checkSourceLimits, connect, eventData, findEvent, Output, parseCli, parseSources, parseModelId, PALLET,
  requirePallet, runMain, signerReady, submit, UsageError
} from '../lib/index.js';

const spec = {
  description: 'Replace the download URLs of a model (modelRegistry.update_sources), signed by its owner, or by\nthe sudo key as root with --sudo. After three nominations in a row were declined because the\nsources did not deliver the registered file (event ModelSourcesFailing) the model gets no\nnominations; new sources clear that count and nominations resume. The new sources are always\ntaken, but the count is cleared at most once per demand window (and not within one of the\nregistration): otherwise it stays, and calling again once the window has passed clears it.\nThe URLs are checked against the chain\'s MaxSources and MaxUrlLen before sending.',
  examples: [
    'update-sources --model 0xabc... --source https://mirror.example.org/m.bin',
    'update-sources --model 0xabc... --source http://127.0.0.1:8000/m.bin --source https://example.org/m.bin --sudo'
  ],
  name: 'update-sources',
  options: {
    model: { arg: 'HEX', description: 'model id (SHA-256 of the file)', type: 'string' },
    source: { arg: 'URL', description: 'download URL of the file', multiple: true, type: 'string' },
    sudo: { description: 'dispatch as root through sudo (signer must be the sudo key)', type: 'boolean' }
  },
  positionals: false,
  synopsis: '--model HEX --source URL [--source URL]... [--sudo] [--url WS] [--suri SURI] [--json]'
};

runMain(spec.name, async () => {
  const { values } = parseCli(spec);
  const out = new Output(values);

  if (!values.model) {
    throw new UsageError('--model is required');
  }

  const sources = parseSources(values.source);

  const model = parseModelId(values.model);
  const signer = await signerReady(values.suri);
  const api = await connect(values.url);

  try {
    requirePallet(api);
    checkSourceLimits(sources, chainLimits(api));

    const res = await submit(api, api.tx[PALLET].updateSources(model, sources), signer, { sudo: values.sudo });
    const { blockNumber, events } = res;
    const updated = findEvent(events, 'ModelSourcesUpdated');

    if (!updated) {
      throw new Error(`no ModelSourcesUpdated event in block #${blockNumber}`);
    }

    const cleared = eventData(updated).failuresCleared === true;

    out.result(callDocument(`${PALLET}.updateSources`, signer, res, {
      event: { data: eventData(updated), method: 'ModelSourcesUpdated', section: PALLET }, failuresCleared: cleared, model, sources, sudo: !!values.sudo
    }), [
      `replaced the sources of ${model} in block #${blockNumber}`,
      cleared
        ? 'source failures cleared: nominations resume'
        : 'source failures not cleared (cleared less than a demand window ago, or none): call again after the window if the model is stopped'
    ]);

    return 0;
  } finally {
    await api.disconnect();
  }
});
