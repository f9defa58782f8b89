#!/usr/bin/env node
// Show the state of a model, a node or a task through the ModelRegistryApi runtime API.
import {
  connect, formatBytes, formatExecutor, modelPieces, nodeEndpoint, Output, parseCli, parseModelId, parseUintBig, readParams, requirePallet, runMain, runtimeApi, signerReady, UsageError
} from '../lib/index.js';

const spec = {
  description: 'Show chain state through the runtime API (api.call.modelRegistryApi):\n  model <HEX>       replication of a model: holders, pending nominations, demand, target,\n                    executor kind (modelStatus), and its piece manifest: root, piece size and count\n                    (storage modelPieces)\n  node <ACCOUNT>    a node\'s stake, capacity, QoS (nodeInfo), its pending work:\n                    nominations, holdings, tasks (pendingWork), and the endpoint it serves\n                    model pieces at (storage nodeEndpoints). ACCOUNT is an SS58 address,\n                    a 0x account id, or a secret URI such as //Bob\n  task <ID>         a task\'s status, executors and result (taskStatus)\n  params            the current registry parameters\nExits with 1 when the object does not exist. With --json, one document: the view itself for\nmodel (with "pieces": {root, pieceSize, pieceCount} or null) and task, {account, info,\npendingWork, endpoint} for node, {source, params} for params.',
  examples: ['status model 0xabc...', 'status node //Alice', 'status node 5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY', 'status task 0 --json'],
  name: 'status',
  options: {
    json: { description: 'print machine-readable JSON (raw values) instead of the human form', type: 'boolean' }
  },
  synopsis: '(model <HEX> | node <ACCOUNT> | task <ID> | params) [--json] [--url WS]'
};

/**
 * The human form of a codec, as indented JSON text.
 *
 * @param {any} value a codec
 */
function human (value) {
  return JSON.stringify(value.toHuman(), null, 2);
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
  const out = new Output(values);
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
    task = parseUintBig('task id', arg, { type: 'u64' });
  }

  const nodeAccount = what === 'node' && (arg.startsWith('//') || arg.includes(' ')) ? (await signerReady(arg)).address : null;

  const api = await connect(values.url);

  try {
    requirePallet(api);

    if (what === 'params') {
      const { params, source } = await readParams(api);

      out.result({ params, source }, [`# ${source}`, JSON.stringify(params, null, 2)]);

      return 0;
    }

    const rt = runtimeApi(api);

    if (what === 'model') {
      const status = unwrap(await rt.modelStatus(model));

      if (!status) {
        throw new Error(`model ${model} is not registered`);
      }

      const pieces = await modelPieces(api, model);

      const json = status.toJSON();

      out.result({ ...json, executorName: formatExecutor(json.executor), pieces }, () => [
        human(status),
        `executor: ${formatExecutor(json.executor)}`,
        pieces ? `pieces: ${pieces.pieceCount} of ${formatBytes(pieces.pieceSize)}, root ${pieces.root}` : 'pieces: none on chain'
      ]);

      return 0;
    }

    if (what === 'task') {
      const view = unwrap(await rt.taskStatus(task));

      if (!view) {
        throw new Error(`task ${task} does not exist`);
      }

      out.result(view.toJSON(), () => human(view));

      return 0;
    }

    let account = nodeAccount;

    if (!account) {
      try {
        account = api.createType('AccountId', arg).toString();
      } catch (e) {
        throw new UsageError(`invalid account "${arg}": ${e.message}`);
      }
    }

    const info = unwrap(await rt.nodeInfo(account));

    if (!info) {
      throw new Error(`${account} is not a registered node`);
    }

    const work = unwrap(await rt.pendingWork(account));
    const endpoint = await nodeEndpoint(api, account);

    out.result(
      { account, endpoint, info: info.toJSON(), pendingWork: work ? work.toJSON() : null },
      () => [`node ${account}`, `endpoint: ${endpoint ?? '- (none declared)'}`, human(info), ...(work ? ['pending work:', human(work)] : [])]
    );

    return 0;
  } finally {
    await api.disconnect();
  }
});
