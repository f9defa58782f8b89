// Listings of models and nodes from the pallet's storage: rows shaped from the records' JSON,
// sorted deterministically, paged, and rendered as text tables.
import { PALLET } from './chain.js';
import { formatExecutor } from './executor.js';
import { compareKeys, paginate } from './numbers.js';
import { formatBytes } from './units.js';

/** Source failures in a row from which a model gets no nominations (the pallet's MAX_SOURCE_FAILURES). */
export const MAX_SOURCE_FAILURES = 3;

/** UTF-8 text of a `Bytes` codec. */
const utf8 = (b) => Buffer.from(b.toU8a(true)).toString('utf8');

/**
 * The base URL a node declared for serving model pieces (storage `nodeEndpoints`), or null
 * (none declared, or a runtime without the map).
 *
 * @param {import('@polkadot/api').ApiPromise} api
 * @param {string} account
 * @returns {Promise<string | null>}
 */
export async function nodeEndpoint (api, account) {
  const q = api.query[PALLET]?.nodeEndpoints;

  if (!q) {
    return null;
  }

  const v = await q(account);

  return v?.isSome ? utf8(v.unwrap()) : null;
}

/**
 * A model's piece manifest on chain (storage `modelPieces`): `{ root, pieceSize, pieceCount }`, or
 * null (none, or a runtime without the map). The leaf list itself is left out.
 *
 * @param {Record<string, any> | null} json the `Option` record's JSON
 */
export function piecesSummary (json) {
  if (!json) {
    return null;
  }

  return { pieceCount: Array.isArray(json.pieces) ? json.pieces.length : 0, pieceSize: Number(json.pieceSize ?? 0), root: json.root ?? null };
}

/**
 * {@link piecesSummary} of a model, read from the chain.
 *
 * @param {import('@polkadot/api').ApiPromise} api
 * @param {string} model
 */
export async function modelPieces (api, model) {
  const q = api.query[PALLET]?.modelPieces;

  if (!q) {
    return null;
  }

  const v = await q(model);

  return v?.isSome ? piecesSummary(v.unwrap().toJSON()) : null;
}

/** A u64/u128 from a codec's JSON (a number, or a hex string when it is too large for one). */
const big = (v) => BigInt(v ?? 0);
/** A u32 from a codec's JSON. */
const int = (v) => Number(v ?? 0);

/**
 * A model's row from its `Models` record (JSON, camelCase keys). u64/u128 values are bigints.
 *
 * @param {string} id 0x model id
 * @param {Record<string, any>} info `ModelInfo` as JSON
 */
export function modelRow (id, info) {
  return {
    available: int(info.available),
    demand: { current: int(info.demandCurrent), previous: int(info.demandPrevious), window: int(info.demandWindowIndex) },
    deposit: big(info.deposit),
    executor: formatExecutor(info.executor),
    holders: int(info.holders),
    id,
    minVramBytes: big(info.minVramBytes),
    nominated: int(info.nominated),
    owner: info.owner,
    parked: info.parkedAt !== null && info.parkedAt !== undefined,
    queued: !!info.queued,
    registeredAt: int(info.registeredAt),
    retiring: !!info.retiring,
    sizeBytes: big(info.sizeBytes),
    sourceFailures: int(info.sourceFailures),
    target: int(info.target)
  };
}

/**
 * A node's row from its `Nodes` record (JSON, camelCase keys) and the lengths of its holding and
 * nomination lists.
 *
 * @param {string} account SS58 address
 * @param {Record<string, any>} info `NodeInfo` as JSON
 * @param {number} holdings
 * @param {number} nominations
 */
export function nodeRow (account, info, holdings, nominations) {
  return {
    account,
    capacity: { diskBytes: big(info.capacity?.diskBytes), vramBytes: big(info.capacity?.vramBytes) },
    holdings,
    joinedAt: int(info.joinedAt),
    nominations,
    openCommitments: int(info.openCommitments),
    qos: int(info.qos),
    stake: big(info.stake),
    status: typeof info.status === 'string' ? info.status : Object.keys(info.status ?? {})[0] ?? '?',
    usedDisk: big(info.usedDisk)
  };
}

