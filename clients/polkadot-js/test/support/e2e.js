// Shared set-up of the end-to-end tests: a dev node, a polkadot.js connection, an event log, the
// dev accounts acting as storage nodes, parameters set through sudo, and store inspection helpers.
import { execFile } from 'node:child_process';
import { createWriteStream, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';

import {
  connect, EventLog, field, formatEvent, insertKey, mergeParams, PALLET, readParams, requiredStake, runtimeApi, sameValue,
  signAndWait, signerFrom, sudoAndWait, tokenInfo
} from '../../lib/index.js';
import { startNode } from './node-process.js';

/** The client's scripts. */
const BIN = new URL('../../bin/', import.meta.url).pathname;

/**
 * Run a script of bin/ with Node; resolves with its output, rejects (with code, stdout, stderr)
 * on a nonzero exit or after `timeoutMs`.
 *
 * @param {string} name
 * @param {string[]} args
 * @param {{ timeoutMs?: number }} [opts]
 */
export function runScript (name, args, { timeoutMs = 120_000 } = {}) {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [join(BIN, name), ...args], { timeout: timeoutMs }, (err, stdout, stderr) => {
      if (err) {
        reject(Object.assign(err, { stderr, stdout }));
      } else {
        resolve({ stderr, stdout });
      }
    });
  });
}

/** The node binary under test. The e2e tests are skipped only when this is unset. */
export const NODE_BINARY = process.env.MODELNET_NODE;
/** Reason given by skipped tests. */
export const SKIP = NODE_BINARY
  ? false
  : 'MODELNET_NODE is not set: set it to the modelnet-node binary (e.g. target/release/modelnet-node) to run the end-to-end tests';

/**
 * Dev keys put into the node's keystore with key type `mdln`; each one's account joins as a
 * storage node, so one dev node acts as this many storage nodes.
 */
export const LOCAL_KEYS = ['//Alice', '//Bob', '//Charlie'];
/** Model owner and task creator: an endowed dev account that is not a storage node. */
export const USER_SURI = '//Dave';
/** The sudo key of the dev chain. */
export const SUDO_SURI = '//Alice';
/** Executors per task for the tests. */
export const EXECUTORS = Math.min(2, LOCAL_KEYS.length);

/**
 * Parameters for a single dev node acting as `LOCAL_KEYS.length` storage nodes: every local node is
 * nominated for a new model, no scale-down below that, small tasks, no QoS kick-out during the run.
 */
export function testParams (n = LOCAL_KEYS.length) {
  return {
    executors_per_task: EXECUTORS,
    initial_replicas: n,
    low_watermark: n - 1,
    min_replicas: n,
    qos_kick_threshold: 0,
    refill_batch: 1
  };
}

/** Capacity declared by the test nodes (the local disk budget is enforced by the node itself). */
export const CAPACITY = { diskBytes: 100n * 1024n ** 3n, vramBytes: 80n * 1024n ** 3n };

/** The last lines of a file, for failure reports. */
export function tail (file, lines = 60) {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch (e) {
    return `(cannot read ${file}: ${e.message})`;
  }
}

/** All files under a directory, relative paths, with sizes. */
export function listFiles (dir) {
  const out = [];
  const walk = (d) => {
    if (!existsSync(d)) {
      return;
    }

    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);

      if (e.isDirectory()) {
        walk(p);
      } else {
        out.push({ path: relative(dir, p), size: statSync(p).size });
      }
    }
  };

  walk(dir);

  return out;
}

