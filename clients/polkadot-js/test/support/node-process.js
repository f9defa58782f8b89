// Start and stop a `modelnet-node --dev --tmp` for the end-to-end tests.
import { spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';

/** Where node logs go (kept after the run for debugging). */
export const LOG_DIR = resolve(process.env.MODELNET_E2E_LOG_DIR || new URL('../../e2e-logs', import.meta.url).pathname);

/** A free TCP port on the loopback interface. */
export function freePort () {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();

    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();

      srv.close(() => resolvePort(port));
    });
  });
}

/** Nodes started by this process, killed on exit whatever happens. */
const live = new Set();

process.once('exit', () => {
  for (const child of live) {
    try {
      process.kill(child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});

async function rpcReady (port) {
  try {
    const res = await fetch(`http://127.0.0.1:${port}`, {
      body: JSON.stringify({ id: 1, jsonrpc: '2.0', method: 'chain_getHeader', params: [] }),
      headers: { 'content-type': 'application/json' },
      method: 'POST',
      signal: AbortSignal.timeout(2_000)
    });
    const json = await res.json();

    return json?.result?.number !== undefined;
  } catch {
    return false;
  }
}

/**
 * Start a dev node.
 *
 * @param {{ name: string, binary: string, modelStore: string, maxBytes?: number | bigint, extraArgs?: string[], readyTimeoutMs?: number }} opts
 * @returns {Promise<{ url: string, rpcPort: number, pid: number, logFile: string, args: string[], stop: () => Promise<void>, exited: () => boolean }>}
 */
export async function startNode ({ binary, extraArgs = [], maxBytes, modelStore, name, readyTimeoutMs = 120_000 }) {
  if (!existsSync(binary)) {
    throw new Error(`MODELNET_NODE=${binary}: no such file`);
  }

  mkdirSync(LOG_DIR, { recursive: true });

  const [rpcPort, p2pPort, promPort] = [await freePort(), await freePort(), await freePort()];
  const logFile = join(LOG_DIR, `${name}-${new Date().toISOString().replace(/[:.]/g, '-')}.log`);
  const args = [
    '--dev', '--tmp',
    '--rpc-port', String(rpcPort),
    '--port', String(p2pPort),
    '--prometheus-port', String(promPort),
    '--no-mdns',
    '--offchain-worker', 'always',
    '--model-store', modelStore,
    ...(maxBytes !== undefined ? ['--model-store-max-bytes', String(maxBytes)] : []),
    '-l', process.env.MODELNET_NODE_LOG || 'info,modelnet=debug,model-worker=debug,model-registry=debug,runtime::model-registry=debug',
    ...(process.env.MODELNET_NODE_EXTRA_ARGS ? process.env.MODELNET_NODE_EXTRA_ARGS.split(/\s+/).filter(Boolean) : []),
    ...extraArgs
  ];
  const log = createWriteStream(logFile);

  log.write(`$ ${binary} ${args.join(' ')}\n`);

  const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let exitInfo = null;

  live.add(child);
  child.stdout.pipe(log, { end: false });
  child.stderr.pipe(log, { end: false });

  const exited = new Promise((resolveExit) => {
    child.once('exit', (code, signal) => {
      exitInfo = { code, signal };
      live.delete(child);
      resolveExit(exitInfo);
    });
  });

  const deadline = Date.now() + readyTimeoutMs;

  while (!(await rpcReady(rpcPort))) {
    if (exitInfo) {
      throw new Error(`${name}: modelnet-node exited during start-up (code ${exitInfo.code}, signal ${exitInfo.signal}); log: ${logFile}`);
    }

    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${name}: RPC not ready on port ${rpcPort} within ${readyTimeoutMs / 1000}s; log: ${logFile}`);
    }

    await new Promise((r) => setTimeout(r, 500));
  }

  return {
    args,
    exited: () => exitInfo !== null,
    logFile,
    pid: child.pid,
    rpcPort,
    async stop () {
      if (!exitInfo) {
        process.kill(child.pid, 'SIGINT');

        const timer = setTimeout(() => {
          if (!exitInfo) {
            process.kill(child.pid, 'SIGKILL');
          }
        }, 15_000);

        await exited;
        clearTimeout(timer);
      }

      await new Promise((r) => log.end(r));
    },
    url: `ws://127.0.0.1:${rpcPort}`
  };
}
