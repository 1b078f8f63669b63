/**
 * The HTTP endpoints of a running Express app, read from its router stack (Express 5 / router
 * 2): every route with its methods, and every mount that answers by itself (static files, the
 * development identity provider) as `USE <prefix>`. The authorization matrix is checked against it.
 */
import type { Express } from 'express';

interface Layer {
  rawPath?: string | string[];
  route?: { path: string | string[]; methods: Record<string, boolean> };
  handle: ((...args: unknown[]) => unknown) & { stack?: Layer[] };
  name: string;
}

/** Handlers that answer requests under their mount point instead of passing them on. */
const SERVING_MIDDLEWARE = new Set(['serveStatic', 'handleRequest']);

const join = (prefix: string, path: string) => (prefix + (path === '/' ? '' : path)).replace(/\/+/g, '/') || '/';

export function listRoutes(app: Express): string[] {
  const out = new Set<string>();
  const walk = (stack: Layer[], prefix: string) => {
    for (const layer of stack) {
      const paths = [layer.route?.path ?? layer.rawPath ?? '/'].flat();
      for (const path of paths) {
        const full = join(prefix, path);
        if (layer.route) {
          for (const [method, on] of Object.entries(layer.route.methods)) if (on && method !== '_all') out.add(`${method.toUpperCase()} ${full}`);
        } else if (Array.isArray(layer.handle.stack)) walk(layer.handle.stack, full);
        else if (SERVING_MIDDLEWARE.has(layer.name)) out.add(`USE ${full}`);
      }
    }
  };
  const router = (app as unknown as { router: { stack: Layer[] } }).router;
  walk(router.stack, '');
  return [...out].sort();
}