/** Poll `fn` until it returns a truthy value, at most `timeoutMs`. */
export async function until (what, fn, timeoutMs, intervalMs = 250) {
  const deadline = Date.now() + timeoutMs;

  for (;;) {
    const v = await fn();

    if (v) {
      return v;
    }

    if (Date.now() > deadline) {
      throw new Error(`timed out after ${Math.round(timeoutMs / 1000)}s: ${what}`);
    }

    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** Canonical hex of an account given as SS58 or hex. */
export function accountHex (api, a) {
  return api.createType('AccountId', a).toHex();
}

/**
 * Start a node and prepare the chain.
 *
 * @param {{ name: string, maxBytes?: number, extraArgs?: string[] }} opts `extraArgs`: more
 *   node arguments
 */
export async function setupChain ({ extraArgs = [], maxBytes, name }) {
  const storeDir = mkdtempSync(join(tmpdir(), `modelnet-e2e-${name}-store-`));
  const node = await startNode({ binary: NODE_BINARY, extraArgs, maxBytes, modelStore: storeDir, name });
  const ctx = { api: null, log: null, node, storeDir };

  try {
    ctx.api = await connect(node.url, { timeoutMs: 60_000 });

    const api = ctx.api;

    if (!api.tx[PALLET]) {
      throw new Error(`the node's runtime has no ModelRegistry pallet; log: ${node.logFile}`);
    }

    ctx.log = await new EventLog(api).start({ fromBlock: 1 });

    const eventsFile = createWriteStream(node.logFile.replace(/\.log$/, '.events.log'));

    ctx.eventsFile = eventsFile;
    ctx.log.writeTo(eventsFile);

    const minPeriod = api.consts.timestamp?.minimumPeriod?.toNumber?.();

    ctx.blockMs = minPeriod ? minPeriod * 2 : 6_000;
    /** Milliseconds for `n` blocks, with slack. */
    ctx.blocks = (n) => n * ctx.blockMs + 15_000;
    ctx.token = tokenInfo(api);
    ctx.sudo = signerFrom(SUDO_SURI);
    ctx.user = signerFrom(USER_SURI);
    ctx.nodes = LOCAL_KEYS.map((s) => signerFrom(s));
    ctx.nodeHex = ctx.nodes.map((p) => accountHex(api, p.address));
    ctx.isLocalNode = (a) => ctx.nodeHex.includes(accountHex(api, a));

    const { data: { free } } = await api.query.system.account(ctx.user.address);

    if (free.isZero()) {
      throw new Error(`${USER_SURI} (${ctx.user.address}) has no funds in the dev genesis`);
    }

    // 1. The node's keystore holds the dev keys of the model-registry key type.
    for (const suri of LOCAL_KEYS) {
      await insertKey(api, suri);
    }

    // 2. Parameters so that one machine can place a model and complete a task.
    const { params: current } = await readParams(api);

    ctx.params = mergeParams(api, current, testParams());
    await sudoAndWait(api, api.tx[PALLET].setParams(ctx.params), ctx.sudo);

    // 3. Each local key's account joins as a node.
    const stake = await requiredStake(api, CAPACITY);

    await Promise.all(ctx.nodes.map(async (pair) => {
      const info = await runtimeApi(api).nodeInfo(pair.address);

      if (info.isSome) {
        return;
      }

      await signAndWait(api, api.tx[PALLET].join(CAPACITY, stake), pair);
    }));

    for (const pair of ctx.nodes) {
      const info = await runtimeApi(api).nodeInfo(pair.address);

      if (info.isNone) {
        throw new Error(`${pair.address} joined but nodeInfo is None`);
      }
    }

    const feeConst = Object.entries(api.consts[PALLET] ?? {}).find(([k]) => /fee/i.test(k))?.[1];
    const unit = 10n ** BigInt(ctx.token.decimals);

    ctx.fee = feeConst?.toBigInt && feeConst.toBigInt() > unit ? feeConst.toBigInt() : unit;

    return ctx;
  } catch (e) {
    await teardownChain(ctx, { failed: true });
    e.message += `\n--- node log (${node.logFile}) ---\n${tail(node.logFile)}`;
    throw e;
  }
}

/**
 * Disconnect, stop the node, remove the store; on failure print where the logs are.
 *
 * @param {any} ctx
 * @param {{ failed?: boolean }} [opts]
 */
export async function teardownChain (ctx, { failed = false } = {}) {
  ctx?.log?.stop();
  await ctx?.api?.disconnect().catch(() => undefined);
  await ctx?.node?.stop();
  ctx?.eventsFile?.end();

  if (failed) {
    process.stderr.write(`node log kept at ${ctx?.node?.logFile}\n`);
  }

  if (ctx?.storeDir && !process.env.MODELNET_E2E_KEEP_STORE) {
    rmSync(ctx.storeDir, { force: true, recursive: true });
  }
}

/** Event filter: the event is about `model`. */
export const forModel = (model) => (d) => sameValue(field(d, 'model', 'modelId'), model);

/** Event filter: the event is about `task`. */
export const forTask = (task) => (d) => sameValue(field(d, 'task', 'taskId'), task);

/** `models/<hex>` path of a stored model. */
export function storedPath (ctx, model) {
  return join(ctx.storeDir, 'models', model.replace(/^0x/, ''));
}

/** Store files whose name mentions the model (stored or partial). */
export function filesOfModel (ctx, model) {
  const hex = model.replace(/^0x/, '').toLowerCase();

  return listFiles(ctx.storeDir).filter((f) => f.path.toLowerCase().includes(hex));
}

/**
 * Register a model as the user with its piece leaf hashes; returns the extrinsic's result.
 *
 * @param {any} ctx
 * @param {string} model
 * @param {number | bigint} size
 * @param {string[]} urls
 * @param {{ pieces: string[], minVram?: number | bigint, executor?: any }} opts `pieces`: the leaves
 *   (`pieceManifestOf(data).pieces`); `executor`: the chain's `ExecutorKind` (`parseExecutor`),
 *   `SpotCheck` by default
 */
export function registerModel (ctx, model, size, urls, { executor = 'SpotCheck', minVram = 0, pieces }) {
  if (!Array.isArray(pieces)) {
    throw new TypeError('registerModel: the piece leaf hashes are required');
  }

  return signAndWait(ctx.api, ctx.api.tx[PALLET].registerModel(model, size, urls, minVram, pieces, executor), ctx.user);
}

/** Deregister a model as its owner (the user). */
export function deregisterModel (ctx, model) {
  return signAndWait(ctx.api, ctx.api.tx[PALLET].deregisterModel(model), ctx.user);
}

/** A short text of the last registry events of `ctx.log` (a dev-node context or a network), for failure messages. */
export function recentEvents (ctx, n = 40) {
  return ctx.log.records.filter((r) => r.event.section === PALLET).slice(-n).map(formatEvent).join('\n');
}

/**
 * Failure bookkeeping of a single-node suite. `guard.step(fn)` runs a test body; when it fails,
 * the chain's recent events and the node's log tail are added to the error and `guard.failed`
 * is set, so that the suite's teardown keeps the node's directory.
 *
 * @param {() => any} getCtx the suite's context from {@link setupChain} (undefined before it)
 */
export function failureGuard (getCtx) {
  const guard = {
    failed: false,
    async step (fn) {
      try {
        return await fn();
      } catch (e) {
        const ctx = getCtx();

        guard.failed = true;
        e.message += `\n--- recent ModelRegistry events ---\n${ctx ? recentEvents(ctx) : ''}\n--- node log tail (${ctx?.node.logFile}) ---\n${ctx ? tail(ctx.node.logFile, 40) : ''}`;
        throw e;
      }
    }
  };

  return guard;
}
