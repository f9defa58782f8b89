// End to end on a real multi-node network (test/support/network.js): models fetched piece by
// piece from holders, other nominees and the registered source. Every process serves the pieces
// it verified at its `--model-public-url` and has a Prometheus endpoint. One network is shared
// by the scenarios of this file, in order:
//
//   a. every node declares its serving endpoint on chain (nodeEndpoints = its --model-public-url);
//   b. a model nominated to several nodes at once is confirmed by all of them while the source
//      serves little more than one copy: the nominees fetch most pieces from each other;
//   c. the source is stopped; a holder loses its copy; the refill completes from holders alone;
//   d. a node serving corrupted pieces (--model-serve-corrupt) does not stop the others: they
//      detect its bad pieces (modelnet_bad_pieces_total, a warn line naming it), fetch those
//      pieces elsewhere and confirm; the source is not blamed;
//   e. a node fetching from a rate-limited source alone is SIGKILLed half way and restarted on
//      the same base path: it completes without fetching its verified pieces again.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe } from 'node:test';

import {
  enumName, eventData, formatEvent, PALLET, pieceManifestOf, runtimeApi, sameValue, sha256File, signAndWait, signerFrom
} from '../../lib/index.js';
import { NODE_BINARY, runScript, SKIP, until } from '../support/e2e.js';
import { pseudoRandomBytes, sha256Hex } from '../support/fixtures.js';
import { ModelServer } from '../support/model-server.js';
import { counterIncrease, LocalNetwork, modelLabel, USER_SURI } from '../support/network.js';
import { NetworkSuite, networkReport, setNetworkParams } from '../support/network-suite.js';

const MIB = 1024 * 1024;
/** Storage nodes besides the three validators (`MODELNET_E2E_SWARM_STORAGE_NODES`, 2 to 8; default 4). */
const STORAGE = Number(process.env.MODELNET_E2E_SWARM_STORAGE_NODES || 4);
/**
 * Copies of a model, all nominated at registration. Equal to the number of storage nodes, so
 * that a model only storage nodes can run (BIG_VRAM) is nominated to every one of them.
 */
const COPIES = STORAGE;
/** VRAM a model needs so that only storage nodes (80 GiB declared; validators 24 GiB) qualify. */
const BIG_VRAM = 48n * 1024n ** 3n;
/** The source's uplink in scenarios b-d (bytes/s, all requests together). */
const SOURCE_RATE = 16 * MIB;
/** The source's uplink in scenario e: slow enough to stop a download half way. */
const SLOW_SOURCE_RATE = 2 * MIB;
/** Model sizes: several 4 MiB pieces each, the last one short. */
const SIZES = { corrupt: 28 * MIB + 7, resume: 40 * MIB + 3, swarm: 36 * MIB + 123 };
const RECEIVED = 'modelnet_model_bytes_received_total';
const SERVED = 'modelnet_model_bytes_served_total';
const BAD = 'modelnet_bad_pieces_total';
/** Decline reasons that blame the sources (count towards ModelSourcesFailing). */
const SOURCE_FAULTS = ['HashMismatch', 'SizeMismatch', 'SourceUnavailable'];

/**
 * Parameters: every model gets COPIES nominations at once and keeps them (no scale-down within
 * the run: a long demand window, min = max = initial); one executor per task (no tasks here).
 */
const PARAMS = {
  demand_window: 600,
  download_deadline: 40,
  executors_per_task: 1,
  headroom_percent: 100,
  initial_replicas: COPIES,
  low_watermark: COPIES - 1,
  max_replicas: COPIES,
  min_replicas: COPIES,
  qos_kick_threshold: 0,
  refill_batch: 1,
  tasks_per_replica: 100
};
/** Scenario e: one copy only, so the one nominee has nobody but the source to fetch from. */
const ONE_COPY = { executors_per_task: 1, initial_replicas: 1, low_watermark: 0, max_replicas: 1, min_replicas: 1, refill_batch: 1 };

if (!SKIP && !(STORAGE >= 2 && STORAGE <= 8)) {
  throw new Error(`MODELNET_E2E_SWARM_STORAGE_NODES: 2..8, got ${process.env.MODELNET_E2E_SWARM_STORAGE_NODES}`);
}

const script = runScript;

