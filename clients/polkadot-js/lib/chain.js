// Connection, signing and error decoding. All types come from the chain's metadata.
// @polkadot/api is loaded on first connection, so --help and usage errors answer quickly.
import { Keyring } from '@polkadot/keyring';
import { cryptoWaitReady } from '@polkadot/util-crypto';

import { UsageError } from './cli.js';

/** The pallet's name in the runtime, as polkadot.js exposes it (`api.tx.modelRegistry`). */
export const PALLET = 'modelRegistry';
/**
 * The runtime's own transaction extensions: `PrioritizeExecutors` (the pallet's priority of
 * awaited answers) adds nothing to an extrinsic or its signed payload.
 */
export const SIGNED_EXTENSIONS = {
  PrioritizeExecutors: { extrinsic: {}, payload: {} }
};
/** The runtime API's name, as polkadot.js exposes it (`api.call.modelRegistryApi`). */
export const RUNTIME_API = 'modelRegistryApi';
/** The off-chain key type of the model registry (sr25519). */
export const KEY_TYPE = 'mdln';

/** A dispatch error of the chain, decoded from the metadata. */
export class ChainError extends Error {
  /**
   * @param {string} message
   * @param {{ section?: string, name?: string, docs?: string[], raw?: unknown }} [info]
   */
  constructor (message, info = {}) {
    super(message);
    this.name = 'ChainError';
    this.section = info.section;
    this.errorName = info.name;
    this.docs = info.docs ?? [];
    this.raw = info.raw;
  }
}

/**
 * Whether a WebSocket endpoint accepts a connection, probed with a provider that does not
 * reconnect (so polkadot.js logs nothing while the node is down).
 *
 * @param {string} url
 * @param {number} timeoutMs bound of one attempt
 * @returns {Promise<boolean>}
 */
export async function probeEndpoint (url, timeoutMs = 5_000) {
  const { WsProvider } = await import('@polkadot/api');
  const provider = new WsProvider(url, false);
  const offs = [];

  try {
    const up = new Promise((resolve) => {
      offs.push(provider.on('connected', () => resolve(true)));
      offs.push(provider.on('disconnected', () => resolve(false)));
      offs.push(provider.on('error', () => resolve(false)));
      setTimeout(() => resolve(false), timeoutMs).unref();
    });

    await provider.connect();

    return await up;
  } catch {
    return false;
  } finally {
    offs.forEach((off) => off());
    await provider.disconnect().catch(() => undefined);
  }
}

/**
 * Connect to a node, failing (rather than retrying forever) if it cannot be reached.
 *
 * While the node is not up, the endpoint is probed once a second by a provider without
 * auto-reconnect, and a single line (`waiting for the node at ...`) goes to stderr instead of
 * polkadot.js' reconnect messages; once it answers, the real connection (which does reconnect,
 * for long-running scripts) is made.
 *
 * @param {string} url WebSocket endpoint
 * @param {{ timeoutMs?: number, onWait?: ((message: string) => void) | null }} [opts]
 *   `onWait`: called once when the first probe fails (default: a line on stderr; null: silent)
 * @returns {Promise<import('@polkadot/api').ApiPromise>}
 */
