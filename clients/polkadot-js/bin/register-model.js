#!/usr/bin/env node
// Register a model by content hash, size, source URLs and minimum VRAM; optionally wait until stored.
import {
  connect, EventLog, eventHuman, field, formatBytes, formatEvent, parseBytes, parseCli, parseModelId, parseSources, PALLET,
  requirePallet, runMain, sameValue, sha256File, signAndWait, signerFrom, UsageError
} from '../lib/index.js';

const WATCHED = ['DownloadNominated', 'ModelStored', 'NominationDeclined', 'NominationExpired', 'ModelLost', 'ModelEvicted', 'ReplicationTargetChanged', 'ModelSourcesFailing'];

const spec = {
  description: 'Register a model (modelRegistry.register_model). The model id is the SHA-256 of the file:\ngive the file (--file, hashed locally by streaming) or its --sha256 and --size. Storage nodes\nare nominated at once and download from the --source URLs (HTTP(S), Range requests for resume).\nThe signer pays the model deposit and owns the model (may deregister it).\nWith --wait, follows the model\'s placement events until --wait-stored nodes confirmed it.',
  examples: [
    'register-model --file ./model.bin --source http://127.0.0.1:8000/model.bin --min-vram 8GiB --wait',
    'register-model --sha256 0xabc... --size 4294967296 --source https://example.org/m.bin --source https://mirror.example.org/m.bin'
  ],
  name: 'register-model',
  options: {
    file: { arg: 'FILE', description: 'model file to hash for the id and size', type: 'string' },
    'min-vram': { arg: 'BYTES', default: '0', description: 'minimum GPU memory to run the model (default 0)', type: 'string' },
    sha256: { arg: 'HEX', description: 'model id (SHA-256 of the file) when --file is not given', type: 'string' },
    size: { arg: 'BYTES', description: 'file size in bytes when --file is not given', type: 'string' },
    source: { arg: 'URL', description: 'download URL of the file', multiple: true, type: 'string' },
    timeout: { arg: 'SECONDS', default: '600', description: 'bound of --wait (default 600)', type: 'string' },
    wait: { description: 'follow placement events until the model is stored', type: 'boolean' },
    'wait-stored': { arg: 'N', default: '1', description: 'with --wait: number of ModelStored events to wait for (default 1)', type: 'string' }
  },
  synopsis: '(--file FILE | --sha256 HEX --size BYTES) --source URL [--source URL]... [--min-vram BYTES] [--wait]'
};

runMain(spec.name, async () => {
  const { values } = parseCli(spec);
  let model;
  let size;

  if (values.file) {
    if (values.sha256 || values.size) {
      throw new UsageError('give either --file or --sha256 with --size, not both');
    }

    ({ sha256: model, size } = await sha256File(values.file));
    size = BigInt(size);
    console.log(`hashed ${values.file}: ${model} (${formatBytes(size)})`);
  } else if (values.sha256 && values.size) {
    model = parseModelId(values.sha256);
    size = parseBytes(values.size);
  } else {
    throw new UsageError('give --file, or --sha256 and --size');
  }

  const sources = parseSources(values.source);

  const minVram = parseBytes(values['min-vram']);
  const api = await connect(values.url);

  try {
    requirePallet(api);

    const signer = signerFrom(values.suri);
    const log = values.wait ? await new EventLog(api).start() : null;
    const tx = api.tx[PALLET].registerModel(model, size, sources, minVram);
    const { blockNumber, events } = await signAndWait(api, tx, signer);

    console.log(`registered ${model} in block #${blockNumber}`);

    for (const { event } of events) {
      if (event.section === PALLET) {
        console.log(`  ${event.method} ${JSON.stringify(eventHuman(event))}`);
      }
    }

    if (!log) {
      return 0;
    }

    const want = Number(values['wait-stored']);
    const forModel = (d) => sameValue(field(d, 'model', 'modelId', 'id'), model);
    const unsub = log.onRecord((r) => {
      if (r.event.section === PALLET && WATCHED.includes(r.event.method) && forModel(r.data)) {
        console.log(formatEvent(r));
      }
    });

    for (const r of log.records) {
      if (r.event.section === PALLET && WATCHED.includes(r.event.method) && forModel(r.data) && r.blockNumber !== blockNumber) {
        console.log(formatEvent(r));
      }
    }

    try {
      await log.waitFor(PALLET, 'ModelStored', forModel, Number(values.timeout) * 1000, { count: want });
      console.log(`stored on ${want} node(s)`);
    } finally {
      unsub();
      log.stop();
    }

    return 0;
  } finally {
    await api.disconnect();
  }
});
