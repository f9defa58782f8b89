#!/usr/bin/env node
// Change the declared disk and VRAM of the signer's node.
import { formatBytes, PALLET, parseByteCount, runCallScript, UsageError } from '../lib/index.js';

runCallScript({
  description: 'Change the capacity the signer\'s node declares (modelRegistry.update_capacity). A value not\ngiven keeps the current one (read from the chain). The capacity may not drop below what the\nnode\'s holdings and nominations need (CapacityBelowUsage). Prints the NodeCapacityUpdated event.',
  examples: ['update-capacity --disk 200GiB', 'update-capacity --suri //Bob --disk 1TB --vram 48GiB'],
  name: 'update-capacity',
  options: {
    disk: { arg: 'BYTES', description: 'disk bytes offered for models (e.g. 500GiB)', type: 'string' },
    vram: { arg: 'BYTES', description: 'GPU memory in bytes (e.g. 24GiB)', type: 'string' }
  },
  positionals: false,
  synopsis: '[--disk BYTES] [--vram BYTES] [--url WS] [--suri SURI] [--json]'
}, {
  args: async (api, input, { signer }) => {
    let { disk, vram } = input;

    if (disk === undefined || vram === undefined) {
      const node = await api.query[PALLET].nodes(signer.address);

      if (node.isNone) {
        throw new Error(`${signer.address} is not a registered node (join first)`);
      }

      const capacity = node.unwrap().capacity;

      disk ??= capacity.diskBytes.toBigInt();
      vram ??= capacity.vramBytes.toBigInt();
    }

    return [{ diskBytes: disk, vramBytes: vram }];
  },
  call: 'updateCapacity',
  check: (values) => {
    if (values.disk === undefined && values.vram === undefined) {
      throw new UsageError('give --disk, --vram or both');
    }

    return {
      disk: values.disk === undefined ? undefined : parseByteCount('--disk', values.disk),
      vram: values.vram === undefined ? undefined : parseByteCount('--vram', values.vram)
    };
  },
  event: 'NodeCapacityUpdated',
  text: (data, { blockNumber, human }) => `capacity of ${human.node} in block #${blockNumber}: disk ${formatBytes(BigInt(data.capacity.diskBytes))}, vram ${formatBytes(BigInt(data.capacity.vramBytes))}`
});
