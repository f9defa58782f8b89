#!/usr/bin/env node
// Replace the source URLs of a model (owner, or root through --sudo).
import {
  connect, parseCli, parseSources, parseModelId, PALLET, requirePallet, runMain, signAndWait, signerFrom, sudoAndWait, UsageError
} from '../lib/index.js';

const spec = {
  description: 'Replace the download URLs of a model (modelRegistry.update_sources), signed by its owner, or by\nthe sudo key as root with --sudo. After three nominations in a row were declined because the\nsources did not deliver the registered file (event ModelSourcesFailing) the model gets no\nnominations; new sources clear that count and nominations resume.',
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
  synopsis: '--model HEX --source URL [--source URL]... [--sudo] [--url WS] [--suri SURI]'
};

runMain(spec.name, async () => {
  const { values } = parseCli(spec);

  if (!values.model) {
    throw new UsageError('--model is required');
  }

  const sources = parseSources(values.source);

  const model = parseModelId(values.model);
  const api = await connect(values.url);

  try {
    requirePallet(api);

    const call = api.tx[PALLET].updateSources(model, sources);
    const signer = signerFrom(values.suri);
    const { blockNumber } = values.sudo ? await sudoAndWait(api, call, signer) : await signAndWait(api, call, signer);

    console.log(`replaced the sources of ${model} in block #${blockNumber}`);

    return 0;
  } finally {
    await api.disconnect();
  }
});
