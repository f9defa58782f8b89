// Shared command-line handling: option parsing, --help, error reporting and exit codes.
import { parseArgs } from 'node:util';

import { emittedJson, errorDocument, writeJson } from './output.js';

/** Default chain endpoint. */
export const DEFAULT_URL = 'ws://127.0.0.1:9944';
/** Default signer. */
export const DEFAULT_SURI = '//Alice';

/** An error in how a script was called: reported with a hint to --help, exit code 2. */
export class UsageError extends Error {
  constructor (message) {
    super(message);
    this.name = 'UsageError';
  }
}

/** Exit codes of every script. */
export const EXIT = Object.freeze({ FAILURE: 1, OK: 0, USAGE: 2 });

const HELP_OPTION = { help: { short: 'h', type: 'boolean', description: 'show this help and exit' } };
const JSON_OPTION = { json: { type: 'boolean', description: 'print one JSON document on stdout (progress goes to stderr)' } };
const CHAIN_OPTIONS = {
  suri: { type: 'string', default: DEFAULT_SURI, description: `signer secret URI (default ${DEFAULT_SURI}; env MODELNET_SURI)`, arg: 'SURI' },
  url: { type: 'string', default: DEFAULT_URL, description: `chain WebSocket endpoint (default ${DEFAULT_URL}; env MODELNET_URL)`, arg: 'WS' },
  ws: { type: 'string', description: 'alias of --url', arg: 'WS' }
};

/**
 * The options of a script: its own, then --json (unless it defines its own), the chain options
 * (--suri, --url, --ws) unless `chain: false`, and --help.
 *
 * @param {{ options?: object, chain?: boolean }} spec
 */
function allOptions (spec) {
  const own = spec.options ?? {};

  return {
    ...own,
    ...(own.json ? {} : JSON_OPTION),
    ...(spec.chain === false ? {} : CHAIN_OPTIONS),
    ...HELP_OPTION
  };
}

/**
 * Render the help text of a script.
 *
 * @param {{ name: string, synopsis: string, description: string, options: object, chain?: boolean, examples?: string[] }} spec
 * @returns {string}
 */
export function helpText (spec) {
  const options = allOptions(spec);
  const rows = Object.entries(options).map(([name, o]) => {
    const flag = `${o.short ? `-${o.short}, ` : '    '}--${name}${o.type === 'string' ? ` ${o.arg ?? 'VALUE'}` : ''}`;

    return `  ${flag.padEnd(38)} ${o.description ?? ''}${o.multiple ? ' (repeatable)' : ''}`;
  });
  const examples = spec.examples?.length
    ? `\nExamples:\n${spec.examples.map((e) => `  ${e}`).join('\n')}\n`
    : '';

  return `Usage: ${spec.name} ${spec.synopsis}\n\n${spec.description}\n\nOptions:\n${rows.join('\n')}\n${examples}`;
}

/**
 * Check a WebSocket endpoint given on the command line or in the environment.
 *
 * @param {string} url
 * @param {string} [from] where it came from, for the message
 * @returns {string}
 */
export function checkUrl (url, from = '--url') {
  if (!/^wss?:\/\/[^\s/]+/i.test(url)) {
    throw new UsageError(`${from} ${url}: expected a ws:// or wss:// endpoint`);
  }

  return url;
}

/**
 * Parse the process arguments of a script.
 *
 * @param {{ name: string, synopsis: string, description: string, options?: object, chain?: boolean, positionals?: boolean, examples?: string[] }} spec
 * @param {string[]} [argv]
 * @param {Record<string, string | undefined>} [env]
 * @returns {{ values: Record<string, any>, positionals: string[] }} exits the process on --help
 */
export function parseCli (spec, argv = process.argv.slice(2), env = process.env) {
  const full = { ...spec, options: spec.options ?? {} };
  const options = allOptions(spec);
  const config = Object.fromEntries(Object.entries(options).map(([k, o]) => [k, {
    type: o.type,
    ...(o.short ? { short: o.short } : {}),
    ...(o.multiple ? { multiple: true } : {})
  }]));
  let parsed;

  try {
    parsed = parseArgs({ args: argv, options: config, allowPositionals: spec.positionals !== false, strict: true });
  } catch (e) {
    throw new UsageError(e.message);
  }

  if (parsed.values.help) {
    process.stdout.write(helpText(full));
    process.exit(0);
  }

  const values = { ...parsed.values };

  if (spec.chain !== false) {
    if (values.ws !== undefined && values.url !== undefined && values.ws !== values.url) {
      throw new UsageError('--ws is an alias of --url: give one of them');
    }

    if (values.url !== undefined || values.ws !== undefined) {
      values.url = checkUrl(values.url ?? values.ws, values.url !== undefined ? '--url' : '--ws');
    } else if (env.MODELNET_URL) {
      values.url = checkUrl(env.MODELNET_URL, 'MODELNET_URL');
    } else {
      values.url = DEFAULT_URL;
    }

    delete values.ws;
    values.suri ??= env.MODELNET_SURI || DEFAULT_SURI;
  }

  values.json = values.json === true;

  for (const [k, o] of Object.entries(full.options)) {
    if (values[k] === undefined && o.default !== undefined) {
      values[k] = o.default;
    }
  }

  return { positionals: parsed.positionals, values };
}

