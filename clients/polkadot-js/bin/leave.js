#!/usr/bin/env node
// Leave the network: release the stake; holdings and nominations are cleared afterwards.
import { runCallScript } from '../lib/index.js';

runCallScript({
  description: 'Leave the network (modelRegistry.leave): the stake is released at once; the node\'s holdings\nand nominations are cleared (and replacements nominated) over the following blocks. Refused\nwhile a result the node committed awaits its task\'s resolution (TasksInFlight). Joining again\nis possible one demand window later. Prints the NodeLeft event.',
  examples: ['leave --suri //Bob'],
  name: 'leave',
  positionals: false,
  synopsis: '[--url WS] [--suri SURI] [--json]'
}, {
  call: 'leave',
  event: 'NodeLeft',
  text: (_data, { blockNumber, human }) => `${human.node} left in block #${blockNumber}; released stake ${human.released}`
});
