#!/usr/bin/env node
// Join the network as a storage/executor node: declare capacity and put up a stake.
import {
  callDocument, checkAmountSyntax, connect, eventData, eventHuman, findEvent, formatBytes, Output, parseAmountOption,
  parseByteCount, parseCli, PALLET, requiredStake, requirePallet, runMain, signAndWait, signerReady, tokenInfo, UsageError
} from '../lib/index.js';

const spec = {
  description: 'Register the signer as a node with its capacity and a stake (modelRegistry.join).\nThe signer must be the account of an `mdln` key in the node\'s keystore, so that the node\'s\noff-chain worker acts for it. The stake must cover the declared capacity: the runtime\'s\nMinNodeStake plus a price per GiB of VRAM and of disk (the runtime API\'s required_stake,\nthe default when --stake is omitted; a lower --stake is a usage error).',
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
  positionals: false,
  synopsis: '--disk BYTES --vram BYTES [--stake AMOUNT] [--url WS] [--suri SURI] [--json]'
};

runMain(spec.name, async () => {
  const { values } = parseCli(spec);
  const out = new Output(values);

  if (values.disk === undefined || values.vram === undefined) {
    throw new UsageError('--disk and --vram are required');
  }

  const capacity = { diskBytes: parseByteCount('--disk', values.disk), vramBytes: parseByteCount('--vram', values.vram) };

  if (values.stake !== undefined) {
    checkAmountSyntax('--stake', values.stake);
  }

  const signer = await signerReady(values.suri);
  const api = await connect(values.url);

  try {
    requirePallet(api);

    const required = await requiredStake(api, capacity);
    const stake = values.stake === undefined ? required : parseAmountOption('--stake', values.stake, tokenInfo(api));

    if (stake < required) {
      throw new UsageError(`--stake ${api.createType('Balance', stake).toHuman()} does not cover the declared capacity: it needs at least ${api.createType('Balance', required).toHuman()} (MinNodeStake plus the price of its VRAM and disk)`);
    }

    out.line(`joining as ${signer.address}: disk ${formatBytes(capacity.diskBytes)}, vram ${formatBytes(capacity.vramBytes)}, stake ${api.createType('Balance', stake).toHuman()}`);

    const res = await signAndWait(api, api.tx[PALLET].join(capacity, stake), signer);
    const ev = findEvent(res.events, 'NodeJoined');

    out.result(
      callDocument(`${PALLET}.join`, signer, res, { event: ev ? { data: eventData(ev), method: 'NodeJoined', section: PALLET } : null }),
      `joined in block #${res.blockNumber}${ev ? `: ${JSON.stringify(eventHuman(ev))}` : ''}`
    );

    return 0;
  } finally {
    await api.disconnect();
  }
});
