// Checking a model's source URLs before registering it: a HEAD request per URL, its
// Content-Length compared with the model's size.

/** How long one HEAD request may take, in milliseconds. */
export const SOURCE_CHECK_TIMEOUT_MS = 5000;

/**
 * HEAD every source URL (in parallel, redirects followed, each bounded by `timeoutMs`) and compare
 * its Content-Length with `size`. A different length is a mismatch; a source that cannot be
 * reached, answers with an error status or gives no Content-Length is a warning (it may be
 * fixed before a node fetches it). Nothing here throws.
 *
 * @param {string[]} urls
 * @param {bigint | number} size the model's size in bytes
 * @param {{ timeoutMs?: number, fetchFn?: typeof fetch }} [opts]
 * @returns {Promise<{ mismatches: { url: string, size: string, contentLength: string }[], warnings: { url: string, message: string }[] }>}
 */
export async function checkSourceSizes (urls, size, { fetchFn = fetch, timeoutMs = SOURCE_CHECK_TIMEOUT_MS } = {}) {
  const expected = BigInt(size);
  const results = await Promise.all(urls.map(async (url) => {
    let res;

    try {
      res = await fetchFn(url, { method: 'HEAD', redirect: 'follow', signal: AbortSignal.timeout(timeoutMs) });
    } catch (e) {
      const why = e?.name === 'TimeoutError' ? `no answer within ${timeoutMs / 1000}s` : (e?.cause?.code ?? e?.cause?.message ?? e?.message ?? String(e));

      return { warning: { message: `cannot reach it (${why})`, url } };
    }

    if (!res.ok) {
      return { warning: { message: `HEAD answered ${res.status}${res.statusText ? ` ${res.statusText}` : ''}`, url } };
    }

    const length = res.headers.get('content-length');

    if (length === null || !/^\d+$/.test(length.trim())) {
      return { warning: { message: `HEAD gave no Content-Length${length === null ? '' : ` (got ${JSON.stringify(length)})`}; its size was not checked`, url } };
    }

    if (BigInt(length.trim()) !== expected) {
      return { mismatch: { contentLength: String(BigInt(length.trim())), size: String(expected), url } };
    }

    return {};
  }));

  return {
    mismatches: results.filter((r) => r.mismatch).map((r) => r.mismatch),
    warnings: results.filter((r) => r.warning).map((r) => r.warning)
  };
}
