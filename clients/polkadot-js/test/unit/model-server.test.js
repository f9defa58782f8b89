import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { pseudoRandomBytes, sha256Hex } from '../support/fixtures.js';
import { ModelServer } from '../support/model-server.js';

const data = pseudoRandomBytes('server', 3 * 1024 * 1024 + 5);
let server;

before(async () => {
  server = await new ModelServer().start();
});

after(() => server.stop());

async function get (path, headers = {}) {
  const res = await fetch(server.url(path), { headers });

  return { body: Buffer.from(await res.arrayBuffer()), res };
}

describe('test model server', () => {
  it('serves the whole file and ranges', async () => {
    server.add('/m.bin', data);

    const whole = await get('/m.bin');

    assert.equal(whole.res.status, 200);
    assert.equal(whole.res.headers.get('accept-ranges'), 'bytes');
    assert.equal(sha256Hex(whole.body), sha256Hex(data));

    const part = await get('/m.bin', { Range: 'bytes=1000-' });

    assert.equal(part.res.status, 206);
    assert.equal(part.res.headers.get('content-range'), `bytes 1000-${data.length - 1}/${data.length}`);
    assert.ok(part.body.equals(data.subarray(1000)));

    const bad = await get('/m.bin', { Range: `bytes=${data.length}-` });

    assert.equal(bad.res.status, 416);
    assert.equal((await get('/nothing')).res.status, 404);

    const recorded = server.requestsFor('/m.bin');

    assert.equal(recorded.length, 3);
    assert.equal(recorded[1].range, 'bytes=1000-');
    assert.equal(server.bytesServed('/m.bin'), data.length + data.length - 1000);
  });

  it('serves tampered bytes of the same length', async () => {
    server.add('/t.bin', data, { tamper: true });

    const { body } = await get('/t.bin');

    assert.equal(body.length, data.length);
    assert.notEqual(sha256Hex(body), sha256Hex(data));
  });

  it('dies mid-body once, refuses connections while down, then serves again', async () => {
    server.add('/d.bin', data);
    server.dieOnce('/d.bin', { afterBytes: 1024 * 1024, downMs: 600 });

    const res = await fetch(server.url('/d.bin'));

    await assert.rejects(res.arrayBuffer());
    assert.equal(server.requestsFor('/d.bin')[0].aborted, true);
    assert.equal(server.requestsFor('/d.bin')[0].sent, 1024 * 1024);

    await new Promise((r) => setTimeout(r, 200));
    assert.equal(server.up, false);
    await assert.rejects(fetch(server.url('/d.bin')));

    const deadline = Date.now() + 5_000;

    while (!server.up && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
    }

    const { body, res: again } = await get('/d.bin', { Range: 'bytes=1048576-' });

    assert.equal(again.status, 206);
    assert.ok(body.equals(data.subarray(1024 * 1024)));
    assert.equal(server.bytesServed('/d.bin'), data.length);
  });

  it('is stopped and restarted on the same port, counting bytes per path and since a mark', async () => {
    server.add('/r.bin', data);

    const port = server.port;
    const mark = server.mark();

    assert.equal((await get('/r.bin', { Range: 'bytes=0-999' })).body.length, 1000);
    await server.stop();
    assert.equal(server.up, false);
    await assert.rejects(fetch(server.url('/r.bin')));
    await server.restart();
    assert.equal(server.port, port, 'same port');
    assert.equal((await get('/r.bin', { Range: 'bytes=1000-1999' })).body.length, 1000);
    assert.equal(server.bytesServed('/r.bin'), 2000);
    assert.equal(server.bytesServed('/r.bin', { since: mark + 1 }), 1000);
    assert.equal(server.totalBytesServed({ since: mark }), 2000);
    assert.equal(server.bytesByPath()['/r.bin'], 2000);
  });

  it('serves a file from disk', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'modelnet-server-'));
    const file = join(dir, 'f.bin');

    try {
      writeFileSync(file, data);
      server.addFile('/f.bin', file);

      const whole = await get('/f.bin');

      assert.equal(sha256Hex(whole.body), sha256Hex(data));

      const part = await get('/f.bin', { Range: 'bytes=5-' });

      assert.ok(part.body.equals(data.subarray(5)));
    } finally {
      rmSync(dir, { force: true, recursive: true });
    }
  });

  it('limits the rate over all requests', async () => {
    const limited = await new ModelServer({ rateLimit: 4 * 1024 * 1024 }).start();

    try {
      limited.add('/l.bin', data);

      const started = Date.now();
      const bodies = await Promise.all([0, 1].map(() => fetch(limited.url('/l.bin'), { headers: { Range: 'bytes=0-1048575' } }).then((r) => r.arrayBuffer())));
      const ms = Date.now() - started;

      assert.deepEqual(bodies.map((b) => b.byteLength), [1048576, 1048576]);
      // 2 MiB at 4 MiB/s: about 0.5 s (minus at most 0.1 s of burst).
      assert.ok(ms >= 350, `2 MiB at 4 MiB/s took ${ms} ms`);
      assert.ok(ms < 3_000, `2 MiB at 4 MiB/s took ${ms} ms`);
      assert.equal(limited.rateLimit, 4 * 1024 * 1024);
      limited.setRateLimit(0);

      const fast = Date.now();

      await fetch(limited.url('/l.bin')).then((r) => r.arrayBuffer());
      assert.ok(Date.now() - fast < 1_000, 'no limit once lifted');
      assert.throws(() => limited.setRateLimit(-1), RangeError);
    } finally {
      await limited.close();
    }
  });
});
