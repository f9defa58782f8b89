#!/usr/bin/env node
// A minimal static file server with Range support, to serve model files to a local node.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import { basename, resolve } from 'node:path';

import { formatBytes, Output, parseCli, parseRange, parseUint, runMain, UsageError } from '../lib/index.js';

const spec = {
  chain: false,
  description: 'Serve files over HTTP with Range support (so downloads can resume), each at /<file name>.\nFor local testing: give the printed URL to register-model --source. Runs until Ctrl-C; with\n--json prints one document {host, port, files: [{url, path, size}]} once listening, and the\nrequest log goes to stderr.',
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
    const entry = files.get(new URL(req.url, 'http://x').pathname);

    if (!entry || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res.writeHead(entry ? 405 : 404).end();

      return;
    }

    const range = parseRange(req.headers.range, entry.size);

    if (range === 'unsatisfiable') {
      res.writeHead(416, { 'Content-Range': `bytes */${entry.size}` }).end();

      return;
    }

    const { end, start } = range ?? { end: entry.size - 1, start: 0 };
    const headers = { 'Accept-Ranges': 'bytes', 'Content-Length': String(Math.max(0, end - start + 1)), 'Content-Type': 'application/octet-stream' };

    if (range) {
      headers['Content-Range'] = `bytes ${start}-${end}/${entry.size}`;
    }

    out.line(`${new Date().toISOString()} ${req.method} ${req.url}${req.headers.range ? ` Range: ${req.headers.range}` : ''}`);
    res.writeHead(range ? 206 : 200, headers);

    if (req.method === 'HEAD' || entry.size === 0) {
      res.end();

      return;
    }

    createReadStream(entry.path, { end, start }).pipe(res);
  });

  await new Promise((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(listenPort, values.host, resolveListen);
  });

  const { port } = server.address();

  const served = [...files].map(([p, { path, size }]) => ({ path, size, url: `http://${values.host}:${port}${p}` }));

  out.result({ files: served, host: values.host, port }, served.map((f) => `serving ${f.url} (${formatBytes(f.size)})`));

  return new Promise((resolveStop) => {
    process.once('SIGINT', () => server.close(() => resolveStop(0)));
  });
});
