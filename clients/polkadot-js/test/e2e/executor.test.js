// End to end: models name the engine their tasks run on. A dev node (three storage accounts)
// configured with one external program runs a safetensors MLP model's task on its built-in
// engine and an external model's task on the program, and declines the nominations of a model
// whose engine it does not have, without blaming the model's sources. A hostile engine (it tries
// to read a secret of the node's, write the model, fork without end, reserve 64 GiB and connect
// to the node) runs sandboxed: the result it prints says that each attempt failed.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import {
  enumName, eventData, executorInput, field, formatExecutor, mlpResultOfFile, PALLET, parseExecutor, pieceManifestOf, runtimeApi, sealedResult, signAndWait
} from '../../lib/index.js';
import {
  accountHex, deregisterModel, EXECUTORS, failureGuard, forModel, forTask, LOCAL_KEYS, registerModel, runScript,
  setupChain, SKIP, storedPath, teardownChain, until
} from '../support/e2e.js';
import { pseudoRandomBytes, sha256Hex } from '../support/fixtures.js';
import { ModelServer } from '../support/model-server.js';

const N = LOCAL_KEYS.length;
/** The engine name the node is configured with, and one it does not have. */
const ENGINE = 'head-sum';
const MISSING = 'no-such-engine';
/** Bytes of the model the external program reads. */
const HEAD = 4096;
/** The hostile engine, and what it prints when the sandbox stops every attempt. */
const HOSTILE = 'hostile';
const CONTAINED = 'secret-denied\nmodel-protected\nforks-limited\nmemory-limited\nnetwork-denied\n';

/**
 * The hostile engine: `hostile.sh SECRET PORT MODEL` reports, one line each, whether it could
 * read a 0600 file of the node's (in a 0700 directory, as the keystore is kept), open the model
 * for writing, fork 200 processes, reserve 64 GiB of address space (never touched, so an engine
 * without limits costs no memory), and connect to a port on the node's loopback.
 */
const HOSTILE_ENGINE = `#!/bin/sh
if cat "$1" >/dev/null 2>&1; then echo secret-read; else echo secret-denied; fi
if ( : >> "$3" ) 2>/dev/null; then echo model-writable; else echo model-protected; fi
/usr/bin/perl -e 'my $n = 0; for (1..200) { my $p = fork(); last unless defined $p; if ($p == 0) { sleep 2; exit 0 } $n++ } print $n < 200 ? "forks-limited\n" : "forks-unlimited\n"; 1 while wait() != -1' 2>/dev/null
/usr/bin/perl -e 'my $a = syscall(9, 0, 64 << 30, 3, 0x4022, -1, 0); print $a == -1 ? "memory-limited\n" : "memory-reserved\n"'
/usr/bin/perl -MIO::Socket::INET -e 'my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$ARGV[0]", Timeout => 2); print $s ? "network-open\n" : "network-denied\n"' "$2"
cat >/dev/null
`;

const sha256 = (...parts) => {
  const h = createHash('sha256');

  for (const p of parts) {
    h.update(p);
  }

  return h.digest();
};

const script = runScript;

/**
 * What the node commits for the external program below: `sha256("modelnet-external-v1" ‖
 * sha256(input) ‖ stdout)`, where the program prints the hex SHA-256 of the model's first
 * bytes followed by its stdin, and a newline.
 */
function externalResult (modelBytes, input) {
  return resultOfOutput(`${sha256(modelBytes.subarray(0, HEAD), input).toString('hex')}\n`, input);
}

/** What the node commits for an external program that printed `stdout` for `input`. */
function resultOfOutput (stdout, input) {
  return `0x${sha256(Buffer.from('modelnet-external-v1'), sha256(input), Buffer.from(stdout)).toString('hex')}`;
}

