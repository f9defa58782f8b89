import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { placementVerdict } from '../../lib/placement.js';

const nominated = (node) => ({ data: { deadline: 100, node }, method: 'DownloadNominated' });
const declined = (node, reason = 'HashMismatch') => ({ data: { node, reason }, method: 'NominationDeclined' });
const expired = (node) => ({ data: { node }, method: 'NominationExpired' });
const stored = (node) => ({ data: { node }, method: 'ModelStored' });
const failing = (failures = 3) => ({ data: { failures }, method: 'ModelSourcesFailing' });

describe('placementVerdict', () => {
  it('waits while nothing happened or a nomination is pending', () => {
    assert.equal(placementVerdict([]).outcome, 'waiting');
    assert.equal(placementVerdict([nominated('A')]).outcome, 'waiting');

    const v = placementVerdict([nominated('A'), nominated('B'), declined('A')]);

    assert.equal(v.outcome, 'waiting');
    assert.deepEqual(v.pending, ['B']);
    assert.deepEqual(v.nodes, { A: 'declined', B: 'pending' });
  });

  it('is done once enough distinct nodes stored the model', () => {
    assert.equal(placementVerdict([nominated('A'), stored('A')]).outcome, 'stored');
    assert.equal(placementVerdict([nominated('A'), stored('A')], { want: 2 }).outcome, 'waiting');
    assert.equal(placementVerdict([nominated('A'), stored('A'), stored('A')], { want: 2 }).outcome, 'waiting');

    const v = placementVerdict([nominated('A'), nominated('B'), stored('B'), stored('A')], { want: 2 });

    assert.equal(v.outcome, 'stored');
    assert.deepEqual(v.stored, ['B', 'A']);
    // A node drawn for a model it announced stores it without a nomination.
    assert.equal(placementVerdict([stored('C')]).outcome, 'stored');
  });

  it('stops when every nomination was declined and none is pending', () => {
    const v = placementVerdict([nominated('A'), nominated('B'), declined('A', 'DiskBudgetExceeded'), declined('B', { other: null })]);

    assert.equal(v.outcome, 'declined');
    assert.deepEqual(v.pending, []);
    assert.deepEqual(v.declined, [{ node: 'A', reason: 'DiskBudgetExceeded' }, { node: 'B', reason: { other: null } }]);
    assert.match(v.message, /every nomination failed and none is pending: A declined \(DiskBudgetExceeded\); B declined \(\{"other":null\}\)/);
  });

  it('counts an expired nomination as failed', () => {
    const v = placementVerdict([nominated('A'), nominated('B'), declined('A'), expired('B')]);

    assert.equal(v.outcome, 'declined');
    assert.deepEqual(v.expired, ['B']);
    assert.match(v.message, /B let its nomination expire/);
  });

  it('keeps waiting when a decline brought the nomination of another node, in any order', () => {
    // The pallet nominates the replacement before depositing the decline.
    assert.equal(placementVerdict([nominated('A'), nominated('B'), declined('A')]).outcome, 'waiting');
    assert.equal(placementVerdict([nominated('A'), declined('A'), nominated('B')]).outcome, 'waiting');
    // A node nominated again after declining is pending again.
    assert.equal(placementVerdict([nominated('A'), declined('A'), nominated('A')]).outcome, 'waiting');
    assert.equal(placementVerdict([nominated('A'), declined('A'), nominated('A'), declined('A')]).outcome, 'declined');
  });

  it('does not stop on declines once some node stored the model', () => {
    const v = placementVerdict([nominated('A'), nominated('B'), stored('A'), declined('B')], { want: 2 });

    assert.equal(v.outcome, 'waiting');
    assert.deepEqual(v.stored, ['A']);
  });

  it('stops on ModelSourcesFailing, even with a nomination pending', () => {
    const v = placementVerdict([nominated('A'), nominated('B'), declined('A', 'SourceUnavailable'), failing(3)]);

    assert.equal(v.outcome, 'sources-failing');
    assert.match(v.message, /ModelSourcesFailing, 3 failures/);
    assert.match(v.message, /update-sources/);
  });

  it('lets enough stored copies win over failing sources, and a clearing update lift them', () => {
    assert.equal(placementVerdict([nominated('A'), stored('A'), failing()]).outcome, 'stored');

    const updated = { data: { failuresCleared: true }, method: 'ModelSourcesUpdated' };
    const notCleared = { data: { failuresCleared: false }, method: 'ModelSourcesUpdated' };

    assert.equal(placementVerdict([nominated('A'), failing(), notCleared, nominated('B')]).outcome, 'sources-failing');
    assert.equal(placementVerdict([nominated('A'), failing(), updated, nominated('B')]).outcome, 'waiting');
  });

  it('ignores events it does not follow', () => {
    const v = placementVerdict([{ data: { node: 'A' }, method: 'ModelLost' }, { data: {}, method: 'ReplicationTargetChanged' }]);

    assert.equal(v.outcome, 'waiting');
    assert.deepEqual(v.nodes, {});
  });
});
