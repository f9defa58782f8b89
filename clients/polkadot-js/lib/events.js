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
 * One line for an event: `#12 modelRegistry.ModelStored model=0x… node=5Grw…`.
 *
 * @param {{ blockNumber?: number, event: any }} record
 * @returns {string}
 */
export function formatEvent ({ blockNumber, event }) {
  const human = eventHuman(event);
  const fields = Object.entries(human).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`);
  const prefix = blockNumber === undefined ? '' : `#${blockNumber} `;

  return `${prefix}${event.section}.${event.method}${fields.length ? ` ${fields.join(' ')}` : ''}`;
}

/**
 * A log of all events of the chain's best blocks from the moment it starts. Every best block is
 * visited once (gaps in the head subscription are filled by number), so nothing is missed between
 * submitting a transaction and starting to wait for its consequences.
 */
export class EventLog {
  /** @type {{ blockNumber: number, blockHash: string, index: number, event: any, data: Record<string, any> }[]} */
  records = [];
  #api;
  #waiters = new Set();
  #listeners = new Set();
  #unsub = null;
  #next = null;
  #queue = Promise.resolve();

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

    this.#next = fromBlock;
    this.#unsub = await api.rpc.chain.subscribeNewHeads((header) => {
      const upTo = header.number.toNumber();

      this.#queue = this.#queue.then(() => this.#catchUp(upTo)).catch((e) => {
        process.stderr.write(`event log: ${e.message}\n`);
      });
    });

    return this;
  }

  async #catchUp (upTo) {
    while (this.#next !== null && this.#next <= upTo) {
      const n = this.#next;
      const hash = await this.#api.rpc.chain.getBlockHash(n);
      const at = await this.#api.at(hash);
      const events = await at.query.system.events();

      events.forEach(({ event }, index) => {
        const record = { blockHash: hash.toHex(), blockNumber: n, data: eventData(event), event, index };

        this.records.push(record);

        for (const l of this.#listeners) {
          l(record);
        }

        for (const w of this.#waiters) {
          w(record);
        }
      });
      this.#next = n + 1;
    }
  }

  /** Stop following. */
  stop () {
    this.#unsub?.();
    this.#unsub = null;
    this.#next = null;

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
   * Records of an event so far.
   *
   * @param {string} section e.g. `modelRegistry`
   * @param {string} method e.g. `ModelStored`
   * @param {(data: Record<string, any>, record: any) => boolean} [filter]
   */
  find (section, method, filter = () => true) {
    return this.records.filter((r) => r.event.section === section && r.event.method === method && filter(r.data, r));
  }

  /**
   * Wait until `count` records match (records already in the log count), at most `timeoutMs`.
   *
   * @param {string} section
   * @param {string} method
   * @param {(data: Record<string, any>, record: any) => boolean} [filter]
   * @param {number} [timeoutMs]
   * @param {{ count?: number, since?: number, failOn?: { section: string, method: string, filter?: Function }[] }} [opts]
   *   `since`: ignore records with an index in `records` below it; `failOn`: reject early if such an event appears
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
        waiter(r);
      }

      if (settled) {
        return;
      }

      this.#waiters.add(waiter);
      timer = setTimeout(() => {
        done(new Error(`timed out after ${Math.round(timeoutMs / 1000)}s waiting for ${count > 1 ? `${count}x ` : ''}${section}.${method} (saw ${found.length}); last block #${(this.#next ?? 1) - 1}`));
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
