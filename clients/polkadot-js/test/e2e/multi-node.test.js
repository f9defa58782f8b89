// End to end on a real multi-node network (test/support/network.js): three validators and two
// storage nodes, each its own `modelnet-node --chain local` process with its own model-registry
// key, base path and model store. One network is shared by the scenarios of this file, in order:
//
//   1. placement on distinct processes, a task agreed by three processes and paid;
//   5. a storage node that is not a validator is nominated and confirms (runs its worker);
//   2. a holder is SIGKILLed: its tasks complete with the two others, it is kicked out for its
//      QoS, and the model is re-replicated on a node that did not hold it;
//   4. a holder restarts (SIGINT, same base path and store): nothing is downloaded or confirmed
//      again, the file is untouched;
//   3. a holder's file is overwritten on disk (same size): its result contradicts the two
//      others, the task is appealed to a fourth holder, which confirms the majority; the
//      corrupt holder is slashed and evicted, and its store drops the corrupt bytes.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe } from 'node:test';

import { eventData, executorInput, field, PALLET, pieceManifestOf, runtimeApi, sameValue, sealedResult, sha256File, signAndWait, signerFrom, spotCheckFile } from '../../lib/index.js';
import { NODE_BINARY, SKIP, until } from '../support/e2e.js';
import { pseudoRandomBytes, sha256Hex } from '../support/fixtures.js';
import { ModelServer } from '../support/model-server.js';
import { LocalNetwork, USER_SURI } from '../support/network.js';
import { NetworkSuite, networkReport, setNetworkParams } from '../support/network-suite.js';

const MIB = 1024 * 1024;
/** Storage nodes besides the three validators (`MODELNET_E2E_STORAGE_NODES`, 2 or 3). */
const STORAGE = Number(process.env.MODELNET_E2E_STORAGE_NODES || 2);
/** VRAM a model needs so that only storage nodes (80 GiB declared; validators 24 GiB) qualify. */
const BIG_VRAM = 48n * 1024n ** 3n;

/**
 * Parameters for a five-node network and 6 s blocks: three copies of a model, all three
 * holders execute each task, short deadlines. A holder that misses three commits in a row is
 * kicked out (QoS 0-samples from ~840 at best: 672, 537, 430 < 450), while an honest node's
 * score cannot fall that low even after one slash-worthy answer (worst honest ~640 → 512).
 * `tasks_per_replica` is high so that demand never raises the target above three.
 */
const PARAMS = {
  commit_deadline: 5,
  demand_window: 30,
  download_deadline: 20,
  executors_per_task: 3,
  headroom_percent: 100,
  initial_replicas: 3,
  low_watermark: 2,
  max_replicas: 3,
  min_replicas: 3,
  qos_kick_threshold: 450,
  refill_batch: 1,
  reveal_deadline: 5,
  scale_down_hysteresis_percent: 25,
  tasks_per_replica: 100
};
/**
 * Tasks created at once while a holder is dead: exactly the misses that kick it out (see
 * PARAMS.qos_kick_threshold), so every one of them is drawn while the dead node still holds the
 * model (each task needs all three holders; places the QoS rolls leave open go to holders that
 * lost theirs, so a task is served at its first examination).
 */
const TASKS_WHILE_DEAD = 3;

