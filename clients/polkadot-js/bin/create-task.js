#!/usr/bin/env node
// Create a task for a model and optionally wait for its result.
import {
  callDocument, chainLimits, checkAmountSyntax, connect, eventData, EventLog, eventHuman, eventsJson, field, findEvent, formatEvent,
  MAX_TIMEOUT_SECONDS, Output, parseAmountOption, parseCli, parseModelId, parseUint, PALLET, executorInput, requirePallet, runMain,
  sameValue, sealedResult, signAndWait, signerReady, spotCheckFile, tokenInfo, UsageError
} from '../lib/index.js';

const TASK_EVENTS = ['TaskWaitingForHolders', 'ExecutorsAssigned', 'ResultCommitted', 'RevealPhaseStarted', 'ResultRevealed', 'TaskCompleted', 'TaskFailed', 'TaskCancelled', 'ExecutorSlashed'];
const FINAL = ['TaskCompleted', 'TaskFailed', 'TaskCancelled'];

const spec = {
  description: 'Create a task for a registered model and pay its fee, at least the chain\'s\nMinTaskFee (modelRegistry.create_task). The task is given to randomly chosen holders of the\nmodel, which commit and then reveal a result.\nWith --wait, follows the task until it completes, fails or is cancelled; with --verify FILE\nalso computes the default spot-check executor\'s result from a local copy of the model and\ncompares it with the chain\'s. The input is checked against the chain\'s MaxTaskInputLen before\nsending. Exits with 1 when the task fails, is cancelled or the result does not match --verify.',
  examples: [
    'create-task --model 0xabc... --input "a cat in a hat" --fee 1MDL --wait',
    'create-task --model 0xabc... --input-hex 0x0102 --fee 1000000000000 --wait --verify ./model.bin'
  ],
  name: 'create-task',
  options: {
    fee: { arg: 'AMOUNT', description: 'fee in planck, or with a unit (e.g. 1MDL)', type: 'string' },
    input: { arg: 'TEXT', description: 'task input as UTF-8 text', type: 'string' },
    'input-hex': { arg: 'HEX', description: 'task input as hex bytes', type: 'string' },
    model: { arg: 'HEX', description: 'model id (SHA-256 of the file)', type: 'string' },
    timeout: { arg: 'SECONDS', default: '600', description: 'bound of --wait in seconds (default 600)', type: 'string' },
    verify: { arg: 'FILE', description: 'with --wait: check the result against the spot-check of FILE', type: 'string' },
    wait: { description: 'wait for the task\'s outcome', type: 'boolean' }
  },
  positionals: false,
  synopsis: '--model HEX (--input TEXT | --input-hex HEX) --fee AMOUNT [--wait [--verify FILE]] [--json]'
};

runMain(spec.name, async () => {
  const { values } = parseCli(spec);
  const out = new Output(values);

  if (!values.model) {
    throw new UsageError('--model is required');
  }

  if ((values.input === undefined) === (values['input-hex'] === undefined)) {
    throw new UsageError('give exactly one of --input and --input-hex');
  }

  if (values.fee === undefined) {
    throw new UsageError('--fee is required');
  }

  const model = parseModelId(values.model);
  let input;

  if (values.input !== undefined) {
    input = Buffer.from(values.input, 'utf8');
  } else {
    const hex = values['input-hex'].replace(/^0x/i, '');

    if (!/^([0-9a-fA-F]{2})*$/.test(hex)) {
      throw new UsageError('--input-hex: expected an even number of hex digits');
    }

    input = Buffer.from(hex, 'hex');
  }

  checkAmountSyntax('--fee', values.fee);

  if (values.verify && !values.wait) {
    throw new UsageError('--verify needs --wait');
  }

  const timeoutSec = parseUint('--timeout', values.timeout, { max: MAX_TIMEOUT_SECONDS, min: 1 });
  const signer = await signerReady(values.suri);
  const api = await connect(values.url);

  try {
    requirePallet(api);

    const { maxTaskInputLen } = chainLimits(api);

    if (maxTaskInputLen !== undefined && input.length > maxTaskInputLen) {
      throw new UsageError(`the input is ${input.length} bytes; the chain takes at most ${maxTaskInputLen} (MaxTaskInputLen)`);
    }

    const fee = parseAmountOption('--fee', values.fee, tokenInfo(api));
    const log = values.wait ? await new EventLog(api).start() : null;
    const res = await signAndWait(api, api.tx[PALLET].createTask(model, `0x${input.toString('hex')}`, fee), signer);
    const { blockNumber, events } = res;
    const created = findEvent(events, 'TaskCreated');
    const task = created ? field(eventData(created), 'task', 'taskId', 'id') : undefined;
    const doc = callDocument(`${PALLET}.createTask`, signer, res, { fee, input: `0x${input.toString('hex')}`, model, task: task ?? null });

    out.line(`task ${task ?? '?'} created in block #${blockNumber}`);

    for (const { event } of events) {
      if (event.section === PALLET && event.method !== 'TaskCreated') {
        out.line(`  ${event.method} ${JSON.stringify(eventHuman(event))}`);
      }
    }

    if (!log) {
      out.result(doc);

      return 0;
    }

    if (task === undefined) {
      throw new Error('no TaskCreated event: cannot follow the task');
    }

    const taskId = String(task);
    const forTask = (d) => sameValue(field(d, 'task', 'taskId', 'id'), taskId);
    const followed = [];
    const unsub = log.onRecord((r) => {
      if (r.event.section === PALLET && TASK_EVENTS.includes(r.event.method) && forTask(r.data)) {
        followed.push({ block: r.blockNumber, ...eventsJson([r])[0] });
        out.line(formatEvent(r));
      }
    });
    const outcome = await Promise.any(FINAL.map((m) => log.waitFor(PALLET, m, forTask, timeoutSec * 1000)))
      .catch(() => { throw new Error(`task ${taskId}: no outcome within ${timeoutSec}s`); });

    unsub();
    log.stop();

    const [record] = outcome;
    const final = { ...doc, followed, outcome: record.event.method, result: null, verified: null };

    if (record.event.method !== 'TaskCompleted') {
      out.warn(`task ${taskId}: ${record.event.method}`);
      out.result(final);

      return 1;
    }

    const result = field(record.data, 'result');

    final.result = result;
    out.line(`result: ${result}`);

    if (values.verify) {
      const assigned = log.find(PALLET, 'ExecutorsAssigned', forTask)[0];

      if (!assigned) {
        throw new Error(`task ${taskId}: completed without an ExecutorsAssigned event in view`);
      }

      const challenge = String(field(assigned.data, 'challenge'));
      // The chain publishes the sealed result: seal the spot-check computed here.
      const computed = await spotCheckFile(values.verify, executorInput(challenge, input));
      const expected = sealedResult(taskId, computed);

      final.verified = { computed, expected, file: values.verify, matches: sameValue(expected, result) };

      if (!final.verified.matches) {
        out.warn(`spot-check of ${values.verify} gives ${computed}, sealed ${expected}: MISMATCH`);
        out.result(final);

        return 1;
      }

      out.line(`matches the spot-check of ${values.verify}`);
    }

    out.result(final);

    return 0;
  } finally {
    await api.disconnect();
  }
});
