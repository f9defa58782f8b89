// The event log's handling of the best chain: gaps in the head subscription and switches to
// another fork. A fork cannot be made on demand on a real node, so the log reads a small
// in-memory block tree through the same RPC calls it makes to a node.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { EventLog, formatEvent } from '../../lib/events.js';

/** An event as polkadot.js decodes it: named fields whose values have `toJSON`. */
function event (method, fields) {
  const data = Object.values(fields).map((v) => ({ toHuman: () => v, toJSON: () => v }));

  data.names = Object.keys(fields);

  return { data, method, section: 'modelRegistry' };
}

/** A block tree served through `rpc.chain` and `api.at`, with heads announced by the test. */
class BlockTree {
  blocks = new Map();
  #onHead = null;

  add (hash, parent, events = []) {
    const number = parent === null ? 0 : this.blocks.get(parent).number + 1;

    this.blocks.set(hash, { events: events.map((e) => ({ event: e })), hash, number, parent });

    return this;
  }

  header (hash) {
    const b = this.blocks.get(hash);

    return { hash: { toHex: () => b.hash }, number: { toNumber: () => b.number }, parentHash: { toHex: () => b.parent } };
  }

  /** Announce `hash` as the new best block. */
  announce (hash) {
    this.#onHead(this.header(hash));
  }

  get api () {
    return {
      at: async (hash) => ({ query: { system: { events: async () => this.blocks.get(hash).events } } }),
      rpc: {
        chain: {
          getHeader: async (hash) => this.header(hash),
          subscribeNewHeads: async (cb) => {
            this.#onHead = cb;

            return () => {
              this.#onHead = null;
            };
          }
        }
      }
    };
  }
}

/** Let the log's queue of heads run. */
async function settle () {
  for (let i = 0; i < 50; i++) {
    await new Promise((resolve) => setImmediate(resolve));
  }
}

const stored = (node) => event('ModelStored', { model: '0x01', node });

