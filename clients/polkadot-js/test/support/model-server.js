// An HTTP server for model files held in memory, with Range support and fault injection:
// serve tampered bytes, die in the middle of a body and come back, and record every request.
import { createServer } from 'node:http';

import { parseRange } from '../../lib/range.js';

/**
 * @typedef {{ method: string, path: string, range: string | undefined, status: number, start: number,
 *   planned: number, sent: number, aborted: boolean, at: number }} RequestRecord
 */

export class ModelServer {
  /** @type {RequestRecord[]} */
  requests = [];
  #files = new Map();
  #server = null;
  #sockets = new Set();
  #port = 0;
  #host;
  /** Fault applied to the next request(s) of a path: see {@link dieOnce}. */
  #dieOnce = new Map();
  #stopped = false;

  /** @param {{ host?: string }} [opts] */
  constructor ({ host = '127.0.0.1' } = {}) {
    this.#host = host;
  }

  /**
   * Serve `data` at `path`.
   *
   * @param {string} path e.g. `/model.bin`
   * @param {Buffer} data
   * @param {{ tamper?: boolean }} [opts] `tamper`: serve the same length with some bytes changed
   */
  add (path, data, { tamper = false } = {}) {
    let body = data;

    if (tamper) {
      body = Buffer.from(data);

      for (const at of [0, Math.floor(data.length / 2), data.length - 1]) {
        if (at >= 0 && at < body.length) {
          body[at] ^= 0x5a;
        }
      }
    }

    this.#files.set(path, body);

    return this.url(path);
  }

  /**
   * The next GET of `path` sends `afterBytes` bytes of its body, then the server dies: every
   * connection is cut and the listener closed; it listens again on the same port after `downMs`.
   *
   * @param {string} path
   * @param {{ afterBytes: number, downMs?: number }} opts
   */
  dieOnce (path, { afterBytes, downMs = 2_000 }) {
    this.#dieOnce.set(path, { afterBytes, downMs });
  }

  /** @param {string} path */
  url (path) {
    return `http://${this.#host}:${this.#port}${path}`;
  }

  get port () {
    return this.#port;
  }

  /** Requests of a path. @param {string} path */
  requestsFor (path) {
    return this.requests.filter((r) => r.path === path);
  }

  /** Body bytes sent for a path, over all requests. @param {string} path */
  bytesServed (path) {
    return this.requestsFor(path).reduce((n, r) => n + r.sent, 0);
  }

  async start (port = 0) {
    this.#stopped = false;
    this.#server = createServer((req, res) => this.#handle(req, res));
    this.#server.on('connection', (s) => {
      this.#sockets.add(s);
      s.on('close', () => this.#sockets.delete(s));
    });
    await new Promise((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(port, this.#host, () => {
        this.#server.off('error', reject);
        resolve();
      });
    });
    this.#port = this.#server.address().port;

    return this;
  }

  /** Stop for good (also cancels a pending come-back after {@link dieOnce}). */
  async stop () {
    this.#stopped = true;
    await this.#close();
  }

  async #close () {
    const server = this.#server;

    this.#server = null;

    for (const s of this.#sockets) {
      s.destroy();
    }

    if (server) {
      await new Promise((resolve) => server.close(() => resolve()));
    }
  }

  /** Whether the server is listening (false while it is "dead"). */
  get up () {
    return this.#server !== null;
  }

  async #die (downMs) {
    const port = this.#port;

    await this.#close();
    await new Promise((resolve) => setTimeout(resolve, downMs));

    for (let attempt = 0; ; attempt++) {
      if (this.#stopped) {
        return;
      }

      try {
        await this.start(port);

        return;
      } catch (e) {
        if (attempt >= 50) {
          throw e;
        }

        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  }

  #handle (req, res) {
    const path = new URL(req.url, 'http://x').pathname;
    const body = this.#files.get(path);
    /** @type {RequestRecord} */
    const record = { aborted: false, at: Date.now(), method: req.method, path, planned: 0, range: req.headers.range, sent: 0, start: 0, status: 0 };

    this.requests.push(record);

    if (!body) {
      record.status = 404;
      res.writeHead(404).end();

      return;
    }

    if (req.method !== 'GET' && req.method !== 'HEAD') {
      record.status = 405;
      res.writeHead(405).end();

      return;
    }

    const range = parseRange(req.headers.range, body.length);

    if (range === 'unsatisfiable') {
      record.status = 416;
      res.writeHead(416, { 'Content-Range': `bytes */${body.length}` }).end();

      return;
    }

    const { end, start } = range ?? { end: body.length - 1, start: 0 };
    const length = Math.max(0, end - start + 1);
    const headers = { 'Accept-Ranges': 'bytes', 'Content-Length': String(length), 'Content-Type': 'application/octet-stream' };

    if (range) {
      headers['Content-Range'] = `bytes ${start}-${end}/${body.length}`;
    }

    record.status = range ? 206 : 200;
    record.start = start;
    record.planned = length;
    res.writeHead(record.status, headers);

    if (req.method === 'HEAD' || length === 0) {
      res.end();

      return;
    }

    const fault = req.method === 'GET' ? this.#dieOnce.get(path) : undefined;
    let limit = length;

    if (fault) {
      this.#dieOnce.delete(path);
      limit = Math.min(length, fault.afterBytes);
    }

    res.on('close', () => {
      if (record.sent < record.planned) {
        record.aborted = true;
      }
    });
    this.#pump(res, body, start, start + limit, record, () => {
      if (fault) {
        // Make sure the bytes are on the wire before the "crash", then cut everything.
        setTimeout(() => {
          record.aborted = true;
          res.destroy();
          this.#die(fault.downMs).catch(() => undefined);
        }, 50);
      } else {
        res.end();
      }
    });
  }

  /** Write body[from, to) with back-pressure, counting what was handed to the socket. */
  #pump (res, body, from, to, record, onDone) {
    const chunk = 64 * 1024;
    let pos = from;
    const step = () => {
      while (pos < to) {
        if (res.destroyed) {
          return;
        }

        const end = Math.min(to, pos + chunk);
        const ok = res.write(body.subarray(pos, end));

        record.sent += end - pos;
        pos = end;

        if (!ok) {
          res.once('drain', step);

          return;
        }
      }

      onDone();
    };

    step();
  }
}
