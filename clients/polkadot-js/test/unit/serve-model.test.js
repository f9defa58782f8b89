import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { pseudoRandomBytes, sha256Hex } from '../support/fixtures.js';

const SCRIPT = new URL('../../bin/serve-model.js', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'modelnet-serve-'));
const data = pseudoRandomBytes('serve-model', 8 * 1024 * 1024 + 7);
let child;
let doc;
let stderr = '';
let exited;

before(async () => {
  writeFileSync(join(dir, 'model.bin'), data);
  writeFileSync(join(dir, 'gone.bin'), data.subarray(0, 100));
  child = spawn(process.execPath, [SCRIPT, join(dir, 'model.bin'), join(dir, 'gone.bin'), '--port', '0', '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
  exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  child.stderr.on('data', (b) => { stderr += b; });

  let stdout = '';

  doc = await new Promise((resolve, reject) => {
    child.stdout.on('data', (b) => {
      stdout += b;

      try {
        resolve(JSON.parse(stdout));
      } catch {
        // not complete yet
      }
    });
    child.once('exit', (code) => reject(new Error(`serve-model exited with ${code}: ${stderr}`)));
  });
});

after(() => {
  child.kill('SIGKILL');
  rmSync(dir, { force: true, recursive: true });
});

const url = (name) => doc.files.find((f) => f.url.endsWith(`/${name}`)).url;

async function get (name, headers = {}) {
  const res = await fetch(url(name), { headers });

  return { body: Buffer.from(await res.arrayBuffer()), res };
}

describe('serve-model', () => {
  it('prints one JSON document with each file', () => {
    assert.equal(doc.host, '127.0.0.1');
    assert.ok(doc.port > 0);
    assert.deepEqual(doc.files.map((f) => f.size), [data.length, 100]);
  });

  it('serves a whole file', async () => {
    const { body, res } = await get('model.bin');

    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-length'), String(data.length));
    assert.equal(res.headers.get('content-type'), 'application/octet-stream');
    assert.equal(res.headers.get('accept-ranges'), 'bytes');
    assert.equal(sha256Hex(body), sha256Hex(data));
  });

  it('serves a range with 206 and Content-Range, and refuses one beyond the end', async () => {
    const { body, res } = await get('model.bin', { Range: 'bytes=1000-1999' });

    assert.equal(res.status, 206);
    assert.equal(res.headers.get('content-range'), `bytes 1000-1999/${data.length}`);
    assert.ok(body.equals(data.subarray(1000, 2000)));

    const tail = await get('model.bin', { Range: `bytes=${data.length - 10}-` });

    assert.equal(tail.res.status, 206);
    assert.ok(tail.body.equals(data.subarray(data.length - 10)));
    assert.equal((await get('model.bin', { Range: `bytes=${data.length}-` })).res.status, 416);
  });

  it('answers 404 for an unknown path and 405 for another method', async () => {
    assert.equal((await fetch(`http://127.0.0.1:${doc.port}/nothing.bin`)).status, 404);
    assert.equal((await fetch(url('model.bin'), { method: 'POST' })).status, 405);
  });

  it('survives a file deleted under it and a client that goes away mid-body', async () => {
    unlinkSync(join(dir, 'gone.bin'));
    assert.equal((await get('gone.bin')).res.status, 404);

    await new Promise((resolve, reject) => {
      const req = request(url('model.bin'), (res) => {
        res.once('data', () => {
          req.destroy();
          resolve();
        });
      });

      req.on('error', (e) => (e.code === 'ECONNRESET' ? resolve() : reject(e)));
      req.end();
    });

    const { body, res } = await get('model.bin', { Range: 'bytes=0-9' });

    assert.equal(res.status, 206);
    assert.ok(body.equals(data.subarray(0, 10)));
    assert.equal(child.exitCode, null, stderr);
  });

  it('closes the server and exits 0 on SIGTERM', async () => {
    child.kill('SIGTERM');
    assert.deepEqual(await exited, { code: 0, signal: null });
    assert.match(stderr, /SIGTERM: closing the server/);
  });
});
