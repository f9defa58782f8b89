#!/usr/bin/env node
// Show the state of a model, a node or a task through the ModelRegistryApi runtime API.
import {
  connect, parseCli, parseModelId, readParams, requirePallet, runMain, runtimeApi, signerFrom, UsageError
} from '../lib/index.js';

const spec = {
  description: 'Show chain state through the runtime API (api.call.modelRegistryApi):\n  model <HEX>       replication of a model: holders, pending nominations, demand, target\n                    (modelStatus)\n  node <ACCOUNT>    a node\'s stake, capacity, QoS (nodeInfo) and its pending work:\n                    nominations, holdings, tasks (pendingWork). ACCOUNT is an SS58 address,\n                    a 0x account id, or a secret URI such as //Bob\n  task <ID>         a task\'s status, executors and result (taskStatus)\n  params            the current registry parameters\nExits with 1 when the object does not exist.',
  examples: ['status model 0xabc...', 'status node //Alice', 'status node 5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY', 'status task 0 --json'],
  name: 'status',
  options: {
    json: { description: 'print machine-readable JSON (raw values) instead of the human form', type: 'boolean' }
  },
  synopsis: '(model <HEX> | node <ACCOUNT> | task <ID> | params) [--json] [--url WS]'
};

/**
 * @param {any} value a codec
 * @param {boolean} json
 */
function show (value, json) {
  console.log(JSON.stringify(json ? value.toJSON() : value.toHuman(), null, 2));
}

/**
 * Unwrap an Option codec; null when None.
 *
 * @param {any} opt
 */
function unwrap (opt) {
  return opt?.isSome ? opt.unwrap() : null;
}

runMain(spec.name, async () => {
  const { positionals, values } = parseCli(spec);
  const [what, arg, ...rest] = positionals;
  const needsArg = ['model', 'node', 'task'];

  if (!['model', 'node', 'task', 'params'].includes(what) || (needsArg.includes(what) && arg === undefined) || rest.length || (what === 'params' && arg !== undefined)) {
    throw new UsageError('expected: model <HEX> | node <ACCOUNT> | task <ID> | params');
  }

  let model;
  let task;

  if (what === 'model') {
    model = parseModelId(arg);
  }

  if (what === 'task') {
    if (!/^\d+$/.test(arg)) {
      throw new UsageError(`task id must be a non-negative integer, got "${arg}"`);
    }

    task = BigInt(arg);
  }

  const api = await connect(values.url);

  try {
    requirePallet(api);

    if (what === 'params') {
      const { params, source } = await readParams(api);

      console.log(`# ${source}`);
      console.log(JSON.stringify(params, null, 2));

      return 0;
    }

    const rt = runtimeApi(api);

    if (what === 'model') {
      const status = unwrap(await rt.modelStatus(model));

      if (!status) {
        console.error(`model ${model} is not registered`);

        return 1;
      }

      show(status, values.json);

      return 0;
    }

    if (what === 'task') {
      const view = unwrap(await rt.taskStatus(task));

      if (!view) {
        console.error(`task ${task} does not exist`);

        return 1;
      }

      show(view, values.json);

      return 0;
    }

    const account = arg.startsWith('//') || arg.includes(' ') ? signerFrom(arg).address : api.createType('AccountId', arg).toString();
    const info = unwrap(await rt.nodeInfo(account));

    if (!info) {
      console.error(`${account} is not a registered node`);

      return 1;
    }

    const work = unwrap(await rt.pendingWork(account));

    console.log(`node ${account}`);
    show(info, values.json);

    if (work) {
      console.log('pending work:');
      show(work, values.json);
    }

    return 0;
  } finally {
    await api.disconnect();
  }
});
