/**
 * Import first in a unit test: puts the in-memory fake of the extension APIs where the
 * polyfill looks (`chrome` and `browser`), before anything imports the polyfill.
 */
import '@webext-core/fake-browser/auto';
import { fakeBrowser } from '@webext-core/fake-browser';

export { fakeBrowser };

/** A fetch that answers from a table of `METHOD path` handlers and records every call. */
export function stubFetch(routes: Record<string, (body: unknown, headers: Headers) => { status: number; body?: unknown }>) {
  const calls: { method: string; url: string; headers: Headers; body: unknown }[] = [];
  const original = globalThis.fetch;
  globalThis.fetch = (async (input: string | URL | Request, init?: RequestInit) => {
    const url = new URL(String(input));
    const method = init?.method ?? 'GET';
    const headers = new Headers(init?.headers);
    const body = typeof init?.body === 'string' ? (JSON.parse(init.body) as unknown) : undefined;
    calls.push({ method, url: url.href, headers, body });
    const handler = routes[`${method} ${url.pathname}`];
    const res = handler ? handler(body, headers) : { status: 404, body: { error: { code: 'not_found', message: 'Not found' } } };
    return new Response(res.status === 204 ? null : JSON.stringify(res.body ?? null), { status: res.status, headers: { 'content-type': 'application/json' } });
  }) as typeof fetch;
  return { calls, restore: () => (globalThis.fetch = original) };
}
