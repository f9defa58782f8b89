#!/usr/bin/env node
// Put dev keys of the model registry key type ("mdln") into a node's keystore.
import { connect, insertKey, KEY_TYPE, parseCli, runMain, signerFrom } from '../lib/index.js';

const spec = {
  description: `Insert sr25519 keys of the model registry key type ("${KEY_TYPE}") into the keystore of the node
at --url (author_insertKey, an unsafe RPC: allowed on a node whose RPC listens on localhost, or with
--rpc-methods unsafe). The node's off-chain worker then acts for each key's account once that account
has joined. This is how one dev node plays several storage nodes. Without arguments, inserts --suri.`,
  examples: ['insert-keys //Alice //Bob //Charlie'],
  name: 'insert-keys',
  options: {},
  synopsis: '[SURI]... [--url WS]'
};

runMain(spec.name, async () => {
  const { positionals, values } = parseCli(spec);
  const suris = positionals.length ? positionals : [values.suri];

  for (const s of suris) {
    signerFrom(s); // validate before connecting
  }

  const api = await connect(values.url);

  try {
    for (const suri of suris) {
      const address = await insertKey(api, suri);
      const pub = `0x${Buffer.from(signerFrom(suri).publicKey).toString('hex')}`;
      const has = await api.rpc.author.hasKey(pub, KEY_TYPE);

      console.log(`${suri}: ${address} ${has.isTrue ? 'in keystore' : 'NOT found after insert'}`);
    }

    return 0;
  } finally {
    await api.disconnect();
  }
});
