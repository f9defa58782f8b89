// Submitting one call of the pallet from a script and reporting its outcome the same way everywhere.
import { connect, findEvent, PALLET, requirePallet, signAndWait, signerReady, sudoAndWait } from './chain.js';
import { parseCli, runMain } from './cli.js';
import { eventData, eventHuman } from './events.js';
import { Output } from './output.js';

/**
 * The events of an extrinsic as plain JSON (`{ section, method, data }`, data keyed by field name).
 *
 * @param {{ event: any }[]} events
 * @param {string | null} [section] only this pallet's events (null: all)
 */
export function eventsJson (events, section = PALLET) {
  return events
    .filter(({ event }) => section === null || event.section === section)
    .map(({ event }) => ({ data: eventData(event), method: event.method, section: event.section }));
}

/**
 * The JSON document of a submitted call.
 *
 * @param {string} call e.g. `modelRegistry.pause`
 * @param {{ address: string }} signer
 * @param {{ blockHash: string, blockNumber?: number, txHash: string, events: any[] }} res
 * @param {Record<string, unknown>} [extra]
 */
export function callDocument (call, signer, res, extra = {}) {
  return {
    block: res.blockNumber ?? null,
    blockHash: res.blockHash,
    call,
    events: eventsJson(res.events),
    signer: signer.address,
    txHash: res.txHash,
    ...extra
  };
}

/**
 * Submit a call signed by `signer`, or as root through sudo.
 *
 * @param {import('@polkadot/api').ApiPromise} api
 * @param {any} tx
 * @param {import('@polkadot/keyring/types').KeyringPair} signer
 * @param {{ sudo?: boolean }} [opts]
 */
export function submit (api, tx, signer, { sudo = false } = {}) {
  return sudo ? sudoAndWait(api, tx, signer) : signAndWait(api, tx, signer);
}

/**
 * The whole of a script that submits one call of the pallet and reports the event it deposits:
 * parse and check the command line before connecting (usage errors exit 2), connect, optionally
 * check against the chain, submit, then print one line from the event (or, with --json, the call's
 * document with the event's fields). A dispatch error exits 1 with the pallet's error name and doc.
 *
 * @param {object} spec the script's spec (see parseCli)
 * @param {{
 *   check?: (values: Record<string, any>) => any,
 *   call: string,
 *   args?: (api: import('@polkadot/api').ApiPromise, input: any, ctx: { signer: any, values: Record<string, any> }) => any[] | Promise<any[]>,
 *   event: string,
 *   sudo?: boolean,
 *   text: (data: Record<string, any>, ctx: { human: Record<string, any>, blockNumber?: number, input: any, signer: any }) => string | string[]
 * }} how `check` validates the options into an input, `args` builds the call's arguments
 *   (may check them against the chain and throw a UsageError), `call` is the method name in
 *   polkadot.js (e.g. `updateCapacity`), `event` the pallet event that reports success
 */
export function runCallScript (spec, how) {
  runMain(spec.name, async () => {
    const { values } = parseCli(spec);
    const out = new Output(values);
    const input = how.check ? how.check(values) : undefined;
    const signer = await signerReady(values.suri);
    const api = await connect(values.url);

    try {
      requirePallet(api);

      const method = api.tx[PALLET][how.call];

      if (!method) {
        throw new Error(`the runtime has no ${PALLET}.${how.call} call`);
      }

      const args = how.args ? await how.args(api, input, { signer, values }) : [];
      const res = await submit(api, method(...args), signer, { sudo: !!(how.sudo && values.sudo) });
      const ev = findEvent(res.events, how.event);

      if (!ev) {
        throw new Error(`${PALLET}.${how.call} succeeded in block #${res.blockNumber} but no ${how.event} event was seen`);
      }

      const data = eventData(ev);

      out.result(
        callDocument(`${PALLET}.${how.call}`, signer, res, { event: { data, method: how.event, section: PALLET } }),
        () => how.text(data, { blockNumber: res.blockNumber, human: eventHuman(ev), input, signer })
      );

      return 0;
    } finally {
      await api.disconnect();
    }
  });
}