describe(`a local network of 3 validators and ${STORAGE} storage nodes`, { skip: SKIP }, () => {
  /** @type {LocalNetwork} */
  let net;
  let server;
  const suite = new NetworkSuite('multi-node');
  let blockMs = 6_000;
  let fee;
  let user;
  let dataDir;
  const models = {};

  /** Milliseconds for `n` blocks, with slack for slow debug nodes. */
  const blocks = (n) => n * blockMs * 1.5 + 20_000;
  const hex = (a) => net.api.createType('AccountId', a).toHex();
  const big = (v) => BigInt(v);
  const names = (accounts) => accounts.map((a) => net.nodeOf(a)?.name ?? a).join(', ');
  const forModel = (model) => (d) => sameValue(d.model, model);
  const forTask = (task) => (d) => sameValue(d.task, task);
  const isNode = (node) => (d) => hex(d.node) === node.accountHex;

  function makeModel (name, size, minVram = 0n) {
    const data = pseudoRandomBytes(`e2e-net-${name}`, size);
    const file = join(dataDir, `${name}.bin`);

    writeFileSync(file, data);

    const path = `/${name}.bin`;

    models[name] = { file, id: sha256Hex(data), minVram, name, path, pieces: pieceManifestOf(data).pieces, size, url: server.add(path, data) };

    return models[name];
  }

  /** `modelStatus` as JSON, holders as hex account ids. */
  async function modelStatus (model) {
    const status = await runtimeApi(net.api).modelStatus(model);

    assert.ok(status.isSome, `modelStatus(${model}) is Some`);

    const json = status.unwrap().toJSON();

    assert.ok(Array.isArray(json.holders), 'modelStatus.holders is a list');

    return { ...json, holders: json.holders.map(hex) };
  }

  /** `nodeInfo` as JSON, or null. */
  async function nodeView (node) {
    const info = await runtimeApi(net.api).nodeInfo(node.address);

    return info.isSome ? info.unwrap().toJSON() : null;
  }

  /** Submit `create_task` for each input at once (consecutive nonces); the task ids. */
  async function createTasks (model, inputs) {
    const nonce = (await net.api.rpc.system.accountNextIndex(user.address)).toNumber();
    const results = await Promise.all(inputs.map((input, i) => signAndWait(
      net.api, net.api.tx[PALLET].createTask(model, `0x${Buffer.from(input).toString('hex')}`, fee), user, { nonce: nonce + i })));

    return results.map(({ events }) => {
      const created = events.find(({ event }) => event.section === PALLET && event.method === 'TaskCreated');

      assert.ok(created, 'TaskCreated');

      return field(eventData(created.event), 'task');
    });
  }

  /** The model fetches by GET the model server saw. */
  const getsOf = (m) => server.requestsFor(m.path).filter((r) => r.method === 'GET').length;

  /**
   * Wait until every running node's store agrees with the chain: no pending nomination, each
   * holder has the file, no other node has it; then check every holder's copy byte for byte.
   */
  async function storesMatchChain (m, { holders: expected, timeoutMs = blocks(10) } = {}) {
    let status;

    await until(`stores of ${m.name} match its holders`, async () => {
      status = await modelStatus(m.id);

      return status.pendingNominations === 0 &&
        (expected === undefined || status.holders.length === expected) &&
        net.nodes.filter((n) => n.running).every((n) => status.holders.includes(n.accountHex) === n.hasModel(m.id));
    }, timeoutMs, 1_000);

    for (const account of status.holders) {
      const node = net.nodeOf(account);

      assert.ok(node, `holder ${account} is a process of the network`);

      const { sha256, size } = await sha256File(node.modelPath(m.id));

      assert.equal(sha256, m.id, `${node.name}'s copy has the registered SHA-256`);
      assert.equal(size, m.size);
    }

    return status;
  }

  /** Records of an event since a position of the log. */
  const since = (mark, method, filter) => net.log.since(mark, PALLET, method, filter);

  /** Balance transfers of the fee (from the held fee of the task creator) in a block. */
  const feeTransfers = (blockNumber) => net.log.records.filter((r) => !r.retracted && r.blockNumber === blockNumber &&
    r.event.section === 'balances' && r.event.method === 'TransferOnHold' && hex(r.data.source) === hex(user.address));

  /** Set registry parameters through sudo (fields not given keep their value). */
  const setParams = (overrides) => setNetworkParams(net, overrides);

  /** Wrap a scenario: time it; on failure add the recent events and each node's log tail. */
  function scenario (title, fn) {
    suite.scenario(title, fn, () => networkReport(net));
  }

  before(async () => {
    const started = Date.now();

    dataDir = mkdtempSync(join(tmpdir(), 'modelnet-e2e-net-data-'));
    server = await new ModelServer().start();
    net = new LocalNetwork({ binary: NODE_BINARY, name: 'e2e-net', storage: STORAGE });

    await suite.start(net, PARAMS);

    const minPeriod = net.api.consts.timestamp?.minimumPeriod?.toNumber?.();

    blockMs = minPeriod ? minPeriod * 2 : 6_000;
    user = signerFrom(USER_SURI);
    // Divisible by 2 and 3: each paid executor gets an exact share.
    fee = 6n * 10n ** BigInt(net.api.registry.chainDecimals[0] ?? 12);
    suite.timed('network start and set-up', started);
  });

  after(() => suite.finish(net, async () => {
    await server?.stop();

    if (dataDir) {
      rmSync(dataDir, { force: true, recursive: true });
    }
  }));

  scenario('1. a model is stored by three distinct processes, which execute a task, agree and are paid', async () => {
    // Every process holds its own key and no other node's key: each account is one process.
    const matrix = await net.keyMatrix();

    for (const [i, row] of matrix.entries()) {
      assert.deepEqual(row.has, net.nodes.map((_n, j) => j === i), `${row.node}'s keystore holds exactly its own mdln key`);
    }

    for (const n of net.nodes) {
      const view = await nodeView(n);

      assert.ok(view, `${n.name} joined`);
      assert.equal(view.status, 'Active');
    }

    const a = makeModel('shared', 24 * MIB + 11);
    // Scenario 5's model: registered now so that its downloads overlap with this one's.
    const b = makeModel('big-vram', 8 * MIB + 3, BIG_VRAM);
    const nonce = (await net.api.rpc.system.accountNextIndex(user.address)).toNumber();

    await Promise.all([a, b].map((m, i) => signAndWait(net.api, net.api.tx[PALLET].registerModel(m.id, m.size, [m.url], m.minVram, m.pieces, 'SpotCheck'), user, { nonce: nonce + i })));

    const nominated = await net.log.waitFor(PALLET, 'DownloadNominated', forModel(a.id), blocks(5), { count: PARAMS.initial_replicas });
    const stored = await net.log.waitFor(PALLET, 'ModelStored', forModel(a.id), blocks(PARAMS.download_deadline), {
      count: PARAMS.initial_replicas,
      failOn: [
        { filter: forModel(a.id), method: 'NominationDeclined', section: PALLET },
        { filter: forModel(a.id), method: 'NominationExpired', section: PALLET }
      ]
    });
    const storers = stored.map((r) => hex(r.data.node));

    assert.equal(new Set(nominated.map((r) => hex(r.data.node))).size, PARAMS.initial_replicas, 'distinct nominees');
    assert.equal(new Set(storers).size, PARAMS.initial_replicas, 'each nominee confirmed once');

    const status = await storesMatchChain(a, { holders: PARAMS.initial_replicas });

    assert.deepEqual(new Set(status.holders), new Set(storers), 'the holders are the nodes that confirmed');

    const holderNodes = status.holders.map((h) => net.nodeOf(h));

    assert.equal(new Set(holderNodes.map((n) => n.proc.pid)).size, PARAMS.initial_replicas, 'three distinct processes');
    assert.equal(new Set(holderNodes.map((n) => n.storeDir)).size, PARAMS.initial_replicas, 'three distinct stores');
    assert.equal(getsOf(a) >= PARAMS.initial_replicas, true, 'each holder fetched from the model server');
    a.holders = status.holders;

    // A task: the three holders execute it, agree, and share the fee.
    const input = Buffer.from('multi-node: three processes, one answer');
    const [task] = await createTasks(a.id, [input]);
    const failOn = [{ filter: forTask(task), method: 'TaskFailed', section: PALLET }];
    const [assigned] = await net.log.waitFor(PALLET, 'ExecutorsAssigned', forTask(task), blocks(6), { failOn });
    const executors = assigned.data.executors.map(hex);

    assert.deepEqual(new Set(executors), new Set(a.holders), 'the three holders execute the task');

    const [completed] = await net.log.waitFor(PALLET, 'TaskCompleted', forTask(task), blocks(PARAMS.commit_deadline + PARAMS.reveal_deadline + 4), { failOn });
    // The chain records and publishes sealed results (first-round reveals give nothing away).
    const expected = sealedResult(task, await spotCheckFile(a.file, executorInput(String(assigned.data.challenge), input)));

    assert.equal(String(completed.data.result).toLowerCase(), expected, 'result = sealed spot-check of the model file over challenge ‖ input');
    assert.deepEqual(new Set(completed.data.paid.map(hex)), new Set(a.holders), 'all three executors paid');
    assert.equal(net.log.find(PALLET, 'ResultRevealed', forTask(task)).length, 3, 'three reveals');

    for (const r of net.log.find(PALLET, 'ResultRevealed', forTask(task))) {
      assert.equal(String(r.data.result).toLowerCase(), expected, `${net.nodeOf(r.data.executor).name} revealed the right result`);
    }

    assert.equal(net.log.find(PALLET, 'ExecutorSlashed', forTask(task)).length, 0, 'nobody slashed');

    const transfers = feeTransfers(completed.blockNumber);

    assert.deepEqual(new Set(transfers.map((r) => hex(r.data.dest))), new Set(a.holders), 'the fee went to the three executors');

    for (const r of transfers) {
      assert.equal(big(r.data.amount), fee / 3n, 'each executor got a third of the fee');
    }

    const view = (await runtimeApi(net.api).taskStatus(task)).unwrap().toJSON();

    assert.equal(String(view.result).toLowerCase(), expected, 'taskStatus shows the result');
    assert.deepEqual(Object.keys(view.status), ['completed'], `taskStatus is Completed: ${JSON.stringify(view.status)}`);
  });

  // Storage nodes start without `--offchain-worker`: the node runs its worker by default on a
  // non-validator (STORAGE_NODES_GET_WORKER_FLAG in test/support/network.js).
  scenario('5. storage nodes that are not validators are nominated, download and confirm', async () => {
    const b = models['big-vram'];
    const storage = net.storageNodes;

    assert.ok(b, 'registered in scenario 1');

    for (const n of storage) {
      assert.ok(!n.proc.args.includes('--validator') && !n.proc.args.some((x) => /^--(alice|bob|charlie|dave|eve|ferdie)$/.test(x)), `${n.name} is not a validator`);
    }

    const stored = await net.log.waitFor(PALLET, 'ModelStored', forModel(b.id), blocks(PARAMS.download_deadline), {
      count: storage.length,
      failOn: [{ filter: forModel(b.id), method: 'NominationExpired', section: PALLET }]
    });

    assert.deepEqual(new Set(stored.map((r) => hex(r.data.node))), new Set(storage.map((n) => n.accountHex)), 'each storage node confirmed');
    assert.ok(net.log.find(PALLET, 'DownloadNominated', forModel(b.id)).every((r) => !net.nodeOf(r.data.node).validator), 'no validator nominated (VRAM)');

    for (const n of storage) {
      const { sha256 } = await sha256File(n.modelPath(b.id));

      assert.equal(sha256, b.id, `${n.name}'s store has the file`);
    }

    for (const n of net.validators) {
      assert.equal(n.hasModel(b.id), false, `${n.name} (validator, too little VRAM) has no copy`);
    }

    // Deregister it so that the next scenarios only deal with the shared model.
    await signAndWait(net.api, net.api.tx[PALLET].deregisterModel(b.id), user);
    await until('the storage nodes delete the deregistered model', () => storage.every((n) => !n.hasModel(b.id)), blocks(6), 1_000);
  });

  scenario('2. a killed holder: its tasks wait for a jury, it is kicked out, the model is re-replicated and the new holder settles them', async () => {
    const a = models.shared;

    assert.ok(a?.holders, 'needs scenario 1');

    const before = await storesMatchChain(a, { holders: 3 });
    const holders = before.holders.map((h) => net.nodeOf(h));
    // Prefer a storage node (block production and finality keep going); never node 0, the
    // bootnode the test reads the chain through.
    const victim = holders.find((n) => !n.validator) ?? holders.find((n) => n.index !== 0);
    const survivors = holders.filter((n) => n !== victim);
    const qosBefore = (await nodeView(victim)).qos;
    const mark = net.log.mark();
    const exit = await victim.kill();

    assert.equal(exit.signal, 'SIGKILL', `${victim.name} was killed`);

    const inputs = Array.from({ length: TASKS_WHILE_DEAD }, (_, i) => Buffer.from(`while ${victim.name} is dead #${i}`));
    const tasks = await createTasks(a.id, inputs);
    const expected = [];
    const failOn = (task) => [{ filter: forTask(task), method: 'TaskFailed', section: PALLET }];

    // Silence is not a vote: the two survivors' answer waits for a holder outside the round.
    await Promise.all(tasks.map(async (task, i) => {
      const [assigned] = await net.log.waitFor(PALLET, 'ExecutorsAssigned', forTask(task), blocks(12), { failOn: failOn(task) });

      expected[i] = sealedResult(task, await spotCheckFile(a.file, executorInput(String(assigned.data.challenge), inputs[i])));

      assert.ok(assigned.data.executors.map(hex).includes(victim.accountHex), `the dead ${victim.name} is drawn for task ${task}`);

      const [appealed] = await net.log.waitFor(PALLET, 'TaskAppealed', forTask(task), blocks(PARAMS.commit_deadline + PARAMS.reveal_deadline + 6), { failOn: failOn(task) });

      assert.equal(Number(appealed.data.jury), 0, `task ${task}: no holder outside the round can judge yet`);
      assert.equal(net.log.find(PALLET, 'TaskCompleted', forTask(task)).length, 0, `task ${task} is not settled by two of three`);
    }));

    // Missed commits are QoS 0-samples: the score falls below the threshold and the node is out.
    const [kicked] = await net.log.waitFor(PALLET, 'NodeKickedOut', isNode(victim), blocks(4), { since: mark });
    const qosAtKick = Number(kicked.data.qos);

    assert.ok(qosAtKick < PARAMS.qos_kick_threshold && qosAtKick < qosBefore, `QoS fell from ${qosBefore} to ${qosAtKick} (< ${PARAMS.qos_kick_threshold})`);

    // The victim comes back (after a SIGKILL) while its holding is cleared and replaced.
    const restarted = victim.start().then(() => net.waitForSync(victim));

    restarted.catch(() => undefined); // awaited below
    const [evicted] = await net.log.waitFor(PALLET, 'ModelEvicted', (d) => sameValue(d.model, a.id) && hex(d.node) === victim.accountHex, blocks(4), { since: mark });
    const [replica] = await net.log.waitFor(PALLET, 'ModelStored', (d) => sameValue(d.model, a.id) && !before.holders.includes(hex(d.node)), blocks(PARAMS.download_deadline), {
      failOn: [{ filter: forModel(a.id), method: 'NominationExpired', section: PALLET }],
      since: mark
    });

    assert.ok(replica.blockNumber >= evicted.blockNumber, 're-replicated after the eviction');

    const newHolder = net.nodeOf(replica.data.node);

    assert.ok(newHolder && newHolder !== victim, `re-replicated on ${newHolder?.name}, which did not hold it`);

    // The new holder is the jury of the waiting tasks: it confirms the survivors' result.
    const completions = await Promise.all(tasks.map(async (task) => {
      const [completed] = await net.log.waitFor(PALLET, 'TaskCompleted', forTask(task), blocks(PARAMS.demand_window), { failOn: failOn(task), since: mark });

      return completed;
    }));
    const payees = [...survivors, newHolder];

    for (const [i, completed] of completions.entries()) {
      const task = tasks[i];

      assert.equal(String(completed.data.result).toLowerCase(), expected[i], `task ${task}: result of the two survivors`);
      assert.deepEqual(new Set(completed.data.paid.map(hex)), new Set(payees.map((n) => n.accountHex)), `task ${task}: the two survivors and the juror ${newHolder.name} are paid (${names(completed.data.paid)})`);
      assert.equal(net.log.find(PALLET, 'ResultCommitted', (d) => sameValue(d.task, task) && hex(d.executor) === victim.accountHex).length, 0, 'the dead node never committed');
      assert.equal(net.log.find(PALLET, 'ExecutorSlashed', forTask(task)).length, 0, 'nobody slashed for silence');
    }

    for (const block of new Set(completions.map((c) => c.blockNumber))) {
      const done = completions.filter((c) => c.blockNumber === block).length;

      for (const s of payees) {
        const paid = feeTransfers(block).filter((r) => hex(r.data.dest) === s.accountHex);

        assert.equal(paid.length, done, `#${block}: ${s.name} got one share per completed task`);
        assert.ok(paid.every((r) => big(r.data.amount) === fee / 3n), `#${block}: ${s.name}'s share is a third of the fee`);
      }
    }

    await restarted;

    // The kicked node's record is gone; its restarted worker deletes the copy nobody asked it to keep.
    await until(`${victim.name}'s record removed`, async () => (await nodeView(victim)) === null, blocks(4), 1_000);

    const after = await storesMatchChain(a, { holders: 3, timeoutMs: blocks(8) });

    assert.deepEqual(new Set(after.holders), new Set([...survivors, newHolder].map((n) => n.accountHex)), 'holders: the two survivors and the new node');
    assert.equal(victim.hasModel(a.id), false, `${victim.name} deleted its copy after coming back`);
    a.holders = after.holders;
    a.kicked = victim;
  });

  scenario('4. a restarted holder keeps its copy: no new download, no second confirmation, file untouched', async () => {
    const a = models.shared;

    assert.ok(a?.holders, 'needs scenario 1');

    const status = await storesMatchChain(a, { holders: 3 });
    const holders = status.holders.map((h) => net.nodeOf(h));
    const node = holders.find((n) => !n.validator) ?? holders.find((n) => n.index !== 0);
    const statBefore = node.statModel(a.id);
    const getsBefore = getsOf(a);
    const viewBefore = await nodeView(node);
    const mark = net.log.mark();
    const exit = await node.stop();

    assert.notEqual(exit.signal, 'SIGKILL', `${node.name} stopped cleanly on SIGINT (exit ${JSON.stringify(exit)})`);
    await node.start();
    await net.waitForSync(node);

    // Give its worker a few blocks to reconcile the store with the chain.
    const from = await net.nodes[0].bestNumber();

    await until('4 blocks after the restart', async () => (await net.nodes[0].bestNumber()) >= from + 4, blocks(6), 1_000);
    await until(`${node.name} imported them`, async () => (await node.bestNumber()) >= from + 4, blocks(2), 1_000);

    assert.equal(since(mark, 'ModelStored', isNode(node)).length, 0, 'no second ModelStored');
    assert.equal(since(mark, 'DownloadNominated', isNode(node)).length, 0, 'not nominated again');
    assert.equal(since(mark, 'NominationDeclined', isNode(node)).length, 0, 'nothing declined');
    assert.equal(since(mark, 'ModelLost', isNode(node)).length, 0, 'nothing reported lost');
    assert.equal(getsOf(a), getsBefore, 'the model server saw no new GET of the file');

    const statAfter = node.statModel(a.id);

    assert.ok(statAfter, 'the file is still there');
    assert.equal(statAfter.ino, statBefore.ino, 'same inode');
    assert.equal(statAfter.mtimeNs, statBefore.mtimeNs, 'same mtime');
    assert.equal(statAfter.size, statBefore.size, 'same size');

    const viewAfter = await nodeView(node);

    assert.equal(viewAfter.holdings, viewBefore.holdings, 'still holds what it held');
    assert.ok((await modelStatus(a.id)).holders.includes(node.accountHex), 'still a holder of the model');

    const work = (await runtimeApi(net.api).pendingWork(node.address)).unwrap().toJSON();

    assert.equal(work.nominations.length, 0, 'no nomination pending for it');
    a.restarted = node;
  });

  scenario('3. a holder with a corrupted file answers wrong: a jury of another holder confirms the majority; it is slashed and evicted, and its store drops the bytes', async () => {
    const a = models.shared;

    assert.ok(a?.holders, 'needs scenario 1');

    // A contradicted result is appealed to holders outside the first round: a fourth copy
    // gives the network one such holder.
    await setParams({ max_replicas: 4, min_replicas: 4 });

    const status = await storesMatchChain(a, { holders: 4, timeoutMs: blocks(PARAMS.download_deadline + 10) });
    const holders = status.holders.map((h) => net.nodeOf(h));
    // Not the node restarted in scenario 4: that one must still answer right.
    const bad = holders.find((n) => n !== a.restarted);
    const good = holders.filter((n) => n !== bad);
    const inoBefore = bad.statModel(a.id).ino;
    const size = bad.corruptModel(a.id);

    assert.equal(size, a.size, 'same size');
    assert.equal(bad.statModel(a.id).ino, inoBefore, 'same file (inode)');
    assert.notEqual((await sha256File(bad.modelPath(a.id))).sha256, a.id, 'the bytes are wrong');

    const stakeBefore = big((await nodeView(bad)).stake);
    const mark = net.log.mark();
    const phases = blocks(PARAMS.commit_deadline + PARAMS.reveal_deadline + 4);
    // Three executors are drawn among four holders: create tasks until one draws the corrupt
    // holder (each does with probability 3/4); the others complete normally.
    let task;
    let input;
    let assigned;

    for (let i = 0; i < 8 && task === undefined; i++) {
      const text = Buffer.from(`is ${bad.name}'s copy intact? (${i})`);
      const [t] = await createTasks(a.id, [text]);
      const failOn = [{ filter: forTask(t), method: 'TaskFailed', section: PALLET }];
      const [drawn] = await net.log.waitFor(PALLET, 'ExecutorsAssigned', forTask(t), blocks(6), { failOn });

      if (drawn.data.executors.map(hex).includes(bad.accountHex)) {
        [task, input, assigned] = [t, text, drawn];
      } else {
        await net.log.waitFor(PALLET, 'TaskCompleted', forTask(t), phases, { failOn });
      }
    }

    assert.ok(task !== undefined, `${bad.name} was drawn for one of 8 tasks`);

    const failOn = [{ filter: forTask(task), method: 'TaskFailed', section: PALLET }];
    const expected = sealedResult(task, await spotCheckFile(a.file, executorInput(String(assigned.data.challenge), input)));
    const firstRound = assigned.data.executors.map(hex);
    const [appealed] = await net.log.waitFor(PALLET, 'TaskAppealed', forTask(task), phases, { failOn });

    assert.equal(Number(appealed.data.jury), 1, 'one holder outside the first round can judge');
    assert.equal(since(mark, 'ExecutorSlashed', forTask(task)).length, 0, 'nobody is slashed on the split vote itself');

    const [jury] = await net.log.waitFor(PALLET, 'ExecutorsAssigned', forTask(task), blocks(6), { failOn, since: net.log.records.indexOf(appealed) });
    const jurors = jury.data.executors.map(hex);
    const outside = status.holders.filter((h) => !firstRound.includes(h));

    assert.deepEqual(jurors, outside, `the holder outside the first round (${names(outside)}) is the jury`);
    assert.equal(String(jury.data.challenge), String(assigned.data.challenge), 'the jury answers the same challenge');

    const [completed] = await net.log.waitFor(PALLET, 'TaskCompleted', forTask(task), phases, { failOn });

    assert.equal(String(completed.data.result).toLowerCase(), expected, 'the jury confirms the right result');

    const paidExpected = good.filter((n) => firstRound.includes(n.accountHex) || jurors.includes(n.accountHex));

    assert.deepEqual(new Set(completed.data.paid.map(hex)), new Set(paidExpected.map((n) => n.accountHex)), `the intact executors and the juror are paid (${names(completed.data.paid)})`);

    const [badReveal] = net.log.find(PALLET, 'ResultRevealed', (d) => sameValue(d.task, task) && hex(d.executor) === bad.accountHex);

    assert.ok(badReveal, `${bad.name} revealed`);
    assert.notEqual(String(badReveal.data.result).toLowerCase(), expected, `${bad.name}'s result differs`);

    const [slashed] = await net.log.waitFor(PALLET, 'ExecutorSlashed', (d) => sameValue(d.task, task) && hex(d.node) === bad.accountHex, blocks(2), { since: mark });
    const amount = big(slashed.data.amount);

    assert.ok(amount > 0n, 'a nonzero slash');
    assert.equal(slashed.blockNumber, completed.blockNumber, 'slashed when the jury decided');
    assert.equal(since(mark, 'ExecutorSlashed').length, 1, 'only the corrupt holder is slashed');

    const [evicted] = await net.log.waitFor(PALLET, 'ModelEvicted', (d) => sameValue(d.model, a.id) && hex(d.node) === bad.accountHex, blocks(2), { since: mark });
    const viewAfter = await nodeView(bad);

    assert.equal(big(viewAfter.stake), stakeBefore - amount, 'the stake shrank by the slash');

    // The other nodes were kicked out (scenario 2) or are cooling down after the slash: back to
    // three copies, which the three intact holders keep (re-replication is scenario 2's).
    await setParams({ max_replicas: PARAMS.max_replicas, min_replicas: PARAMS.min_replicas });

    const after = await storesMatchChain(a, { holders: 3, timeoutMs: blocks(8) });

    assert.deepEqual(new Set(after.holders), new Set(good.map((n) => n.accountHex)), `the intact holders keep it (${names(after.holders)})`);
    assert.ok(evicted.blockNumber >= completed.blockNumber, 'evicted when the jury decided');
    assert.equal(bad.hasModel(a.id), false, `the corrupt bytes are gone from ${bad.name}'s store`);
  });
});