/** Models in order of registration, then id. */
export function sortModelRows (rows) {
  return [...rows].sort((a, b) => compareKeys([a.registeredAt, b.registeredAt], [a.id, b.id]));
}

/** Nodes in order of joining, then account. */
export function sortNodeRows (rows) {
  return [...rows].sort((a, b) => compareKeys([a.joinedAt, b.joinedAt], [a.account, b.account]));
}

/** Flags of a model's state, for the text table. */
function modelState (r) {
  const flags = [r.retiring && 'retiring', r.parked && 'parked', r.queued && 'queued', r.sourceFailures >= MAX_SOURCE_FAILURES && 'sources-failing'].filter(Boolean);

  return flags.length ? flags.join(',') : '-';
}

/**
 * Render rows as an aligned table.
 *
 * @param {string[]} header
 * @param {string[][]} rows
 */
/**
 * The `--page` / `--per-page` options of a listing script.
 *
 * @param {string} what what is listed, e.g. 'nodes'
 */
export function pagingOptions (what) {
  return {
    page: { arg: 'N', default: '1', description: 'page number, from 1 (default 1)', type: 'string' },
    'per-page': { arg: 'M', default: '50', description: `${what} per page, 1..10000 (default 50)`, type: 'string' }
  };
}

/**
 * The JSON document of one page: the items under `key`, then the paging figures.
 *
 * @param {string} key
 * @param {{ items: any[], page: number, pages: number, perPage: number, total: number }} page
 * @param {(item: any) => any} [map]
 */
export function pageDocument (key, page, map = (x) => x) {
  return { [key]: page.items.map(map), page: page.page, pages: page.pages, perPage: page.perPage, total: page.total };
}

export function textTable (header, rows) {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (cells) => cells.map((c, i) => (i === cells.length - 1 ? String(c) : String(c).padEnd(widths[i]))).join('  ');

  return [line(header), ...rows.map(line)];
}

/**
 * The heading line of a page: `page 1/3: models 1-50 of 120`.
 *
 * @param {ReturnType<typeof paginate>} page
 * @param {string} what plural noun
 */
export function pageHeading (page, what) {
  if (!page.total) {
    return `no ${what}`;
  }

  if (!page.items.length) {
    return `page ${page.page}/${page.pages}: no ${what} on this page (${page.total} in all)`;
  }

  return `page ${page.page}/${page.pages}: ${what} ${page.first + 1}-${page.first + page.items.length} of ${page.total}`;
}

/**
 * Text lines of a page of models.
 *
 * @param {ReturnType<typeof paginate>} page rows from {@link modelRow}, optionally with `holderList` and `sources`
 * @param {{ details?: boolean }} [opts] also list holders and sources under each model
 */
export function modelLines (page, { details = false } = {}) {
  const lines = [pageHeading(page, 'models')];

  if (!page.items.length) {
    return lines;
  }

  const header = ['MODEL', 'HOLDERS', 'TARGET', 'AVAIL', 'NOMINATED', 'DEMAND', 'SRC-FAIL', 'SIZE', 'PIECES', 'EXECUTOR', 'STATE'];
  const rows = page.items.map((r) => [
    r.id, r.holders, r.target, r.available, r.nominated, `${r.demand.current}/${r.demand.previous}`, r.sourceFailures,
    formatBytes(r.sizeBytes), r.pieces ? `${r.pieces.pieceCount}x${formatBytes(r.pieces.pieceSize)}` : '-', r.executor ?? 'spot-check', modelState(r)
  ]);
  const rendered = textTable(header, rows);

  lines.push(rendered[0]);
  page.items.forEach((r, i) => {
    lines.push(rendered[i + 1]);

    if (r.pieces?.root) {
      lines.push(`    piece root ${r.pieces.root}`);
    }

    if (details) {
      for (const h of r.holderList ?? []) {
        lines.push(`    holder ${h.node}${h.available ? '' : ' (not available)'}`);
      }

      for (const s of r.sources ?? []) {
        lines.push(`    source ${s}`);
      }
    }
  });

  return lines;
}

