import assert from 'node:assert/strict';
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
});
