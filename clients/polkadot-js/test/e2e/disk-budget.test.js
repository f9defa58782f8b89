// End to end: a node whose local disk budget cannot hold a model declines the nomination
// (DiskBudgetExceeded) and keeps nothing of it.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { enumName, field, PALLET, pieceManifestOf } from '../../lib/index.js';
import {
  deregisterModel, filesOfModel, forModel, listFiles, LOCAL_KEYS, recentEvents, registerModel, setupChain, SKIP, tail,
  teardownChain, until
} from '../support/e2e.js';
import { pseudoRandomBytes, sha256Hex } from '../support/fixtures.js';
import { ModelServer } from '../support/model-server.js';

const MIB = 1024 * 1024;
/** The node's `--model-store-max-bytes`. */
const BUDGET = 8 * MIB;
/** A model that does not fit. */
const SIZE = 20 * MIB;

describe('disk budget', () => {
  let ctx;
  let server;
  let failed = false;

  before(async () => {
    if (SKIP) {
      return;
    }

    server = await new ModelServer().start();
    ctx = await setupChain({ maxBytes: BUDGET, name: 'disk-budget' });
  });

  after(async () => {
    await teardownChain(ctx, { failed });
    await server?.stop();
  });

  it('declines a model larger than the budget and leaves nothing behind', { skip: SKIP, timeout: 600_000 }, async () => {
    try {
      const data = pseudoRandomBytes('e2e-budget', SIZE);
      const id = sha256Hex(data);
      const url = server.add('/big.bin', data);

      await registerModel(ctx, id, data.length, [url], { pieces: pieceManifestOf(data).pieces });

      const declined = await ctx.log.waitFor(PALLET, 'NominationDeclined', forModel(id), ctx.blocks(60), {
        count: LOCAL_KEYS.length,
        failOn: [{ filter: forModel(id), method: 'ModelStored', section: PALLET }]
      });

      for (const r of declined) {
        assert.equal(enumName(field(r.data, 'reason')), 'DiskBudgetExceeded', `reason: ${JSON.stringify(r.data)}`);
      }

      await until('nothing of the model in the store', () => filesOfModel(ctx, id).length === 0, ctx.blocks(3), 100);

      const total = listFiles(ctx.storeDir).reduce((n, f) => n + f.size, 0);

      assert.ok(total <= BUDGET, `store holds ${total} bytes, budget ${BUDGET}`);
      assert.ok(server.bytesServed('/big.bin') <= BUDGET + MIB, `fetched ${server.bytesServed('/big.bin')} bytes of a model that cannot fit`);
      await deregisterModel(ctx, id);
      await new Promise((r) => setTimeout(r, 2 * ctx.blockMs));
      assert.deepEqual(filesOfModel(ctx, id), [], 'nothing of the model in the store after deregistration');
      assert.equal(ctx.log.find(PALLET, 'ModelStored', forModel(id)).length, 0);
    } catch (e) {
      failed = true;
      e.message += `\n--- recent ModelRegistry events ---\n${ctx ? recentEvents(ctx) : ''}\n--- node log tail ---\n${ctx ? tail(ctx.node.logFile, 40) : ''}`;
      throw e;
    }
  });
});
