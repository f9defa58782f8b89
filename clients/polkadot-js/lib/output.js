// One output contract for every script: human text by default; with --json exactly one JSON
// document on stdout (progress and diagnostics go to stderr).

let jsonEmitted = false;

/** Whether a JSON document was already written on stdout by this process. */
export function emittedJson () {
  return jsonEmitted;
}

/** Forget that a JSON document was written (for tests). */
export function resetEmitted () {
  jsonEmitted = false;
}

/**
 * JSON text of a value: bigints as decimal strings, byte arrays as 0x hex, codecs through their
 * `toJSON`.
 *
 * @param {unknown} value
 * @param {number} [indent]
 * @returns {string}
 */
export function toJson (value, indent = 2) {
  return JSON.stringify(value, (_k, v) => {
    if (typeof v === 'bigint') {
      return v.toString();
    }

    if (v instanceof Uint8Array) {
      return `0x${Buffer.from(v).toString('hex')}`;
    }

    return v;
  }, indent);
}

/**
 * Write one JSON document on a stream and remember that it was written.
 *
 * @param {unknown} doc
 * @param {NodeJS.WritableStream} [stream]
 */
export function writeJson (doc, stream = process.stdout) {
  stream.write(`${toJson(doc)}\n`);
  jsonEmitted = true;
}

/**
 * The JSON document describing a failure: `{"error": {code, kind, message, [section, name, docs]}}`.
 * `kind` is `usage` (exit 2), `chain` (a dispatch error of the chain, exit 1) or `error` (exit 1).
 *
 * @param {any} e
 * @param {number} code exit code
 */
export function errorDocument (e, code) {
  const error = {
    code,
    kind: e?.name === 'UsageError' ? 'usage' : e?.name === 'ChainError' ? 'chain' : 'error',
    message: e?.message ?? String(e)
  };

  if (e?.name === 'ChainError') {
    Object.assign(error, { docs: (e.docs ?? []).join(' ').trim(), name: e.errorName ?? null, section: e.section ?? null });
  }

  return { error };
}

/**
 * What a script prints. `line` is progress or detail for people: on stdout in text mode, on
 * stderr with --json. `result` is the outcome, printed once: its text, or its JSON document.
 */
export class Output {
  #emitted = false;

  /**
   * @param {{ json?: boolean, stdout?: NodeJS.WritableStream, stderr?: NodeJS.WritableStream }} [opts]
   */
  constructor ({ json = false, stderr = process.stderr, stdout = process.stdout } = {}) {
    this.json = !!json;
    this.stdout = stdout;
    this.stderr = stderr;
  }

  /**
   * A line for people (stdout in text mode, stderr with --json).
   *
   * @param {string} text
   */
  line (text) {
    (this.json ? this.stderr : this.stdout).write(`${text}\n`);
  }

  /**
   * A diagnostic line, always on stderr.
   *
   * @param {string} text
   */
  warn (text) {
    this.stderr.write(`${text}\n`);
  }

  /**
   * The outcome: `doc` as JSON with --json, else `text` (a string, lines, or a function giving them).
   * At most once per script.
   *
   * @param {unknown} doc
   * @param {string | string[] | (() => string | string[]) | undefined} [text]
   */
  result (doc, text) {
    if (this.#emitted) {
      throw new Error('Output.result called twice');
    }

    this.#emitted = true;

    if (this.json) {
      writeJson(doc, this.stdout);

      return;
    }

    const t = typeof text === 'function' ? text() : text;
    const lines = t === undefined ? [] : Array.isArray(t) ? t : [t];

    for (const l of lines) {
      this.stdout.write(`${l}\n`);
    }
  }
}
