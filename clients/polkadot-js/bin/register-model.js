#!/usr/bin/env node
// Register a model by content hash, size, source URLs, minimum VRAM and piece leaf hashes; optionally
// wait until stored.
import { readFile } from 'node:fs/promises';

import {
  callDocument, chainLimits, checkSourceLimits, checkSourceSizes, connect, eventData, EventLog, eventHuman, eventsJson, field, formatBytes, formatEvent, MAX_TIMEOUT_SECONDS,
  formatExecutor, MAX_PIECES, merkleRoot, Output, parseByteCount, parseCli, parseExecutor, parseModelId, parsePieces, parseSources, parseUint, PALLET, pieceCount,
  pieceManifest, pieceSize, placementVerdict, requirePallet, runMain, sameValue, signAndWait, signerReady, UsageError
} from '../lib/index.js';

const WATCHED = ['DownloadNominated', 'ModelStored', 'NominationDeclined', 'NominationExpired', 'ModelLost', 'ModelEvicted', 'ReplicationTargetChanged', 'ModelSourcesFailing', 'ModelSourcesUpdated'];

const spec = {
  description: 'Register a model (modelRegistry.register_model). The model id is the SHA-256 of the file:\ngive the file (--file, hashed locally by streaming) or its --sha256 and --size. A model is\nregistered with the leaf hash of each of its pieces: computed from --file in the same pass, or\nread from --pieces (the file written by hash-model --pieces-out). Storage nodes\nare nominated at once and fetch its pieces in parallel from the --source URLs (HTTP(S), Range\nrequests) and from each other, checking every piece against its leaf.\nThe signer pays the model deposit and owns the model (may deregister it).\n--executor says how the model\'s tasks run: spot-check (the default: a digest of the task\ninput and of the whole file, or of 1 GiB read at 256 places of a larger one; any file), mlp (the nodes\' built-in engine for\nsafetensors feed-forward networks, see make-mlp-model) or external:NAME (a program the node\noperators configure as --model-executor NAME=PROGRAM; nodes without it decline the model).\nWith --wait, follows the model\'s placement events until --wait-stored nodes confirmed it; it\nstops early (exit 1) on ModelSourcesFailing, or when every nomination so far was declined or\nexpired and none is pending.\nBefore sending, every --source is asked with HEAD (redirects followed, 5s each): a\nContent-Length other than the size is a usage error; an unreachable source or one without\nContent-Length is a warning (--no-check-sources skips this). The size and URLs are checked\nagainst the chain\'s MaxModelSize, MaxSources and MaxUrlLen too.',
  examples: [
    'register-model --file ./model.bin --source http://127.0.0.1:8000/model.bin --min-vram 8GiB --wait',
    'register-model --file ./mlp.safetensors --executor mlp --source http://127.0.0.1:8000/mlp.safetensors --wait',
    'register-model --sha256 0xabc... --size 4294967296 --pieces m.pieces --source https://example.org/m.bin --source https://mirror.example.org/m.bin'
  ],
  name: 'register-model',
  options: {
    executor: { arg: 'KIND', default: 'spot-check', description: 'how tasks run: spot-check, mlp or external:NAME (default spot-check)', type: 'string' },
    file: { arg: 'FILE', description: 'model file to hash for the id and size', type: 'string' },
    'min-vram': { arg: 'BYTES', default: '0', description: 'minimum GPU memory to run the model (default 0)', type: 'string' },
    'no-check-sources': { description: 'do not HEAD the --source URLs to compare their Content-Length with the size', type: 'boolean' },
    pieces: { arg: 'FILE', description: 'with --sha256 and --size: the piece leaf hashes (hash-model --pieces-out)', type: 'string' },
    sha256: { arg: 'HEX', description: 'model id (SHA-256 of the file) when --file is not given', type: 'string' },
    size: { arg: 'BYTES', description: 'file size in bytes when --file is not given', type: 'string' },
    source: { arg: 'URL', description: 'download URL of the file', multiple: true, type: 'string' },
    timeout: { arg: 'SECONDS', default: '600', description: 'bound of --wait in seconds (default 600)', type: 'string' },
    wait: { description: 'follow placement events until the model is stored', type: 'boolean' },
    'wait-stored': { arg: 'N', default: '1', description: 'with --wait: number of ModelStored events to wait for (default 1)', type: 'string' }
  },
  positionals: false,
  synopsis: '(--file FILE | --sha256 HEX --size BYTES --pieces FILE) --source URL [--source URL]... [--min-vram BYTES] [--executor KIND] [--no-check-sources] [--wait] [--json]'
};

/**
 * The leaf hashes of a piece file, checked against the size: one 32-byte hex hash per line,
 * exactly pieceCount(size) of them. Any problem is a usage error.
 *
 * @param {string} path
 * @param {bigint} size
 */
async function readPieces (path, size) {
  const expected = pieceCount(size);

  if (expected > MAX_PIECES) {
    throw new UsageError(`--size ${size} makes ${expected} pieces of ${formatBytes(pieceSize(size))}; a model has at most ${MAX_PIECES}`);
  }

  let text;

  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new UsageError(`--pieces ${path}: ${e.message}`);
  }

  try {
    return parsePieces(text, { expected });
  } catch (e) {
    throw new UsageError(`--pieces ${path}: ${e.message}`);
  }
}

