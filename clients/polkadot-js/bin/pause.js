#!/usr/bin/env node
// Pause the signer's node: no new nominations or tasks, holdings kept.
import { runCallScript } from '../lib/index.js';

runCallScript({
  description: 'Pause the signer\'s node (modelRegistry.pause): it receives no new nominations or tasks and\nkeeps its holdings; they stop counting as available over the following blocks (cleanup queue).\nRefused while the previous resume is still being applied (StatusChangePending).\nPrints the NodePaused event.',
  examples: ['pause --suri //Bob', 'pause --json'],
  name: 'pause',
  positionals: false,
  synopsis: '[--url WS] [--suri SURI] [--json]'
}, {
  call: 'pause',
  event: 'NodePaused',
  text: (_data, { blockNumber, human }) => `paused ${human.node} in block #${blockNumber}: no new nominations or tasks; holdings are kept`
});
