import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';

import { pieceManifestOf } from '../../lib/pieces.js';
import { pseudoRandomBytes, sha256Hex } from '../support/fixtures.js';

const BIN = new URL('../../bin/', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'modelnet-cli-'));
const MODEL = `0x${'1'.repeat(64)}`;
// No node listens here: a script that got past its checks would fail to connect (exit 1), not 2.
const NOWHERE = ['--url', 'ws://127.0.0.1:9'];
const ENV = { ...process.env, MODELNET_CONNECT_TIMEOUT_MS: '2000' };

after(() => rmSync(dir, { force: true, recursive: true }));

function run (script, args) {
  return spawnSync(process.execPath, [join(BIN, script), ...args], { encoding: 'utf8', env: ENV, timeout: 30_000 });
}

/** The same, concurrently: `{ status, stdout, stderr }`. */
function runAsync (script, args) {
  return new Promise((resolve) => {
    execFile(process.execPath, [join(BIN, script), ...args], { encoding: 'utf8', env: ENV, timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ status: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stderr, stdout });
    });
  });
}

/** Run many invocations at once (loading @polkadot/api takes a while per process). */
function runAll (cases) {
  return Promise.all(cases.map(([script, args]) => runAsync(script, args)));
}

const scripts = readdirSync(BIN).filter((f) => f.endsWith('.js'));
const NO_CHAIN = ['hash-model.js', 'make-mlp-model.js', 'serve-model.js', 'local-network.js'];