/**
 * Text lines of a page of nodes.
 *
 * @param {ReturnType<typeof paginate>} page rows from {@link nodeRow}
 * @param {(planck: bigint) => string} [formatStake]
 */
export function nodeLines (page, formatStake = (v) => String(v)) {
  const lines = [pageHeading(page, 'nodes')];

  if (!page.items.length) {
    return lines;
  }

  const header = ['ACCOUNT', 'STATUS', 'QOS', 'HOLDINGS', 'NOMINATIONS', 'DISK USED/DECLARED', 'VRAM', 'STAKE', 'ENDPOINT'];
  const rows = page.items.map((r) => [
    r.account, r.status, r.qos, r.holdings, r.nominations,
    `${formatBytes(r.usedDisk)} / ${formatBytes(r.capacity.diskBytes)}`, formatBytes(r.capacity.vramBytes), formatStake(r.stake), r.endpoint ?? '-'
  ]);

  return [...lines, ...textTable(header, rows)];
}

/**
 * One page of the registered models, sorted by registration block then id; holders (accounts and
 * availability) and sources are read for the page's models only.
 *
 * @param {import('@polkadot/api').ApiPromise} api
 * @param {{ page: number, perPage: number }} paging
 */
export async function listModels (api, paging) {
  const q = api.query[PALLET];
  const entries = await q.models.entries();
  const rows = sortModelRows(entries
    .filter(([, v]) => v.isSome)
    .map(([k, v]) => modelRow(k.args[0].toHex(), v.unwrap().toJSON())));
  const page = paginate(rows, paging);
  const ids = page.items.map((r) => r.id);

  if (ids.length) {
    const [holders, sources, pieces] = await Promise.all([
      q.holders.multi(ids),
      q.modelSources ? q.modelSources.multi(ids) : Promise.resolve(ids.map(() => null)),
      q.modelPieces ? q.modelPieces.multi(ids) : Promise.resolve(ids.map(() => null))
    ]);

    page.items.forEach((r, i) => {
      r.holderList = holders[i].map((h) => ({ available: h.available.isTrue, node: h.node.toString() }));
      r.sources = sources[i] ? sources[i].map(utf8) : [];
      r.pieces = pieces[i]?.isSome ? piecesSummary(pieces[i].unwrap().toJSON()) : null;
    });
  }

  return page;
}

/**
 * One page of the registered nodes, sorted by joining block then account, with the number of
 * models each holds and is nominated for.
 *
 * @param {import('@polkadot/api').ApiPromise} api
 * @param {{ page: number, perPage: number }} paging
 */
export async function listNodes (api, paging) {
  const q = api.query[PALLET];
  const entries = (await q.nodes.entries()).filter(([, v]) => v.isSome);
  const sorted = entries
    .map(([k, v]) => ({ account: k.args[0].toString(), info: v.unwrap().toJSON() }))
    .sort((a, b) => compareKeys([Number(a.info.joinedAt), Number(b.info.joinedAt)], [a.account, b.account]));
  const page = paginate(sorted, paging);
  const accounts = page.items.map((n) => n.account);
  const [holdings, nominations, endpoints] = accounts.length
    ? await Promise.all([
      q.nodeHoldings.multi(accounts),
      q.nodeNominations.multi(accounts),
      q.nodeEndpoints ? q.nodeEndpoints.multi(accounts) : Promise.resolve(accounts.map(() => null))
    ])
    : [[], [], []];

  return {
    ...page,
    items: page.items.map((n, i) => ({
      ...nodeRow(n.account, n.info, holdings[i].length, nominations[i].length),
      endpoint: endpoints[i]?.isSome ? utf8(endpoints[i].unwrap()) : null
    }))
  };
}