describe('executor kinds on a dev node', () => {
  let ctx;
  let server;
  /** A listener on the node's loopback that the hostile engine tries to reach, and what reached it. */
  let bait;
  let baitConnections = 0;
  // A failed step adds the recent events and the node's log to its error and keeps the node's directory.
  const guard = failureGuard(() => ctx);
  const dir = mkdtempSync(join(tmpdir(), 'modelnet-e2e-executor-'));
  const models = {};

  /** Serve `data` and remember it as model `name` of `kind`. */
  function addModel (name, data, kind) {
    const file = join(dir, name);

    writeFileSync(file, data);
    models[name] = { data, executor: parseExecutor(kind), file, id: sha256Hex(data), kind, path: `/${name}`, pieces: pieceManifestOf(data).pieces, size: data.length, url: server.add(`/${name}`, data) };

    return models[name];
  }

  /** Create a task on `m`; returns its id and input. */
  async function createTask (m, text) {
    const input = Buffer.from(text, 'utf8');
    const { events } = await signAndWait(ctx.api, ctx.api.tx[PALLET].createTask(m.id, `0x${input.toString('hex')}`, ctx.fee), ctx.user);
    const created = events.find(({ event }) => event.section === PALLET && event.method === 'TaskCreated');

    return { input, task: field(eventData(created.event), 'task', 'taskId') };
  }

  /** Wait for a task's completion; returns its result and the executor input. */
  async function completion ({ input, task }) {
    const failOn = [{ filter: forTask(task), method: 'TaskFailed', section: PALLET }];
    const [assigned] = await ctx.log.waitFor(PALLET, 'ExecutorsAssigned', forTask(task), ctx.blocks(10), { failOn });
    const blocks = (ctx.params.commitDeadline ?? 20) + (ctx.params.revealDeadline ?? 20) + 10;
    const [completed] = await ctx.log.waitFor(PALLET, 'TaskCompleted', forTask(task), ctx.blocks(blocks), { failOn });

    assert.equal(ctx.log.find(PALLET, 'ResultRevealed', forTask(task)).length, EXECUTORS, 'every executor revealed');
    assert.equal(ctx.log.find(PALLET, 'ExecutorSlashed', forTask(task)).length, 0, 'nobody slashed');

    return {
      input: executorInput(String(field(assigned.data, 'challenge')), input),
      result: String(field(completed.data, 'result')).toLowerCase(),
      task
    };
  }

  before(async () => {
    if (SKIP) {
      return;
    }

    // The external program: the SHA-256 of the model's first bytes and the task input.
    const program = join(dir, `${ENGINE}.sh`);

    writeFileSync(program, `#!/bin/sh\n{ head -c ${HEAD} "$1"; cat; } | sha256sum | cut -c1-64\n`);
    chmodSync(program, 0o755);
    // A node running as root runs its engines as nobody, who must reach the program.
    chmodSync(dir, 0o755);
    const hostile = join(dir, `${HOSTILE}.sh`);
    const secretDir = join(dir, 'secret');
    const secret = join(secretDir, 'key');

    writeFileSync(hostile, HOSTILE_ENGINE);
    chmodSync(hostile, 0o755);
    mkdirSync(secretDir, { mode: 0o700 });
    writeFileSync(secret, 'a secret of the node\n', { mode: 0o600 });
    bait = createServer((socket) => {
      baitConnections += 1;
      socket.destroy();
    });
    await new Promise((resolve) => bait.listen(0, '127.0.0.1', resolve));
    server = await new ModelServer().start();
    ctx = await setupChain({
      extraArgs: [
        '--model-executor', `${ENGINE}=${program}`,
        '--model-executor', `${HOSTILE}=${hostile} ${secret} ${bait.address().port}`,
        '--model-executor-timeout', '30', '--model-mlp-max-params', '4000000'
      ],
      name: 'executor'
    });
  });

  after(async () => {
    await teardownChain(ctx, { failed: guard.failed });
    await server?.stop();
    await new Promise((resolve) => (bait ? bait.close(resolve) : resolve()));
    rmSync(dir, { force: true, recursive: true });
  });

  it('stores models of the kinds the node runs and declines the other without blaming its sources', { skip: SKIP, timeout: 300_000 }, () => guard.step(async () => {
    const mlpFile = join(dir, 'mlp.safetensors');

    await script('make-mlp-model.js', ['--out', mlpFile, '--seed', '14', '--layers', '256,512,512,64']);

    const mlp = addModel('mlp', readFileSync(mlpFile), 'mlp');
    const ext = addModel('external', pseudoRandomBytes('e2e-external', 2 * 1024 * 1024 + 5), `external:${ENGINE}`);
    const missing = addModel('missing', pseudoRandomBytes('e2e-missing', 1024 * 1024), `external:${MISSING}`);

    assert.ok(mlp.size > 1024 * 1024 && mlp.size < 8 * 1024 * 1024, `a small model: ${mlp.size} bytes`);

    for (const m of [mlp, ext, missing]) {
      const { events } = await registerModel(ctx, m.id, m.size, [m.url], { executor: m.executor, pieces: m.pieces });
      const registered = events.find(({ event }) => event.section === PALLET && event.method === 'ModelRegistered');

      assert.equal(formatExecutor(field(eventData(registered.event), 'executor')), m.kind, 'ModelRegistered carries the kind');
    }

    const declined = await ctx.log.waitFor(PALLET, 'NominationDeclined', forModel(missing.id), ctx.blocks(20), { count: N });

    assert.deepEqual([...new Set(declined.map((r) => enumName(field(r.data, 'reason'))))], ['UnsupportedExecutor']);

    await Promise.all([mlp, ext].map((m) => ctx.log.waitFor(PALLET, 'ModelStored', forModel(m.id), ctx.blocks(30), {
      count: N,
      failOn: [{ filter: forModel(m.id), method: 'NominationDeclined', section: PALLET }]
    })));

    // Every node declined for a lasting reason of its own: each cools down on the model and is
    // not asked again (before, each was nominated again and declined again every few blocks).
    const lastDecline = Math.max(...declined.map((r) => r.blockNumber));

    await until('three blocks after the last decline', () => ctx.log.lastBlock >= lastDecline + 3, ctx.blocks(5));

    const decliners = ctx.log.find(PALLET, 'NominationDeclined', forModel(missing.id)).map((r) => accountHex(ctx.api, field(r.data, 'node')));

    assert.equal(decliners.length, N, `${N} declines, one per node: ${decliners.join(', ')}`);
    assert.equal(new Set(decliners).size, N, 'no node declined twice');

    for (const node of decliners) {
      assert.ok((await ctx.api.query[PALLET].cooldowns(missing.id, node)).isSome, `${node} cools down on the model`);
    }

    const status = (await runtimeApi(ctx.api).modelStatus(missing.id)).unwrap().toJSON();

    assert.equal(formatExecutor(status.executor), `external:${MISSING}`);
    assert.equal(status.sourceFailures, 0, 'declines for the engine do not count against the sources');
    assert.equal(ctx.log.find(PALLET, 'ModelSourcesFailing', forModel(missing.id)).length, 0);
    assert.equal(server.requestsFor(missing.path).filter((r) => r.method === 'GET').length, 0, 'the model was never downloaded');
    // Deregister it: nothing is left to do with it.
    await deregisterModel(ctx, missing.id);
  }));

  it('runs each task on its engine: MLP = the JS forward pass over challenge ‖ input, external = the program\'s digest', { skip: SKIP, timeout: 300_000 }, () => guard.step(async () => {
    const m = models.mlp;
    const ext = models.external;

    assert.ok(m && ext, 'needs the stored models of the previous test');

    // Both tasks run at the same time (created one after the other: one account's nonces).
    const mlpTask = await createTask(m, 'modelnet e2e: a forward pass');
    const extTask = await createTask(ext, 'modelnet e2e: an external program');
    const [mlpRun, extRun] = await Promise.all([completion(mlpTask), completion(extTask)]);

    // The chain publishes sealed results.
    assert.equal(mlpRun.result, sealedResult(mlpRun.task, await mlpResultOfFile(m.file, mlpRun.input)), 'MLP result');
    assert.equal(mlpRun.result, sealedResult(mlpRun.task, await mlpResultOfFile(storedPath(ctx, m.id), mlpRun.input)));
    assert.equal(extRun.result, sealedResult(extRun.task, externalResult(ext.data, extRun.input)), 'external program result');
  }));

  it('a hostile engine runs sandboxed: no secret read, the model unchanged, forks, memory and network refused; the node runs on', { skip: SKIP, timeout: 300_000 }, () => guard.step(async () => {
    const m = addModel('hostile', pseudoRandomBytes('e2e-hostile', 1024 * 1024 + 3), `external:${HOSTILE}`);

    await registerModel(ctx, m.id, m.size, [m.url], { executor: m.executor, pieces: m.pieces });
    await ctx.log.waitFor(PALLET, 'ModelStored', forModel(m.id), ctx.blocks(30), {
      count: N,
      failOn: [{ filter: forModel(m.id), method: 'NominationDeclined', section: PALLET }]
    });

    const run = await completion(await createTask(m, 'modelnet e2e: a hostile engine'));

    assert.equal(run.result, sealedResult(run.task, resultOfOutput(CONTAINED, run.input)), `the engine reported every attempt refused (${JSON.stringify(CONTAINED)})`);
    assert.equal(baitConnections, 0, 'no connection reached the node\'s loopback');
    assert.equal(ctx.node.exited(), false, 'the node process is still running');
    assert.equal(sha256(readFileSync(storedPath(ctx, m.id))).toString('hex'), m.id.slice(2), 'the stored model is unchanged');
    await deregisterModel(ctx, m.id);
  }));
});
