#!/usr/bin/env node
// Print ModelRegistry events of every new best block until interrupted.
import { connect, EventLog, formatEvent, muteProviderLogs, PALLET, parseCli, runMain, toJson } from '../lib/index.js';

const spec = {
  description: 'Print the ModelRegistry events of each new best block, one line each, until Ctrl-C.\nIf the node goes away, says so once on stderr and reconnects (once more when it is back).\nWith --json the output is a stream: one JSON document per line (JSON Lines), not one document.',
  examples: ['watch', 'watch --all --url ws://127.0.0.1:9944'],
  name: 'watch',
  options: {
    all: { description: 'print the events of every pallet, not only ModelRegistry', type: 'boolean' },
    json: { description: 'print one JSON object per line and event (JSON Lines: block, section, method, data)', type: 'boolean' }
  },
  positionals: false,
  synopsis: '[--all] [--json] [--url WS]'
};

runMain(spec.name, async () => {
  const { values } = parseCli(spec);
  const api = await connect(values.url);
  const log = new EventLog(api);

  log.onRecord((r) => {
    if (!values.all && r.event.section !== PALLET) {
      return;
    }

    if (values.json) {
      console.log(toJson({ block: r.blockNumber, data: r.data, method: r.event.method, section: r.event.section }, 0));
    } else {
      console.log(formatEvent(r));
    }

    log.records.length = 0; // keep no history: this runs for a long time
  });

  log.onRetract((number, hash) => {
    if (values.json) {
      console.log(toJson({ retracted: { block: number, hash } }, 0));
    } else {
      console.log(`#${number} ${hash} left the best chain: its events above no longer count`);
    }
  });

  await log.start();

  const head = await api.rpc.chain.getHeader();

  console.error(`watching ${values.all ? 'all' : 'ModelRegistry'} events from block #${head.number.toNumber() + 1} of ${values.url} (Ctrl-C to stop)`);

  return new Promise((resolve) => {
    const stop = () => {
      log.stop();
      api.disconnect().finally(() => resolve(0));
    };

    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    let down = false;

    muteProviderLogs();
    api.on('disconnected', () => {
      if (!down) {
        down = true;
        console.error('disconnected from the node; reconnecting...');
      }
    });
    api.on('connected', () => {
      if (down) {
        down = false;
        console.error('reconnected');
      }
    });
  });
});
