// The e2e suites' failure bookkeeping: a failed step or set-up is reported with the node's logs
// and keeps the node directories; a passing one keeps nothing.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';

import { failureGuard } from '../support/e2e.js';
import { NetworkSuite, networkReport } from '../support/network-suite.js';

describe('e2e suite helpers', () => {
  const dir = mkdtempSync(join(tmpdir(), 'modelnet-suite-helpers-'));
  const logFile = join(dir, 'alice.log');

  writeFileSync(logFile, 'line 1\nline 2: the last words of alice\n');
  after(() => rmSync(dir, { force: true, recursive: true }));

  /** A network whose start fails (or not), recording what the suite asks of it. */
  function fakeNetwork ({ startFails }) {
    const calls = [];

    return {
      baseDir: dir,
      calls,
      logFiles: () => logFile,
      nodes: [{ logFile, name: 'alice', running: false, serveCorrupt: true }],
      setup: async ({ params }) => calls.push(['setup', params]),
      shutdown: async (opts) => calls.push(['shutdown', opts]),
      start: async () => {
        calls.push(['start']);

        if (startFails) {
          throw new Error('the node did not start');
        }
      },
      startEventLog: async () => calls.push(['startEventLog'])
    };
  }

  it('failureGuard passes a result through and reports a failure with the node log', async () => {
    let ctx;
    const guard = failureGuard(() => ctx);

    assert.equal(await guard.step(async () => 7), 7);
    assert.equal(guard.failed, false);

    ctx = { log: { records: [] }, node: { logFile } };
    await assert.rejects(guard.step(async () => { throw new Error('step broke'); }), (e) => {
      assert.match(e.message, /^step broke\n--- recent ModelRegistry events ---/);
      assert.match(e.message, /the last words of alice/);
      return true;
    });
    assert.equal(guard.failed, true);
  });

  it('a network whose set-up fails is reported with its logs and its directories are kept', async () => {
    const net = fakeNetwork({ startFails: true });
    const suite = new NetworkSuite('unit');

    await assert.rejects(suite.start(net, { min_replicas: 3 }), (e) => {
      assert.match(e.message, /^the node did not start\n--- logs ---\n/);
      assert.match(e.message, /--- alice ---\n[\s\S]*the last words of alice/);
      return true;
    });
    assert.equal(suite.failed, true);

    let cleaned = false;

    await suite.finish(net, async () => { cleaned = true; });
    assert.deepEqual(net.calls, [['start'], ['shutdown', { keep: true }]]);
    assert.equal(cleaned, true);
    // The logs are copied next to the kept directories (the log directory may be removed).
    assert.match(readFileSync(join(dir, 'logs', 'alice.log'), 'utf8'), /the last words of alice/);
  });

  it('a network that starts is set up with the parameters, and its directories go when nothing failed', async () => {
    const net = fakeNetwork({ startFails: false });
    const suite = new NetworkSuite('unit');

    await suite.start(net, { min_replicas: 3 });
    suite.timed('set-up', Date.now());
    assert.equal(suite.failed, false);
    assert.match(suite.timings[0], /^set-up: \d+ s$/);

    await suite.finish(net, async () => {});
    assert.deepEqual(net.calls, [['start'], ['startEventLog'], ['setup', { min_replicas: 3 }], ['shutdown', { keep: !!process.env.MODELNET_E2E_KEEP_STORE }]]);
  });

  it('a failure report names each node with its state and log tail', () => {
    const net = fakeNetwork({ startFails: false });
    const report = networkReport(net, (n) => (n.serveCorrupt ? ['serves corrupt pieces'] : []));

    assert.match(report, /--- alice \(stopped, serves corrupt pieces\) log tail: .*alice\.log ---\n[\s\S]*the last words of alice/);
  });
});
