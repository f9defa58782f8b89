#!/usr/bin/env node
// Put dev keys of the model registry key type ("mdln") into a node's keystore.
import { connect, insertKey, KEY_TYPE, Output, parseCli, runMain, signerReady } from '../lib/index.js';

const spec = {
  description: `Insert sr25519 keys of the model registry key type ("${KEY_TYPE}") into the keystore of the node
at --url (author_insertKey, an unsafe RPC: allowed on a node whose RPC listens on localhost, or with
--rpc-methods unsafe). The node's off-chain worker then acts for each key's account once that account
has joined. This is how one dev node plays several storage nodes. Without arguments, inserts --suri.
Exits with 1 when a key is not in the keystore after its insertion.`,
  examples: ['insert-keys //Alice //Bob //Charlie'],
  name: 'insert-keys',
  options: {},
  synopsis: '[SURI]... [--url WS] [--json]'
};

runMain(spec.name, async () => {
  const { positionals, values } = parseCli(spec);
  const out = new Output(values);
  const suris = positionals.length ? positionals : [values.suri];
  const pairs = [];

  for (const s of suris) {
    pairs.push(await signerReady(s)); // validate before connecting
  }

  const api = await connect(values.url);

  try {
    const keys = [];

    for (const [i, suri] of suris.entries()) {
      const address = await insertKey(api, suri);
      const publicKey = `0x${Buffer.from(pairs[i].publicKey).toString('hex')}`;
      const has = await api.rpc.author.hasKey(publicKey, KEY_TYPE);

      keys.push({ address, inKeystore: has.isTrue, keyType: KEY_TYPE, publicKey, suri });
    }

    out.result({ keys }, keys.map((k) => `${k.suri}: ${k.address} ${k.inKeystore ? 'in keystore' : 'NOT found after insert'}`));

    return keys.every((k) => k.inKeystore) ? 0 : 1;
  } finally {
    await api.disconnect();
  }
});
