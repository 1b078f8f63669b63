/** The background worker's client of the ChatPro API: bearer token, no cookies, errors as Error. */
import { ApiError } from '@chatpro/common';
import { getServer, getToken } from './settings.ts';

export { ApiError };

export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const [server, token] = await Promise.all([getServer(), getToken()]);
  if (!token) throw new ApiError(401, 'unauthenticated', 'Accedi a ChatPro dalle opzioni dell’estensione');
  const headers: Record<string, string> = { authorization: `Bearer ${token}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${server}${path}`, {
    method,
    headers,
    body: body === undefined ? null : JSON.stringify(body),
    credentials: 'omit',
  });
  if (res.status === 204) return null as T;
  const data = (await res.json().catch(() => null)) as { error?: { code?: string; message?: string } } | null;
  if (!res.ok) throw new ApiError(res.status, data?.error?.code ?? 'http_error', data?.error?.message ?? `HTTP ${res.status}`);
  return data as T;
}
