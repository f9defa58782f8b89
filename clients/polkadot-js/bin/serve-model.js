#!/usr/bin/env node
// A small static file server with Range support (the `send` library of the express project), to
// serve model files to a local node.
import { stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import { basename, dirname, resolve } from 'node:path';

import send from 'send';

import { formatBytes, Output, parseCli, parseUint, runMain, UsageError } from '../lib/index.js';

const spec = {
  chain: false,
  description: 'Serve files over HTTP with Range support (so downloads can resume), each at /<file name>.\nFor local testing: give the printed URL to register-model --source. Runs until Ctrl-C or\nSIGTERM (then exits 0); with --json prints one document {host, port, files: [{url, path, size}]}\nonce listening, and the request log goes to stderr.',
  examples: ['serve-model ./model.bin --port 8000'],
  name: 'serve-model',
  options: {
    host: { arg: 'ADDR', default: '127.0.0.1', description: 'address to listen on (default 127.0.0.1)', type: 'string' },
    port: { arg: 'PORT', default: '8000', description: 'port (default 8000; 0 picks a free one)', type: 'string' }
  },
  synopsis: '<file>... [--host ADDR] [--port PORT] [--json]'
};

runMain(spec.name, async () => {
  const { positionals, values } = parseCli(spec);
  const out = new Output(values);

  if (!positionals.length) {
    throw new UsageError('expected at least one file');
  }

  const listenPort = parseUint('--port', values.port, { max: 65535 });

  const files = new Map();

  for (const f of positionals) {
    const path = resolve(f);
    const st = await stat(path);

    if (!st.isFile()) {
      throw new UsageError(`${f} is not a regular file`);
    }

    files.set(`/${encodeURIComponent(basename(path))}`, { path, size: st.size });
  }

  const server = createServer((req, res) => {
    let pathname;

    try {
      pathname = new URL(req.url, 'http://x').pathname;
    } catch {
      pathname = null;
    }

    const entry = pathname === null ? undefined : files.get(pathname);

    if (!entry || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res.writeHead(entry ? 405 : 404).end();

      return;
    }

    out.line(`${new Date().toISOString()} ${req.method} ${req.url}${req.headers.range ? ` Range: ${req.headers.range}` : ''}`);
    // Every file is served as bytes, whatever its extension; `send` keeps a type already set.
    res.setHeader('Content-Type', 'application/octet-stream');
    send(req, `/${encodeURIComponent(basename(entry.path))}`, { cacheControl: false, dotfiles: 'allow', etag: true, index: false, root: dirname(entry.path) })
      .on('error', (e) => {
        // The file went away (404) or could not be read: answer if nothing was sent yet, else cut
        // the connection so that the client sees a short body rather than a complete one.
        out.warn(`${new Date().toISOString()} ${req.method} ${req.url}: ${e.status ?? 500} ${e.message}`);

        if (res.headersSent) {
          res.destroy();
        } else {
          res.removeHeader('Content-Type');
          res.writeHead(e.status ?? 500).end();
        }
      })
      .pipe(res);
  });

  await new Promise((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(listenPort, values.host, resolveListen);
  });

  const { port } = server.address();

  const served = [...files].map(([p, { path, size }]) => ({ path, size, url: `http://${values.host}:${port}${p}` }));

  out.result({ files: served, host: values.host, port }, served.map((f) => `serving ${f.url} (${formatBytes(f.size)})`));

  return new Promise((resolveStop) => {
    const stop = (signal) => {
      out.line(`${signal}: closing the server`);
      // Idle keep-alive connections are closed at once, busy ones after a grace period.
      server.close(() => resolveStop(0));
      server.closeIdleConnections();
      setTimeout(() => server.closeAllConnections(), 2000).unref();
    };

    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
});