describe('EventLog', () => {
  it('visits every block of the best chain in order, filling gaps between announced heads', async () => {
    const tree = new BlockTree().add('g', null).add('a1', 'g', [stored('n1')]).add('a2', 'a1', [stored('n2')]).add('a3', 'a2', [stored('n3')]);
    const log = await new EventLog(tree.api).start({ fromBlock: 1 });

    tree.announce('a1');
    tree.announce('a3');
    await settle();

    assert.deepEqual(log.records.map((r) => [r.blockNumber, r.data.node]), [[1, 'n1'], [2, 'n2'], [3, 'n3']]);
    assert.equal(log.lastBlock, 3);
    log.stop();
  });

  it('retracts the events of a fork that lost and visits the branch that won', async () => {
    // g - 1 - a2 - a3 (best first), then g - 1 - b2 - b3 - b4 becomes best.
    const tree = new BlockTree().add('g', null).add('1', 'g')
      .add('a2', '1', [stored('on-a')]).add('a3', 'a2', [event('ExecutorsAssigned', { task: 7 })])
      .add('b2', '1', [stored('on-b')]).add('b3', 'b2').add('b4', 'b3', [event('ExecutorsAssigned', { task: 9 })]);
    const log = await new EventLog(tree.api).start({ fromBlock: 1 });
    const retractedBlocks = [];
    const lines = [];

    log.onRetract((number, hash) => retractedBlocks.push([number, hash]));
    log.writeTo({ write: (line) => lines.push(line) });
    tree.announce('a3');
    await settle();

    // A waiter for two ModelStored: the one of the losing fork must not count.
    const two = log.waitFor('modelRegistry', 'ModelStored', () => true, 5_000, { count: 2 });
    const onB = log.waitFor('modelRegistry', 'ExecutorsAssigned', (d) => d.task === 9, 5_000);

    assert.equal(log.find('modelRegistry', 'ExecutorsAssigned').length, 1);
    tree.announce('b4');
    await settle();

    assert.deepEqual(retractedBlocks.sort(), [[2, 'a2'], [3, 'a3']]);
    assert.deepEqual(log.find('modelRegistry', 'ModelStored').map((r) => r.data.node), ['on-b'], 'only the winning fork counts');
    assert.deepEqual(log.find('modelRegistry', 'ExecutorsAssigned').map((r) => r.data.task), [9]);
    assert.equal((await onB)[0].blockHash, 'b4', 'an event at a height already visited on the losing fork is seen');
    assert.equal(log.records.filter((r) => r.retracted).length, 2, 'retracted records stay in place, marked');
    assert.match(formatEvent(log.records.find((r) => r.retracted)), /^\(retracted\) #2 /);
    assert.ok(lines.includes('retracted #2 a2: it left the best chain\n'), 'the events file names the block that left');
    assert.ok(lines.some((l) => l.startsWith('#4 modelRegistry.ExecutorsAssigned')), 'the events file has the new branch');

    // The second ModelStored the waiter needs comes only on the winning chain.
    tree.add('b5', 'b4', [stored('later')]).announce('b5');
    await settle();

    const found = await two;

    assert.deepEqual(found.map((r) => r.data.node), ['on-b', 'later']);
    log.stop();
  });

  it('does not fail a wait on an event of a retracted block', async () => {
    const tree = new BlockTree().add('g', null).add('1', 'g')
      .add('a2', '1', [event('TaskFailed', { task: 1 })]).add('b2', '1').add('b3', 'b2', [event('TaskCompleted', { task: 1 })]);
    const log = await new EventLog(tree.api).start({ fromBlock: 1 });

    tree.announce('a2');
    await settle();
    tree.announce('b3');
    await settle();

    const [done] = await log.waitFor('modelRegistry', 'TaskCompleted', () => true, 5_000, {
      failOn: [{ method: 'TaskFailed', section: 'modelRegistry' }]
    });

    assert.equal(done.blockHash, 'b3');
    log.stop();
  });

  it('does not count after a mark an event seen before it that comes again on the branch that won', async () => {
    // Four nodes stored the model in a2; a position is taken; then b2 (a sibling of a2 with the
    // same transactions) and b3 (a copy lost) become best; the new holder stores in b4.
    const tree = new BlockTree().add('g', null).add('1', 'g')
      .add('a2', '1', [stored('bob'), stored('dave')])
      .add('b2', '1', [stored('bob'), stored('dave')]).add('b3', 'b2', [event('ModelLost', { model: '0x01', node: 'dave' })])
      .add('b4', 'b3', [stored('eve')]).add('b5', 'b4', [stored('dave')]);
    const log = await new EventLog(tree.api).start({ fromBlock: 1 });

    tree.announce('a2');
    await settle();

    const mark = log.mark();
    const next = log.waitFor('modelRegistry', 'ModelStored', () => true, 5_000, { since: mark });
    const two = log.waitFor('modelRegistry', 'ModelStored', () => true, 5_000, { count: 2, since: mark });

    tree.announce('b3');
    await settle();
    assert.deepEqual(log.since(mark, 'modelRegistry', 'ModelStored'), [], 'b2 repeats a2: nothing stored after the mark yet');
    assert.equal(log.since(mark, 'modelRegistry', 'ModelLost').length, 1);
    assert.equal(log.isReplay(log.records.find((r) => r.blockHash === 'b2'), mark), true);

    tree.announce('b4');
    await settle();
    assert.deepEqual((await next).map((r) => [r.blockHash, r.data.node]), [['b4', 'eve']], 'the first store after the mark is the new holder\'s');

    // dave stores again after losing its copy: an identical event, but a new one.
    tree.announce('b5');
    await settle();
    assert.deepEqual((await two).map((r) => r.data.node), ['eve', 'dave']);
    assert.deepEqual(log.since(mark, 'modelRegistry', 'ModelStored').map((r) => r.blockHash), ['b4', 'b5']);
    assert.deepEqual(log.since(0, 'modelRegistry', 'ModelStored').map((r) => r.blockHash), ['b2', 'b2', 'b4', 'b5'], 'from the start every record of the best chain counts');
    log.stop();
  });
});
