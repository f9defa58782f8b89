#!/usr/bin/env node
// Deregister a model (owner, or root through --sudo); its holders then delete the file.
import {
  connect, parseCli, parseModelId, PALLET, requirePallet, runMain, signAndWait, signerFrom, sudoAndWait, UsageError
} from '../lib/index.js';

const spec = {
  description: 'Deregister a model (modelRegistry.deregister_model), signed by its owner, or by the sudo key\nas root with --sudo. Every holder deletes its copy and the deposit is released.',
  examples: ['deregister-model --model 0xabc...', 'deregister-model --model 0xabc... --sudo'],
  name: 'deregister-model',
  options: {
    model: { arg: 'HEX', description: 'model id (SHA-256 of the file)', type: 'string' },
    sudo: { description: 'dispatch as root through sudo (signer must be the sudo key)', type: 'boolean' }
  },
  positionals: false,
  synopsis: '--model HEX [--sudo] [--url WS] [--suri SURI]'
};

runMain(spec.name, async () => {
  const { values } = parseCli(spec);

  if (!values.model) {
    throw new UsageError('--model is required');
  }

  const model = parseModelId(values.model);
  const api = await connect(values.url);

  try {
    requirePallet(api);

    const call = api.tx[PALLET].deregisterModel(model);
    const signer = signerFrom(values.suri);
    const { blockNumber } = values.sudo ? await sudoAndWait(api, call, signer) : await signAndWait(api, call, signer);

    console.log(`deregistered ${model} in block #${blockNumber}`);

    return 0;
  } finally {
    await api.disconnect();
  }
});