runMain(spec.name, async () => {
  const { values } = parseCli(spec);
  const out = new Output(values);
  let model;
  let size;
  let pieces;

  if (values.file) {
    if (values.sha256 || values.size || values.pieces) {
      throw new UsageError('give either --file or --sha256 with --size and --pieces, not both');
    }
  } else if (values.sha256 && values.size) {
    model = parseModelId(values.sha256);
    size = parseByteCount('--size', values.size, { min: 1n });

    if (!values.pieces) {
      throw new UsageError('--sha256 and --size need --pieces FILE (the leaf hashes written by hash-model --pieces-out)');
    }

    pieces = await readPieces(values.pieces, size);
  } else {
    throw new UsageError('give --file, or --sha256 and --size with --pieces');
  }

  const sources = parseSources(values.source);
  const minVram = parseByteCount('--min-vram', values['min-vram']);
  const executor = parseExecutor(values.executor);
  const timeoutSec = parseUint('--timeout', values.timeout, { max: MAX_TIMEOUT_SECONDS, min: 1 });
  const want = parseUint('--wait-stored', values['wait-stored'], { min: 1 });
  const signer = await signerReady(values.suri);

  if (values.file) {
    ({ pieces, sha256: model, size } = await pieceManifest(values.file));
    size = BigInt(size);
    out.line(`hashed ${values.file}: ${model} (${formatBytes(size)}, ${pieces.length} pieces of ${formatBytes(pieceSize(size))})`);

    if (size === 0n) {
      throw new UsageError(`${values.file} is empty: a model has at least one byte`);
    }

    if (pieces.length > MAX_PIECES) {
      throw new UsageError(`${values.file} has ${pieces.length} pieces; a model has at most ${MAX_PIECES}`);
    }
  }

  const root = merkleRoot(pieces);
  const warnings = [];

  if (!values['no-check-sources']) {
    const { mismatches, warnings: found } = await checkSourceSizes(sources, size);

    if (mismatches.length) {
      throw new UsageError(mismatches.map((m) => `--source ${m.url}: Content-Length ${m.contentLength} differs from the model's size ${m.size}`).join('\n'));
    }

    for (const w of found) {
      warnings.push(w);
      out.warn(`warning: --source ${w.url}: ${w.message}`);
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
    const tx = api.tx[PALLET].registerModel(model, size, sources, minVram, pieces, executor);
    const res = await signAndWait(api, tx, signer);
    const { blockNumber, events } = res;
    const registered = events.find(({ event }) => event.section === PALLET && event.method === 'ModelRegistered');
    const chainRoot = registered ? field(eventData(registered.event), 'pieceRoot') : undefined;
    const pieceRoot = chainRoot === undefined || chainRoot === null ? root : String(chainRoot);

    if (!sameValue(pieceRoot, root)) {
      out.warn(`the chain's piece root ${pieceRoot} differs from the one computed here (${root})`);
    }

    const doc = callDocument(`${PALLET}.registerModel`, signer, res, {
      executor: formatExecutor(executor), minVramBytes: minVram, model, pieceCount: pieces.length, pieceRoot, pieceSize: pieceSize(size), sizeBytes: size, sources, warnings
    });

    out.line(`registered ${model} in block #${blockNumber} (executor ${formatExecutor(executor)})`);
    out.line(`  piece root ${pieceRoot} (${pieces.length} pieces of ${formatBytes(pieceSize(size))})`);

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
    const mine = (r) => !r.retracted && r.event.section === PALLET && forModel(r.data);
    const followed = [];
    const show = (r) => {
      followed.push(r);
      out.line(formatEvent(r));
    };
    // Judged once the events of a whole block are in (a decline and the nomination of another
    // node that it triggers come in the same block).
    let judge = () => {};
    let scheduled = false;
    const schedule = () => {
      if (!scheduled) {
        scheduled = true;
        setImmediate(() => {
          scheduled = false;
          judge();
        });
      }
    };
    const unsub = log.onRecord((r) => {
      if (mine(r)) {
        if (WATCHED.includes(r.event.method)) {
          show(r);
        }

        schedule();
      }
    });

    for (const r of log.records) {
      if (mine(r) && WATCHED.includes(r.event.method) && r.blockNumber !== blockNumber) {
        show(r);
      }
    }

    let verdict;

    try {
      verdict = await new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          const v = placementVerdict(log.records.filter(mine).map((r) => ({ data: r.data, method: r.event.method })), { want });

          reject(new Error(`timed out after ${timeoutSec}s waiting for ${want > 1 ? `${want}x ` : ''}${PALLET}.ModelStored (${v.message})`));
        }, timeoutSec * 1000);

        judge = () => {
          const v = placementVerdict(log.records.filter(mine).map((r) => ({ data: r.data, method: r.event.method })), { want });

          if (v.outcome !== 'waiting') {
            clearTimeout(timer);
            resolve(v);
          }
        };
        judge();
      });
    } finally {
      unsub();
      log.stop();
    }

    out.result({
      ...doc,
      followed: followed.map((r) => ({ block: r.blockNumber, ...eventsJson([r])[0] })),
      nominations: verdict.nodes,
      result: verdict.outcome,
      ...(verdict.outcome === 'stored' ? {} : { reason: verdict.message }),
      storedOn: verdict.stored
    }, verdict.outcome === 'stored' ? `stored on ${verdict.stored.length} node(s)` : undefined);

    if (verdict.outcome !== 'stored') {
      throw new Error(`stopped waiting: ${verdict.message}`);
    }

    return 0;
  } finally {
    await api.disconnect();
  }
});
