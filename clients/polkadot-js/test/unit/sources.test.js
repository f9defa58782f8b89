import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { checkSourceSizes } from '../../lib/sources.js';
import { pseudoRandomBytes } from '../support/fixtures.js';

const SIZE = 5000;
const BIN = new URL('../../bin/', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'modelnet-sources-'));
const requests = [];
let server;
let base;
let closedPort;

/** /ok (right length), /short (one byte less), /missing (404), /nolength (chunked), /moved (302 to /ok), /slow (never answers). */
function handler (req, res) {
  requests.push(`${req.method} ${req.url}`);

  switch (req.url) {
    case '/ok':
      res.writeHead(200, { 'Content-Length': String(SIZE) }).end(req.method === 'HEAD' ? undefined : Buffer.alloc(SIZE));
      break;
    case '/short':
      res.writeHead(200, { 'Content-Length': String(SIZE - 1) }).end();
      break;
    case '/nolength':
      res.writeHead(200, { 'Transfer-Encoding': 'chunked' }).end();
      break;
    case '/moved':
      res.writeHead(302, { Location: '/ok' }).end();
      break;
    case '/slow':
      break;
    default:
      res.writeHead(404).end();
  }
}

before(async () => {
  const probe = createServer();

  await new Promise((resolve) => probe.listen(0, '127.0.0.1', resolve));
  closedPort = probe.address().port;
  await new Promise((resolve) => probe.close(resolve));

  server = createServer(handler);
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${server.address().port}`;
});

after(() => {
  server.closeAllConnections();
  server.close();
  rmSync(dir, { force: true, recursive: true });
});

describe('checkSourceSizes', () => {
  it('accepts a source whose Content-Length is the size, after redirects', async () => {
    const r = await checkSourceSizes([`${base}/ok`, `${base}/moved`], BigInt(SIZE));

    assert.deepEqual(r, { mismatches: [], warnings: [] });
    assert.ok(requests.includes('HEAD /ok') && requests.includes('HEAD /moved'));
    assert.ok(!requests.some((q) => q.startsWith('GET')));
  });

  it('reports a different Content-Length as a mismatch with both sizes', async () => {
    const r = await checkSourceSizes([`${base}/short`, `${base}/ok`], SIZE);

    assert.deepEqual(r.mismatches, [{ contentLength: String(SIZE - 1), size: String(SIZE), url: `${base}/short` }]);
    assert.deepEqual(r.warnings, []);
  });

  it('warns about a 404, a missing Content-Length, an unreachable or silent source', async () => {
    const urls = [`${base}/missing`, `${base}/nolength`, `http://127.0.0.1:${closedPort}/m.bin`, `${base}/slow`];
    const r = await checkSourceSizes(urls, SIZE, { timeoutMs: 500 });

    assert.deepEqual(r.mismatches, []);
    assert.deepEqual(r.warnings.map((w) => w.url), urls);
    assert.match(r.warnings[0].message, /404/);
    assert.match(r.warnings[1].message, /no Content-Length/);
    assert.match(r.warnings[2].message, /cannot reach it \(ECONNREFUSED\)/);
    assert.match(r.warnings[3].message, /no answer within 0.5s/);
  });
});

describe('register-model source check', () => {
  const file = join(dir, 'm.bin');
  const ENV = { ...process.env, MODELNET_CONNECT_TIMEOUT_MS: '1000' };
  // Asynchronous: the HTTP server of this process must keep answering.
  const run = (args) => new Promise((resolve) => {
    execFile(process.execPath, [join(BIN, 'register-model.js'), '--url', 'ws://127.0.0.1:9', '--file', file, ...args], { encoding: 'utf8', env: ENV, timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ status: err ? err.code : 0, stderr, stdout });
    });
  });

  before(() => writeFileSync(file, pseudoRandomBytes('sources', SIZE - 1)));

  it('a mismatch is a usage error naming the URL and both sizes', async () => {
    const r = await run(['--source', `${base}/ok`, '--json']);

    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, new RegExp(`--source ${base}/ok: Content-Length ${SIZE} differs from the model's size ${SIZE - 1}`));
    assert.equal(JSON.parse(r.stdout).error.kind, 'usage');
  });

  it('a source that cannot be checked is a warning; --no-check-sources skips the check', async () => {
    const warned = await run(['--source', `${base}/missing`]);

    assert.equal(warned.status, 1, warned.stderr); // past the check, then no node to reach
    assert.match(warned.stderr, new RegExp(`warning: --source ${base}/missing: HEAD answered 404`));

    const count = requests.length;
    const skipped = await run(['--source', `${base}/ok`, '--no-check-sources']);

    assert.equal(skipped.status, 1, skipped.stderr);
    assert.doesNotMatch(skipped.stderr, /Content-Length|warning/);
    assert.equal(requests.length, count);
  });
});
