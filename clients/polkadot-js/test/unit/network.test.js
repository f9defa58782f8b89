// The multi-node harness's layout, without starting anything: node keys and peer ids, ports,
// directories and command lines.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';

import { counterIncrease, LocalNetwork, metricValue, modelLabel, nodeKeyOf, OFFCHAIN_WORKER_ARGS, parsePrometheus, peerIdOf } from '../support/network.js';

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
    assert.deepEqual(nodes.map((n) => n.ports.model), [10044, 10045, 10046, 10047, 10048], 'model ports: rpc + 100 + i by default');
    assert.equal(value(dave.args(), '--model-public-url'), 'http://127.0.0.1:10047');
    assert.equal(dave.publicUrl, 'http://127.0.0.1:10047');
    assert.equal(value(dave.args(), '--model-serve-addr'), '127.0.0.1:10047');
    assert.equal(value(dave.args(), '--prometheus-port'), '9618');
    assert.equal(dave.args().includes('--model-serve-corrupt'), false);
    assert.equal(dave.args().includes('--model-upload-limit'), false);
  });

  it('starts chosen nodes with --model-serve-corrupt, every node with an upload limit, up to eight storage nodes', async () => {
    const net = new LocalNetwork({
      baseDir, binary: '/nonexistent', name: 'unit2', ports: { model: 8100, p2p: 30333, prometheus: 9615, rpc: 9944 }, serveCorrupt: ['eve'], storage: 8, uploadLimit: 1048576
    });
    const nodes = await net.plan();
    const value = (args, flag) => args[args.indexOf(flag) + 1];

    assert.equal(nodes.length, 11);
    assert.deepEqual(nodes.slice(3).map((n) => n.suri), [
      '//Dave', '//Eve', '//Ferdie', '//Bob//stash', '//Charlie//stash', '//Dave//stash', '//Eve//stash', '//Ferdie//stash'
    ]);
    assert.equal(new Set(nodes.map((n) => n.address)).size, 11, 'eleven distinct accounts');
    assert.deepEqual(nodes.filter((n) => n.args().includes('--model-serve-corrupt')).map((n) => n.name), ['eve']);
    assert.ok(nodes.every((n) => value(n.args(), '--model-upload-limit') === '1048576'));
    assert.equal(nodes[10].publicUrl, 'http://127.0.0.1:8110');

    nodes[3].serveCorrupt = true;
    assert.ok(nodes[3].args().includes('--model-serve-corrupt'), 'switched per node before a (re)start');
    assert.throws(() => new LocalNetwork({ baseDir, binary: '/x', storage: 9 }), /storage nodes: 0\.\.8/);
  });
});

describe('Prometheus text', () => {
  const text = [
    '# HELP modelnet_model_bytes_received_total Bytes of model pieces received.',
    '# TYPE modelnet_model_bytes_received_total counter',
    'modelnet_model_bytes_received_total{kind="source",model="0011223344556677"} 4194304',
    'modelnet_model_bytes_received_total{kind="holder",model="0011223344556677"} 8388608',
    'modelnet_model_bytes_received_total{kind="nominee",model="8899aabbccddeeff"} 1024',
    'substrate_modelnet_bad_pieces_total{kind="nominee",chain="local"} 2',
    'modelnet_bad_pieces_total{kind="holder"} 1',
    'process_start_time_seconds 1.7e9 1700000000000',
    ''
  ].join('\n');

  it('parses series with labels and sums the ones asked for', () => {
    const series = parsePrometheus(text);

    assert.equal(series.length, 6);
    assert.deepEqual(series[0], { labels: { kind: 'source', model: '0011223344556677' }, name: 'modelnet_model_bytes_received_total', value: 4194304 });
    assert.equal(metricValue(series, 'modelnet_model_bytes_received_total', { model: '0011223344556677' }), 12582912);
    assert.equal(metricValue(series, 'modelnet_model_bytes_received_total', { kind: 'holder' }), 8388608);
    assert.equal(metricValue(series, 'modelnet_model_bytes_received_total', { kind: 'missing' }), 0);
    assert.equal(metricValue(series, 'modelnet_bad_pieces_total'), 3, 'with and without the substrate_ prefix');
    assert.equal(metricValue(series, 'process_start_time_seconds'), 1.7e9, 'a timestamp after the value is ignored');
    assert.equal(modelLabel(`0x${'00112233445566778899'.padEnd(64, '0')}`), '0011223344556677');
  });

  it('reads a counter that restarted as growing by its new reading', () => {
    assert.equal(counterIncrease(100, 150), 50);
    assert.equal(counterIncrease(100, 100), 0);
    assert.equal(counterIncrease(12582912, 0), 0, 'a series dropped and not written again grew by nothing');
    assert.equal(counterIncrease(12582912, 4096), 4096, 'a series dropped and written again grew by its new value');
  });
});
