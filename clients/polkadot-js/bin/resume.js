#!/usr/bin/env node
// Resume the signer's paused node: it receives nominations and tasks again.
import { runCallScript } from '../lib/index.js';

runCallScript({
  description: 'Resume the signer\'s paused node (modelRegistry.resume): it receives nominations and tasks\nagain; its holdings count as available again over the following blocks (cleanup queue).\nRefused while the previous pause is still being applied (StatusChangePending).\nPrints the NodeResumed event.',
  examples: ['resume --suri //Bob'],
  name: 'resume',
  positionals: false,
  synopsis: '[--url WS] [--suri SURI] [--json]'
}, {
  call: 'resume',
  event: 'NodeResumed',
  text: (_data, { blockNumber, human }) => `resumed ${human.node} in block #${blockNumber}: takes nominations and tasks again`
});
