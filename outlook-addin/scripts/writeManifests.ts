/**
 * Build step: writes dist/manifest.json, dist/manifest.xml for CHATPRO_PUBLIC_URL (default
 * http://localhost:3000), validated first, and the icons the unified manifest packs beside it.
 */
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { COMMAND_FUNCTIONS } from '../src/commands/names.ts';
import { DEFAULT_PUBLIC_URL, PACKAGE_ICONS, renderManifestJson, renderManifestXml, unifiedManifest } from '../manifest/render.ts';
import { validateUnifiedManifest, validateXmlManifest } from '../manifest/validate.ts';

const publicUrl = (process.env.CHATPRO_PUBLIC_URL ?? DEFAULT_PUBLIC_URL).replace(/\/+$/, '');
const dist = path.resolve(import.meta.dirname, '../dist');
const problems = [
  ...(await validateUnifiedManifest(unifiedManifest(publicUrl))).map((p) => `manifest.json: ${p}`),
  ...(await validateXmlManifest(renderManifestXml(publicUrl), { functionNames: COMMAND_FUNCTIONS })).map((p) => `manifest.xml: ${p}`),
];
if (problems.length) {
  console.error(`Invalid add-in manifest:\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
mkdirSync(path.join(dist, 'package'), { recursive: true });
writeFileSync(path.join(dist, 'manifest.json'), renderManifestJson(publicUrl));
writeFileSync(path.join(dist, 'manifest.xml'), renderManifestXml(publicUrl));
for (const icon of PACKAGE_ICONS) copyFileSync(icon.path, path.join(dist, 'package', icon.name));
console.log(`Outlook add-in manifests written for ${publicUrl}${publicUrl.startsWith('https://') ? '' : ' (Outlook loads add-ins over HTTPS only: set CHATPRO_PUBLIC_URL for a real install)'}`);