describe('scripts', () => {
  it('all have --help, --json, and (chain scripts) --url, --ws and --suri', async () => {
    assert.ok(scripts.length >= 20);

    const results = await runAll(scripts.map((s) => [s, ['--help']]));

    results.forEach((r, i) => {
      const s = scripts[i];

      assert.equal(r.status, 0, `${s}: ${r.stderr}`);
      assert.match(r.stdout, /^Usage: /, s);
      assert.match(r.stdout, /--json/, s);

      if (!NO_CHAIN.includes(s)) {
        assert.match(r.stdout, /--url WS/, s);
        assert.match(r.stdout, /--ws WS/, s);
        assert.match(r.stdout, /--suri SURI/, s);
      }
    });
  });

  it('reject unknown options with exit code 2', async () => {
    const results = await runAll(scripts.map((s) => [s, ['--bogus']]));

    results.forEach((r, i) => {
      assert.equal(r.status, 2, scripts[i]);
      assert.match(r.stderr, /--help/, scripts[i]);
    });
  });

  it('hash-model prints sha256, size and the piece manifest', () => {
    const data = pseudoRandomBytes('cli', 2 * 1024 * 1024 + 3);
    const path = join(dir, 'm.bin');
    const piecesFile = join(dir, 'm.pieces');
    const leaf = pieceManifestOf(data).pieces[0];

    writeFileSync(path, data);

    const r = run('hash-model.js', ['--json', path]);

    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), {
      file: path, pieceCount: 1, pieceRoot: leaf, pieceSize: 4 * 1024 * 1024, sha256: sha256Hex(data), size: data.length
    });

    const plain = run('hash-model.js', [path, '--pieces-out', piecesFile]);

    assert.match(plain.stdout, new RegExp(`sha256: ${sha256Hex(data)}`));
    assert.match(plain.stdout, new RegExp(`size: +${data.length} `));
    assert.match(plain.stdout, /pieces: 1 of 4\.00 MiB/);
    assert.match(plain.stdout, new RegExp(`root: +${leaf}`));
    assert.equal(readFileSync(piecesFile, 'utf8'), `${leaf}\n`, 'one leaf per line');
    assert.equal(run('hash-model.js', ['--id', path]).stdout, `${sha256Hex(data)}\n`);
    assert.equal(run('hash-model.js', ['--id', '--json', path]).status, 2);
  });

  it('hash-model fails clearly on a missing file', () => {
    const r = run('hash-model.js', [join(dir, 'missing')]);

    assert.equal(r.status, 1);
    assert.match(r.stderr, /hash-model: error: .*ENOENT/);
  });

  it('report an unreachable node with exit code 1, in one line', () => {
    const r = spawnSync(process.execPath, [join(BIN, 'status.js'), 'params', '--url', 'ws://127.0.0.1:9'], {
      encoding: 'utf8', env: { ...process.env, MODELNET_CONNECT_TIMEOUT_MS: '3000' }, timeout: 60_000
    });

    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /cannot connect to ws:\/\/127\.0\.0\.1:9/);
    assert.match(r.stderr, /waiting for the node at ws:\/\/127\.0\.0\.1:9/);
    assert.doesNotMatch(r.stderr, /API-WS|disconnected from/, 'no polkadot.js reconnect noise');
    assert.equal(r.stdout, '');
  });

  it('with --json, a failure is one JSON document on stdout', async () => {
    const [usage, unreachable] = await runAll([
      ['cancel-task.js', ['--task', '-1x', '--json']],
      ['list-nodes.js', ['--json', ...NOWHERE]]
    ]);

    assert.equal(usage.status, 2);
    assert.deepEqual(Object.keys(JSON.parse(usage.stdout)), ['error']);
    assert.equal(JSON.parse(usage.stdout).error.kind, 'usage');
    assert.equal(unreachable.status, 1);
    assert.equal(JSON.parse(unreachable.stdout).error.kind, 'error');
    assert.match(JSON.parse(unreachable.stdout).error.message, /cannot connect/);
  });

  it('validate arguments before connecting (usage errors exit 2)', async () => {
    // Piece files: one leaf (right for a size up to 4 MiB), two leaves, and a bad line.
    const one = join(dir, 'one.pieces');
    const two = join(dir, 'two.pieces');
    const bad = join(dir, 'bad.pieces');

    writeFileSync(one, `${MODEL}\n`);
    writeFileSync(two, `${MODEL}\n${MODEL}\n`);
    writeFileSync(bad, `${MODEL}\n0x1234\n`);

    const cases = [
      ['register-model.js', ['--sha256', '0x12', '--size', '1', '--pieces', one, '--source', 'http://x/']],
      ['register-model.js', ['--sha256', MODEL, '--size', '1', '--pieces', one]],
      ['register-model.js', ['--sha256', MODEL, '--size', '0', '--pieces', one, '--source', 'http://x/']],
      ['register-model.js', ['--sha256', MODEL, '--size', '20000000000000000000', '--pieces', one, '--source', 'http://x/']],
      ['register-model.js', ['--sha256', MODEL, '--size', '1', '--pieces', one, '--source', 'http://x/', '--wait-stored', '0']],
      ['register-model.js', ['--sha256', MODEL, '--size', '1', '--pieces', one, '--source', 'http://x/', '--timeout', '1.5']],
      ['register-model.js', ['--sha256', MODEL, '--size', '1', '--source', 'http://x/']],
      ['register-model.js', ['--sha256', MODEL, '--size', '1', '--pieces', two, '--source', 'http://x/']],
      ['register-model.js', ['--sha256', MODEL, '--size', '5MiB', '--pieces', bad, '--source', 'http://x/']],
      ['register-model.js', ['--sha256', MODEL, '--size', '1', '--pieces', join(dir, 'missing.pieces'), '--source', 'http://x/']],
      ['register-model.js', ['--sha256', MODEL, '--size', '300GiB', '--pieces', one, '--source', 'http://x/']],
      ['register-model.js', ['--file', one, '--pieces', one, '--source', 'http://x/']],
      ['register-model.js', ['--sha256', MODEL, '--size', '1', '--pieces', one, '--source', 'http://x/', '--executor', 'llama']],
      ['register-model.js', ['--sha256', MODEL, '--size', '1', '--pieces', one, '--source', 'http://x/', '--executor', 'external:']],
      ['register-model.js', ['--sha256', MODEL, '--size', '1', '--pieces', one, '--source', 'http://x/', '--executor', 'external:Llama_3']],
      ['register-model.js', ['--file', one, '--source', 'http://x/', '--executor', 'external:-x']],
      ['create-task.js', ['--model', MODEL, '--fee', '1']],
      ['create-task.js', ['--model', MODEL, '--input', 'x', '--fee', 'lots']],
      ['create-task.js', ['--model', MODEL, '--input', 'x', '--fee', '1', '--verify', 'f']],
      ['update-sources.js', ['--model', MODEL]],
      ['update-sources.js', ['--model', MODEL, '--source', 'ftp://x/m']],
      ['status.js', ['model']],
      ['status.js', ['model', '0x12']],
      ['status.js', ['task', '-1']],
      ['status.js', ['task', '18446744073709551616']],
      ['set-params.js', ['--set', 'nonsense']],
      ['set-params.js', ['--min-replicas', '4294967296']],
      ['set-params.js', ['--slash-fraction', '150%']],
      ['join.js', ['--disk', '1GiB']],
      ['join.js', ['--disk', '-1', '--vram', '0']],
      ['join.js', ['--disk', '1GiB', '--vram', '0', '--stake=-5']],
      ['join.js', ['--disk', '1GiB', '--vram', '0', '--suri', '//Alice', '--url', 'http://x']],
      ['update-capacity.js', []],
      ['update-capacity.js', ['--disk', '1.5']],
      ['update-capacity.js', ['--vram', '18446744073709551616']],
      ['cancel-task.js', []],
      ['cancel-task.js', ['--task', '1.5']],
      ['cancel-task.js', ['--task', '18446744073709551616']],
      ['report-lost.js', []],
      ['report-lost.js', ['--model', 'abc']],
      ['pause.js', ['extra']],
      ['list-models.js', ['--page', '0']],
      ['list-models.js', ['--per-page', '10001']],
      ['list-nodes.js', ['--page', '-2']],
      ['list-nodes.js', ['--url', 'ws://a', '--ws', 'ws://b']],
      ['serve-model.js', ['x', '--port', '65536']],
      ['local-network.js', ['--storage', '9']]
    ];
    const withUrl = (s, a) => (NO_CHAIN.includes(s) || a.includes('--url') || a.includes('--ws') ? a : [...a, ...NOWHERE]);
    const results = await runAll(cases.map(([s, a]) => [s, withUrl(s, a)]));

    results.forEach((r, i) => {
      assert.equal(r.status, 2, `${cases[i][0]} ${cases[i][1].join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, /Try '.* --help'/);
    });
  });

  it('--ws is taken like --url', async () => {
    const [r] = await runAll([['list-nodes.js', ['--ws', 'ws://127.0.0.1:9']]]);

    assert.equal(r.status, 1);
    assert.match(r.stderr, /cannot connect to ws:\/\/127\.0\.0\.1:9/);
  });
});
