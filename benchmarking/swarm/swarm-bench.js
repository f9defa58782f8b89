#!/usr/bin/env node
// Swarm benchmark: how fast a model spreads over a local network of modelnet-node processes
// when nodes fetch its pieces from each other as well as from a rate-limited source.
//
// Starts the three validators of `--chain local` and N storage nodes (the harness of
// clients/polkadot-js/test/support/network.js), an HTTP source limited to --source-rate bytes/s
// serving generated model files of --size bytes from disk, and measures:
//   (i)   one storage node alone fetching a model from the source (initial replicas 1);
//   (ii)  a model of the same size nominated to --copies storage nodes at once: bytes the source
//         served in total, time until every copy is confirmed, per-node throughput and where
//         each node's bytes came from (its Prometheus metrics);
//   (iii) the source stopped, one holder loses its copy (reports it lost; the file is deleted):
//         the time until the copy is replaced from the other holders alone.
// Prints a Markdown table and writes every figure as JSON.
import { createCipheriv, createHash } from 'node:crypto';
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import {
  formatBytes, mergeParams, Output, PALLET, parseByteCount, parseCli, parseUint, pieceManifest, readParams, runMain, sameValue,
  signAndWait, signerFrom, sudoAndWait, UsageError
} from '../../clients/polkadot-js/lib/index.js';

const MIB = 1024 ** 2;
/** A model's minimum VRAM above what validators declare (24 GiB): only storage nodes (80 GiB) are nominated. */
const BIG_VRAM = 48n * 1024n ** 3n;

const spec = {
  chain: false,
  description: `Start a local network (3 validators and --storage storage nodes, each its own modelnet-node
process from --node-bin), a source limited to --source-rate bytes/s and generated models of
--size bytes, then measure (i) one node fetching a model alone from the source, (ii) the same size
nominated to --copies nodes at once (source bytes, time to the last ModelStored, per-node
throughput, bytes by origin from each node's metrics), (iii) with the source stopped, a copy lost
by a holder replaced from the other holders. Prints a Markdown table (or, with --json, the JSON
document) and writes the JSON to --out. Only storage nodes take part (the models need more VRAM
than validators declare). Node logs at --log-filter (default info) go to --log-dir.`,
  examples: [
    'node benchmarking/swarm/swarm-bench.js --node-bin target/release/modelnet-node',
    'node benchmarking/swarm/swarm-bench.js --node-bin target/release/modelnet-node --size 4GiB --source-rate 100MiB --storage 8 --copies 8'
  ],
  name: 'swarm-bench',
  options: {
    'base-dir': { arg: 'DIR', description: 'where the nodes\' directories and the model files go (default: a new temporary directory)', type: 'string' },
    copies: { arg: 'N', description: 'nodes nominated at once in (ii) (default: --storage)', type: 'string' },
    keep: { description: 'keep the nodes\' directories and the model files', type: 'boolean' },
    'log-dir': { arg: 'DIR', description: 'node logs (default benchmarking/swarm/logs)', type: 'string' },
    'log-filter': { arg: 'FILTER', default: 'info', description: 'the nodes\' -l filter (default info: debug logs cost CPU)', type: 'string' },
    'node-bin': { arg: 'PATH', description: 'modelnet-node binary, e.g. a release build (default $MODELNET_NODE)', type: 'string' },
    out: { arg: 'FILE', description: 'JSON results (default benchmarking/swarm/results/swarm-<time>.json)', type: 'string' },
    size: { arg: 'BYTES', default: '1GiB', description: 'model size (default 1GiB)', type: 'string' },
    'source-rate': { arg: 'BYTES', default: '100MiB', description: 'the source\'s upload rate per second, all requests together (default 100MiB)', type: 'string' },
    storage: { arg: 'N', default: '8', description: 'storage nodes, 1..8 (default 8)', type: 'string' },
    timeout: { arg: 'SECONDS', default: '3600', description: 'bound of each measurement (default 3600)', type: 'string' }
  },
  positionals: false,
  synopsis: '--node-bin PATH [--storage N] [--copies N] [--size BYTES] [--source-rate BYTES] [--out FILE] [--json]'
};

/** Write `size` deterministic pseudo-random bytes (AES-256-CTR keystream of a seed) to `file`, 8 MiB at a time. */
function generateModel (file, seed, size) {
  const key = createHash('sha256').update(`modelnet-swarm-bench:${seed}`).digest();
  const cipher = createCipheriv('aes-256-ctr', key, Buffer.alloc(16));
  const zeros = Buffer.alloc(8 * MIB);
  const fd = openSync(file, 'w');

  try {
    for (let off = 0; off < size; off += zeros.length) {
      const n = Math.min(zeros.length, size - off);
      const chunk = cipher.update(zeros.subarray(0, n));

      writeSync(fd, chunk, 0, chunk.length, off);
    }
  } finally {
    closeSync(fd);
  }
}

