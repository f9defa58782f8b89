import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';

import { sha256File } from '../../lib/hash.js';
import { pseudoRandomBytes, sha256Hex } from '../support/fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'modelnet-hash-'));

after(() => rmSync(dir, { force: true, recursive: true }));

describe('sha256File', () => {
  it('hashes the empty file', async () => {
    const path = join(dir, 'empty');

    writeFileSync(path, '');
    assert.deepEqual(await sha256File(path), {
      sha256: '0xe3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
      size: 0
    });
  });

  it('streams a multi-chunk file to the same digest as hashing it whole', async () => {
    const data = pseudoRandomBytes('hash', 5 * 1024 * 1024 + 17);
    const path = join(dir, 'big');
    const seen = [];

    writeFileSync(path, data);

    const res = await sha256File(path, { onProgress: (done, total) => seen.push([done, total]) });

    assert.deepEqual(res, { sha256: sha256Hex(data), size: data.length });
    assert.ok(seen.length > 1);
    assert.deepEqual(seen.at(-1), [data.length, data.length]);
  });

  it('fails on a missing file', async () => {
    await assert.rejects(sha256File(join(dir, 'missing')), /ENOENT/);
  });
});
