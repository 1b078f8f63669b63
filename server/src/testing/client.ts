/**
 * An HTTP client for tests that behaves like a browser where it matters: a cookie jar, redirects
 * followed by hand (so every hop is checked), and an Origin header on state-changing requests.
 * It signs in for real through the development identity provider.
 */
export interface TestResponse<T = unknown> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
  url: string;
}

export class TestClient {
  readonly cookies = new Map<string, string>();
  /** Every Set-Cookie line received, for checking cookie attributes. */
  readonly setCookieLines: string[] = [];

  /** The Origin sent on state-changing requests: the server's public origin, as in a browser. */
  readonly origin: string;

  /** Sent with every request (e.g. X-Forwarded-For, to stand for another client address). */
  readonly headers: Record<string, string>;

  constructor(
    readonly baseUrl: string,
    opts: { origin?: string; headers?: Record<string, string> } = {},
  ) {
    this.origin = opts.origin ?? new URL(baseUrl).origin;
    this.headers = opts.headers ?? {};
  }

  /** The same signed-in client reaching the server at another address (e.g. around a proxy). */
  via(baseUrl: string): TestClient {
    const other = new TestClient(baseUrl, { origin: this.origin, headers: this.headers });
    for (const [k, v] of this.cookies) other.cookies.set(k, v);
    return other;
  }

  /** The Cookie header this client sends to its server. */
  cookieHeader(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  private remember(headers: Headers): void {
    for (const line of headers.getSetCookie()) {
      this.setCookieLines.push(line);
      const [pair, ...attrs] = line.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1).trim();
      const expired = attrs.some((a) => {
        const [k, v] = a.trim().split('=');
        if (k?.toLowerCase() === 'max-age') return Number(v) <= 0;
        if (k?.toLowerCase() === 'expires') return Date.parse(v ?? '') <= Date.now();
        return false;
      });
      if (expired || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  /** One request, no redirect following. */
  async raw(method: string, path: string, init: { body?: BodyInit; headers?: Record<string, string> } = {}): Promise<Response> {
    const url = new URL(path, this.baseUrl);
    const headers: Record<string, string> = { ...this.headers, ...init.headers };
    if (this.cookies.size && url.origin === new URL(this.baseUrl).origin) headers.cookie = this.cookieHeader();
    if (!['GET', 'HEAD'].includes(method) && !('origin' in headers)) headers.origin = this.origin;
    const res = await fetch(url, { method, headers, body: init.body ?? null, redirect: 'manual' });
    this.remember(res.headers);
    return res;
  }

  async request<T = any>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<TestResponse<T>> {
    const init: { body?: BodyInit; headers: Record<string, string> } = { headers: { ...headers } };
    if (body !== undefined) {
      if (body instanceof FormData || typeof body === 'string') init.body = body as BodyInit;
      else {
        init.body = JSON.stringify(body);
        init.headers['content-type'] = 'application/json';
      }
    }
    const res = await this.raw(method, path, init);
    const text = await res.text();
    let parsed: unknown = text;
    if ((res.headers.get('content-type') ?? '').includes('json') && text) parsed = JSON.parse(text);
    return { status: res.status, headers: res.headers, body: parsed as T, text, url: res.url };
  }

  get<T = any>(path: string) {
    return this.request<T>('GET', path);
  }
  post<T = any>(path: string, body?: unknown, headers?: Record<string, string>) {
    return this.request<T>('POST', path, body, headers);
  }
  patch<T = any>(path: string, body?: unknown) {
    return this.request<T>('PATCH', path, body);
  }
  delete<T = any>(path: string) {
    return this.request<T>('DELETE', path);
  }

  /** Follows redirects from `path` and answers the final response (HTML or JSON). */
  async follow(path: string, method = 'GET', body?: URLSearchParams): Promise<TestResponse<string>> {
    let url = new URL(path, this.baseUrl).href;
    let res = await this.raw(method, url, body ? { body, headers: { 'content-type': 'application/x-www-form-urlencoded' } } : {});
    for (let hops = 0; res.status >= 300 && res.status < 400; hops++) {
      if (hops > 20) throw new Error('Too many redirects');
      url = new URL(res.headers.get('location')!, url).href;
      await res.arrayBuffer();
      res = await this.raw('GET', url);
    }
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: text, text, url };
  }

  /**
   * Signs in through the development identity provider, as a person would: start, land on the
   * provider's page, submit the email, follow back to ChatPro. Answers the final page.
   */
  async signIn(audience: 'internal' | 'external', email: string, opts: { name?: string; link?: string; returnTo?: string } = {}) {
    const q = new URLSearchParams({ audience });
    if (opts.link) q.set('link', opts.link);
    if (opts.returnTo) q.set('returnTo', opts.returnTo);
    const page = await this.follow(`/auth/dev/login?${q}`);
    const action = /action="([^"]*\/login)"/.exec(page.text)?.[1];
    if (page.status !== 200 || !action) throw new Error(`No sign-in form at ${page.url}: ${page.status} ${page.text.slice(0, 200)}`);
    const form = new URLSearchParams({ email });
    if (opts.name) form.set('name', opts.name);
    let res = await this.raw('POST', new URL(action.replace(/&amp;/g, '&'), page.url).href, {
      body: form,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    let url = new URL(action, page.url).href;
    for (let hops = 0; res.status >= 300 && res.status < 400; hops++) {
      if (hops > 20) throw new Error('Too many redirects');
      url = new URL(res.headers.get('location')!, url).href;
      await res.arrayBuffer();
      res = await this.raw('GET', url);
    }
    const text = await res.text();
    return { status: res.status, url, text };
  }
}
