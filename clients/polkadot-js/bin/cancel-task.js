#!/usr/bin/env node
// Cancel a task that has no executors yet; its fee and deposit are returned.
import { parseUintBig, runCallScript, UsageError } from '../lib/index.js';

runCallScript({
  description: 'Cancel a task (modelRegistry.cancel_task), signed by its creator, while it has no executors\nyet (TaskAlreadyAssigned otherwise). The fee and the input deposit are returned and its place in\nthe task queue is freed. Prints the TaskCancelled event.',
  examples: ['cancel-task --task 7 --suri //Dave'],
  name: 'cancel-task',
  options: {
    task: { arg: 'N', description: 'task id (u64)', type: 'string' }
  },
  positionals: false,
  synopsis: '--task N [--url WS] [--suri SURI] [--json]'
}, {
  args: (_api, task) => [task],
  call: 'cancelTask',
  check: (values) => {
    if (values.task === undefined) {
      throw new UsageError('--task is required');
    }

    return parseUintBig('--task', values.task, { type: 'u64' });
  },
  event: 'TaskCancelled',
  text: (data, { blockNumber }) => `task ${data.task} cancelled in block #${blockNumber}: fee and deposit returned`
});
