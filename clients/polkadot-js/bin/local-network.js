#!/usr/bin/env node
// Start a local modelnet network (`--chain local`): the validators Alice, Bob and Charlie and
// storage nodes Dave, Eve, Ferdie (then //Bob//stash ... //Ferdie//stash), each its own modelnet-node process with its own model-registry
// key, joined as storage nodes; keep it running until Ctrl-C. Same harness as the multi-node
// end-to-end tests (test/support/network.js).
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

import { Output, parseCli, parseUint, runMain, UsageError } from '../lib/index.js';

const spec = {
  chain: false,
  description: `Start a local network of modelnet-node processes on 127.0.0.1 and keep it running until Ctrl-C:
the validators --alice, --bob, --charlie (fixed node keys; Alice is the bootnode) and --storage
non-validator storage nodes (Dave, Eve, Ferdie, then //Bob//stash ... //Ferdie//stash). Each process
gets its own base path, model store and ports (node i: RPC --rpc-port + i, p2p --p2p-port + i,
Prometheus --prometheus-port + i, model serving --model-port + i: --model-public-url
http://127.0.0.1:<port>, the URL the node declares on chain for other nodes to fetch pieces), its own
model-registry key (//Alice, //Bob, ... inserted with author_insertKey), and that account joins with
the minimum stake (validators declare 24 GiB of VRAM, storage nodes 80 GiB; 100 GiB of disk each).
Logs go to --log-dir. Without --base-dir the chain lives in a temporary directory removed at exit;
with it, a second run reuses the chain, keys and stores. With --json, one document describing the
nodes (name, role, suri, address, url, store, log) is printed once they run; progress goes to stderr.`,
  examples: [
    'local-network --storage 2',
    'local-network --storage 3 --base-dir /tmp/modelnet-net --set initial_replicas=3 --set min_replicas=3 --set low_watermark=2'
  ],
  name: 'local-network',
  options: {
    'base-dir': { arg: 'DIR', description: 'directory of the nodes\' base paths and model stores (kept)', type: 'string' },
    binary: { arg: 'PATH', description: 'modelnet-node binary (default $MODELNET_NODE, else ~/.cache/modelnet-target/debug/modelnet-node)', type: 'string' },
    'log-dir': { arg: 'DIR', description: 'node logs (default clients/polkadot-js/e2e-logs, or $MODELNET_E2E_LOG_DIR)', type: 'string' },
    'no-join': { description: 'start the processes only: no keys inserted, nobody joins', type: 'boolean' },
    'p2p-port': { arg: 'PORT', default: '30333', description: 'p2p port of the first node (default 30333)', type: 'string' },
    'model-port': { arg: 'PORT', default: '9715', description: 'model-serving port of the first node (default 9715)', type: 'string' },
    'prometheus-port': { arg: 'PORT', default: '9615', description: 'Prometheus port of the first node (default 9615)', type: 'string' },
    'rpc-port': { arg: 'PORT', default: '9944', description: 'RPC port of the first node (default 9944)', type: 'string' },
    set: { arg: 'NAME=VALUE', description: 'a registry parameter to set through sudo once the network runs', multiple: true, type: 'string' },
    storage: { arg: 'N', default: '2', description: 'storage nodes besides the validators, 0..8 (default 2)', type: 'string' }
  },
  positionals: false,
  synopsis: '[--storage N] [--base-dir DIR] [--rpc-port PORT] [--set NAME=VALUE]... [--binary PATH] [--json]'
};

const int = (name, v, min, max) => parseUint(`--${name}`, v, { max, min });

runMain(spec.name, async () => {
  const { values } = parseCli(spec);
  const out = new Output(values);
  const storage = int('storage', values.storage, 0, 8);
  const ports = {
    model: int('model-port', values['model-port'], 1, 65535),
    p2p: int('p2p-port', values['p2p-port'], 1, 65535),
    prometheus: int('prometheus-port', values['prometheus-port'], 1, 65535),
    rpc: int('rpc-port', values['rpc-port'], 1, 65535)
  };
  const params = {};

  for (const kv of values.set ?? []) {
    const i = kv.indexOf('=');

    if (i <= 0) {
      throw new UsageError(`--set ${kv}: expected NAME=VALUE`);
    }

    params[kv.slice(0, i).trim()] = kv.slice(i + 1).trim();
  }

  if (values['log-dir']) {
    process.env.MODELNET_E2E_LOG_DIR = resolve(values['log-dir']);
  }

  // Imported after MODELNET_E2E_LOG_DIR is settled (the log directory is read at import).
  const { LocalNetwork } = await import('../test/support/network.js');
  const { LOG_DIR } = await import('../test/support/node-process.js');
  const binary = values.binary ?? process.env.MODELNET_NODE ?? join(homedir(), '.cache/modelnet-target/debug/modelnet-node');
  const net = new LocalNetwork({
    baseDir: values['base-dir'] ? resolve(values['base-dir']) : undefined, binary, name: 'local', ports, storage
  });
  let stopping = null;
  const stop = () => {
    stopping ??= (async () => {
      out.line('\nstopping the nodes ...');
      await net.shutdown({ keep: !!values['base-dir'] });
      out.line('stopped');
    })();

    return stopping;
  };

  process.once('SIGINT', () => stop().then(() => process.exit(0)));
  process.once('SIGTERM', () => stop().then(() => process.exit(0)));

  out.line(`starting ${net.validatorCount} validators and ${storage} storage nodes (logs in ${LOG_DIR}) ...`);

  try {
    await net.start();

    if (!values['no-join']) {
      await net.setup({ params });
    }
  } catch (e) {
    await stop();
    throw e;
  }

  out.result({
    bootnode: net.nodes[0].multiaddr,
    joined: !values['no-join'],
    nodes: net.nodes.map((n) => ({
      address: n.address, log: n.logFile, metrics: n.metricsUrl, name: n.name, publicUrl: n.publicUrl, role: n.validator ? 'validator' : 'storage', store: n.storeDir, suri: n.suri, url: n.url
    }))
  }, () => [
    '',
    'node           role       account                                                            RPC                    pieces served at        store',
    ...net.nodes.map((n) => `${n.name.padEnd(14)} ${(n.validator ? 'validator' : 'storage').padEnd(10)} ${n.suri.padEnd(16)} ${n.address}  ${n.url.padEnd(22)} ${n.publicUrl.padEnd(23)} ${n.storeDir}`),
    '',
    `bootnode: ${net.nodes[0].multiaddr}`,
    `logs: ${LOG_DIR}/local-<node>-${net.stamp}.log`,
    values['no-join'] ? 'no keys inserted, nobody joined (--no-join)' : 'every node has its mdln key and has joined; parameters: node bin/status.js params'
  ]);
  out.line('running; Ctrl-C stops every node');

  for (const n of net.nodes) {
    n.proc.waitExit().then((info) => {
      if (!stopping) {
        out.warn(`${n.name} exited unexpectedly (${JSON.stringify(info)}); log: ${n.logFile}`);
      }
    });
  }

  await new Promise(() => undefined);
});