export async function connect (url, {
  onWait = (message) => process.stderr.write(`${message}\n`),
  timeoutMs = Number(process.env.MODELNET_CONNECT_TIMEOUT_MS) || 30_000
} = {}) {
  await cryptoWaitReady();

  const { ApiPromise, WsProvider } = await import('@polkadot/api');
  const deadline = Date.now() + timeoutMs;
  const unreachable = () => new Error(`cannot connect to ${url} within ${timeoutMs / 1000}s (is the node running?)`);
  let waited = false;

  while (!(await probeEndpoint(url, Math.max(1, Math.min(5_000, deadline - Date.now()))))) {
    if (Date.now() + 1_000 >= deadline) {
      throw unreachable();
    }

    if (!waited) {
      waited = true;
      onWait?.(`waiting for the node at ${url} (up to ${Math.round(timeoutMs / 1000)}s) ...`);
    }

    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }

  const provider = new WsProvider(url, 1_000, {}, timeoutMs);
  let timer;

  try {
    const api = await Promise.race([
      ApiPromise.create({ noInitWarn: true, provider, signedExtensions: SIGNED_EXTENSIONS, throwOnConnect: false }),
      new Promise((_resolve, reject) => {
        timer = setTimeout(() => reject(unreachable()), Math.max(1_000, deadline - Date.now()));
      })
    ]);

    return api;
  } catch (e) {
    await provider.disconnect().catch(() => undefined);
    throw e;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Drop polkadot.js' own log lines of the given sources (`API-WS:` by default: one line per
 * reconnect attempt) from console.error/console.warn, for long-running scripts that report
 * connection changes themselves.
 *
 * @param {string[]} [sources] logger prefixes as polkadot.js prints them
 * @returns {() => void} restores the console
 */
export function muteProviderLogs (sources = ['API-WS:']) {
  const saved = { error: console.error, warn: console.warn };
  const muted = (args) => args.slice(0, 2).some((a) => typeof a === 'string' && sources.includes(a.trim()));

  for (const k of Object.keys(saved)) {
    console[k] = (...args) => {
      if (!muted(args)) {
        saved[k](...args);
      }
    };
  }

  return () => Object.assign(console, saved);
}

/**
 * Fail early with a clear message when the connected runtime has no ModelRegistry pallet.
 *
 * @param {import('@polkadot/api').ApiPromise} api
 */
export function requirePallet (api) {
  if (!api.tx[PALLET]) {
    throw new Error(`the chain at this endpoint has no ModelRegistry pallet (runtime ${api.runtimeVersion.specName.toString()})`);
  }
}

/**
 * The runtime API methods of the model registry (`api.call.modelRegistryApi`).
 *
 * @param {import('@polkadot/api').ApiPromise} api
 */
export function runtimeApi (api) {
  const calls = api.call[RUNTIME_API];

  if (!calls) {
    throw new Error('the runtime does not expose ModelRegistryApi in its metadata (needs metadata v15+)');
  }

  return calls;
}

/**
 * The stake a node declaring `capacity` must put up (`ModelRegistryApi.required_stake`:
 * `MinNodeStake` plus a price per GiB of VRAM and of disk).
 *
 * @param {import('@polkadot/api').ApiPromise} api
 * @param {{ diskBytes: bigint, vramBytes: bigint }} capacity
 * @returns {Promise<bigint>}
 */
export async function requiredStake (api, capacity) {
  return (await runtimeApi(api).requiredStake(capacity)).toBigInt();
}

/**
 * A keyring pair from a secret URI (`//Alice`, a mnemonic, `0x` seed, with derivations).
 *
 * @param {string} suri
 * @param {'sr25519' | 'ed25519' | 'ecdsa'} [type]
 * @param {number} [ss58Format]
 */
export function signerFrom (suri, type = 'sr25519', ss58Format = 42) {
  const keyring = new Keyring({ ss58Format, type });

  try {
    return keyring.addFromUri(suri);
  } catch (e) {
    throw new UsageError(`invalid --suri: ${e.message}`);
  }
}

/**
 * The signer of a script, checked before connecting (a bad secret URI is a usage error).
 *
 * @param {string} suri
 */
export async function signerReady (suri) {
  await cryptoWaitReady();

  return signerFrom(suri);
}

/**
 * Bounds of the model registry read from the chain's metadata (`api.consts.modelRegistry`);
 * a bound the runtime does not declare is undefined.
 *
 * @param {import('@polkadot/api').ApiPromise} api
 * @returns {{ maxSources?: number, maxUrlLen?: number, maxTaskInputLen?: number, maxModelSize?: bigint }}
 */
export function chainLimits (api) {
  const c = api.consts[PALLET] ?? {};
  const num = (v) => (v === undefined ? undefined : Number(v.toString()));

  return {
    maxModelSize: c.maxModelSize === undefined ? undefined : BigInt(c.maxModelSize.toString()),
    maxSources: num(c.maxSources),
    maxTaskInputLen: num(c.maxTaskInputLen),
    maxUrlLen: num(c.maxUrlLen)
  };
}

/**
 * The chain's token decimals and symbol (for amounts on the command line).
 *
 * @param {import('@polkadot/api').ApiPromise} api
 * @returns {{ decimals: number, symbol: string }}
 */
export function tokenInfo (api) {
  return {
    decimals: api.registry.chainDecimals[0] ?? 12,
    symbol: api.registry.chainTokens[0] ?? 'UNIT'
  };
}

/**
 * Describe a DispatchError using the metadata: `Section.Name: docs` for module errors.
 *
 * @param {import('@polkadot/api').ApiPromise} api
 * @param {any} dispatchError a `DispatchError` codec
 * @returns {ChainError}
 */
export function decodeDispatchError (api, dispatchError) {
  if (dispatchError.isModule) {
    try {
      const meta = api.registry.findMetaError(dispatchError.asModule);
      const docs = meta.docs.join(' ').trim();

      return new ChainError(`${meta.section}.${meta.name}${docs ? `: ${docs}` : ''}`, {
        docs: meta.docs, name: meta.name, raw: dispatchError.toJSON(), section: meta.section
      });
    } catch {
      // metadata without this error: fall through to the raw form
    }
  }

  const human = dispatchError.toHuman();

  return new ChainError(`dispatch error: ${typeof human === 'string' ? human : JSON.stringify(human)}`, {
    raw: dispatchError.toJSON()
  });
}

/**
 * Sign and submit an extrinsic; resolve once it is in a block and succeeded.
 *
 * Resolves with `{ blockHash, blockNumber, txHash, events }` where `events` are the events of this
 * extrinsic. Rejects with a {@link ChainError} carrying the decoded module error when the
 * extrinsic failed, or when a `Sudo.Sudid`/`Sudo.SudoAsDone` event reports an inner error; rejects
 * when the pool refuses, drops or invalidates the transaction.
 *
 * @param {import('@polkadot/api').ApiPromise} api
 * @param {import('@polkadot/api/types').SubmittableExtrinsic<'promise'>} tx
 * @param {import('@polkadot/keyring/types').KeyringPair} signer
 * @param {{ timeoutMs?: number, nonce?: number }} [opts]
 */
export function signAndWait (api, tx, signer, { timeoutMs = 120_000, nonce = -1 } = {}) {
  const what = `${tx.method.section}.${tx.method.method}`;

  return new Promise((resolve, reject) => {
    let unsub = null;
    let done = false;
    const finish = (err, value) => {
      if (done) {
        return;
      }

      done = true;
      clearTimeout(timer);

      if (unsub) {
        unsub();
      }

      if (err) {
        reject(err);
      } else {
        resolve(value);
      }
    };
    const timer = setTimeout(() => finish(new Error(`${what}: not included in a block within ${timeoutMs / 1000}s`)), timeoutMs);

    tx.signAndSend(signer, { nonce }, (result) => {
      const { dispatchError, events, status, txHash } = result;

      if (status.isInvalid || status.isDropped || status.isUsurped) {
        finish(new Error(`${what}: transaction ${status.type.toLowerCase()}`));

        return;
      }

      if (!status.isInBlock && !status.isFinalized) {
        return;
      }

      if (dispatchError) {
        finish(decodeDispatchError(api, dispatchError));

        return;
      }

      for (const { event } of events) {
        if (event.section === 'sudo' && (event.method === 'Sudid' || event.method === 'SudoAsDone')) {
          const res = event.data[0];

          if (res?.isErr) {
            finish(decodeDispatchError(api, res.asErr));

            return;
          }
        }
      }

      const blockHash = status.isInBlock ? status.asInBlock : status.asFinalized;

      api.rpc.chain.getHeader(blockHash).then(
        (header) => finish(null, { blockHash: blockHash.toHex(), blockNumber: header.number.toNumber(), events, txHash: txHash.toHex() }),
        () => finish(null, { blockHash: blockHash.toHex(), blockNumber: undefined, events, txHash: txHash.toHex() })
      );
    }).then((u) => {
      unsub = u;

      if (done) {
        u();
      }
    }, (e) => {
      finish(new Error(`${what}: ${e.message}`));
    });
  });
}

/**
 * Wrap a call in `sudo.sudo` and submit it with the sudo key; rejects with the inner error.
 *
 * @param {import('@polkadot/api').ApiPromise} api
 * @param {any} call
 * @param {import('@polkadot/keyring/types').KeyringPair} signer
 */
export async function sudoAndWait (api, call, signer) {
  if (!api.tx.sudo) {
    throw new Error('the chain has no Sudo pallet');
  }

  const key = await api.query.sudo.key();
  const keyAddr = key.isSome ? key.unwrap().toString() : null;

  if (keyAddr && api.createType('AccountId', keyAddr).toHex() !== api.createType('AccountId', signer.address).toHex()) {
    throw new Error(`${signer.address} is not the sudo key (${keyAddr})`);
  }

  return signAndWait(api, api.tx.sudo.sudo(call), signer);
}

/**
 * Find the first event of this pallet with the given name among an extrinsic's events.
 *
 * @param {{ event: any }[]} events
 * @param {string} method e.g. `ModelRegistered`
 * @param {string} [section]
 */
export function findEvent (events, method, section = PALLET) {
  return events.find(({ event }) => event.section === section && event.method === method)?.event;
}

/**
 * Insert a dev key of the model registry key type into the node's keystore (unsafe RPC, so only
 * on a node whose RPC allows it, e.g. a local `--dev` node).
 *
 * @param {import('@polkadot/api').ApiPromise} api
 * @param {string} suri
 * @returns {Promise<string>} the key's SS58 address (= the account that must `join`)
 */
export async function insertKey (api, suri) {
  const pair = signerFrom(suri, 'sr25519');
  const pub = `0x${Buffer.from(pair.publicKey).toString('hex')}`;

  await api.rpc.author.insertKey(KEY_TYPE, suri, pub);

  return pair.address;
}
