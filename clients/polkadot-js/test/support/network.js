// A local multi-node modelnet network for end-to-end tests and for `bin/local-network.js`.
//
// N real `modelnet-node` processes on the loopback interface with `--chain local`: the three
// authorities of the `local_testnet` preset (`--alice`, `--bob`, `--charlie`) and storage nodes
// that are not validators. Each process has its own base path (kept on disk, so a node can be
// restarted with its chain, keystore and off-chain database intact), its own model store, its
// own ports, a fixed node key (so its peer id, and the bootnode address, are known before it
// starts) and exactly one model-registry key (`mdln`), inserted over its own RPC; each of those
// accounts joins as a storage node from its own process.
//
// Why not zombienet (or another orchestrator): it is one more download (a binary or an npm
// package with its own provider back-ends) that these machines do not have, and the scenarios
// need direct control of each process — SIGKILL one, stop another with SIGINT and start it again
// on the same base path and ports, overwrite a file in its model store while it runs — which is
// simplest when the test itself owns the child processes. Nothing here needs more than
// `child_process` and the existing `node-process.js`.
import { existsSync, mkdirSync, mkdtempSync, openSync, closeSync, writeSync, fstatSync, readFileSync, rmSync, createWriteStream, statSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { base58Encode, cryptoWaitReady, ed25519PairFromSeed } from '@polkadot/util-crypto';

import {
  connect, EventLog, insertKey, KEY_TYPE, mergeParams, nodeEndpoint, PALLET, readParams, requiredStake, runtimeApi, signAndWait,
  signerFrom, sudoAndWait
} from '../../lib/index.js';
import { freePort, LOG_DIR, nodeExtraArgs, nodeLogFilter, spawnNode } from './node-process.js';

/** The authorities of the `local_testnet` preset, in order (`--alice` ... flags, `//Alice` ... keys). */
export const VALIDATORS = [
  { flag: '--alice', name: 'alice', suri: '//Alice' },
  { flag: '--bob', name: 'bob', suri: '//Bob' },
  { flag: '--charlie', name: 'charlie', suri: '//Charlie' }
];

/**
 * Storage nodes (not validators), in order; their model-registry keys are these dev accounts,
 * all endowed by the `local_testnet` preset (the well-known accounts and their `//stash`
 * accounts; `//Alice//stash` is the model owner, {@link USER_SURI}).
 */
export const STORAGE_NODES = [
  { name: 'dave', suri: '//Dave' },
  { name: 'eve', suri: '//Eve' },
  { name: 'ferdie', suri: '//Ferdie' },
  { name: 'bob-stash', suri: '//Bob//stash' },
  { name: 'charlie-stash', suri: '//Charlie//stash' },
  { name: 'dave-stash', suri: '//Dave//stash' },
  { name: 'eve-stash', suri: '//Eve//stash' },
  { name: 'ferdie-stash', suri: '//Ferdie//stash' }
];

/** Root of the local chain. */
export const SUDO_SURI = '//Alice';
/** Model owner and task creator: endowed by the `local_testnet` preset, and no node's key. */
export const USER_SURI = '//Alice//stash';

/**
 * Arguments that make a node run its off-chain worker explicitly. The node runs it by default
 * on validators and, unless told `--offchain-worker never`, on non-validators too (the model
 * worker idles until the keystore has a model-registry key), so the harness passes none.
 */
export const OFFCHAIN_WORKER_ARGS = ['--offchain-worker', 'always'];

/**
 * Whether storage nodes (non-validators) get {@link OFFCHAIN_WORKER_ARGS} anyway
 * (`MODELNET_E2E_STORAGE_WORKER_FLAG=1`). Off: the storage-node scenario proves the default.
 */
export const STORAGE_NODES_GET_WORKER_FLAG = process.env.MODELNET_E2E_STORAGE_WORKER_FLAG === '1';

/**
 * The model server listens on 127.0.0.1, which nodes refuse as a source unless told otherwise
 * (on `--chain local`; the dev chain allows it by default).
 */
export const LOCAL_SOURCE_ARGS = ['--allow-private-model-sources'];

/** Capacity declared by validators and by storage nodes when they join. */
export const CAPACITY = {
  storage: { diskBytes: 100n * 1024n ** 3n, vramBytes: 80n * 1024n ** 3n },
  validator: { diskBytes: 100n * 1024n ** 3n, vramBytes: 24n * 1024n ** 3n }
};

/**
 * Parse Prometheus text exposition into series: `{ name, labels, value }` for every sample line
 * (comments and blank lines skipped).
 *
 * @param {string} text
 * @returns {{ name: string, labels: Record<string, string>, value: number }[]}
 */
export function parsePrometheus (text) {
  const out = [];

  for (const raw of text.split('\n')) {
    const line = raw.trim();

    if (!line || line.startsWith('#')) {
      continue;
    }

    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\d+)?$/.exec(line);

    if (!m) {
      continue;
    }

    const labels = {};

    for (const [, k, v] of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
      labels[k] = v.replace(/\\(["\\])/g, '$1').replace(/\\n/g, '\n');
    }

    out.push({ labels, name: m[1], value: Number(m[3]) });
  }

  return out;
}

/**
 * Sum of the series of a metric whose labels include `labels` (0 when there is none). The name
 * also matches with Substrate's `substrate_` prefix.
 *
 * @param {ReturnType<typeof parsePrometheus>} series
 * @param {string} name
 * @param {Record<string, string>} [labels]
 */
export function metricValue (series, name, labels = {}) {
  return series
    .filter((s) => (s.name === name || s.name === `substrate_${name}`) && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
    .reduce((n, s) => n + s.value, 0);
}

/**
 * How much a counter grew between two readings, with Prometheus' reset rule: a reading below the
 * one before means the series started again (a node drops the per-model series of a model it is
 * no longer named for), so the growth is the new reading.
 *
 * @param {number} before
 * @param {number} after
 */
export function counterIncrease (before, after) {
  return after >= before ? after - before : after;
}

/** The `model` label of the node's per-model metrics: the first 8 bytes of the id, hex (no 0x). */
export function modelLabel (model) {
  return model.replace(/^0x/i, '').toLowerCase().slice(0, 16);
}

/** The fixed node key (64 hex digits, an ed25519 secret seed) of the node at `index`. */
export function nodeKeyOf (index) {
  return (index + 1).toString(16).padStart(64, '0');
}

/**
 * The libp2p peer id of a node key: base58 of the identity multihash of the protobuf-encoded
 * ed25519 public key (what `modelnet-node key inspect-node-key` prints).
 *
 * @param {string} nodeKeyHex 64 hex digits
 */
export function peerIdOf (nodeKeyHex) {
  const { publicKey } = ed25519PairFromSeed(Buffer.from(nodeKeyHex, 'hex'));
  const proto = Buffer.concat([Buffer.from([0x08, 0x01, 0x12, 0x20]), Buffer.from(publicKey)]);

  return base58Encode(Buffer.concat([Buffer.from([0x00, proto.length]), proto]));
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Poll `fn` until it returns a truthy value, at most `timeoutMs`. */
async function poll (what, fn, timeoutMs, intervalMs = 500) {
  const deadline = Date.now() + timeoutMs;

  for (;;) {
    const v = await fn().catch(() => undefined);

    if (v) {
      return v;
    }

    if (Date.now() > deadline) {
      throw new Error(`timed out after ${Math.round(timeoutMs / 1000)}s: ${what}`);
    }

    await sleep(intervalMs);
  }
}

/** One `modelnet-node` process of a {@link LocalNetwork}, with its directories and ports. */
export class NetworkNode {
  /** @type {import('@polkadot/api').ApiPromise | null} */
  api = null;
  /** @type {Awaited<ReturnType<typeof spawnNode>> | null} */
  proc = null;
  /** Every process started for this node, oldest first (pid, exit). */
  history = [];

  /** Whether the next start passes `--model-serve-corrupt` (the node serves corrupted pieces). */
  serveCorrupt = false;

  /**
   * @param {LocalNetwork} net
   * @param {{ index: number, name: string, suri: string, validator: boolean, flag?: string,
   *   ports: { rpc: number, p2p: number, prometheus: number, model: number }, workerArgs: string[], serveCorrupt?: boolean }} spec
   */
  constructor (net, spec) {
    this.net = net;
    this.index = spec.index;
    this.name = spec.name;
    this.suri = spec.suri;
    this.validator = spec.validator;
    this.flag = spec.flag;
    this.ports = spec.ports;
    this.workerArgs = spec.workerArgs;
    this.serveCorrupt = !!spec.serveCorrupt;
    this.nodeKey = nodeKeyOf(spec.index);
    this.peerId = peerIdOf(this.nodeKey);
    this.basePath = join(net.baseDir, spec.name, 'base');
    this.storeDir = join(net.baseDir, spec.name, 'store');
    this.logFile = join(LOG_DIR, `${net.name}-${spec.name}-${net.stamp}.log`);
    this.pair = signerFrom(spec.suri);
    this.address = this.pair.address;
    this.accountHex = `0x${Buffer.from(this.pair.publicKey).toString('hex')}`;
  }

  get url () {
    return `ws://127.0.0.1:${this.ports.rpc}`;
  }

  /** The base URL this node serves model pieces at (`--model-public-url`), declared on chain. */
  get publicUrl () {
    return `http://127.0.0.1:${this.ports.model}`;
  }

  /** Its Prometheus endpoint. */
  get metricsUrl () {
    return `http://127.0.0.1:${this.ports.prometheus}/metrics`;
  }

  /** This node's libp2p address, for `--bootnodes`. */
  get multiaddr () {
    return `/ip4/127.0.0.1/tcp/${this.ports.p2p}/p2p/${this.peerId}`;
  }

  get running () {
    return this.proc !== null && !this.proc.exited();
  }

  /** The node's command line (without the binary). */
  args () {
    const boot = this.net.nodes[0];

    return [
      '--chain', 'local',
      ...(this.validator ? [this.flag] : []),
      '--name', `${this.net.name}-${this.name}`,
      '--node-key', this.nodeKey,
      '--base-path', this.basePath,
      '--model-store', this.storeDir,
      ...(this.net.maxBytes !== undefined ? ['--model-store-max-bytes', String(this.net.maxBytes)] : []),
      '--listen-addr', `/ip4/127.0.0.1/tcp/${this.ports.p2p}`,
      '--rpc-port', String(this.ports.rpc),
      '--rpc-methods', 'unsafe',
      '--prometheus-port', String(this.ports.prometheus),
      '--model-public-url', this.publicUrl,
      '--model-serve-addr', `127.0.0.1:${this.ports.model}`,
      ...(this.net.uploadLimit !== undefined ? ['--model-upload-limit', String(this.net.uploadLimit)] : []),
      ...(this.serveCorrupt ? ['--model-serve-corrupt'] : []),
      '--no-mdns',
      '--no-telemetry',
      ...(boot !== this ? ['--bootnodes', boot.multiaddr] : []),
      ...this.workerArgs,
      ...LOCAL_SOURCE_ARGS,
      '-l', nodeLogFilter(),
      ...nodeExtraArgs(),
      ...this.net.extraArgs
    ];
  }

  /**
   * Start the process (again) with the same base path, store and ports; connect polkadot.js.
   *
   * @param {{ serveCorrupt?: boolean }} [opts] `serveCorrupt`: from now on, start with (true) or
   *   without (false) `--model-serve-corrupt`; unchanged when absent
   */
  async start ({ serveCorrupt } = {}) {
    if (serveCorrupt !== undefined) {
      this.serveCorrupt = serveCorrupt;
    }

    if (this.running) {
      throw new Error(`${this.name} is already running (pid ${this.proc.pid})`);
    }

    mkdirSync(this.basePath, { recursive: true });
    mkdirSync(this.storeDir, { recursive: true });
    this.proc = await spawnNode({
      args: this.args(), binary: this.net.binary, logFile: this.logFile, name: this.name, readyTimeoutMs: this.net.readyTimeoutMs, rpcPort: this.ports.rpc
    });
    this.history.push(this.proc);
    this.api = await connect(this.url, { timeoutMs: 60_000 });

    return this;
  }

  async #disconnect () {
    const api = this.api;

    this.api = null;
    await api?.disconnect().catch(() => undefined);
  }

  /** SIGKILL the process (a crash: nothing is flushed or closed). Resolves once it is gone. */
  async kill () {
    await this.#disconnect();
    await this.proc?.kill();

    return this.proc?.exitInfo();
  }

  /** SIGINT (clean shutdown); SIGKILL if it does not exit within `graceMs`. */
  async stop (graceMs = 20_000) {
    await this.#disconnect();
    await this.proc?.stop(graceMs);

    return this.proc?.exitInfo();
  }

  /**
   * Stop cleanly (unless already gone) and start again on the same base path, store and ports.
   *
   * @param {{ serveCorrupt?: boolean }} [opts] see {@link start}
   */
  async restart (opts = {}) {
    if (this.running) {
      await this.stop();
    }

    return this.start(opts);
  }

  /** Every sample of the node's Prometheus endpoint (see {@link parsePrometheus}). */
  async metrics () {
    const res = await fetch(this.metricsUrl, { signal: AbortSignal.timeout(5_000) });

    if (!res.ok) {
      throw new Error(`${this.name}: GET ${this.metricsUrl}: HTTP ${res.status}`);
    }

    return parsePrometheus(await res.text());
  }

  /**
   * A metric of this node: the sum of its series whose labels include `labels` (0 when none).
   * `labels.model` may be a full 0x model id: it is cut to the node's label (first 8 bytes).
   *
   * @param {string} name e.g. `modelnet_model_bytes_received_total`
   * @param {Record<string, string>} [labels] e.g. `{ kind: 'holder' }`
   */
  async metric (name, labels = {}) {
    const want = { ...labels };

    if (want.model?.startsWith('0x') && want.model.length === 66) {
      want.model = modelLabel(want.model);
    }

    return metricValue(await this.metrics(), name, want);
  }

  /** The endpoint this node's account declared on chain (`nodeEndpoints`), or null. */
  endpointOnChain (api = this.net.api) {
    return nodeEndpoint(api, this.address);
  }

  /** Lines of this node's log (all its runs) that match `pattern`. */
  logLines (pattern) {
    try {
      return readFileSync(this.logFile, 'utf8').split('\n').filter((l) => pattern.test(l));
    } catch {
      return [];
    }
  }

  /** Delete a stored model file behind the node's back; whether there was one. */
  deleteModel (model) {
    const path = this.modelPath(model);
    const had = existsSync(path);

    rmSync(path, { force: true });

    return had;
  }

  /** Path of a stored model in this node's store (`<store>/models/<sha256 hex>`). */
  modelPath (model) {
    return join(this.storeDir, 'models', model.replace(/^0x/, '').toLowerCase());
  }

  /** Whether this node's store has the (complete) file of a model. */
  hasModel (model) {
    return existsSync(this.modelPath(model));
  }

  /** `fs.Stats` of a stored model (inode, size, mtime), or null. */
  statModel (model) {
    return existsSync(this.modelPath(model)) ? statSync(this.modelPath(model), { bigint: true }) : null;
  }

  /**
   * Overwrite a stored model file in place with random bytes: same size, same inode, so the
   * node's store still lists it and its executor reads the wrong bytes at every spot-check
   * offset.
   */
  corruptModel (model) {
    const path = this.modelPath(model);
    const fd = openSync(path, 'r+');

    try {
      const size = Number(fstatSync(fd).size);
      const chunk = 1 << 20;

      for (let off = 0; off < size; off += chunk) {
        const n = Math.min(chunk, size - off);

        writeSync(fd, randomBytes(n), 0, n, off);
      }

      return size;
    } finally {
      closeSync(fd);
    }
  }

  /** The best block number this node knows. */
  async bestNumber () {
    return (await this.api.rpc.chain.getHeader()).number.toNumber();
  }

  /** Connected peers. */
  async peers () {
    return (await this.api.rpc.system.health()).peers.toNumber();
  }
}

/** N `modelnet-node` processes on loopback forming a `--chain local` network. */
export class LocalNetwork {
  /** @type {NetworkNode[]} */
  nodes = [];
  /** @type {EventLog | null} event log of node 0's best blocks (from block 1) */
  log = null;
  /** Parameters set by {@link setup} (camelCase keys). */
  params = null;

  /**
   * @param {{ binary: string, name?: string, validators?: number, storage?: number, baseDir?: string,
   *   ports?: { rpc: number, p2p: number, prometheus: number, model?: number }, storageWorkerFlag?: boolean, maxBytes?: number | bigint,
   *   extraArgs?: string[], readyTimeoutMs?: number, serveCorrupt?: string[], uploadLimit?: number | bigint }} opts
   *   `ports`: first port of each kind (node i uses first + i); free ports are picked when absent.
   *   The model-serving port (`--model-public-url http://127.0.0.1:<port>`) defaults to
   *   `rpc + 100 + i` with fixed ports.
   *   `baseDir`: where the nodes' base paths and stores go (default: a new temporary directory,
   *   removed by {@link shutdown} unless asked to keep it).
   *   `serveCorrupt`: names of nodes started with `--model-serve-corrupt`.
   *   `uploadLimit`: `--model-upload-limit` (bytes per second) of every node.
   */
  constructor ({
    baseDir, binary, extraArgs = [], maxBytes, name = 'net', ports, readyTimeoutMs = 180_000, serveCorrupt = [], storage = 2,
    storageWorkerFlag = STORAGE_NODES_GET_WORKER_FLAG, uploadLimit, validators = 3
  }) {
    if (validators < 1 || validators > VALIDATORS.length) {
      throw new Error(`validators: 1..${VALIDATORS.length} (the local_testnet authorities), got ${validators}`);
    }

    if (storage < 0 || storage > STORAGE_NODES.length) {
      throw new Error(`storage nodes: 0..${STORAGE_NODES.length}, got ${storage}`);
    }

    this.binary = binary;
    this.name = name;
    this.validatorCount = validators;
    this.storageCount = storage;
    this.ownsBaseDir = !baseDir;
    this.baseDir = baseDir ?? mkdtempSync(join(tmpdir(), `modelnet-${name}-`));
    this.portBase = ports;
    this.storageWorkerFlag = storageWorkerFlag;
    this.maxBytes = maxBytes;
    this.extraArgs = extraArgs;
    this.readyTimeoutMs = readyTimeoutMs;
    this.serveCorrupt = serveCorrupt;
    this.uploadLimit = uploadLimit;
    this.stamp = new Date().toISOString().replace(/[:.]/g, '-');
    mkdirSync(this.baseDir, { recursive: true });
  }

  /** Node 0 (Alice, the bootnode): the connection the tests read the chain through. */
  get api () {
    return this.nodes[0].api;
  }

  get validators () {
    return this.nodes.filter((n) => n.validator);
  }

  get storageNodes () {
    return this.nodes.filter((n) => !n.validator);
  }

  /** The node whose model-registry account is `account` (SS58 or hex), or undefined. */
  nodeOf (account) {
    const hex = this.api.createType('AccountId', account).toHex();

    return this.nodes.find((n) => n.accountHex === hex);
  }

  async #ports (count) {
    if (this.portBase) {
      return Array.from({ length: count }, (_, i) => ({
        model: (this.portBase.model ?? this.portBase.rpc + 100) + i, p2p: this.portBase.p2p + i, prometheus: this.portBase.prometheus + i, rpc: this.portBase.rpc + i
      }));
    }

    const used = new Set();
    const pick = async () => {
      for (;;) {
        const p = await freePort();

        if (!used.has(p)) {
          used.add(p);

          return p;
        }
      }
    };
    const out = [];

    for (let i = 0; i < count; i++) {
      out.push({ model: await pick(), p2p: await pick(), prometheus: await pick(), rpc: await pick() });
    }

    return out;
  }

  /**
   * Start every process (all at once: the bootnode's address is known in advance), connect to
   * each, and wait until node 0 sees every other node as a peer and a block is finalized.
   * The same ports and directories are used if the network was started before.
   */
  async start ({ peersTimeoutMs = 120_000, finalityTimeoutMs = 180_000 } = {}) {
    if (!this.nodes.length) {
      await this.plan();
    }

    await Promise.all(this.nodes.map((n) => n.start()));
    await this.waitForPeers(peersTimeoutMs);
    await this.waitForFinalized(1, finalityTimeoutMs);

    return this;
  }

  /** Pick the ports and lay out the nodes (names, keys, directories, command lines); start nothing. */
  async plan () {
    await cryptoWaitReady();

    const ports = await this.#ports(this.validatorCount + this.storageCount);
    const specs = [
      ...VALIDATORS.slice(0, this.validatorCount).map((v) => ({ ...v, validator: true, workerArgs: [] })),
      ...STORAGE_NODES.slice(0, this.storageCount).map((s) => ({
        ...s, validator: false, workerArgs: this.storageWorkerFlag ? OFFCHAIN_WORKER_ARGS : []
      }))
    ];

    this.nodes = specs.map((s, index) => new NetworkNode(this, { ...s, index, ports: ports[index], serveCorrupt: this.serveCorrupt.includes(s.name) }));

    return this.nodes;
  }

  /** Wait until node 0 is connected to every other running node, and each of those to someone. */
  async waitForPeers (timeoutMs = 120_000) {
    const others = this.nodes.filter((n) => n.index !== 0 && n.running).length;

    await poll(`node 0 connected to all ${others} other nodes`, async () => (await this.nodes[0].peers()) >= others, timeoutMs);
    await Promise.all(this.nodes.filter((n) => n.index !== 0 && n.running).map((n) =>
      poll(`${n.name} has a peer`, async () => (await n.peers()) >= 1, timeoutMs)));
  }

  /** Wait until node 0 has finalized block `number`. */
  async waitForFinalized (number, timeoutMs = 180_000) {
    await poll(`block #${number} finalized`, async () => {
      const hash = await this.api.rpc.chain.getFinalizedHead();

      return (await this.api.rpc.chain.getHeader(hash)).number.toNumber() >= number;
    }, timeoutMs);
  }

  /** Wait until `node` has imported node 0's current best block. */
  async waitForSync (node, timeoutMs = 120_000) {
    const target = await this.nodes[0].bestNumber();

    await poll(`${node.name} synced to #${target}`, async () => (await node.bestNumber()) >= target, timeoutMs);
  }

  /**
   * Give every process its model-registry key, set the parameters through sudo and let every
   * account join from its own process. Safe to call again on a restarted network (keys already
   * present and accounts already joined are left alone).
   *
   * @param {{ params?: Record<string, number | string>, capacity?: (node: NetworkNode) => { diskBytes: bigint, vramBytes: bigint }, stake?: bigint }} [opts]
   */
  async setup ({ capacity = (n) => (n.validator ? CAPACITY.validator : CAPACITY.storage), params = {}, stake } = {}) {
    const api = this.api;

    if (!api.tx[PALLET]) {
      throw new Error(`the node's runtime has no ModelRegistry pallet; log: ${this.nodes[0].logFile}`);
    }

    // 1. One model-registry key per process, inserted over that process's own RPC.
    for (const n of this.nodes) {
      await insertKey(n.api, n.suri);
    }

    // 2. Parameters (through sudo; Alice is root of the local chain), if any are given.
    const { params: current } = await readParams(api);

    this.params = mergeParams(api, current, params);

    if (Object.keys(params).length) {
      await sudoAndWait(api, api.tx[PALLET].setParams(this.params), signerFrom(SUDO_SURI));
    }

    // 3. Each account joins, signed and submitted through its own process.
    await Promise.all(this.nodes.map(async (n) => {
      if ((await runtimeApi(n.api).nodeInfo(n.address)).isSome) {
        return;
      }

      const amount = stake ?? await requiredStake(api, capacity(n));

      await signAndWait(n.api, n.api.tx[PALLET].join(capacity(n), amount), n.pair);
    }));

    return this.params;
  }

  /**
   * Follow node 0's best blocks from block 1 in an {@link EventLog}; every event also goes to
   * `<LOG_DIR>/<name>-events-<stamp>.log`.
   */
  async startEventLog () {
    this.log = await new EventLog(this.api).start({ fromBlock: 1 });
    this.eventsFile = createWriteStream(join(LOG_DIR, `${this.name}-events-${this.stamp}.log`));
    this.log.writeTo(this.eventsFile);

    return this.log;
  }

  /**
   * Wait until every running node's account declared its serving endpoint on chain
   * (`nodeEndpoints`, set by the node's worker after it joined); the endpoints by node name.
   */
  async waitForEndpoints (timeoutMs = 180_000) {
    const found = {};

    await poll('every node declared its endpoint', async () => {
      for (const n of this.nodes.filter((x) => x.running)) {
        found[n.name] = await n.endpointOnChain();
      }

      return Object.values(found).every((e) => e !== null);
    }, timeoutMs, 1_000).catch((e) => {
      e.message += ` (declared: ${JSON.stringify(found)})`;
      throw e;
    });

    return found;
  }

  /** Whether each node's keystore holds exactly its own model-registry key among the network's. */
  async keyMatrix () {
    const rows = [];

    for (const n of this.nodes.filter((x) => x.running)) {
      const row = [];

      for (const m of this.nodes) {
        row.push((await n.api.rpc.author.hasKey(m.accountHex, KEY_TYPE)).isTrue);
      }

      rows.push({ has: row, node: n.name });
    }

    return rows;
  }

  /** Stop every node (SIGINT), disconnect, and remove the directories unless `keep`. */
  async shutdown ({ keep = !!process.env.MODELNET_E2E_KEEP_STORE } = {}) {
    this.log?.stop();
    await Promise.all(this.nodes.map((n) => n.stop().catch(() => undefined)));
    await new Promise((resolve) => (this.eventsFile ? this.eventsFile.end(resolve) : resolve()));

    if (this.ownsBaseDir && !keep) {
      rmSync(this.baseDir, { force: true, recursive: true });
    }
  }

  /** Where the logs of this network are, for failure messages. */
  logFiles () {
    return this.nodes.map((n) => `${n.name}: ${n.logFile}`).join('\n');
  }
}
