// Shared command-line handling: option parsing, --help, error reporting and exit codes.
import { parseArgs } from 'node:util';

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

const COMMON_OPTIONS = {
  help: { short: 'h', type: 'boolean', description: 'show this help and exit' },
  suri: { type: 'string', default: DEFAULT_SURI, description: `signer secret URI (default ${DEFAULT_SURI}; env MODELNET_SURI)`, arg: 'SURI' },
  url: { type: 'string', default: DEFAULT_URL, description: `chain WebSocket endpoint (default ${DEFAULT_URL}; env MODELNET_URL)`, arg: 'WS' }
};

/**
 * Render the help text of a script.
 *
 * @param {{ name: string, synopsis: string, description: string, options: object, chain?: boolean, examples?: string[] }} spec
 * @returns {string}
 */
export function helpText (spec) {
  const options = { ...spec.options, ...(spec.chain === false ? { help: COMMON_OPTIONS.help } : COMMON_OPTIONS) };
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
 * Parse the process arguments of a script.
 *
 * @param {{ name: string, synopsis: string, description: string, options?: object, chain?: boolean, positionals?: boolean, examples?: string[] }} spec
 * @param {string[]} [argv]
 * @returns {{ values: Record<string, any>, positionals: string[] }} exits the process on --help
 */
export function parseCli (spec, argv = process.argv.slice(2)) {
  const full = { ...spec, options: spec.options ?? {} };
  const options = { ...full.options, ...(spec.chain === false ? { help: COMMON_OPTIONS.help } : COMMON_OPTIONS) };
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
    values.url ??= process.env.MODELNET_URL || DEFAULT_URL;
    values.suri ??= process.env.MODELNET_SURI || DEFAULT_SURI;
  }

  for (const [k, o] of Object.entries(full.options)) {
    if (values[k] === undefined && o.default !== undefined) {
      values[k] = o.default;
    }
  }

  return { positionals: parsed.positionals, values };
}

/**
 * Run a script's main function: print errors clearly and set the exit code
 * (0 success, 1 failure, 2 usage error). Forces exit so open sockets cannot keep it alive.
 *
 * @param {string} name script name for messages
 * @param {() => Promise<number | void>} fn returns an optional exit code
 */
export function runMain (name, fn) {
  fn().then((code) => {
    process.exit(typeof code === 'number' ? code : 0);
  }, (e) => {
    if (e instanceof UsageError) {
      process.stderr.write(`${name}: ${e.message}\nTry '${name} --help'.\n`);
      process.exit(2);
    }

    process.stderr.write(`${name}: error: ${e?.message ?? e}\n`);

    if (process.env.MODELNET_DEBUG && e?.stack) {
      process.stderr.write(`${e.stack}\n`);
    }

    process.exit(1);
  });
}

/**
 * The --source URLs of a model: at least one, each http:// or https://.
 *
 * @param {string[] | undefined} sources values of the repeated --source option
 * @returns {string[]}
 */
export function parseSources (sources) {
  const urls = sources ?? [];

  if (!urls.length) {
    throw new UsageError('at least one --source URL is required');
  }

  for (const url of urls) {
    if (!/^https?:\/\//i.test(url)) {
      throw new UsageError(`--source ${url}: expected an http:// or https:// URL`);
    }
  }

  return urls;
}
