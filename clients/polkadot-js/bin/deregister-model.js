#!/usr/bin/env node
// Deregister a model (owner, or root through --sudo); its holders then delete the file.
import {
  callDocument, connect, eventData, findEvent, Output, parseCli, parseModelId, PALLET, requirePallet, runMain, signerReady,
  submit, UsageError
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
  synopsis: '--model HEX [--sudo] [--url WS] [--suri SURI] [--json]'
};

runMain(spec.name, async () => {
  const { values } = parseCli(spec);
  const out = new Output(values);

  if (!values.model) {
    throw new UsageError('--model is required');
  }

  const model = parseModelId(values.model);
  const signer = await signerReady(values.suri);
  const api = await connect(values.url);

  try {
    requirePallet(api);

    const res = await submit(api, api.tx[PALLET].deregisterModel(model), signer, { sudo: values.sudo });
    const ev = findEvent(res.events, 'ModelDeregistered');

    out.result(
      callDocument(`${PALLET}.deregisterModel`, signer, res, { event: ev ? { data: eventData(ev), method: 'ModelDeregistered', section: PALLET } : null, model, sudo: !!values.sudo }),
      `deregistered ${model} in block #${res.blockNumber}`
    );

    return 0;
  } finally {
    await api.disconnect();
  }
});
