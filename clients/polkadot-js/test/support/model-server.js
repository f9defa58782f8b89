// An HTTP server for model files (held in memory or read from disk), with Range support, an
// optional rate limit (bytes per second over all requests, like an uplink) and fault injection:
// serve tampered bytes, die in the middle of a body and come back, be stopped and restarted on
// the same port; every request and the body bytes sent for it are recorded.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
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
  /** Rate limit in bytes per second (0: none) and its token bucket, shared by all requests. */
  #rate = 0;
  #tokens = 0;
  #refilledAt = 0;
  /** Descriptors of files served from disk. */
  #fds = [];

  /** @param {{ host?: string, rateLimit?: number }} [opts] `rateLimit`: bytes per second over all requests (0 or absent: none) */
  constructor ({ host = '127.0.0.1', rateLimit = 0 } = {}) {
    this.#host = host;
    this.setRateLimit(rateLimit);
  }

  /**
   * Limit the body bytes sent per second over all requests together (0: no limit). Applies to
   * bodies already being sent too.
   *
   * @param {number} bytesPerSecond
   */
  setRateLimit (bytesPerSecond) {
    if (!(bytesPerSecond >= 0) || !Number.isFinite(bytesPerSecond)) {
      throw new RangeError(`rate limit: bytes per second >= 0, got ${bytesPerSecond}`);
    }

    this.#rate = bytesPerSecond;
    this.#tokens = 0;
    this.#refilledAt = performance.now();
  }

  /** The rate limit in bytes per second (0: none). */
  get rateLimit () {
    return this.#rate;
  }

  /**
   * Serve a file from disk at `path` (read as requests come, never held in memory).
   *
   * @param {string} path e.g. `/model.bin`
   * @param {string} file path on disk
   */
  addFile (path, file) {
    const fd = openSync(file, 'r');

    this.#fds.push(fd);
    this.#files.set(path, { fd, length: Number(fstatSync(fd).size) });

    return this.url(path);
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

  /**
   * Body bytes sent for a path, over all requests or those since a {@link mark}.
   *
   * @param {string} path
   * @param {{ since?: number }} [opts]
   */
  bytesServed (path, { since = 0 } = {}) {
    return this.requests.slice(since).filter((r) => r.path === path).reduce((n, r) => n + r.sent, 0);
  }

  /** Body bytes sent for every path, over all requests or those since a {@link mark}. */
  totalBytesServed ({ since = 0 } = {}) {
    return this.requests.slice(since).reduce((n, r) => n + r.sent, 0);
  }

  /** Body bytes sent so far, per path. @returns {Record<string, number>} */
  bytesByPath () {
    const out = {};

    for (const r of this.requests) {
      out[r.path] = (out[r.path] ?? 0) + r.sent;
    }

    return out;
  }

  /** A position in the request record, for `since` options. */
  mark () {
    return this.requests.length;
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

  /**
   * Stop: every connection is cut and the port closed (also cancels a pending come-back after
   * {@link dieOnce}). {@link restart} listens again on the same port.
   */
  async stop () {
    this.#stopped = true;
    await this.#close();
  }

  /** Listen again on the port of the last start (after {@link stop}); a no-op while up. */
  async restart () {
    if (this.up) {
      return this;
    }

    for (let attempt = 0; ; attempt++) {
      try {
        return await this.start(this.#port);
      } catch (e) {
        if (attempt >= 50) {
          throw e;
        }

        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  }

  /** Stop, and close the files served from disk. */
  async close () {
    await this.stop();

    for (const fd of this.#fds.splice(0)) {
      closeSync(fd);
    }
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

  /**
   * Milliseconds to wait before `n` more bytes may be sent under the rate limit (0: send now,
   * and they are counted).
   */
  #wait (n) {
    if (!this.#rate) {
      return 0;
    }

    const now = performance.now();
    // At most a tenth of a second of burst.
    const cap = Math.max(n, this.#rate / 10);

    this.#tokens = Math.min(cap, this.#tokens + ((now - this.#refilledAt) * this.#rate) / 1000);
    this.#refilledAt = now;

    if (this.#tokens >= n) {
      this.#tokens -= n;

      return 0;
    }

    return Math.max(1, Math.ceil(((n - this.#tokens) * 1000) / this.#rate));
  }

  /** Bytes [from, to) of a served body (a Buffer, or a file on disk). */
  static #slice (body, from, to) {
    if (Buffer.isBuffer(body)) {
      return body.subarray(from, to);
    }

    const buf = Buffer.allocUnsafe(to - from);
    let got = 0;

    while (got < buf.length) {
      const n = readSync(body.fd, buf, got, buf.length - got, from + got);

      if (n === 0) {
        throw new Error(`short read at ${from + got}`);
      }

      got += n;
    }

    return buf;
  }

  /** Write body[from, to) with back-pressure and the rate limit, counting what was handed to the socket. */
  #pump (res, body, from, to, record, onDone) {
    let pos = from;
    const step = () => {
      while (pos < to) {
        if (res.destroyed) {
          return;
        }

        const chunk = this.#rate ? Math.max(4096, Math.min(64 * 1024, Math.floor(this.#rate / 50))) : 64 * 1024;
        const end = Math.min(to, pos + chunk);
        const delay = this.#wait(end - pos);

        if (delay) {
          setTimeout(step, delay);

          return;
        }

        const ok = res.write(ModelServer.#slice(body, pos, end));

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
