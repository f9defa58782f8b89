// Start and stop `modelnet-node` processes for the end-to-end tests: a `--dev --tmp` node
// (`startNode`), or any command line (`spawnNode`, used by the multi-node harness in network.js).
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

/** Whether a node's HTTP RPC on `port` answers `chain_getHeader`. */
export async function rpcReady (port) {
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
 * Spawn a `modelnet-node` with the given arguments, log its output to `logFile` (appended, so a
 * restarted node keeps one log) and wait until its RPC on `rpcPort` answers.
 *
 * @param {{ name: string, binary: string, args: string[], rpcPort: number, logFile: string, readyTimeoutMs?: number }} opts
 * @returns {Promise<{ pid: number, args: string[], logFile: string, exited: () => boolean, exitInfo: () => ({ code: number | null, signal: string | null } | null),
 *   waitExit: () => Promise<{ code: number | null, signal: string | null }>, stop: (graceMs?: number) => Promise<void>, kill: () => Promise<void> }>}
 */
export async function spawnNode ({ args, binary, logFile, name, readyTimeoutMs = 120_000, rpcPort }) {
  if (!existsSync(binary)) {
    throw new Error(`MODELNET_NODE=${binary}: no such file`);
  }

  mkdirSync(LOG_DIR, { recursive: true });

  const log = createWriteStream(logFile, { flags: 'a' });

  log.write(`\n=== ${new Date().toISOString()} start ${name}\n$ ${binary} ${args.join(' ')}\n`);

  const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let exitInfo = null;

  live.add(child);
  child.stdout.pipe(log, { end: false });
  child.stderr.pipe(log, { end: false });

  const exited = new Promise((resolveExit) => {
    child.once('exit', (code, signal) => {
      exitInfo = { code, signal };
      live.delete(child);
      log.write(`\n=== ${new Date().toISOString()} ${name} exited (code ${code}, signal ${signal})\n`);
      resolveExit(exitInfo);
    });
  });
  const closeLog = () => new Promise((r) => log.end(r));
  const deadline = Date.now() + readyTimeoutMs;

  while (!(await rpcReady(rpcPort))) {
    if (exitInfo) {
      await closeLog();
      throw new Error(`${name}: modelnet-node exited during start-up (code ${exitInfo.code}, signal ${exitInfo.signal}); log: ${logFile}`);
    }

    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      await exited;
      await closeLog();
      throw new Error(`${name}: RPC not ready on port ${rpcPort} within ${readyTimeoutMs / 1000}s; log: ${logFile}`);
    }

    await new Promise((r) => setTimeout(r, 500));
  }

  return {
    args,
    exitInfo: () => exitInfo,
    exited: () => exitInfo !== null,
    /** SIGKILL: no clean shutdown, as in a crash or power loss. */
    async kill () {
      if (!exitInfo) {
        process.kill(child.pid, 'SIGKILL');
        await exited;
      }

      await closeLog();
    },
    logFile,
    pid: child.pid,
    /** SIGINT (a clean shutdown, like Ctrl-C), SIGKILL after `graceMs`. */
    async stop (graceMs = 15_000) {
      if (!exitInfo) {
        process.kill(child.pid, 'SIGINT');

        const timer = setTimeout(() => {
          if (!exitInfo) {
            process.kill(child.pid, 'SIGKILL');
          }
        }, graceMs);

        await exited;
        clearTimeout(timer);
      }

      await closeLog();
    },
    waitExit: () => exited
  };
}

/**
 * Start a dev node.
 *
 * @param {{ name: string, binary: string, modelStore: string, maxBytes?: number | bigint, extraArgs?: string[], readyTimeoutMs?: number }} opts
 * @returns {Promise<{ url: string, rpcPort: number, prometheusPort: number, publicUrl: string, pid: number, logFile: string, args: string[],
 *   stop: () => Promise<void>, exited: () => boolean }>} `publicUrl`: where the node serves model pieces (`--model-public-url`)
 */
export async function startNode ({ binary, extraArgs = [], maxBytes, modelStore, name, readyTimeoutMs = 120_000 }) {
  const [rpcPort, p2pPort, promPort, modelPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const publicUrl = `http://127.0.0.1:${modelPort}`;
  const logFile = join(LOG_DIR, `${name}-${new Date().toISOString().replace(/[:.]/g, '-')}.log`);
  const args = [
    '--dev', '--tmp',
    '--rpc-port', String(rpcPort),
    '--port', String(p2pPort),
    '--prometheus-port', String(promPort),
    '--model-public-url', publicUrl,
    '--model-serve-addr', `127.0.0.1:${modelPort}`,
    '--no-mdns',
    '--offchain-worker', 'always',
    '--model-store', modelStore,
    ...(maxBytes !== undefined ? ['--model-store-max-bytes', String(maxBytes)] : []),
    '-l', nodeLogFilter(),
    ...nodeExtraArgs(),
    ...extraArgs
  ];
  const node = await spawnNode({ args, binary, logFile, name, readyTimeoutMs, rpcPort });

  return {
    args,
    exited: node.exited,
    logFile,
    pid: node.pid,
    prometheusPort: promPort,
    publicUrl,
    rpcPort,
    stop: () => node.stop(),
    url: `ws://127.0.0.1:${rpcPort}`
  };
}

/** The node's `-l` filter: `MODELNET_NODE_LOG`, or debug logs of the model worker and the pallet. */
export function nodeLogFilter () {
  return process.env.MODELNET_NODE_LOG || 'info,modelnet=debug,model-worker=debug,model-registry=debug,runtime::model-registry=debug';
}

/** Extra node arguments from `MODELNET_NODE_EXTRA_ARGS` (split on white space). */
export function nodeExtraArgs () {
  return process.env.MODELNET_NODE_EXTRA_ARGS ? process.env.MODELNET_NODE_EXTRA_ARGS.split(/\s+/).filter(Boolean) : [];
}
