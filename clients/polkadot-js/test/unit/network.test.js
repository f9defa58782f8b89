// The multi-node harness's layout, without starting anything: node keys and peer ids, ports,
// directories and command lines.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';

import { LocalNetwork, nodeKeyOf, OFFCHAIN_WORKER_ARGS, peerIdOf } from '../support/network.js';

describe('LocalNetwork layout', () => {
  const baseDir = mkdtempSync(join(tmpdir(), 'modelnet-net-unit-'));

  after(() => rmSync(baseDir, { force: true, recursive: true }));

  it('derives the well-known peer id of node key 0x…01', () => {
    assert.equal(nodeKeyOf(0), `${'0'.repeat(63)}1`);
    assert.equal(peerIdOf(nodeKeyOf(0)), '12D3KooWEyoppNCUx8Yx66oV9fJnriXwCcXwDDUA2kj6vnc6iDEp');
    assert.notEqual(peerIdOf(nodeKeyOf(1)), peerIdOf(nodeKeyOf(0)));
  });

  it('lays out validators and storage nodes with their own keys, ports and directories', async () => {
    const net = new LocalNetwork({ baseDir, binary: '/nonexistent', name: 'unit', ports: { p2p: 30333, prometheus: 9615, rpc: 9944 }, storage: 2, storageWorkerFlag: false });
    const nodes = await net.plan();

    assert.deepEqual(nodes.map((n) => n.name), ['alice', 'bob', 'charlie', 'dave', 'eve']);
    assert.deepEqual(nodes.map((n) => n.suri), ['//Alice', '//Bob', '//Charlie', '//Dave', '//Eve']);
    assert.deepEqual(nodes.map((n) => n.ports.rpc), [9944, 9945, 9946, 9947, 9948]);
    assert.equal(new Set(nodes.map((n) => n.storeDir)).size, 5);
    assert.equal(new Set(nodes.map((n) => n.basePath)).size, 5);

    const [alice, bob] = nodes;
    const dave = nodes[3];
    const value = (args, flag) => args[args.indexOf(flag) + 1];

    assert.ok(alice.args().includes('--alice'));
    assert.equal(alice.args().includes('--bootnodes'), false, 'node 0 is the bootnode');
    assert.equal(value(bob.args(), '--bootnodes'), `/ip4/127.0.0.1/tcp/30333/p2p/${peerIdOf(nodeKeyOf(0))}`);
    assert.equal(value(bob.args(), '--node-key'), nodeKeyOf(1));
    assert.equal(value(dave.args(), '--chain'), 'local');
    assert.equal(value(dave.args(), '--base-path'), dave.basePath);
    assert.equal(value(dave.args(), '--model-store'), dave.storeDir);
    assert.equal(value(dave.args(), '--listen-addr'), '/ip4/127.0.0.1/tcp/30336');
    assert.ok(!dave.args().some((a) => /^--(validator|alice|bob|charlie|dave)$/.test(a)), 'a storage node is no validator');
    assert.equal(dave.args().join(' ').includes(OFFCHAIN_WORKER_ARGS.join(' ')), false, 'storage nodes run their worker without the flag');
    assert.ok(dave.args().includes('--allow-private-model-sources'), 'the local model server is allowed');
    assert.ok(dave.args().includes('--no-mdns'));
  });
});