/**
 * Whether the command line asks for JSON output (read before parsing, for errors of the parse).
 *
 * @param {string[]} argv
 */
export function wantsJson (argv) {
  const end = argv.indexOf('--');

  return (end < 0 ? argv : argv.slice(0, end)).includes('--json');
}

/**
 * The exit code for an error: 2 for a usage error, 1 otherwise.
 *
 * @param {unknown} e
 */
export function exitCodeOf (e) {
  return e instanceof UsageError ? EXIT.USAGE : EXIT.FAILURE;
}

/**
 * Report an error the way every script does: a message on stderr (with a hint to --help for usage
 * errors) and, with --json and no JSON document printed yet, `{"error": ...}` on stdout.
 *
 * @param {string} name script name
 * @param {unknown} e
 * @param {{ json?: boolean, stdout?: NodeJS.WritableStream, stderr?: NodeJS.WritableStream, debug?: boolean }} [opts]
 * @returns {number} the exit code
 */
export function reportError (name, e, { debug = !!process.env.MODELNET_DEBUG, json = false, stderr = process.stderr, stdout = process.stdout } = {}) {
  const code = exitCodeOf(e);

  if (e instanceof UsageError) {
    stderr.write(`${name}: ${e.message}\nTry '${name} --help'.\n`);
  } else {
    stderr.write(`${name}: error: ${e?.message ?? e}\n`);

    if (debug && e?.stack) {
      stderr.write(`${e.stack}\n`);
    }
  }

  if (json && !emittedJson()) {
    writeJson(errorDocument(e, code), stdout);
  }

  return code;
}

/**
 * Run a script's main function: print errors clearly and set the exit code
 * (0 success, 1 failure, 2 usage error). Forces exit so open sockets cannot keep it alive.
 *
 * @param {string} name script name for messages
 * @param {() => Promise<number | void>} fn returns an optional exit code
 */
export function runMain (name, fn) {
  const json = wantsJson(process.argv.slice(2));

  // A reader that went away (`| head`) ends the script quietly.
  process.stdout.on('error', (e) => {
    if (e.code === 'EPIPE') {
      process.exit(EXIT.OK);
    }
  });

  fn().then((code) => {
    process.exit(typeof code === 'number' ? code : EXIT.OK);
  }, (e) => {
    process.exit(reportError(name, e, { json }));
  });
}

/**
 * The --source URLs of a model: at least one, each http:// or https://.
 *
 * @param {string[] | undefined} sources values of the repeated --source option
 * @param {{ maxSources?: number, maxUrlLen?: number }} [limits] the chain's bounds, when known
 * @returns {string[]}
 */
export function parseSources (sources, limits = {}) {
  const urls = sources ?? [];

  if (!urls.length) {
    throw new UsageError('at least one --source URL is required');
  }

  for (const url of urls) {
    if (!/^https?:\/\//i.test(url)) {
      throw new UsageError(`--source ${url}: expected an http:// or https:// URL`);
    }
  }

  checkSourceLimits(urls, limits);

  return urls;
}

/**
 * Check source URLs against the chain's `MaxSources` and `MaxUrlLen` (bytes of UTF-8).
 *
 * @param {string[]} urls
 * @param {{ maxSources?: number, maxUrlLen?: number }} limits
 */
export function checkSourceLimits (urls, { maxSources, maxUrlLen } = {}) {
  if (maxSources !== undefined && urls.length > maxSources) {
    throw new UsageError(`${urls.length} --source URLs given; the chain takes at most ${maxSources} (MaxSources)`);
  }

  if (maxUrlLen !== undefined) {
    for (const url of urls) {
      const len = Buffer.byteLength(url, 'utf8');

      if (len > maxUrlLen) {
        throw new UsageError(`--source ${url.length > 80 ? `${url.slice(0, 77)}...` : url}: ${len} bytes long; the chain takes at most ${maxUrlLen} (MaxUrlLen)`);
      }
    }
  }
}
