import { ApiError, type ErrorBody } from '@chatpro/common';

export { ApiError };

/** JSON call to the ChatPro server; errors become ApiError with the server's code. */
export async function api<T>(path: string, init: RequestInit = {}): Promise<T> {
  const headers = new Headers(init.headers);
  if (init.body && typeof init.body === 'string') headers.set('content-type', 'application/json');
  const res = await fetch(path, { ...init, headers, credentials: 'same-origin' });
  if (res.status === 204) return undefined as T;
  const body = (await res.json().catch(() => null)) as T | ErrorBody | null;
  if (!res.ok) {
    const err = (body as ErrorBody | null)?.error;
    throw new ApiError(res.status, err?.code ?? 'internal_error', err?.message ?? res.statusText);
  }
  return body as T;
}