const seconds = (ms) => Math.round(ms / 10) / 100;
const mibps = (bytes, ms) => (ms > 0 ? Math.round((bytes / MIB / (ms / 1000)) * 10) / 10 : null);
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);

  return s.length ? (s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2) : null;
};

runMain(spec.name, async () => {
  const { values } = parseCli(spec);
  const out = new Output(values);
  const binary = values['node-bin'] ?? process.env.MODELNET_NODE;

  if (!binary) {
    throw new UsageError('give --node-bin PATH (or set MODELNET_NODE)');
  }

  const storage = parseUint('--storage', values.storage, { max: 8, min: 1 });
  const copies = values.copies === undefined ? storage : parseUint('--copies', values.copies, { max: storage, min: 1 });
  const size = Number(parseByteCount('--size', values.size, { max: BigInt(Number.MAX_SAFE_INTEGER), min: 1n }));
  const rate = Number(parseByteCount('--source-rate', values['source-rate'], { max: BigInt(Number.MAX_SAFE_INTEGER), min: 1n }));
  const timeoutMs = parseUint('--timeout', values.timeout, { max: 86_400, min: 1 }) * 1000;
  const here = new URL('.', import.meta.url).pathname;
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const outFile = resolve(values.out ?? join(here, 'results', `swarm-${stamp}.json`));

  // Read by the harness when it is imported and when it starts a node.
  process.env.MODELNET_E2E_LOG_DIR = resolve(values['log-dir'] ?? join(here, 'logs'));
  process.env.MODELNET_NODE_LOG = values['log-filter'];

  const { LocalNetwork, modelLabel, SUDO_SURI, USER_SURI } = await import('../../clients/polkadot-js/test/support/network.js');
  const { ModelServer } = await import('../../clients/polkadot-js/test/support/model-server.js');
  const workDir = values['base-dir'] ? resolve(values['base-dir']) : mkdtempSync(join(tmpdir(), 'modelnet-swarm-bench-'));
  const dataDir = join(workDir, 'models');

  mkdirSync(dataDir, { recursive: true });

  const net = new LocalNetwork({ baseDir: join(workDir, 'nodes'), binary, name: 'swarm-bench', storage });
  const server = new ModelServer({ rateLimit: rate });
  /** Wall-clock time each event record was seen at (node 0's best blocks). */
  const seenAt = new Map();
  const results = {
    binary: resolve(binary), copies, date: new Date().toISOString(), size, sourceRate: rate, storage, validators: net.validatorCount
  };
  let stopping = null;
  const shutdown = () => {
    stopping ??= (async () => {
      await net.shutdown({ keep: !!values.keep }).catch(() => undefined);
      await server.close().catch(() => undefined);

      if (!values.keep && !values['base-dir']) {
        rmSync(workDir, { force: true, recursive: true });
      } else if (!values.keep) {
        rmSync(dataDir, { force: true, recursive: true });
      }
    })();

    return stopping;
  };

  process.once('SIGINT', () => shutdown().then(() => process.exit(130)));

  try {
    out.line(`generating two models of ${formatBytes(size)} in ${dataDir} ...`);

    const models = {};

    for (const name of ['solo', 'swarm']) {
      const file = join(dataDir, `${name}.bin`);

      generateModel(file, `${name}-${size}`, size);

      const manifest = await pieceManifest(file);
      const path = `/${name}.bin`;

      models[name] = { ...manifest, file, id: manifest.sha256, name, path };
    }

    await server.start();

    for (const m of Object.values(models)) {
      m.url = server.addFile(m.path, m.file);
    }

    results.pieceSize = models.solo.pieceSize;
    results.pieceCount = models.solo.pieces.length;

    out.line(`starting ${net.validatorCount} validators and ${storage} storage nodes from ${binary} (logs in ${process.env.MODELNET_E2E_LOG_DIR}) ...`);

    let started = Date.now();

    await net.start();
    await net.startEventLog();
    net.log.onRecord((r) => seenAt.set(r, Date.now()));

    const minPeriod = net.api.consts.timestamp?.minimumPeriod?.toNumber?.();
    const blockMs = minPeriod ? minPeriod * 2 : 6_000;
    // Generous: the deadline counts blocks, the downloads bytes.
    const downloadDeadline = Math.max(100, Math.ceil((copies * size / rate) * 1000 / blockMs) * 4 + 50);
    const base = { demand_window: 100_000, download_deadline: downloadDeadline, executors_per_task: 1, headroom_percent: 100, qos_kick_threshold: 0, refill_batch: 1, tasks_per_replica: 100 };
    const one = { ...base, initial_replicas: 1, low_watermark: 0, max_replicas: 1, min_replicas: 1 };
    const many = { ...base, initial_replicas: copies, low_watermark: copies - 1, max_replicas: copies, min_replicas: copies };

    await net.setup({ params: one });
    await net.waitForEndpoints(timeoutMs);
    results.blockMs = blockMs;
    results.startupS = seconds(Date.now() - started);
    out.line(`network ready in ${results.startupS} s; blocks of ${blockMs / 1000} s; every node declared its endpoint`);

    const user = signerFrom(USER_SURI);
    const sudo = signerFrom(SUDO_SURI);
    const forModel = (m) => (d) => sameValue(d.model, m.id);
    const hex = (a) => net.api.createType('AccountId', a).toHex();
    const failOn = (m) => [
      { filter: forModel(m), method: 'NominationDeclined', section: PALLET },
      { filter: forModel(m), method: 'NominationExpired', section: PALLET }
    ];
    const setParams = async (p) => {
      const { params: current } = await readParams(net.api);

      await sudoAndWait(net.api, net.api.tx[PALLET].setParams(mergeParams(net.api, current, p)), sudo);
    };
    const register = async (m) => {
      const t0 = Date.now();

      await signAndWait(net.api, net.api.tx[PALLET].registerModel(m.id, m.size, [m.url], BIG_VRAM, m.pieces, 'SpotCheck'), user);

      return { included: Date.now(), submitted: t0 };
    };
    const received = async (node, m) => {
      const r = {};

      for (const kind of ['source', 'holder', 'nominee']) {
        r[kind] = await node.metric('modelnet_model_bytes_received_total', { kind, model: modelLabel(m.id) });
      }

      return r;
    };

    // (i) One node alone, from the source.
    {
      const m = models.solo;
      const mark = net.log.records.length;
      const serverMark = server.mark();

      out.line(`(i) one node fetches ${formatBytes(size)} from the source alone ...`);

      const t = await register(m);
      const [nominated] = await net.log.waitFor(PALLET, 'DownloadNominated', forModel(m), timeoutMs, { since: mark });
      const [stored] = await net.log.waitFor(PALLET, 'ModelStored', forModel(m), timeoutMs, { failOn: failOn(m), since: mark });
      const node = net.nodeOf(stored.data.node);
      const ms = seenAt.get(stored) - t.included;

      results.solo = {
        fromSource: server.bytesServed(m.path, { since: serverMark }),
        node: node.name,
        nominatedToStoredS: seconds(seenAt.get(stored) - seenAt.get(nominated)),
        registeredToStoredS: seconds(ms),
        throughputMiBps: mibps(size, ms)
      };
      out.line(`    ${node.name}: ${results.solo.registeredToStoredS} s (${results.solo.throughputMiBps} MiB/s)`);

      // Out of the way of (ii): the owner deregisters it and its holder deletes it.
      await signAndWait(net.api, net.api.tx[PALLET].deregisterModel(m.id), user);
    }

    // (ii) The same size nominated to `copies` nodes at once.
    {
      const m = models.swarm;

      await setParams(many);

      const mark = net.log.records.length;
      const serverMark = server.mark();

      out.line(`(ii) ${copies} nodes fetch ${formatBytes(size)} at once ...`);
      started = Date.now();

      const t = await register(m);
      const nominated = await net.log.waitFor(PALLET, 'DownloadNominated', forModel(m), timeoutMs, { count: copies, since: mark });
      const stored = await net.log.waitFor(PALLET, 'ModelStored', forModel(m), timeoutMs, { count: copies, failOn: failOn(m), since: mark });
      const last = Math.max(...stored.map((r) => seenAt.get(r)));
      const fromSource = server.bytesServed(m.path, { since: serverMark });
      const nodes = [];

      for (const r of stored) {
        const node = net.nodeOf(r.data.node);
        const nomination = nominated.find((x) => hex(x.data.node) === node.accountHex);
        const ms = seenAt.get(r) - t.included;

        nodes.push({
          node: node.name,
          nominatedToStoredS: nomination ? seconds(seenAt.get(r) - seenAt.get(nomination)) : null,
          received: await received(node, m),
          registeredToStoredS: seconds(ms),
          throughputMiBps: mibps(size, ms)
        });
      }

      nodes.sort((a, b) => a.registeredToStoredS - b.registeredToStoredS);
      results.swarm = {
        aggregateMiBps: mibps(copies * size, last - t.included),
        fromSource,
        fromSourceCopies: Math.round((fromSource / size) * 100) / 100,
        medianThroughputMiBps: median(nodes.map((n) => n.throughputMiBps)),
        nodes,
        registeredToAllStoredS: seconds(last - t.included)
      };
      out.line(`    ${copies} copies in ${results.swarm.registeredToAllStoredS} s; the source served ${formatBytes(fromSource)} (${results.swarm.fromSourceCopies} x size)`);
      m.holders = nodes.map((n) => net.nodes.find((x) => x.name === n.node));
    }

    // (iii) Source stopped; a holder loses its copy; the other holders replace it.
    {
      const m = models.swarm;

      await server.stop();

      const victim = m.holders.find((n) => n.index !== 0);
      const before = {};

      for (const n of net.storageNodes) {
        before[n.name] = await received(n, m);
      }

      out.line(`(iii) the source is down; ${victim.name} loses its copy ...`);

      const mark = net.log.records.length;

      await signAndWait(victim.api, victim.api.tx[PALLET].reportLost(m.id), victim.pair);

      const [lost] = await net.log.waitFor(PALLET, 'ModelLost', (d) => sameValue(d.model, m.id) && hex(d.node) === victim.accountHex, timeoutMs, { since: mark });

      victim.deleteModel(m.id);

      const [stored] = await net.log.waitFor(PALLET, 'ModelStored', forModel(m), timeoutMs, { failOn: failOn(m), since: mark });
      const node = net.nodeOf(stored.data.node);
      const after = await received(node, m);
      const delta = Object.fromEntries(Object.entries(after).map(([k, v]) => [k, v - (before[node.name]?.[k] ?? 0)]));
      const ms = seenAt.get(stored) - seenAt.get(lost);

      results.refill = {
        lostToStoredS: seconds(ms),
        node: node.name,
        received: delta,
        throughputMiBps: mibps(size, ms),
        victim: victim.name
      };
      out.line(`    replaced on ${node.name} in ${results.refill.lostToStoredS} s`);
    }

    mkdirSync(join(outFile, '..'), { recursive: true });
    writeFileSync(outFile, `${JSON.stringify(results, null, 2)}\n`);
    out.warn(`results written to ${outFile}`);

    const mib = (b) => (b / MIB).toFixed(1);
    const s = results.swarm;
    const tput = s.nodes.map((n) => n.throughputMiBps);

    out.result({ ...results, outFile }, [
      '',
      `Swarm benchmark: ${formatBytes(size)} models (${results.pieceCount} pieces of ${formatBytes(results.pieceSize)}), source at ${formatBytes(rate)}/s, ${storage} storage nodes + ${net.validatorCount} validators, ${results.blockMs / 1000} s blocks`,
      '',
      '| measure | value |',
      '| --- | --- |',
      `| (i) one node alone (${results.solo.node}): registration → ModelStored | ${results.solo.registeredToStoredS} s (${results.solo.throughputMiBps} MiB/s) |`,
      `| (i) nomination → ModelStored | ${results.solo.nominatedToStoredS} s |`,
      `| (i) bytes from the source | ${mib(results.solo.fromSource)} MiB |`,
      `| (ii) ${copies} nodes at once: registration → last ModelStored | ${s.registeredToAllStoredS} s (${s.aggregateMiBps} MiB/s stored in all) |`,
      `| (ii) bytes from the source, all nodes | ${mib(s.fromSource)} MiB = ${s.fromSourceCopies} x size |`,
      `| (ii) per-node throughput, median (min - max) | ${s.medianThroughputMiBps} MiB/s (${Math.min(...tput)} - ${Math.max(...tput)}) |`,
      `| (iii) source down, ${results.refill.victim}'s copy lost → replaced on ${results.refill.node} | ${results.refill.lostToStoredS} s (${results.refill.throughputMiBps} MiB/s) |`,
      `| (iii) bytes received by ${results.refill.node}: source / holders / nominees | ${mib(results.refill.received.source)} / ${mib(results.refill.received.holder)} / ${mib(results.refill.received.nominee)} MiB |`,
      '',
      '| (ii) node | registration → stored | nomination → stored | MiB/s | from source | from holders | from nominees |',
      '| --- | --- | --- | --- | --- | --- | --- |',
      ...s.nodes.map((n) => `| ${n.node} | ${n.registeredToStoredS} s | ${n.nominatedToStoredS ?? '-'} s | ${n.throughputMiBps} | ${mib(n.received.source)} MiB | ${mib(n.received.holder)} MiB | ${mib(n.received.nominee)} MiB |`),
      '',
      `Times are wall clock at the block (node 0's best) where the event was seen: one block (${results.blockMs / 1000} s) of resolution.`
    ]);

    return 0;
  } finally {
    await shutdown();
  }
});

