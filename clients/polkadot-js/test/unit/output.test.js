import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  callDocument, ChainError, checkSourceLimits, checkUrl, DEFAULT_URL, errorDocument, exitCodeOf, Output, parseCli, parseParamValue, reportError,
  eventsJson, resetEmitted, toJson, UsageError, wantsJson
} from '../../lib/index.js';

/** A writable stand-in collecting what is written. */
function sink () {
  const s = { text: '', write (chunk) { s.text += chunk; return true; } };

  return s;
}

const spec = { description: 'd', name: 't', options: { n: { type: 'string' } }, synopsis: '' };

describe('Output', () => {
  it('text mode: lines and result on stdout', () => {
    const stdout = sink();
    const stderr = sink();
    const out = new Output({ json: false, stderr, stdout });

    out.line('progress');
    out.result({ a: 1 }, ['done', 'really']);
    out.warn('careful');
    assert.equal(stdout.text, 'progress\ndone\nreally\n');
    assert.equal(stderr.text, 'careful\n');
  });

  it('json mode: exactly one JSON document on stdout, lines on stderr', () => {
    resetEmitted();

    const stdout = sink();
    const stderr = sink();
    const out = new Output({ json: true, stderr, stdout });

    out.line('progress');
    out.result({ big: 2n ** 70n, bytes: new Uint8Array([1, 2]), n: 1 }, 'text is not printed');
    assert.deepEqual(JSON.parse(stdout.text), { big: '1180591620717411303424', bytes: '0x0102', n: 1 });
    assert.equal(stderr.text, 'progress\n');
    assert.throws(() => out.result({}), /twice/);
  });

  it('a result without text prints nothing in text mode', () => {
    const stdout = sink();

    new Output({ stdout }).result({ a: 1 });
    assert.equal(stdout.text, '');
  });

  it('toJson turns codecs into their JSON', () => {
    assert.equal(toJson({ toJSON: () => ({ x: 1 }) }, 0), '{"x":1}');
  });
});

describe('errors and exit codes', () => {
  it('usage errors exit 2, everything else 1', () => {
    assert.equal(exitCodeOf(new UsageError('x')), 2);
    assert.equal(exitCodeOf(new Error('x')), 1);
    assert.equal(exitCodeOf(new ChainError('x')), 1);
  });

  it('error documents carry the pallet error name and its doc', () => {
    const e = new ChainError('modelRegistry.AlreadyJoined: The account already is a node.', {
      docs: ['The account already is a node.'], name: 'AlreadyJoined', section: 'modelRegistry'
    });

    assert.deepEqual(errorDocument(e, 1), {
      error: {
        code: 1, docs: 'The account already is a node.', kind: 'chain', message: e.message, name: 'AlreadyJoined', section: 'modelRegistry'
      }
    });
    assert.equal(errorDocument(new UsageError('bad'), 2).error.kind, 'usage');
    assert.equal(errorDocument(new Error('boom'), 1).error.kind, 'error');
  });

  it('reportError prints the message, a --help hint for usage, and the JSON document', () => {
    resetEmitted();

    const stdout = sink();
    const stderr = sink();

    assert.equal(reportError('t', new UsageError('--n: bad'), { json: true, stderr, stdout }), 2);
    assert.equal(stderr.text, "t: --n: bad\nTry 't --help'.\n");
    assert.equal(JSON.parse(stdout.text).error.code, 2);

    const err2 = sink();
    const out2 = sink();

    assert.equal(reportError('t', new ChainError('modelRegistry.NotANode: The account is not a registered node.'), { json: false, stderr: err2, stdout: out2 }), 1);
    assert.equal(err2.text, 't: error: modelRegistry.NotANode: The account is not a registered node.\n');
    assert.equal(out2.text, '');
  });

  it('reportError adds no second document after a result', () => {
    resetEmitted();

    const stdout = sink();

    new Output({ json: true, stdout }).result({ ok: false });
    reportError('t', new Error('late'), { json: true, stderr: sink(), stdout });
    assert.deepEqual(JSON.parse(stdout.text), { ok: false });
  });

  it('wantsJson looks before --', () => {
    assert.equal(wantsJson(['a', '--json']), true);
    assert.equal(wantsJson(['--', '--json']), false);
    assert.equal(wantsJson([]), false);
  });
});