describe(`pieces fetched from peers on a network of 3 validators and ${STORAGE} storage nodes`, { skip: SKIP }, () => {
  /** @type {LocalNetwork} */
  let net;
  /** @type {ModelServer} */
  let server;
  const suite = new NetworkSuite('swarm');
  let blockMs = 6_000;
  let user;
  let dataDir;
  const models = {};

  /** Milliseconds for `n` blocks, with slack for slow debug nodes. */
  const blocks = (n) => n * blockMs * 1.5 + 20_000;
  const hex = (a) => net.api.createType('AccountId', a).toHex();
  const forModel = (model) => (d) => sameValue(d.model, model);
  const names = (nodes) => nodes.map((n) => n.name).join(', ');

  function makeModel (name, minVram = 0n) {
    const data = pseudoRandomBytes(`e2e-swarm-${name}`, SIZES[name]);
    const file = join(dataDir, `${name}.bin`);

    writeFileSync(file, data);

    const path = `/${name}.bin`;
    const { pieceSize, pieces, root } = pieceManifestOf(data);

    models[name] = { file, id: sha256Hex(data), minVram, name, path, pieceSize, pieces, root, size: data.length, url: server.add(path, data) };

    return models[name];
  }

  /** Register as the user; returns the ModelRegistered event's data. */
  async function register (m) {
    const { events } = await signAndWait(net.api, net.api.tx[PALLET].registerModel(m.id, m.size, [m.url], m.minVram, m.pieces, 'SpotCheck'), user);
    const registered = events.find(({ event }) => event.section === PALLET && event.method === 'ModelRegistered');

    assert.ok(registered, `ModelRegistered for ${m.name}`);

    const data = eventData(registered.event);

    assert.ok(data.pieceRoot, `ModelRegistered for ${m.name} carries a piece root`);

    return { ...data, pieceRoot: String(data.pieceRoot).toLowerCase() };
  }

  /** `modelStatus` as JSON, holders as hex account ids. */
  async function modelStatus (model) {
    const status = await runtimeApi(net.api).modelStatus(model);

    assert.ok(status.isSome, `modelStatus(${model}) is Some`);

    const json = status.unwrap().toJSON();

    return { ...json, holders: json.holders.map(hex) };
  }

  /** The model's `Models` record as JSON (sourceFailures, ...). */
  async function modelRecord (model) {
    const v = await net.api.query[PALLET].models(model);

    assert.ok(v.isSome, `models(${model}) is Some`);

    return v.unwrap().toJSON();
  }

  /** Check that a node's stored copy has the registered SHA-256 and size. */
  async function assertCopy (node, m) {
    assert.ok(node.hasModel(m.id), `${node.name} has ${m.name} in its store`);

    const { sha256, size } = await sha256File(node.modelPath(m.id));

    assert.equal(sha256, m.id, `${node.name}'s copy of ${m.name} has the registered SHA-256`);
    assert.equal(size, m.size, `${node.name}'s copy of ${m.name} has the registered size`);
  }

  /** A metric of a node for a model (labels besides `model` optional). */
  const metric = (node, name, m, labels = {}) => node.metric(name, { ...(m ? { model: modelLabel(m.id) } : {}), ...labels });

  /** Records of an event since a position of the log. */
  const since = (mark, method, filter) => net.log.since(mark, PALLET, method, filter);

  /** Set registry parameters through sudo (fields not given keep their value). */
  const setParams = (overrides) => setNetworkParams(net, overrides);

  /** Wrap a scenario: time it; on failure add the recent events and each node's log tail. */
  function scenario (title, fn) {
    suite.scenario(title, fn, () => `\n--- source: ${JSON.stringify(server?.bytesByPath() ?? {})} bytes served per path ---` +
      networkReport(net, (n) => (n.serveCorrupt ? ['serves corrupt pieces'] : [])));
  }

  before(async () => {
    const started = Date.now();

    dataDir = mkdtempSync(join(tmpdir(), 'modelnet-e2e-swarm-data-'));
    server = await new ModelServer({ rateLimit: SOURCE_RATE }).start();
    net = new LocalNetwork({ binary: NODE_BINARY, name: 'e2e-swarm', storage: STORAGE });

    await suite.start(net, PARAMS);

    const minPeriod = net.api.consts.timestamp?.minimumPeriod?.toNumber?.();

    blockMs = minPeriod ? minPeriod * 2 : 6_000;
    user = signerFrom(USER_SURI);
    suite.timed('network start and set-up', started);
  });

  after(() => suite.finish(net, async () => {
    await server?.close();

    if (dataDir) {
      rmSync(dataDir, { force: true, recursive: true });
    }
  }));

  scenario('a. every node declares on chain the endpoint it serves pieces at', async () => {
    const found = await net.waitForEndpoints(blocks(10));

    for (const n of net.nodes) {
      assert.equal(found[n.name], n.publicUrl, `${n.name}'s nodeEndpoints entry is its --model-public-url`);
    }

    const storage = net.storageNodes[0];
    const listing = JSON.parse((await script('list-nodes.js', ['--json', '--per-page', '100', '--url', net.nodes[0].url])).stdout);

    for (const n of net.nodes) {
      const row = listing.nodes.find((r) => hex(r.account) === n.accountHex);

      assert.ok(row, `list-nodes lists ${n.name}`);
      assert.equal(row.endpoint, n.publicUrl, `list-nodes shows ${n.name}'s endpoint`);
    }

    const status = JSON.parse((await script('status.js', ['node', storage.address, '--json', '--url', net.nodes[0].url])).stdout);

    assert.equal(status.endpoint, storage.publicUrl, `status node shows ${storage.name}'s endpoint`);
  });

  scenario(`b. a model nominated to ${COPIES} nodes at once is confirmed by all; the source serves little more than one copy`, async () => {
    const m = makeModel('swarm');
    const serverMark = server.mark();
    const registered = await register(m);

    assert.equal(registered.pieceRoot, m.root, 'ModelRegistered carries the Merkle root of the leaves');

    const nominated = await net.log.waitFor(PALLET, 'DownloadNominated', forModel(m.id), blocks(5), { count: COPIES });
    const stored = await net.log.waitFor(PALLET, 'ModelStored', forModel(m.id), blocks(PARAMS.download_deadline), {
      count: COPIES,
      failOn: [
        { filter: forModel(m.id), method: 'NominationDeclined', section: PALLET },
        { filter: forModel(m.id), method: 'NominationExpired', section: PALLET }
      ]
    });
    const nominees = nominated.map((r) => net.nodeOf(r.data.node));
    const storers = stored.map((r) => net.nodeOf(r.data.node));

    assert.equal(new Set(nominees).size, COPIES, `${COPIES} distinct nominees at once: ${names(nominees)}`);
    assert.deepEqual(new Set(storers), new Set(nominees), 'every nominee confirmed');

    for (const n of storers) {
      await assertCopy(n, m);
    }

    const pieces = await net.api.query[PALLET].modelPieces(m.id);

    assert.ok(pieces.isSome, 'modelPieces has the manifest');
    assert.equal(pieces.unwrap().toJSON().root, m.root, 'modelPieces.root is the Merkle root of the leaves');
    assert.equal(pieces.unwrap().toJSON().pieces.length, m.pieces.length, 'modelPieces holds every leaf');

    // Bound: one whole copy from the source (each piece fetched there by the nominee whose share
    // it is), plus half a copy of slack for pieces two nominees asked the source for at the same
    // time, plus one piece per node (a piece in flight when a peer offered it first).
    const served = server.bytesServed(m.path, { since: serverMark });
    const bound = 1.5 * m.size + COPIES * m.pieceSize;

    assert.ok(served <= bound, `the source served ${served} bytes for ${COPIES} copies of ${m.size}; at most 1.5 x size + ${COPIES} pieces = ${bound}`);
    assert.ok(served < COPIES * m.size, `the source served fewer bytes (${served}) than ${COPIES} copies (${COPIES * m.size})`);

    let fromPeers = 0;
    let servedByNodes = 0;

    for (const n of storers) {
      const kinds = {};

      for (const kind of ['source', 'holder', 'nominee']) {
        kinds[kind] = await metric(n, RECEIVED, m, { kind });
      }

      fromPeers += kinds.holder + kinds.nominee;
      assert.ok(kinds.source + kinds.holder + kinds.nominee >= m.size, `${n.name} received at least one copy in all: ${JSON.stringify(kinds)}`);
    }

    for (const n of net.nodes) {
      servedByNodes += await metric(n, SERVED, m);
    }

    assert.ok(fromPeers > 0, `the nominees received pieces from each other or from holders (${RECEIVED}{kind="nominee"|"holder"} summed: ${fromPeers})`);
    assert.ok(servedByNodes > 0, `the nodes served pieces of the model (${SERVED} summed: ${servedByNodes})`);
    m.holders = storers;
  });

  scenario('c. with the source stopped, a lost copy is replaced from holders alone', async () => {
    const m = models.swarm;

    assert.ok(m?.holders, 'needs scenario b');

    await server.stop();

    try {
      const status = await modelStatus(m.id);
      const holders = status.holders.map((h) => net.nodeOf(h));
      // Never node 0: the test reads the chain through it.
      const victim = holders.find((n) => !n.validator) ?? holders.find((n) => n.index !== 0);
      const sourceBefore = {};

      for (const n of net.nodes) {
        sourceBefore[n.name] = await metric(n, RECEIVED, m, { kind: 'source' });
      }

      const mark = net.log.mark();

      // The holder reports the loss from its own process, then its copy is deleted.
      await signAndWait(victim.api, victim.api.tx[PALLET].reportLost(m.id), victim.pair);
      await net.log.waitFor(PALLET, 'ModelLost', (d) => sameValue(d.model, m.id) && hex(d.node) === victim.accountHex, blocks(2), { since: mark });
      victim.deleteModel(m.id);

      const [replica] = await net.log.waitFor(PALLET, 'ModelStored', forModel(m.id), blocks(PARAMS.download_deadline), {
        failOn: [
          { filter: forModel(m.id), method: 'NominationDeclined', section: PALLET },
          { filter: forModel(m.id), method: 'NominationExpired', section: PALLET }
        ],
        since: mark
      });
      const node = net.nodeOf(replica.data.node);

      assert.ok(node, 'the new holder is a process of the network');
      assert.ok(!status.holders.filter((h) => h !== victim.accountHex).includes(node.accountHex), `${node.name} did not hold the model when the copy was lost`);
      await assertCopy(node, m);
      // The victim may be nominated again: its series restarted when the chain stopped naming it.
      const fromSource = counterIncrease(sourceBefore[node.name], await metric(node, RECEIVED, m, { kind: 'source' }));

      assert.equal(fromSource, 0, `${node.name} received nothing from the (stopped) source`);
      assert.ok(await metric(node, RECEIVED, m, { kind: 'holder' }) > 0, `${node.name} received pieces from holders`);
      assert.equal((await modelStatus(m.id)).holders.length, COPIES, `${COPIES} holders again`);
    } finally {
      await server.restart();
    }
  });

  scenario('d. a node serving corrupted pieces: the others detect it, fetch elsewhere and confirm; the source is not blamed', async () => {
    // A storage node (a model needing BIG_VRAM is nominated to every storage node, this one too).
    const liar = net.storageNodes[net.storageNodes.length - 1];
    const honest = net.storageNodes.filter((n) => n !== liar);

    try {
      await liar.restart({ serveCorrupt: true });
      await net.waitForSync(liar);
      assert.ok(liar.proc.args.includes('--model-serve-corrupt'), `${liar.name} runs with --model-serve-corrupt`);

      const badBefore = {};

      for (const n of honest) {
        badBefore[n.name] = await metric(n, BAD);
      }

      const m = makeModel('corrupt', BIG_VRAM);
      const mark = net.log.mark();

      await register(m);

      const nominated = await net.log.waitFor(PALLET, 'DownloadNominated', forModel(m.id), blocks(5), { count: STORAGE, since: mark });

      assert.ok(nominated.some((r) => hex(r.data.node) === liar.accountHex), `${liar.name} (the liar) is among the nominees`);

      const honestIds = honest.map((n) => n.accountHex);
      const stored = await net.log.waitFor(PALLET, 'ModelStored', (d) => sameValue(d.model, m.id) && honestIds.includes(hex(d.node)), blocks(PARAMS.download_deadline), {
        count: honest.length,
        failOn: [{ filter: (d) => sameValue(d.model, m.id) && honestIds.includes(hex(d.node)), method: 'NominationExpired', section: PALLET }],
        since: mark
      });

      assert.deepEqual(new Set(stored.map((r) => hex(r.data.node))), new Set(honestIds), `every honest nominee confirmed: ${names(honest)}`);

      for (const n of honest) {
        await assertCopy(n, m);
      }

      // Which peers a downloader asks depends on timing (holders first, then nominees that
      // have a piece, the source for its share or after a stall), so the liar may serve
      // nothing. The property: every piece the liar served was caught — if it served bytes,
      // a downloader counted bad pieces and logged a warning naming it.
      const liarServed = await metric(liar, SERVED, m);
      const badSeen = {};

      for (const n of honest) {
        badSeen[n.name] = (await metric(n, BAD)) - badBefore[n.name];
      }

      const naming = [`127.0.0.1:${liar.ports.model}`, liar.address, liar.accountHex.slice(2), liar.peerId];
      const warned = honest.filter((n) => n.logLines(/WARN/i).some((l) => naming.some((x) => l.includes(x))));
      const caught = Object.values(badSeen).some((v) => v > 0) && warned.length > 0;

      assert.ok(liarServed === 0 || caught, `${liar.name} served ${liarServed} corrupted bytes; a downloader must count bad pieces (${BAD} increase: ${JSON.stringify(badSeen)}) and log a warning naming it (${naming.join(' or ')}; ${warned.length} did)`);

      const blamed = since(mark, 'NominationDeclined', (d) => sameValue(d.model, m.id) && SOURCE_FAULTS.includes(enumName(d.reason)));

      assert.deepEqual(blamed.map(formatEvent), [], 'no nomination declined for a source fault (hash or size mismatch, source unavailable)');
      assert.equal(Number((await modelRecord(m.id)).sourceFailures), 0, 'the model\'s source_failures stays 0');
      assert.equal(since(mark, 'ModelSourcesFailing', forModel(m.id)).length, 0, 'no ModelSourcesFailing');
    } finally {
      await liar.restart({ serveCorrupt: false });
      await net.waitForSync(liar);
    }
  });

  scenario('e. a download from a slow source alone, killed half way, resumes without fetching verified pieces again', async () => {
    await setParams(ONE_COPY);

    try {
      server.setRateLimit(SLOW_SOURCE_RATE);

      const m = makeModel('resume', BIG_VRAM);
      const mark = net.log.mark();
      const serverMark = server.mark();

      await register(m);

      const [nomination] = await net.log.waitFor(PALLET, 'DownloadNominated', forModel(m.id), blocks(5), { since: mark });
      const node = net.nodeOf(nomination.data.node);

      assert.ok(node && !node.validator, `a storage node is nominated (${node?.name})`);

      // Half the file has left the source: SIGKILL the node (nothing flushed, no clean shutdown).
      await until(`half of ${m.name} served to ${node.name}`, () => server.bytesServed(m.path, { since: serverMark }) >= m.size / 2, blocks(10), 100);

      const exit = await node.kill();
      const servedAtKill = server.bytesServed(m.path, { since: serverMark });
      // Requests from here on are the restarted node's (those cut by the kill are before it).
      const restartMark = server.mark();
      const resumedLine = new RegExp(`resuming model ${m.id.replace(/^0x/, '').slice(0, 16)}: (\\d+) of (\\d+) pieces already verified`);
      const resumedBefore = node.logLines(resumedLine).length;

      assert.equal(exit.signal, 'SIGKILL', `${node.name} was killed`);
      assert.ok(servedAtKill < m.size, `killed before the whole file was served (${servedAtKill} of ${m.size})`);

      await node.start();
      await net.waitForSync(node);

      const [stored] = await net.log.waitFor(PALLET, 'ModelStored', forModel(m.id), blocks(PARAMS.download_deadline), {
        failOn: [
          { filter: forModel(m.id), method: 'NominationDeclined', section: PALLET },
          { filter: forModel(m.id), method: 'NominationExpired', section: PALLET }
        ],
        since: mark
      });

      assert.equal(hex(stored.data.node), node.accountHex, `${node.name} confirmed after its restart`);
      assert.equal(since(mark, 'DownloadNominated', forModel(m.id)).length, 1, 'nobody else was nominated: the source was the only place to fetch from');
      await assertCopy(node, m);

      // The restarted node says how many pieces it found verified on disk; it must fetch only the
      // others. Pieces in flight at the kill were not verified, so fetching them again is fine;
      // their number depends on timing, hence the bound is taken from the node's own count.
      const resumed = node.logLines(resumedLine).slice(resumedBefore);

      assert.ok(resumed.length >= 1, `${node.name} logged that it resumed ${m.name} after the restart`);

      const [, done, total] = resumed[0].match(resumedLine).map(Number);
      const lastPiece = m.size - (total - 1) * m.pieceSize;
      // The fewest bytes `done` verified pieces can hold (the short last piece may be one of them).
      const verifiedBytes = done === 0 ? 0 : (done - 1) * m.pieceSize + Math.min(lastPiece, m.pieceSize);
      const servedAfter = server.bytesServed(m.path, { since: restartMark });

      assert.equal(total, m.pieces.length, 'the resumed download has the manifest\'s piece count');
      assert.ok(done >= 1, `${node.name} found verified pieces on disk after the kill (${servedAtKill} bytes had been served)`);
      assert.ok(servedAfter <= m.size - verifiedBytes,
        `after the restart the source served ${servedAfter} bytes; ${done} of ${total} pieces were verified before the kill, so at most ${m.size - verifiedBytes} were still missing`);
    } finally {
      server.setRateLimit(SOURCE_RATE);
      await setParams(PARAMS);
    }
  });
});
