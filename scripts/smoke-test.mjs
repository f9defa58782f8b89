// Smoke test: starts `modelnet-node --dev --tmp`, waits (bounded) until the finalized block
// number is at least 3, checks that the runtime metadata lists the ModelRegistry pallet, and
// stops the node by its PID. Needs only Node.js.
//
// usage: node scripts/smoke-test.mjs <path-to-modelnet-node>
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { openSync, readFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const binary = process.argv[2];
if (!binary) {
	console.error('usage: node scripts/smoke-test.mjs <path-to-modelnet-node>');
	process.exit(2);
}
const TIMEOUT_MS = 180_000;
const MIN_FINALIZED = 3;

function freePort() {
	return new Promise((resolve, reject) => {
		const srv = createServer();
		srv.listen(0, '127.0.0.1', () => {
			const { port } = srv.address();
			srv.close(() => resolve(port));
		});
		srv.on('error', reject);
	});
}

async function rpc(port, method, params = []) {
	const res = await fetch(`http://127.0.0.1:${port}`, {
		method: 'POST',
		headers: { 'content-type': 'application/json' },
		body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
	});
	const body = await res.json();
	if (body.error) throw new Error(`${method}: ${JSON.stringify(body.error)}`);
	return body.result;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const port = await freePort();
const logPath = join(mkdtempSync(join(tmpdir(), 'modelnet-smoke-')), 'node.log');
const log = openSync(logPath, 'w');
const node = spawn(
	binary,
	['--dev', '--tmp', '--rpc-port', String(port), '--port', String(await freePort()), '--no-prometheus'],
	{ stdio: ['ignore', log, log] },
);
console.log(`started modelnet-node (pid ${node.pid}), RPC port ${port}, log ${logPath}`);

let exitCode = 1;
try {
	const deadline = Date.now() + TIMEOUT_MS;
	let best = 0;
	let finalized = 0;
	while (Date.now() < deadline) {
		if (node.exitCode !== null) throw new Error(`node exited early with code ${node.exitCode}`);
		try {
			const header = await rpc(port, 'chain_getHeader');
			best = parseInt(header.number, 16);
			const head = await rpc(port, 'chain_getFinalizedHead');
			const finalizedHeader = await rpc(port, 'chain_getHeader', [head]);
			finalized = parseInt(finalizedHeader.number, 16);
			if (finalized >= MIN_FINALIZED) break;
		} catch (e) {
			if (!String(e.message).includes('fetch failed')) throw e;
		}
		await sleep(1000);
	}
	console.log(`best block #${best}, finalized block #${finalized}`);
	if (finalized < MIN_FINALIZED) throw new Error(`finalized block stayed below ${MIN_FINALIZED}`);
	if (best < finalized) throw new Error('best block is behind the finalized block');

	const metadata = Buffer.from((await rpc(port, 'state_getMetadata')).slice(2), 'hex');
	if (!metadata.includes(Buffer.from('ModelRegistry'))) {
		throw new Error('the runtime metadata does not list the ModelRegistry pallet');
	}
	console.log('metadata lists the ModelRegistry pallet');
	exitCode = 0;
} catch (e) {
	console.error(`smoke test failed: ${e.message}`);
	console.error('--- last lines of the node log ---');
	console.error(readFileSync(logPath, 'utf8').split('\n').slice(-30).join('\n'));
} finally {
	const running = () => node.exitCode === null && node.signalCode === null;
	if (running()) {
		process.kill(node.pid, 'SIGTERM');
		await Promise.race([new Promise((r) => node.once('exit', r)), sleep(20_000)]);
		if (running()) process.kill(node.pid, 'SIGKILL');
	}
}
console.log(exitCode === 0 ? '1 passed, 0 failed' : '0 passed, 1 failed');
process.exit(exitCode);
