import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { modelLines, modelRow, nodeLines, nodeRow, pageHeading, paginate, piecesSummary, sortModelRows, sortNodeRows } from '../../lib/index.js';

const modelJson = (over = {}) => ({
  available: 2,
  demandCurrent: 4,
  demandPrevious: 1,
  demandWindowIndex: 3,
  deposit: '0x0000000000000000ffffffffffffffff',
  holders: 2,
  minVramBytes: 0,
  nominated: 1,
  owner: '5Owner',
  parkedAt: null,
  queued: false,
  registeredAt: 10,
  retiring: false,
  sizeBytes: 1048576,
  sourceFailures: 0,
  target: 3,
  ...over
});
const nodeJson = (over = {}) => ({
  capacity: { diskBytes: 1073741824, vramBytes: 0 },
  joinedAt: 5,
  openCommitments: 0,
  qos: 700,
  stake: 100,
  status: 'Active',
  usedDisk: 0,
  ...over
});

describe('listings', () => {
  it('shapes a model row, big values as bigints', () => {
    const r = modelRow('0xaa', modelJson());

    assert.equal(r.deposit, 2n ** 64n - 1n);
    assert.equal(r.sizeBytes, 1048576n);
    assert.deepEqual(r.demand, { current: 4, previous: 1, window: 3 });
    assert.equal(r.parked, false);
    assert.equal(modelRow('0xaa', modelJson({ parkedAt: [1, 2] })).parked, true);
    assert.equal(r.executor, 'spot-check', 'a record without the field');
    assert.equal(modelRow('0xaa', modelJson({ executor: { safetensorsMlp: null } })).executor, 'mlp');
  });

  it('sorts models by registration then id, nodes by joining then account', () => {
    const models = sortModelRows([
      modelRow('0xbb', modelJson({ registeredAt: 10 })),
      modelRow('0xaa', modelJson({ registeredAt: 10 })),
      modelRow('0xcc', modelJson({ registeredAt: 2 }))
    ]);

    assert.deepEqual(models.map((m) => m.id), ['0xcc', '0xaa', '0xbb']);

    const nodes = sortNodeRows([nodeRow('5B', nodeJson(), 0, 0), nodeRow('5A', nodeJson(), 0, 0), nodeRow('5C', nodeJson({ joinedAt: 1 }), 0, 0)]);

    assert.deepEqual(nodes.map((n) => n.account), ['5C', '5A', '5B']);
  });

  it('renders pages as tables', () => {
    const llama = { external: `0x${Buffer.from('llama').toString('hex')}` };
    const rows = sortModelRows([modelRow('0xaa', modelJson({ executor: llama, sourceFailures: 3 })), modelRow('0xbb', modelJson({ retiring: true }))]);
    const page = paginate(rows, { page: 1, perPage: 1 });

    page.items[0].holderList = [{ available: false, node: '5H' }];
    page.items[0].sources = ['http://x/m'];
    page.items[0].pieces = piecesSummary({ pieceSize: 4194304, pieces: ['0x01', '0x02'], root: '0xroot' });

    const lines = modelLines(page, { details: true });

    assert.equal(lines[0], 'page 1/2: models 1-1 of 2');
    assert.match(lines[1], /^MODEL +HOLDERS +TARGET.* PIECES +EXECUTOR +STATE$/);
    assert.match(lines[2], /^0xaa +2 +3 +2 +1 +4\/1 +3 +1\.00 MiB +2x4\.00 MiB +external:llama +sources-failing$/);
    assert.deepEqual(lines.slice(3), ['    piece root 0xroot', '    holder 5H (not available)', '    source http://x/m']);
    assert.match(modelLines(paginate(rows.slice(1), { page: 1, perPage: 1 }))[2], /1\.00 MiB +- +spot-check +retiring$/, 'no manifest: a dash');

    const row = { ...nodeRow('5A', nodeJson({ status: 'Paused' }), 2, 1), endpoint: 'http://10.0.0.1:8100' };
    const nodes = nodeLines(paginate([row, nodeRow('5B', nodeJson(), 0, 0)], { page: 1, perPage: 50 }), (v) => `${v} planck`);

    assert.match(nodes[1], /STAKE +ENDPOINT$/);
    assert.match(nodes[2], /^5A +Paused +700 +2 +1 +0 B \/ 1\.00 GiB +0 B +100 planck +http:\/\/10\.0\.0\.1:8100$/);
    assert.match(nodes[3], /100 planck +-$/, 'no endpoint declared: a dash');
  });

  it('says when there is nothing to list', () => {
    assert.equal(pageHeading(paginate([], { page: 1, perPage: 5 }), 'nodes'), 'no nodes');
    assert.equal(pageHeading(paginate([1], { page: 2, perPage: 5 }), 'nodes'), 'page 2/1: no nodes on this page (1 in all)');
    assert.deepEqual(modelLines(paginate([], { page: 1, perPage: 5 })), ['no models']);
  });
});
