// Reading chain events by field name, pretty-printing them, and waiting for them with a bound.
import { PALLET } from './chain.js';

/**
 * An event's fields as plain JSON, keyed by the (camelCased) field names of the metadata, or by
 * position (`0`, `1`, ...) for events without names. Tolerant to fields being added.
 *
 * @param {any} event a polkadot.js `Event`
 * @returns {Record<string, any>}
 */
export function eventData (event) {
  const names = event.data.names;
  const out = {};

  event.data.forEach((value, i) => {
    out[names?.[i] ?? String(i)] = value.toJSON();
  });

  return out;
}

/**
 * The same, in polkadot.js' human form (SS58 addresses, enum names, formatted balances).
 *
 * @param {any} event
 * @returns {Record<string, any>}
 */
export function eventHuman (event) {
  const names = event.data.names;
  const out = {};

  event.data.forEach((value, i) => {
    out[names?.[i] ?? String(i)] = value.toHuman();
  });

  return out;
}

/**
 * The first present field among several candidate names (e.g. `model` or `modelId`).
 *
 * @param {Record<string, any>} data from {@link eventData}
 * @param {...string} names
 */
export function field (data, ...names) {
  for (const n of names) {
    if (data[n] !== undefined) {
      return data[n];
    }
  }

  return undefined;
}

/**
 * Compare chain values loosely: hex strings case-insensitively, numbers/bigints/strings by value,
 * SS58 vs hex account ids via the optional `api`.
 *
 * @param {unknown} a
 * @param {unknown} b
 */
export function sameValue (a, b) {
  if (a === undefined || b === undefined || a === null || b === null) {
    return a === b;
  }

  const norm = (v) => (typeof v === 'string' ? v.toLowerCase() : typeof v === 'object' ? JSON.stringify(v) : String(v));

  return norm(a) === norm(b);
}

/**
 * The name of an enum value in JSON form (`"HashMismatch"`, `{ "other": null }` → `Other`).
 *
 * @param {unknown} v
 * @returns {string | undefined}
 */
export function enumName (v) {
  if (typeof v === 'string') {
    return v;
  }

  if (v && typeof v === 'object') {
    const k = Object.keys(v)[0];

    return k && k[0].toUpperCase() + k.slice(1);
  }

  return undefined;
}

/**
 * One line for an event: `#12 modelRegistry.ModelStored model=0x… node=5Grw…` (prefixed with
 * `(retracted)` if its block left the best chain).
 *
 * @param {{ blockNumber?: number, event: any, retracted?: boolean }} record
 * @returns {string}
 */
