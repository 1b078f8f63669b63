/**
 * The Outlook add-in under /addins/outlook/: its built pages (outlook-addin/dist), and its
 * manifests filled for this server's public URL at request time, so that the manifest to install
 * always names the server it is fetched from.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import archiver from 'archiver';
import express, { type Router } from 'express';
import { contentSecurityPolicy } from '../http/csp.ts';
import { PACKAGE_ICONS, renderManifestJson, renderManifestXml } from '@chatpro/outlook-addin/manifest';

export const outlookAddinDist = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../outlook-addin/dist');

/** Outlook on the web and new Outlook show add-in pages in frames of these sites. */
const OFFICE_FRAME_ANCESTORS = [
  'https://*.office.com',
  'https://*.office365.com',
  'https://*.outlook.com',
  'https://outlook.live.com',
  'https://*.officeapps.live.com',
  'https://*.microsoft.com',
  'https://*.cloud.microsoft',
];

/** Office.js comes from Microsoft's CDN (and loads its host scripts from there): that origin only. */
export const OFFICE_JS_ORIGIN = 'https://appsforoffice.microsoft.com';
const ADDIN_CSP = contentSecurityPolicy({ scriptOrigins: [OFFICE_JS_ORIGIN], frameAncestors: OFFICE_FRAME_ANCESTORS });

export function outlookAddinRoutes(opts: { publicUrl: string; dist?: string }): Router {
  const dist = opts.dist ?? outlookAddinDist;
  const router = express.Router();
  const noCache = { 'Cache-Control': 'no-cache' };

  router.get('/manifest.json', (_req, res) => {
    res.set(noCache).type('application/json').send(renderManifestJson(opts.publicUrl));
  });
  router.get('/manifest.xml', (_req, res) => {
    res.set(noCache).type('application/xml').send(renderManifestXml(opts.publicUrl));
  });
  /** The app package to upload for the unified manifest: manifest.json and its two icons. */
  router.get('/app-package.zip', async (_req, res) => {
    res.set({ ...noCache, 'Content-Type': 'application/zip', 'Content-Disposition': 'attachment; filename="chatpro-outlook.zip"' });
    const zip = archiver('zip', { zlib: { level: 6 } });
    zip.pipe(res);
    zip.append(renderManifestJson(opts.publicUrl), { name: 'manifest.json' });
    for (const icon of PACKAGE_ICONS) zip.file(icon.path, { name: icon.name });
    await zip.finalize();
  });

  // Office hosts frame these pages: allow those sites (and only those) instead of SAMEORIGIN.
  router.use((_req, res, next) => {
    res.removeHeader('X-Frame-Options');
    res.set('Content-Security-Policy', ADDIN_CSP);
    next();
  });
  if (existsSync(dist)) {
    router.use(
      express.static(dist, {
        index: false,
        setHeaders: (res, file) => res.set('Cache-Control', file.includes(`${path.sep}assets${path.sep}`) ? 'public, max-age=31536000, immutable' : 'no-cache'),
      }),
    );
  }
  return router;
}
