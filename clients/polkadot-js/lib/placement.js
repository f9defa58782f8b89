// Following the placement of one model: whether waiting for it to be stored can still succeed.

/**
 * The placement of a model from its events so far, in chain order, and whether a wait for
 * `want` stored copies is over. Each node's state is that of its last event: `pending`
 * (`DownloadNominated`), `declined` (`NominationDeclined`), `expired` (`NominationExpired`) or
 * `stored` (`ModelStored`). The wait is over with
 *
 * - `stored` once `want` distinct nodes stored the model;
 * - `sources-failing` once the model emitted `ModelSourcesFailing` (it gets no more nominations
 *   until its owner replaces the sources; a later `ModelSourcesUpdated` that cleared the count
 *   lifts it);
 * - `declined` once nominations were made, every one of them was declined (or expired), none is
 *   pending and no node stored the model;
 *
 * and goes on (`waiting`) otherwise. Pass the events of whole blocks: a decline and the
 * nomination of another node that it triggers are in the same block.
 *
 * @param {{ method: string, data?: Record<string, any> }[]} events the model's events
 * @param {{ want?: number }} [opts]
 * @returns {{ outcome: 'stored' | 'sources-failing' | 'declined' | 'waiting', message: string,
 *   nodes: Record<string, 'pending' | 'declined' | 'expired' | 'stored'>, stored: string[],
 *   pending: string[], declined: { node: string, reason: any }[], expired: string[] }}
 */
export function placementVerdict (events, { want = 1 } = {}) {
  const nodes = {};
  const reasons = {};
  const storedOn = [];
  let nominated = 0;
  let failing = false;
  let failures;

  for (const { data = {}, method } of events) {
    const node = data.node === undefined ? undefined : String(data.node);

    switch (method) {
      case 'DownloadNominated':
        nominated++;
        nodes[node] = 'pending';
        break;
      case 'NominationDeclined':
        nodes[node] = 'declined';
        reasons[node] = data.reason;
        break;
      case 'NominationExpired':
        nodes[node] = 'expired';
        break;
      case 'ModelStored':
        nodes[node] = 'stored';

        if (!storedOn.includes(node)) {
          storedOn.push(node);
        }

        break;
      case 'ModelSourcesFailing':
        failing = true;
        failures = data.failures;
        break;
      case 'ModelSourcesUpdated':
        if (data.failuresCleared) {
          failing = false;
        }

        break;
      default:
    }
  }

  const inState = (s) => Object.keys(nodes).filter((n) => nodes[n] === s);
  const pending = inState('pending');
  const declined = inState('declined').map((node) => ({ node, reason: reasons[node] }));
  const expired = inState('expired');
  const view = { declined, expired, nodes, pending, stored: storedOn };

  if (storedOn.length >= want) {
    return { ...view, message: `stored on ${storedOn.length} node(s)`, outcome: 'stored' };
  }

  if (failing) {
    return {
      ...view,
      message: `the model's sources are failing (ModelSourcesFailing${failures === undefined ? '' : `, ${failures} failures`}): it gets no more nominations until its sources are replaced (update-sources)`,
      outcome: 'sources-failing'
    };
  }

  if (nominated > 0 && pending.length === 0 && storedOn.length === 0) {
    const parts = [
      ...declined.map(({ node, reason }) => `${node} declined${reason === undefined ? '' : ` (${typeof reason === 'string' ? reason : JSON.stringify(reason)})`}`),
      ...expired.map((node) => `${node} let its nomination expire`)
    ];

    return { ...view, message: `every nomination failed and none is pending: ${parts.join('; ')}`, outcome: 'declined' };
  }

  return { ...view, message: `waiting: ${storedOn.length}/${want} stored, ${pending.length} pending`, outcome: 'waiting' };
}
