// HTTP Range header handling (single byte range), for the test model server (test/support).

/**
 * Parse a `Range` header against a resource of `size` bytes.
 *
 * @param {string | undefined} header e.g. `bytes=100-`, `bytes=0-99`, `bytes=-500`
 * @param {number} size
 * @returns {{ start: number, end: number } | null | 'unsatisfiable'} inclusive `end`; `null` when
 *   there is no (usable) Range header and the whole body is to be sent
 */
export function parseRange (header, size) {
  if (!header) {
    return null;
  }

  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());

  if (!m || (m[1] === '' && m[2] === '')) {
    return null; // malformed or multi-range: ignore, as RFC 9110 allows
  }

  let start;
  let end;

  if (m[1] === '') {
    const suffix = Number(m[2]);

    if (suffix === 0) {
      return 'unsatisfiable';
    }

    start = Math.max(0, size - suffix);
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  }

  if (start >= size || end < start) {
    return 'unsatisfiable';
  }

  return { end, start };
}
