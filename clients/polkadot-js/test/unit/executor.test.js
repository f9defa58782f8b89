import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { formatExecutor, isValidEngineName, MAX_ENGINE_NAME_LEN, parseExecutor, sealedResult, UsageError } from '../../lib/index.js';

const hex = (s) => `0x${Buffer.from(s).toString('hex')}`;

describe('executor kinds', () => {
  it('parses the command-line forms into chain values', () => {
    assert.equal(parseExecutor('spot-check'), 'SpotCheck');
    assert.equal(parseExecutor('mlp'), 'SafetensorsMlp');
    assert.deepEqual(parseExecutor('external:llama-3'), { External: 'llama-3' });
    assert.deepEqual(parseExecutor(`external:${'a'.repeat(MAX_ENGINE_NAME_LEN)}`), { External: 'a'.repeat(MAX_ENGINE_NAME_LEN) });
  });

  it('refuses anything else as a usage error', () => {
    for (const bad of ['', 'spotcheck', 'MLP', 'external', 'external:', 'external:-x', 'external:Llama', 'external:a_b', 'external:a b', `external:${'a'.repeat(MAX_ENGINE_NAME_LEN + 1)}`, 'external:lläma']) {
      assert.throws(() => parseExecutor(bad), UsageError, bad);
    }
  });

  it('validates engine names like the pallet', () => {
    assert.ok(isValidEngineName('7'));
    assert.ok(isValidEngineName('a-'));
    assert.ok(!isValidEngineName('-a'));
    assert.ok(!isValidEngineName(''));
  });

  it('formats chain JSON and parsed values alike', () => {
    assert.equal(formatExecutor(undefined), 'spot-check');
    assert.equal(formatExecutor('spotCheck'), 'spot-check');
    assert.equal(formatExecutor({ spotCheck: null }), 'spot-check');
    assert.equal(formatExecutor({ safetensorsMlp: null }), 'mlp');
    assert.equal(formatExecutor({ external: hex('llama') }), 'external:llama');
    for (const text of ['spot-check', 'mlp', 'external:sdxl-turbo']) {
      assert.equal(formatExecutor(parseExecutor(text)), text);
    }
    assert.equal(formatExecutor({ other: null }), 'unknown(other)');
  });
});

describe('sealedResult', () => {
  it('matches the chain and an independent implementation (Python hashlib.blake2b)', () => {
    assert.equal(sealedResult(7, `0x${'ab'.repeat(32)}`), '0xbb403425ca1cff4882a26a4ba4c155fe52ef83a530a1b6d70f6aa69e1de23b03');
    assert.equal(sealedResult(7n, Buffer.alloc(32, 0xab)), sealedResult('7', `0x${'AB'.repeat(32)}`));
    assert.notEqual(sealedResult(8, `0x${'ab'.repeat(32)}`), sealedResult(7, `0x${'ab'.repeat(32)}`), 'bound to the task');
  });

  it('refuses a result that is not 32 bytes', () => {
    assert.throws(() => sealedResult(1, '0xabcd'), /32 bytes/);
  });
});