export function formatEvent ({ blockNumber, event, retracted }) {
  const human = eventHuman(event);
  const fields = Object.entries(human).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`);
  const prefix = `${retracted ? '(retracted) ' : ''}${blockNumber === undefined ? '' : `#${blockNumber} `}`;

  return `${prefix}${event.section}.${event.method}${fields.length ? ` ${fields.join(' ')}` : ''}`;
}

/** What identifies an event across forks: section, method and data (not the block). */
function replayKey (record) {
  return `${record.event.section}.${record.event.method} ${JSON.stringify(record.data)}`;
}

/** How many of the last visited blocks an {@link EventLog} remembers to detect a fork switch. */
const KEEP_VISITED = 1024;

/**
 * A log of all events of the chain's best chain from the moment it starts. Every block of the
 * best chain is visited once, in order (gaps in the head subscription are filled by walking
 * parent hashes), so nothing is missed between submitting a transaction and starting to wait for
 * its consequences. When the best chain switches to another fork, the records of the blocks it
 * left are marked `retracted` (they stay in `records`, so positions taken in the log stay valid)
 * and the blocks of the new branch are visited: events of the fork that won are never missed,
 * and events of a fork that lost no longer count.
 */
export class EventLog {
  /** @type {{ blockNumber: number, blockHash: string, index: number, event: any, data: Record<string, any>, retracted: boolean }[]} */
  records = [];
  #api;
  #waiters = new Set();
  #listeners = new Set();
  #retractListeners = new Set();
  #unsub = null;
  #from = null;
  /** Hash of each visited block of the current best chain, by number. */
  #visited = new Map();
  #queue = Promise.resolve();
  /** How many records have been retracted (0: no record can be a replay). */
  #retractedCount = 0;

  /** @param {import('@polkadot/api').ApiPromise} api */
  constructor (api) {
    this.#api = api;
  }

  /**
   * Start following best blocks.
   *
   * @param {{ fromBlock?: number }} [opts] first block to include (default: the current best block + 1)
   */
  async start ({ fromBlock } = {}) {
    const api = this.#api;

    if (fromBlock === undefined) {
      const head = await api.rpc.chain.getHeader();

      fromBlock = head.number.toNumber() + 1;
    }

    this.#from = fromBlock;
    this.#unsub = await api.rpc.chain.subscribeNewHeads((header) => {
      const head = { hash: header.hash.toHex(), number: header.number.toNumber(), parent: header.parentHash.toHex() };

      this.#queue = this.#queue.then(() => this.#follow(head)).catch((e) => {
        process.stderr.write(`event log: ${e.message}\n`);
      });
    });

    return this;
  }

  /** The number of the last block visited on the best chain (0 before the first). */
  get lastBlock () {
    return this.#visited.size === 0 ? (this.#from ?? 1) - 1 : Math.max(...this.#visited.keys());
  }

  /** Make `head` the end of the visited chain: retract what left the best chain, visit what joined it. */
  async #follow (head) {
    if (this.#from === null) {
      return;
    }

    // Walk back from the new head to a block visited on the same chain (or to the start).
    const branch = [];
    let { hash, number, parent } = head;

    while (number >= this.#from && this.#visited.get(number) !== hash) {
      branch.push({ hash, number });

      if (number === this.#from) {
        break;
      }

      const header = await this.#api.rpc.chain.getHeader(parent);

      hash = parent;
      number -= 1;
      parent = header.parentHash.toHex();
    }

    const keepUpTo = branch.length ? branch[branch.length - 1].number - 1 : head.number;

    for (const [n, h] of [...this.#visited]) {
      if (n > keepUpTo) {
        this.#retract(n, h);
      }
    }

    for (const block of branch.reverse()) {
      await this.#visit(block);
    }
  }

  /** Record the events of one block of the best chain. */
  async #visit ({ hash, number }) {
    const at = await this.#api.at(hash);
    const events = await at.query.system.events();

    this.#visited.set(number, hash);

    // Keep the hashes of the last KEEP_VISITED blocks: a fork switch never goes deeper than
    // finality, and a long run (`watch`) must not grow without bound.
    if (this.#visited.size > KEEP_VISITED) {
      const lowest = number - KEEP_VISITED + 1;

      for (const n of this.#visited.keys()) {
        if (n < lowest) {
          this.#visited.delete(n);
        }
      }

      this.#from = Math.max(this.#from, lowest);
    }

    events.forEach(({ event }, index) => {
      const record = { blockHash: hash, blockNumber: number, data: eventData(event), event, index, retracted: false };

      this.records.push(record);

      for (const l of this.#listeners) {
        l(record);
      }

      for (const w of this.#waiters) {
        w(record);
      }
    });
  }

  /** Mark the records of a block that left the best chain. */
  #retract (number, hash) {
    this.#visited.delete(number);

    for (const r of this.records) {
      if (r.blockHash === hash && !r.retracted) {
        r.retracted = true;
        this.#retractedCount += 1;
      }
    }

    for (const l of this.#retractListeners) {
      l(number, hash);
    }

    for (const w of this.#waiters) {
      w({ retractedBlock: hash });
    }
  }

  /** Stop following. */
  stop () {
    this.#unsub?.();
    this.#unsub = null;
    this.#from = null;

    for (const w of this.#waiters) {
      w(null);
    }
  }

  /**
   * Call `fn` for every new record.
   *
   * @param {(record: any) => void} fn
   * @returns {() => void} unsubscribe
   */
  onRecord (fn) {
    this.#listeners.add(fn);

    return () => this.#listeners.delete(fn);
  }

  /**
   * Write every new record, one line each, and every block that leaves the best chain to
   * `stream` (the e2e event files).
   *
   * @param {{ write: (line: string) => any }} stream
   */
  writeTo (stream) {
    this.onRecord((r) => stream.write(`${formatEvent(r)}\n`));
    this.onRetract((number, hash) => stream.write(`retracted #${number} ${hash}: it left the best chain\n`));
  }

  /**
   * Call `fn(number, hash)` for every block that leaves the best chain after it was visited.
   *
   * @param {(number: number, hash: string) => void} fn
   * @returns {() => void} unsubscribe
   */
  onRetract (fn) {
    this.#retractListeners.add(fn);

    return () => this.#retractListeners.delete(fn);
  }

  /**
   * A position in the log: waits and queries given it as `since` count only what is new after it.
   *
   * @returns {number}
   */
  mark () {
    return this.records.length;
  }

  /**
   * Whether `record` (at or after position `since`) only repeats an event seen before `since`
   * on a block that has since left the best chain: the same transaction included again on the
   * branch that won. Such a record is not new after `since`. Each earlier retracted record
   * accounts for one repeat at most, so a genuinely new identical event still counts.
   *
   * @param {any} record
   * @param {number} since
   */
  isReplay (record, since) {
    if (since <= 0 || this.#retractedCount === 0) {
      return false;
    }

    const key = replayKey(record);
    const at = this.records.indexOf(record);
    // Retracted records before `since` still waiting for their copy on the winning branch.
    let pending = 0;

    for (const [i, r] of this.records.entries()) {
      if (i === at || (i >= since && at < 0)) {
        break;
      }

      if (replayKey(r) !== key) {
        continue;
      }

      if (r.retracted) {
        pending += i < since ? 1 : 0;
      } else if (pending > 0) {
        pending -= 1;
      }
    }

    return pending > 0;
  }

  /**
   * Records of an event after position `since` on the current best chain, repeats of events
   * seen before `since` (see {@link EventLog#isReplay}) left out.
   *
   * @param {number} since a position from {@link EventLog#mark}
   * @param {string} section
   * @param {string} method
   * @param {(data: Record<string, any>, record: any) => boolean} [filter]
   */
  since (since, section, method, filter = () => true) {
    return this.records.slice(since).filter((r) => !r.retracted && r.event.section === section && r.event.method === method && filter(r.data, r) && !this.isReplay(r, since));
  }

  /**
   * Records of an event so far, on the current best chain.
   *
   * @param {string} section e.g. `modelRegistry`
   * @param {string} method e.g. `ModelStored`
   * @param {(data: Record<string, any>, record: any) => boolean} [filter]
   */
  find (section, method, filter = () => true) {
    return this.records.filter((r) => !r.retracted && r.event.section === section && r.event.method === method && filter(r.data, r));
  }

  /**
   * Wait until `count` records match (records already in the log count), at most `timeoutMs`.
   *
   * @param {string} section
   * @param {string} method
   * @param {(data: Record<string, any>, record: any) => boolean} [filter]
   * @param {number} [timeoutMs]
   * @param {{ count?: number, since?: number, failOn?: { section: string, method: string, filter?: Function }[] }} [opts]
   *   `since`: a position from {@link EventLog#mark}: ignore records before it and repeats of
   *   them (see {@link EventLog#isReplay}); `failOn`: reject early if such an event appears
   * @returns {Promise<any[]>} the matching records
   */
  waitFor (section, method, filter = () => true, timeoutMs = 60_000, { count = 1, failOn = [], since = 0 } = {}) {
    const matches = (r) => r.event.section === section && r.event.method === method && filter(r.data, r);
    const failure = (r) => failOn.find((f) => r.event.section === f.section && r.event.method === f.method && (!f.filter || f.filter(r.data, r)));

    return new Promise((resolve, reject) => {
      const found = [];
      let settled = false;
      let timer;
      const done = (err) => {
        if (settled) {
          return;
        }

        settled = true;
        clearTimeout(timer);
        this.#waiters.delete(waiter);

        if (err) {
          reject(err);
        } else {
          resolve(found);
        }
      };
      const waiter = (r) => {
        if (settled) {
          return;
        }

        if (r === null) {
          done(new Error(`stopped while waiting for ${section}.${method}`));
        } else if (r.retractedBlock !== undefined) {
          // A block left the best chain: its records no longer count.
          for (let i = found.length - 1; i >= 0; i--) {
            if (found[i].retracted) {
              found.splice(i, 1);
            }
          }
        } else if (this.isReplay(r, since)) {
          // The same transaction again on the branch that won: it happened before `since`.
        } else if (failure(r)) {
          done(new Error(`while waiting for ${section}.${method}: got ${formatEvent(r)}`));
        } else if (matches(r)) {
          found.push(r);

          if (found.length >= count) {
            done(null);
          }
        }
      };

      for (const r of this.records.slice(since)) {
        if (!r.retracted) {
          waiter(r);
        }
      }

      if (settled) {
        return;
      }

      this.#waiters.add(waiter);
      timer = setTimeout(() => {
        done(new Error(`timed out after ${Math.round(timeoutMs / 1000)}s waiting for ${count > 1 ? `${count}x ` : ''}${section}.${method} (saw ${found.length}); last block #${this.lastBlock}`));
      }, timeoutMs);
    });
  }
}

const logs = new WeakMap();

/**
 * Wait for an event (after the first call for this `api`, a shared {@link EventLog} keeps history,
 * so later waits also see events that happened in between).
 *
 * @param {import('@polkadot/api').ApiPromise} api
 * @param {string} section e.g. `modelRegistry`
 * @param {string} method e.g. `ModelStored`
 * @param {(data: Record<string, any>, record: any) => boolean} [filter]
 * @param {number} [timeoutMs]
 */
export async function waitForEvent (api, section = PALLET, method, filter, timeoutMs = 60_000) {
  let log = logs.get(api);

  if (!log) {
    log = new EventLog(api);
    logs.set(api, log);
    await log.start();
  }

  const [record] = await log.waitFor(section, method, filter, timeoutMs);

  return record;
}
