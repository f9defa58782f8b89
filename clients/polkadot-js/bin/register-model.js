#!/usr/bin/env node
// Register a model by content hash, size, source URLs and minimum VRAM; optionally wait until stored.
import {
  callDocument, chainLimits, checkSourceLimits, connect, EventLog, eventHuman, eventsJson, field, formatBytes, formatEvent, MAX_TIMEOUT_SECONDS,
  Output, parseByteCount, parseCli, parseModelId, parseSources, parseUint, PALLET, requirePallet, runMain, sameValue, sha256File,
  signAndWait, signerReady, UsageError
} from '../lib/index.js';

const WATCHED = ['DownloadNominated', 'ModelStored', 'NominationDeclined', 'NominationExpired', 'ModelLost', 'ModelEvicted', 'ReplicationTargetChanged', 'ModelSourcesFailing'];

const spec = {
  description: 'Register a model (modelRegistry.register_model). The model id is the SHA-256 of the file:\ngive the file (--file, hashed locally by streaming) or its --sha256 and --size. Storage nodes\nare nominated at once and download from the --source URLs (HTTP(S), Range requests for resume).\nThe signer pays the model deposit and owns the model (may deregister it).\nWith --wait, follows the model\'s placement events until --wait-stored nodes confirmed it.\nThe size and URLs are checked against the chain\'s MaxModelSize, MaxSources and MaxUrlLen\nbefore sending.',
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
    timeout: { arg: 'SECONDS', default: '600', description: 'bound of --wait in seconds (default 600)', type: 'string' },
    wait: { description: 'follow placement events until the model is stored', type: 'boolean' },
    'wait-stored': { arg: 'N', default: '1', description: 'with --wait: number of ModelStored events to wait for (default 1)', type: 'string' }
  },
  positionals: false,
  synopsis: '(--file FILE | --sha256 HEX --size BYTES) --source URL [--source URL]... [--min-vram BYTES] [--wait] [--json]'
};

runMain(spec.name, async () => {
  const { values } = parseCli(spec);
  const out = new Output(values);
  let model;
  let size;

  if (values.file) {
    if (values.sha256 || values.size) {
      throw new UsageError('give either --file or --sha256 with --size, not both');
    }
  } else if (values.sha256 && values.size) {
    model = parseModelId(values.sha256);
    size = parseByteCount('--size', values.size, { min: 1n });
  } else {
    throw new UsageError('give --file, or --sha256 and --size');
  }

  const sources = parseSources(values.source);
  const minVram = parseByteCount('--min-vram', values['min-vram']);
  const timeoutSec = parseUint('--timeout', values.timeout, { max: MAX_TIMEOUT_SECONDS, min: 1 });
  const want = parseUint('--wait-stored', values['wait-stored'], { min: 1 });
  const signer = await signerReady(values.suri);

  if (values.file) {
    ({ sha256: model, size } = await sha256File(values.file));
    size = BigInt(size);
    out.line(`hashed ${values.file}: ${model} (${formatBytes(size)})`);

    if (size === 0n) {
      throw new UsageError(`${values.file} is empty: a model has at least one byte`);
    }
  }

  const api = await connect(values.url);

  try {
    requirePallet(api);

    const limits = chainLimits(api);

    checkSourceLimits(sources, limits);

    if (limits.maxModelSize !== undefined && size > limits.maxModelSize) {
      throw new UsageError(`the model is ${size} bytes (${formatBytes(size)}); the chain takes at most ${limits.maxModelSize} (MaxModelSize)`);
    }

    const log = values.wait ? await new EventLog(api).start() : null;
    const tx = api.tx[PALLET].registerModel(model, size, sources, minVram);
    const res = await signAndWait(api, tx, signer);
    const { blockNumber, events } = res;
    const doc = callDocument(`${PALLET}.registerModel`, signer, res, { minVramBytes: minVram, model, sizeBytes: size, sources });

    out.line(`registered ${model} in block #${blockNumber}`);

    for (const { event } of events) {
      if (event.section === PALLET) {
        out.line(`  ${event.method} ${JSON.stringify(eventHuman(event))}`);
      }
    }

    if (!log) {
      out.result(doc);

      return 0;
    }

    const forModel = (d) => sameValue(field(d, 'model', 'modelId', 'id'), model);
    const followed = [];
    const show = (r) => {
      followed.push(r);
      out.line(formatEvent(r));
    };
    const unsub = log.onRecord((r) => {
      if (r.event.section === PALLET && WATCHED.includes(r.event.method) && forModel(r.data)) {
        show(r);
      }
    });

    for (const r of log.records) {
      if (r.event.section === PALLET && WATCHED.includes(r.event.method) && forModel(r.data) && r.blockNumber !== blockNumber) {
        show(r);
      }
    }

    try {
      await log.waitFor(PALLET, 'ModelStored', forModel, timeoutSec * 1000, { count: want });
      out.result({
        ...doc,
        followed: followed.map((r) => ({ block: r.blockNumber, ...eventsJson([r])[0] })),
        storedOn: log.find(PALLET, 'ModelStored', forModel).map((r) => r.data.node)
      }, `stored on ${want} node(s)`);
    } finally {
      unsub();
      log.stop();
    }

    return 0;
  } finally {
    await api.disconnect();
  }
});
