// End to end, through polkadot.js only: a dev node acting as several storage nodes fetches,
// verifies, stores, executes on and deletes a model served by a local HTTP server; tampered
// bytes are refused, an interrupted download resumes, and hostile sources (absurd headers, a
// redirect loop, a sender that drips) neither crash the node nor stop the honest source.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { enumName, eventData, executorInput, field, merkleRoot, PALLET, pieceManifestOf, runtimeApi, sealedResult, sha256File, signAndWait, spotCheckFile } from '../../lib/index.js';
import {
  accountHex, deregisterModel, EXECUTORS, failureGuard, filesOfModel, forModel, forTask, LOCAL_KEYS,
  registerModel, runScript, setupChain, SKIP, storedPath, teardownChain, until, USER_SURI
} from '../support/e2e.js';
import { pseudoRandomBytes, sha256Hex } from '../support/fixtures.js';
import { ModelServer } from '../support/model-server.js';

const MIB = 1024 * 1024;
const N = LOCAL_KEYS.length;

/** Run a script of bin/, with the ten-minute limit this file always gave them. */
const script = (name, args) => runScript(name, args, { timeoutMs: 600_000 });

/** Sizes of the generated model files. */
const SIZES = { happy: 32 * MIB + 123, hostile: 12 * MIB + 5, resume: 24 * MIB + 7, tampered: 16 * MIB };

/**
 * A source that answers every request with hostility, by path: `/forever` a 503 whose
 * `Retry-After` is u64::MAX seconds (once enough to crash a node), `/loop` a redirect to itself,
 * `/liar` a 200 whose `Content-Length` is far beyond the body it sends, `/drip` one byte a second.
 */
