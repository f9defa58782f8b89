#!/usr/bin/env node
// Join the network as a storage/executor node: declare capacity and put up a stake.
import {
  connect, eventHuman, findEvent, formatBytes, parseAmount, parseBytes, parseCli, PALLET, requirePallet,
  runMain, signAndWait, signerFrom, tokenInfo, UsageError
} from '../lib/index.js';

const spec = {
  description: 'Register the signer as a node with its capacity and a stake (modelRegistry.join).\nThe signer must be the account of an `mdln` key in the node\'s keystore, so that the node\'s\noff-chain worker acts for it. The stake must be at least the runtime\'s MinNodeStake\n(the default when --stake is omitted).',
  examples: [
    'join --disk 100GiB --vram 24GiB --stake 1000MDL',
    'join --suri //Bob --disk 10GB --vram 0'
  ],
  name: 'join',
  options: {
    disk: { arg: 'BYTES', description: 'disk bytes offered for models (e.g. 500GiB)', type: 'string' },
    stake: { arg: 'AMOUNT', description: 'stake in planck, or with a unit (e.g. 1000MDL); default MinNodeStake', type: 'string' },
    vram: { arg: 'BYTES', description: 'GPU memory in bytes (e.g. 24GiB)', type: 'string' }
  },
  synopsis: '--disk BYTES --vram BYTES [--stake AMOUNT] [--url WS] [--suri SURI]'
};

runMain(spec.name, async () => {
  const { values } = parseCli(spec);

  if (values.disk === undefined || values.vram === undefined) {
    throw new UsageError('--disk and --vram are required');
  }

  const capacity = { diskBytes: parseBytes(values.disk), vramBytes: parseBytes(values.vram) };
  const api = await connect(values.url);

  try {
    requirePallet(api);

    const signer = signerFrom(values.suri);
    const minStake = api.consts[PALLET]?.minNodeStake;
    let stake;

    if (values.stake !== undefined) {
      stake = parseAmount(values.stake, tokenInfo(api));
    } else if (minStake) {
      stake = minStake.toBigInt();
    } else {
      throw new Error('--stake is required (the runtime exposes no MinNodeStake constant)');
    }

    console.log(`joining as ${signer.address}: disk ${formatBytes(capacity.diskBytes)}, vram ${formatBytes(capacity.vramBytes)}, stake ${api.createType('Balance', stake).toHuman()}`);

    const { blockNumber, events } = await signAndWait(api, api.tx[PALLET].join(capacity, stake), signer);
    const ev = findEvent(events, 'NodeJoined');

    console.log(`joined in block #${blockNumber}${ev ? `: ${JSON.stringify(eventHuman(ev))}` : ''}`);
  } finally {
    await api.disconnect();
  }
});
