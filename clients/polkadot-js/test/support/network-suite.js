// Shared pieces of the end-to-end suites that run on a LocalNetwork (multi-node, swarm): start
// and set up the network, run timed scenarios, change registry parameters, describe the network
// when a scenario fails, and keep the node directories of a failed suite.
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { it } from 'node:test';

import { mergeParams, PALLET, readParams, signerFrom, sudoAndWait } from '../../lib/index.js';
import { recentEvents, tail } from './e2e.js';
import { SUDO_SURI } from './network.js';

/**
 * Set registry parameters through sudo; fields not given keep their value.
 *
 * @param {import('./network.js').LocalNetwork} net
 * @param {Record<string, any>} overrides
 */
export async function setNetworkParams (net, overrides) {
  const { params: current } = await readParams(net.api);

  await sudoAndWait(net.api, net.api.tx[PALLET].setParams(mergeParams(net.api, current, overrides)), signerFrom(SUDO_SURI));
}

/**
 * What a failed scenario adds to its error: the last registry events and each node's state and
 * log tail. `describeNode` names more of a node's state (e.g. a test-only flag it runs with).
 *
 * @param {import('./network.js').LocalNetwork | undefined} net
 * @param {(node: any) => string[]} [describeNode]
 */
export function networkReport (net, describeNode = () => []) {
  let text = `\n--- recent ModelRegistry events ---\n${net?.log ? recentEvents(net, 50) : ''}`;

  for (const n of net?.nodes ?? []) {
    const state = [n.running ? 'running' : 'stopped', ...describeNode(n)].join(', ');

    text += `\n--- ${n.name} (${state}) log tail: ${n.logFile} ---\n${tail(n.logFile, 15)}`;
  }

  return text;
}

/**
 * Copy the network's node logs and event log into `<baseDir>/logs`, next to the node
 * directories a failed suite keeps: the log directory may go with the checkout (a CI clone is
 * removed after the run), the kept directories stay for reading the chain back. Returns the
 * directory.
 *
 * @param {import('./network.js').LocalNetwork} net
 */
export function keepLogs (net) {
  const dir = join(net.baseDir, 'logs');

  mkdirSync(dir, { recursive: true });

  for (const file of [...net.nodes.map((n) => n.logFile), net.eventsFile?.path].filter(Boolean)) {
    if (existsSync(file)) {
      copyFileSync(file, join(dir, basename(file)));
    }
  }

  return dir;
}

/** The bookkeeping of a suite on one network: whether something failed, and how long each part took. */
export class NetworkSuite {
  /** Whether the set-up or a scenario failed (the node directories are then kept). */
  failed = false;
  /** One line per part: its title and its duration. */
  timings = [];

  /** @param {string} label the suite's name in its closing lines */
  constructor (label) {
    this.label = label;
  }

  /** Record how long `what` took since `started` (a `Date.now()`). */
  timed (what, started) {
    this.timings.push(`${what.slice(0, 60)}: ${((Date.now() - started) / 1000).toFixed(0)} s`);
  }

  /**
   * Start the network's processes and its event log, join its accounts and set `params`. A
   * failure marks the suite failed and adds every node's log file and tail to the error.
   *
   * @param {import('./network.js').LocalNetwork} net
   * @param {Record<string, any>} params
   */
  async start (net, params) {
    try {
      await net.start();
      await net.startEventLog();
      await net.setup({ params });
    } catch (e) {
      this.failed = true;
      e.message += `\n--- logs ---\n${net.logFiles()}\n${net.nodes.map((n) => `--- ${n.name} ---\n${tail(n.logFile, 20)}`).join('\n')}`;
      throw e;
    }
  }

  /**
   * A timed scenario (`it`); when it fails, the suite is marked failed and `report()` is added to
   * the error.
   *
   * @param {string} title
   * @param {() => Promise<void>} fn
   * @param {() => string} report
   */
  scenario (title, fn, report) {
    it(title, { timeout: 900_000 }, async () => {
      const started = Date.now();

      try {
        await fn();
      } catch (e) {
        this.failed = true;
        e.message += report();
        throw e;
      } finally {
        this.timed(title, started);
      }
    });
  }

  /**
   * Stop the network (keeping its directories if the suite failed or `MODELNET_E2E_KEEP_STORE`
   * is set), run `cleanup`, then write where the logs are (after a failure) and the timings.
   *
   * @param {import('./network.js').LocalNetwork | undefined} net
   * @param {() => Promise<void>} cleanup
   */
  async finish (net, cleanup) {
    await net?.shutdown({ keep: this.failed || !!process.env.MODELNET_E2E_KEEP_STORE });
    await cleanup();

    if (this.failed && net) {
      const copied = keepLogs(net);

      process.stderr.write(`${this.label} logs:\n${net.logFiles()}\nnode directories kept in ${net.baseDir}, with a copy of the logs in ${copied}\n`);
    }

    process.stderr.write(`${this.label} timings:\n  ${this.timings.join('\n  ')}\n`);
  }
}