async function startHostileSource () {
  const sockets = new Set();
  const server = createServer((req, res) => {
    const path = new URL(req.url, 'http://x').pathname;

    if (path === '/forever') {
      res.writeHead(503, { 'Retry-After': '18446744073709551615' }).end();
    } else if (path === '/loop') {
      res.writeHead(302, { Location: '/loop' }).end();
    } else if (path === '/liar') {
      res.writeHead(200, { 'Content-Length': String(1024 * MIB) });
      res.end(Buffer.alloc(1024));
    } else if (path === '/drip') {
      res.writeHead(200, { 'Content-Length': String(SIZES.hostile) });
      const timer = setInterval(() => res.write(Buffer.alloc(1)), 1_000);

      res.on('close', () => clearInterval(timer));
    } else {
      res.writeHead(404).end();
    }
  });

  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${server.address().port}`;

  return {
    url: (path) => `${base}${path}`,
    close: () => new Promise((resolve) => {
      sockets.forEach((s) => s.destroy());
      server.close(resolve);
    })
  };
}

describe('model storage and tasks on a dev node', () => {
  let ctx;
  let server;
  // A failed step adds the recent events and the node's log to its error and keeps the node's directory.
  const guard = failureGuard(() => ctx);
  const dataDir = mkdtempSync(join(tmpdir(), 'modelnet-e2e-data-'));
  const models = {};

  /** Generate a model, write the reference copy, serve it. */
  function makeModel (name, opts = {}) {
    const data = pseudoRandomBytes(`e2e-${name}`, SIZES[name]);
    const file = join(dataDir, `${name}.bin`);

    writeFileSync(file, data);

    const path = `/${name}.bin`;
    const url = server.add(path, data, opts);

    models[name] = { file, id: sha256Hex(data), path, pieces: pieceManifestOf(data).pieces, size: data.length, url };

    return models[name];
  }

  before(async () => {
    if (SKIP) {
      return;
    }

    server = await new ModelServer().start();
    ctx = await setupChain({ name: 'storage' });
  });

  after(async () => {
    await teardownChain(ctx, { failed: guard.failed });
    await server?.stop();
    rmSync(dataDir, { force: true, recursive: true });
  });

  it('nominates the local nodes, which download, verify and confirm the model', { skip: SKIP, timeout: 600_000 }, () => guard.step(async () => {
    const m = makeModel('happy');
    const { events } = await registerModel(ctx, m.id, m.size, [m.url], { pieces: m.pieces });

    assert.ok(events.some(({ event }) => event.section === PALLET && event.method === 'ModelRegistered'), 'ModelRegistered');

    // Each of the N local accounts must be drawn and win a QoS roll (700 of 1000 for a new
    // node) for one of the N places; a loser is drawn again in the next block. The first draw
    // waits for fresh randomness (3 blocks); 12 blocks leave 8 or more passes, so the wait fails
    // only if an account loses 8 rolls in a row (3 × 0.3^8 ≈ 1 run in 5,000). The five blocks
    // waited before left four or five passes: about one run in 100 failed.
    const nominated = await ctx.log.waitFor(PALLET, 'DownloadNominated', forModel(m.id), ctx.blocks(12), { count: N });

    for (const r of nominated) {
      assert.ok(ctx.isLocalNode(field(r.data, 'node')), `nominated a non-local node: ${JSON.stringify(r.data)}`);
    }

    const stored = await ctx.log.waitFor(PALLET, 'ModelStored', forModel(m.id), ctx.blocks(Math.min(ctx.params.downloadDeadline ?? 100, 60)), {
      count: N,
      failOn: [
        { filter: forModel(m.id), method: 'NominationDeclined', section: PALLET },
        { filter: forModel(m.id), method: 'NominationExpired', section: PALLET }
      ]
    });
    const storers = new Set(stored.map((r) => accountHex(ctx.api, field(r.data, 'node'))));

    assert.equal(storers.size, N, 'each local node confirmed once');

    const onDisk = storedPath(ctx, m.id);
    const { sha256, size } = await sha256File(onDisk);

    assert.equal(sha256, m.id, 'stored file has the registered SHA-256');
    assert.equal(size, m.size);
    assert.deepEqual(
      filesOfModel(ctx, m.id).map((f) => f.path).sort(),
      [join('models', m.id.slice(2)), join('verified', m.id.slice(2))],
      'one copy and its verification record, no partial file left'
    );
    assert.ok(server.requestsFor(m.path).some((r) => r.method === 'GET'), 'the node fetched from the source');

    const status = await runtimeApi(ctx.api).modelStatus(m.id);

    assert.ok(status.isSome, 'modelStatus is Some');

    const holders = status.unwrap().toJSON().holders;

    assert.ok(Array.isArray(holders), 'modelStatus.holders is a list');
    assert.deepEqual(new Set(holders.map((h) => accountHex(ctx.api, h))), new Set(ctx.nodeHex), 'holders are the local nodes');

    m.stored = true;
  }));

  it('runs a task on the holders: commit, reveal, result = spot-check of the file', { skip: SKIP, timeout: 600_000 }, () => guard.step(async () => {
    const m = models.happy;

    assert.ok(m?.stored, 'needs the stored model of the previous test');

    const input = Buffer.from('modelnet e2e: spot-check me', 'utf8');
    const { blockNumber: createdIn, events } = await signAndWait(ctx.api, ctx.api.tx[PALLET].createTask(m.id, `0x${input.toString('hex')}`, ctx.fee), ctx.user);
    const created = events.find(({ event }) => event.section === PALLET && event.method === 'TaskCreated');

    assert.ok(created, 'TaskCreated');

    const task = field(eventData(created.event), 'task', 'taskId');

    assert.notEqual(task, undefined, 'TaskCreated carries the task id');

    const failOn = [
      { filter: forTask(task), method: 'TaskFailed', section: PALLET },
      { filter: forTask(task), method: 'TaskCancelled', section: PALLET }
    ];
    const commitBlocks = ctx.params.commitDeadline ?? 20;
    const revealBlocks = ctx.params.revealDeadline ?? 20;
    const [assigned] = await ctx.log.waitFor(PALLET, 'ExecutorsAssigned', forTask(task), ctx.blocks(10), { failOn });
    const executors = field(assigned.data, 'executors');

    assert.ok(Array.isArray(executors), 'ExecutorsAssigned.executors is a list');
    assert.equal(executors.length, EXECUTORS);
    assert.equal(new Set(executors.map((e) => accountHex(ctx.api, e))).size, EXECUTORS, 'distinct executors');
    assert.ok(executors.every((e) => ctx.isLocalNode(e)), 'executors are holders');

    // Rule 6: the executors were drawn with BABE randomness that did not exist when the task
    // was created: the mix read in the assignment block holds only VRF outputs of later blocks.
    const depth = ctx.api.consts[PALLET].randomnessDepth.toNumber();
    const mix = (await (await ctx.api.at(assigned.blockHash)).query[PALLET].randomnessMix()).unwrap();
    const oldest = mix.knownSince.toNumber() - (depth - 1);

    assert.equal(typeof createdIn, 'number', 'the creation block is known');
    assert.equal(mix.mixedAt.toNumber(), assigned.blockNumber, 'the mix was taken in the assignment block');
    assert.ok(mix.depth.toNumber() >= depth, `the mix holds ${depth} outputs`);
    assert.ok(oldest > createdIn, `randomness known since #${oldest}, after the creation in #${createdIn}`);
    assert.ok(assigned.blockNumber >= createdIn + depth + 1, `assigned in #${assigned.blockNumber}, created in #${createdIn}`);

    const [completed] = await ctx.log.waitFor(PALLET, 'TaskCompleted', forTask(task), ctx.blocks(commitBlocks + revealBlocks + 10), { failOn });
    const challenge = String(field(assigned.data, 'challenge'));

    assert.match(challenge, /^0x[0-9a-f]{64}$/, 'ExecutorsAssigned carries the challenge');
    assert.notEqual(challenge, `0x${'0'.repeat(64)}`, 'the challenge is drawn');

    const computed = await spotCheckFile(m.file, executorInput(challenge, input));
    const expected = sealedResult(task, computed);

    assert.equal(String(field(completed.data, 'result')).toLowerCase(), expected, 'result = sealed spot-check of the model file over challenge ‖ input');
    assert.equal(await spotCheckFile(storedPath(ctx, m.id), executorInput(challenge, input)), computed);
    assert.notEqual(await spotCheckFile(m.file, input), computed, 'the input alone does not give the result');
    assert.equal(ctx.log.find(PALLET, 'ResultCommitted', forTask(task)).length, EXECUTORS, 'every executor committed');
    assert.equal(ctx.log.find(PALLET, 'ResultRevealed', forTask(task)).length, EXECUTORS, 'every executor revealed');

    const firstReveal = ctx.log.find(PALLET, 'ResultRevealed', forTask(task))[0];
    const lastCommit = ctx.log.find(PALLET, 'ResultCommitted', forTask(task)).at(-1);

    assert.ok(firstReveal.blockNumber >= lastCommit.blockNumber, 'reveals come after commits');

    const paid = field(completed.data, 'paid');

    assert.ok(Array.isArray(paid), 'TaskCompleted.paid is a list');
    assert.equal(paid.length, EXECUTORS, 'all (agreeing) executors paid');

    assert.equal(ctx.log.find(PALLET, 'ExecutorSlashed', forTask(task)).length, 0, 'no honest executor slashed');

    const view = await runtimeApi(ctx.api).taskStatus(task);

    assert.ok(view.isSome, 'taskStatus is Some');

    const viewResult = view.unwrap().toJSON().result;

    assert.equal(String(viewResult).toLowerCase(), expected, 'taskStatus shows the result');
  }));

  it('the command-line scripts read and drive the same chain', { skip: SKIP, timeout: 600_000 }, () => guard.step(async () => {
    const m = models.happy;

    assert.ok(m?.stored, 'needs the stored model');

    const common = ['--url', ctx.node.url];
    const status = JSON.parse((await script('status.js', ['model', m.id, '--json', ...common])).stdout);

    assert.equal(status.holders.length, N, 'status model lists the holders');
    assert.deepEqual(status.pieces, { pieceCount: m.pieces.length, pieceSize: 4 * MIB, root: merkleRoot(m.pieces) }, 'status model shows the piece manifest');

    const node = await script('status.js', ['node', LOCAL_KEYS[0], ...common]);

    assert.match(node.stdout, new RegExp(m.id.slice(2)), 'status node shows the holding');

    const task = await script('create-task.js', [
      '--suri', USER_SURI, '--model', m.id, '--input', 'from the command line', '--fee', String(ctx.fee),
      '--wait', '--verify', m.file, '--timeout', String(Math.round(ctx.blocks(60) / 1000)), ...common
    ]);

    assert.match(task.stdout, /TaskCompleted/);
    assert.match(task.stdout, /matches the spot-check/);

    const dry = await script('set-params.js', ['--executors-per-task', '1', '--dry-run', ...common]);

    assert.match(dry.stdout, new RegExp(`executorsPerTask: ${EXECUTORS} -> 1`));

    const bad = await script('join.js', ['--suri', LOCAL_KEYS[0], '--disk', '1GiB', '--vram', '0', ...common]).catch((e) => e);

    assert.equal(bad.code, 1, 'joining twice fails');
    assert.match(bad.stderr, /modelRegistry\.AlreadyJoined/, 'with the decoded module error');

    const listing = JSON.parse((await script('list-models.js', ['--json', ...common])).stdout);
    const listed = listing.models.find((x) => x.id === m.id);

    assert.ok(listed, 'list-models lists the model');
    assert.equal(listed.holders, N, 'with its holders');
    assert.equal(listed.holderList.length, N);
    assert.equal(listed.pieces?.root, merkleRoot(m.pieces), 'and its piece root');
    assert.equal(listed.pieces?.pieceCount, m.pieces.length, 'and its piece count');

    const nodes = JSON.parse((await script('list-nodes.js', ['--json', '--per-page', '1', ...common])).stdout);

    assert.equal(nodes.total, N, 'list-nodes counts every node');
    assert.equal(nodes.nodes.length, 1, 'one per page');
    assert.equal(nodes.pages, N);

    const cancel = await script('cancel-task.js', ['--suri', USER_SURI, '--task', '4294967296', '--json', ...common]).catch((e) => e);

    assert.equal(cancel.code, 1, 'cancelling a missing task fails');
    assert.deepEqual(
      (({ kind, name, section }) => ({ kind, name, section }))(JSON.parse(cancel.stdout).error),
      { kind: 'chain', name: 'TaskNotFound', section: PALLET },
      'with the pallet error as JSON'
    );
  }));

  it('deletes the file once the model is deregistered', { skip: SKIP, timeout: 300_000 }, () => guard.step(async () => {
    const m = models.happy;

    assert.ok(m?.stored, 'needs the stored model');

    await deregisterModel(ctx, m.id);
    await ctx.log.waitFor(PALLET, 'ModelDeregistered', forModel(m.id), ctx.blocks(2));
    await until(`${storedPath(ctx, m.id)} removed after deregistration`, () => filesOfModel(ctx, m.id).length === 0, ctx.blocks(10));

    const status = await runtimeApi(ctx.api).modelStatus(m.id);

    assert.ok(status.isNone, 'modelStatus is None after deregistration');
  }));

  it('hostile sources (Retry-After of u64::MAX, a redirect loop, a lying Content-Length, a drip) cost the node nothing', { skip: SKIP, timeout: 600_000 }, () => guard.step(async () => {
    const hostile = await startHostileSource();

    try {
      const a = makeModel('hostile');
      const mark = ctx.log.mark();

      // Three hostile sources ahead of the honest one, then the dripping one ahead of it.
      await registerModel(ctx, a.id, a.size, [hostile.url('/forever'), hostile.url('/loop'), hostile.url('/liar'), a.url], { pieces: a.pieces });
      await ctx.log.waitFor(PALLET, 'ModelStored', forModel(a.id), ctx.blocks(60), {
        count: N,
        failOn: [{ filter: forModel(a.id), method: 'NominationDeclined', section: PALLET }],
        since: mark
      });
      await deregisterModel(ctx, a.id);
      await until('no file of the model after deregistration', () => filesOfModel(ctx, a.id).length === 0, ctx.blocks(5));
      const again = ctx.log.mark();

      await registerModel(ctx, a.id, a.size, [hostile.url('/drip'), a.url], { pieces: a.pieces });
      await ctx.log.waitFor(PALLET, 'ModelStored', forModel(a.id), ctx.blocks(60), {
        count: N,
        failOn: [{ filter: forModel(a.id), method: 'NominationDeclined', section: PALLET }],
        since: again
      });

      assert.equal(ctx.node.exited(), false, 'the node process is still running');
      assert.equal(ctx.log.since(mark, PALLET, 'ModelSourcesFailing').length, 0, 'no source marked failing');
      const { sha256 } = await sha256File(storedPath(ctx, a.id));

      assert.equal(sha256, a.id, 'the stored copy is the registered file');
      await deregisterModel(ctx, a.id);
    } finally {
      await hostile.close();
    }
  }));

  it('resumes an interrupted download with a Range request', { skip: SKIP, timeout: 600_000 }, () => guard.step(async () => {
    const m = makeModel('resume');
    const cutAt = Math.floor(m.size * 0.4);

    server.dieOnce(m.path, { afterBytes: cutAt, downMs: 3_000 });
    await registerModel(ctx, m.id, m.size, [m.url], { pieces: m.pieces });
    await ctx.log.waitFor(PALLET, 'ModelStored', forModel(m.id), ctx.blocks(60), {
      count: N,
      failOn: [{ filter: forModel(m.id), method: 'NominationDeclined', section: PALLET }]
    });

    const gets = server.requestsFor(m.path).filter((r) => r.method === 'GET');
    const summary = gets.map((r) => `${r.range ?? '(no range)'} sent=${r.sent}${r.aborted ? ' aborted' : ''}`).join('; ');

    assert.ok(gets[0]?.aborted, `first GET was cut: ${summary}`);

    const resumed = gets.slice(1).find((r) => {
      const mm = /^bytes=(\d+)-/.exec(r.range ?? '');

      return mm && Number(mm[1]) > 0;
    });

    assert.ok(resumed, `a later GET carries Range: bytes=N- with N > 0: ${summary}`);
    assert.ok(server.bytesServed(m.path) < 1.5 * m.size, `served ${server.bytesServed(m.path)} bytes for a ${m.size}-byte file: ${summary}`);

    const { sha256 } = await sha256File(storedPath(ctx, m.id));

    assert.equal(sha256, m.id);
    assert.deepEqual(
      filesOfModel(ctx, m.id).map((f) => f.path.split('/')[0]).sort(),
      ['models', 'verified'],
      'the file and its verification record, no partial file left'
    );
    await deregisterModel(ctx, m.id);
  }));

  it('never confirms a tampered file; one machine blames the source once; the owner\'s new source replicates it', { skip: SKIP, timeout: 600_000 }, () => guard.step(async () => {
    const m = makeModel('tampered', { tamper: true });

    await registerModel(ctx, m.id, m.size, [m.url], { pieces: m.pieces });

    const declined = await ctx.log.waitFor(PALLET, 'NominationDeclined', forModel(m.id), ctx.blocks(60), {
      count: N,
      failOn: [{ filter: forModel(m.id), method: 'ModelStored', section: PALLET }]
    });
    const reasons = declined.map((r) => enumName(field(r.data, 'reason'))).sort();

    // One node process with N keys does not count as N witnesses against the source: within one
    // run of its off-chain worker one account blames the source and the others decline `Other`
    // (accounts nominated in different blocks may each blame it once per round).
    const blaming = reasons.filter((r) => r === 'HashMismatch').length;

    assert.ok(blaming >= 1 && blaming < N, `reasons: ${reasons}`);
    assert.ok(reasons.every((r) => r === 'HashMismatch' || r === 'Other'), `reasons: ${reasons}`);
    assert.ok(server.requestsFor(m.path).some((r) => r.method === 'GET' && r.sent > 0), 'the bytes were fetched');
    // The declined downloads leave nothing in the store.
    await until('no file of the tampered model in the store', () => filesOfModel(ctx, m.id).length === 0, ctx.blocks(3), 100);

    // One witness is not enough to stop the model's replication (that takes three).
    await new Promise((r) => setTimeout(r, 2 * ctx.blockMs));
    assert.equal(ctx.log.find(PALLET, 'ModelSourcesFailing', forModel(m.id)).length, 0, 'one machine cannot stop a model');
    assert.equal(ctx.log.find(PALLET, 'ModelStored', forModel(m.id)).length, 0, 'never stored from the tampered source');

    // The owner replaces the source (through the command-line client): nominations resume and
    // every node stores the verified file.
    const fixed = server.add('/tampered-fixed.bin', pseudoRandomBytes('e2e-tampered', SIZES.tampered));

    await script('update-sources.js', ['--suri', USER_SURI, '--model', m.id, '--source', fixed, '--url', ctx.node.url]);
    await ctx.log.waitFor(PALLET, 'ModelStored', forModel(m.id), ctx.blocks(60), { count: N });
    const { sha256 } = await sha256File(storedPath(ctx, m.id));

    assert.equal(sha256, m.id, 'the stored copy is the registered file');

    await deregisterModel(ctx, m.id);
    await until('no file of the model after deregistration', () => filesOfModel(ctx, m.id).length === 0, ctx.blocks(5));
  }));
});