describe('parseCli', () => {
  it('takes --ws as --url and checks endpoints', () => {
    assert.equal(parseCli(spec, ['--ws', 'ws://h:1'], {}).values.url, 'ws://h:1');
    assert.equal(parseCli(spec, ['--url', 'wss://h'], {}).values.url, 'wss://h');
    assert.equal(parseCli(spec, ['--url', 'ws://h', '--ws', 'ws://h'], {}).values.url, 'ws://h');
    assert.throws(() => parseCli(spec, ['--url', 'ws://a', '--ws', 'ws://b'], {}), UsageError);
    assert.throws(() => parseCli(spec, ['--url', 'http://h'], {}), UsageError);
    assert.equal(parseCli(spec, [], {}).values.url, DEFAULT_URL);
    assert.equal(parseCli(spec, [], { MODELNET_URL: 'ws://env:2' }).values.url, 'ws://env:2');
    assert.throws(() => parseCli(spec, [], { MODELNET_URL: 'nonsense' }), /MODELNET_URL/);
    assert.equal(parseCli(spec, [], { MODELNET_SURI: '//Bob' }).values.suri, '//Bob');
    assert.equal('ws' in parseCli(spec, ['--ws', 'ws://h'], {}).values, false);
  });

  it('always has --json (false unless given) and rejects unknown flags as usage errors', () => {
    assert.equal(parseCli(spec, [], {}).values.json, false);
    assert.equal(parseCli(spec, ['--json'], {}).values.json, true);
    assert.equal(parseCli({ ...spec, chain: false }, ['--json'], {}).values.json, true);
    assert.throws(() => parseCli(spec, ['--nope'], {}), UsageError);
    assert.throws(() => parseCli({ ...spec, chain: false }, ['--url', 'ws://x'], {}), UsageError);
  });

  it('checkUrl', () => {
    assert.equal(checkUrl('ws://127.0.0.1:9944'), 'ws://127.0.0.1:9944');
    assert.throws(() => checkUrl('127.0.0.1:9944'), UsageError);
  });
});

describe('chain bounds and parameter values', () => {
  it('checks sources against MaxSources and MaxUrlLen', () => {
    checkSourceLimits(['http://a/x'], { maxSources: 1, maxUrlLen: 10 });
    assert.throws(() => checkSourceLimits(['http://a/', 'http://b/'], { maxSources: 1 }), /MaxSources/);
    assert.throws(() => checkSourceLimits(['http://a/é'], { maxUrlLen: 10 }), /11 bytes .*MaxUrlLen/);
    checkSourceLimits(['http://a/', 'http://b/'], {});
  });

  it('checks parameter values against their width and Perbill', () => {
    const u32 = { bits: 32, name: 'min_replicas', perbill: false };
    const perbill = { name: 'slash_fraction', perbill: true };

    assert.equal(parseParamValue(u32, '4294967295'), 4294967295);
    assert.throws(() => parseParamValue(u32, '4294967296'), (e) => e instanceof UsageError && /--min-replicas: .*u32/.test(e.message));
    assert.throws(() => parseParamValue(u32, '-1'), UsageError);
    assert.throws(() => parseParamValue(u32, '1.5'), UsageError);
    assert.equal(parseParamValue(perbill, '10%'), 100_000_000);
    assert.equal(parseParamValue(perbill, '2.5%'), 25_000_000);
    assert.equal(parseParamValue(perbill, '100%'), 1_000_000_000);
    assert.equal(parseParamValue(perbill, '0.0000001%'), 1);
    assert.throws(() => parseParamValue(perbill, '100.1%'), /more than 100%/);
    assert.throws(() => parseParamValue(perbill, '1000000001'), /at most 1000000000/);
    assert.throws(() => parseParamValue(perbill, '0.00000001%'), UsageError);
    assert.equal(parseParamValue({ bits: 64, name: 'x', perbill: false }, '18446744073709551615'), 18446744073709551615n);
  });
});

describe('call documents', () => {
  const codec = (v) => ({ toHuman: () => v, toJSON: () => v });
  const event = (section, method, fields) => ({
    event: { data: Object.assign(Object.values(fields).map(codec), { names: Object.keys(fields) }), method, section }
  });

  it('keep the pallet\'s events by field name, with block and signer', () => {
    const events = [
      event('system', 'ExtrinsicSuccess', { dispatchInfo: {} }),
      event('modelRegistry', 'NodePaused', { node: '5Node' })
    ];

    assert.deepEqual(eventsJson(events), [{ data: { node: '5Node' }, method: 'NodePaused', section: 'modelRegistry' }]);
    assert.equal(eventsJson(events, null).length, 2);
    assert.deepEqual(callDocument('modelRegistry.pause', { address: '5Signer' }, { blockHash: '0xb', blockNumber: 7, events, txHash: '0xt' }, { x: 1 }), {
      block: 7,
      blockHash: '0xb',
      call: 'modelRegistry.pause',
      events: [{ data: { node: '5Node' }, method: 'NodePaused', section: 'modelRegistry' }],
      signer: '5Signer',
      txHash: '0xt',
      x: 1
    });
  });
});

describe('muteProviderLogs', () => {
  it('drops the provider\'s reconnect lines only, until restored', async () => {
    const { muteProviderLogs } = await import('../../lib/index.js');
    const seen = [];
    const original = console.error;

    console.error = (...args) => seen.push(args.join(' '));

    try {
      const restore = muteProviderLogs();

      console.error('2026-01-01 00:00:00', '         API-WS:', 'disconnected from ws://x');
      console.error('2026-01-01 00:00:00', '       RPC-CORE:', 'kept');
      console.error('plain');
      restore();
      console.error('2026-01-01 00:00:00', '         API-WS:', 'after');
    } finally {
      console.error = original;
    }

    assert.deepEqual(seen.map((l) => l.split(' ').pop()), ['kept', 'plain', 'after']);
  });
});
