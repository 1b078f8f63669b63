/**
 * Fills the manifest templates with the server's public URL. One function for the build
 * (`scripts/writeManifests.ts`) and for the server, which answers `/addins/outlook/manifest.json`
 * and `manifest.xml` for its own URL, so that a manifest never carries a hard-coded address.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

export const DEFAULT_PUBLIC_URL = 'http://localhost:3000';
/** Where the server mounts the add-in's pages. */
export const ADDIN_BASE_PATH = '/addins/outlook/';
export const manifestDir = import.meta.dirname;

const template = (name: string) => readFileSync(path.join(manifestDir, name), 'utf8');

interface Values {
  PUBLIC_URL: string;
  ORIGIN: string;
  DOMAIN: string;
}

function valuesFor(publicUrl: string): Values {
  const url = new URL(publicUrl);
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error(`The public URL must be http(s): ${publicUrl}`);
  return { PUBLIC_URL: `${url.origin}${url.pathname.replace(/\/+$/, '')}`, ORIGIN: url.origin, DOMAIN: url.host };
}

const fill = (text: string, values: Values, escape: (s: string) => string = (s) => s) =>
  text.replace(/\{\{(PUBLIC_URL|ORIGIN|DOMAIN)\}\}/g, (_, key: keyof Values) => escape(values[key]));

/** The unified (JSON) manifest as an object. Placeholders are filled inside string values only. */
export function unifiedManifest(publicUrl: string): Record<string, unknown> {
  const values = valuesFor(publicUrl);
  const walk = (node: unknown): unknown => {
    if (typeof node === 'string') return fill(node, values);
    if (Array.isArray(node)) return node.map(walk);
    if (node && typeof node === 'object') return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, walk(v)]));
    return node;
  };
  return walk(JSON.parse(template('manifest.template.json'))) as Record<string, unknown>;
}

export function renderManifestJson(publicUrl: string): string {
  return `${JSON.stringify(unifiedManifest(publicUrl), null, 2)}\n`;
}

const XML_ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };

/** The add-in only (XML) manifest. */
export function renderManifestXml(publicUrl: string): string {
  return fill(template('manifest.template.xml'), valuesFor(publicUrl), (s) => s.replace(/[&<>"']/g, (c) => XML_ENTITIES[c]!));
}

/** The icons that the unified manifest names by relative path, to zip beside manifest.json. */
export const PACKAGE_ICONS = ['color.png', 'outline.png'].map((name) => ({ name, path: path.join(manifestDir, name) }));
