#!/usr/bin/env node
// Report that the signer's node lost its copy of a model.
import { parseModelId, runCallScript, UsageError } from '../lib/index.js';

runCallScript({
  description: 'Report that the signer\'s node lost its copy of a model (modelRegistry.report_lost): it stops\nbeing a holder and the model is replicated elsewhere if it falls below its target. Refused when\nthe node does not hold the model (NotHolder). Prints the ModelLost event.',
  examples: ['report-lost --model 0xabc... --suri //Bob'],
  name: 'report-lost',
  options: {
    model: { arg: 'HEX', description: 'model id (SHA-256 of the file)', type: 'string' }
  },
  positionals: false,
  synopsis: '--model HEX [--url WS] [--suri SURI] [--json]'
}, {
  args: (_api, model) => [model],
  call: 'reportLost',
  check: (values) => {
    if (values.model === undefined) {
      throw new UsageError('--model is required');
    }

    return parseModelId(values.model);
  },
  event: 'ModelLost',
  text: (data, { blockNumber, human }) => `${human.node} reported ${data.model} lost in block #${blockNumber}: no longer a holder`
});
