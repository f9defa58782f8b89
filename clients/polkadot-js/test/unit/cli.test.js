import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';

import { pseudoRandomBytes, sha256Hex } from '../support/fixtures.js';

const BIN = new URL('../../bin/', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'modelnet-cli-'));

after(() => rmSync(dir, { force: true, recursive: true }));

function run (script, args) {
  return spawnSync(process.execPath, [join(BIN, script), ...args], { encoding: 'utf8', timeout: 30_000 });
}

describe('scripts', () => {
  const scripts = readdirSync(BIN).filter((f) => f.endsWith('.js'));

  it('all have --help', () => {
    assert.ok(scripts.length >= 7);

    for (const s of scripts) {
      const r = run(s, ['--help']);

      assert.equal(r.status, 0, `${s}: ${r.stderr}`);
      assert.match(r.stdout, /^Usage: /, s);
    }
  });

  it('chain scripts take --url and --suri', () => {
    for (const s of ['register-model.js', 'join.js', 'create-task.js', 'status.js', 'watch.js', 'set-params.js']) {
      const r = run(s, ['--help']);

      assert.match(r.stdout, /--url WS/, s);
      assert.match(r.stdout, /--suri SURI/, s);
    }
  });

  it('reject unknown options with exit code 2', () => {
    const r = run('join.js', ['--bogus']);

    assert.equal(r.status, 2);
    assert.match(r.stderr, /--help/);
  });

  it('hash-model prints sha256 and size', () => {
    const data = pseudoRandomBytes('cli', 2 * 1024 * 1024 + 3);
    const path = join(dir, 'm.bin');

    writeFileSync(path, data);

    const r = run('hash-model.js', ['--json', path]);

    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), { file: path, sha256: sha256Hex(data), size: data.length });

    const plain = run('hash-model.js', [path]);

    assert.match(plain.stdout, new RegExp(`sha256: ${sha256Hex(data)}`));
    assert.match(plain.stdout, new RegExp(`size: +${data.length} `));
  });

  it('hash-model fails clearly on a missing file', () => {
    const r = run('hash-model.js', [join(dir, 'missing')]);

    assert.equal(r.status, 1);
    assert.match(r.stderr, /hash-model: error: .*ENOENT/);
  });

  it('report an unreachable node with exit code 1', () => {
    const r = spawnSync(process.execPath, [join(BIN, 'status.js'), 'params', '--url', 'ws://127.0.0.1:9'], {
      encoding: 'utf8', env: { ...process.env, MODELNET_CONNECT_TIMEOUT_MS: '3000' }, timeout: 60_000
    });

    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /cannot connect to ws:\/\/127\.0\.0\.1:9/);
  });

  it('validate arguments before connecting', () => {
    assert.equal(run('register-model.js', ['--sha256', '0x12', '--size', '1', '--source', 'http://x/']).status, 1);
    assert.equal(run('register-model.js', ['--sha256', `0x${'1'.repeat(64)}`, '--size', '1']).status, 2);
    assert.equal(run('create-task.js', ['--model', `0x${'1'.repeat(64)}`, '--fee', '1']).status, 2);
    assert.equal(run('update-sources.js', ['--model', `0x${'1'.repeat(64)}`]).status, 2);
    assert.equal(run('update-sources.js', ['--model', `0x${'1'.repeat(64)}`, '--source', 'ftp://x/m']).status, 2);
    assert.equal(run('status.js', ['model']).status, 2);
    assert.equal(run('set-params.js', ['--set', 'nonsense']).status, 2);
  });
});
