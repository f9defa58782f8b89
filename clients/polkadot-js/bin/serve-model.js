#!/usr/bin/env node
// A minimal static file server with Range support, to serve model files to a local node.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import { basename, resolve } from 'node:path';

import { formatBytes, parseCli, parseRange, runMain, UsageError } from '../lib/index.js';

const spec = {
  chain: false,
  description: 'Serve files over HTTP with Range support (so downloads can resume), each at /<file name>.\nFor local testing: give the printed URL to register-model --source.',
  examples: ['serve-model ./model.bin --port 8000'],
  name: 'serve-model',
  options: {
    host: { arg: 'ADDR', default: '127.0.0.1', description: 'address to listen on (default 127.0.0.1)', type: 'string' },
    port: { arg: 'PORT', default: '8000', description: 'port (default 8000; 0 picks a free one)', type: 'string' }
  },
  synopsis: '<file>... [--host ADDR] [--port PORT]'
};

runMain(spec.name, async () => {
  const { positionals, values } = parseCli(spec);

  if (!positionals.length) {
    throw new UsageError('expected at least one file');
  }

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

    console.log(`${new Date().toISOString()} ${req.method} ${req.url}${req.headers.range ? ` Range: ${req.headers.range}` : ''}`);
    res.writeHead(range ? 206 : 200, headers);

    if (req.method === 'HEAD' || entry.size === 0) {
      res.end();

      return;
    }

    createReadStream(entry.path, { end, start }).pipe(res);
  });

  await new Promise((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(Number(values.port), values.host, resolveListen);
  });

  const { port } = server.address();

  for (const [p, { size }] of files) {
    console.log(`serving http://${values.host}:${port}${p} (${formatBytes(size)})`);
  }

  return new Promise((resolveStop) => {
    process.once('SIGINT', () => server.close(() => resolveStop(0)));
  });
});
