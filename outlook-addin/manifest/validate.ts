/**
 * Offline validation of both manifests.
 *
 * Unified manifest: the JSON Schema that `@microsoft/app-manifest` bundles for the manifest's
 * `$schema` version, through that package's own validator. The schema is read from the package
 * and handed over explicitly, so nothing is fetched from the network.
 *
 * XML manifest: Microsoft's XSDs are not bundled by any package (office-addin-manifest sends XML
 * manifests to an online service), so this checks what the XSD would: well-formed XML, the
 * elements of a MailApp in schema order, value formats, that every `resid` names a resource of
 * the right kind, and the length limits of labels. office-addin-manifest then reads it back.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { AppManifestUtils } from '@microsoft/app-manifest';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { OfficeAddinManifest } from 'office-addin-manifest';

const require = createRequire(import.meta.url);

/** The schema bundled for `$schema`, e.g. `.../json-schemas/teams/v1.24/MicrosoftTeams.schema.json`. */
export function bundledSchema(schemaUrl: string): Record<string, unknown> {
  const match = /\/json-schemas\/(teams\/v[\w.]+\/MicrosoftTeams\.schema\.json)$/.exec(new URL(schemaUrl).pathname);
  if (!match) throw new Error(`Not a Microsoft 365 app manifest schema URL: ${schemaUrl}`);
  const packageDir = path.dirname(require.resolve('@microsoft/app-manifest/package.json'));
  const file = path.join(packageDir, 'build/json-schemas', match[1]!);
  return JSON.parse(readFileSync(file, 'utf8').replace(/\\a/g, '\\u0007').replace(/\\v/g, '\\u000b')) as Record<string, unknown>;
}

/** Answers the schema errors of a unified manifest (none when valid). */
export async function validateUnifiedManifest(manifest: Record<string, unknown>): Promise<string[]> {
  if (typeof manifest.$schema !== 'string') return ['/$schema is missing'];
  const schema = bundledSchema(manifest.$schema);
  return AppManifestUtils.validateAgainstSchema(manifest as never, schema as never);
}

type XmlNode = Record<string, unknown>;
const ATTRS = ':@';

function children(node: XmlNode): XmlNode[] {
  const name = tagOf(node);
  return name ? ((node[name] as XmlNode[] | undefined) ?? []) : [];
}
function tagOf(node: XmlNode): string | undefined {
  return Object.keys(node).find((k) => k !== ATTRS && k !== '#text');
}
function attr(node: XmlNode, name: string): string | undefined {
  return (node[ATTRS] as Record<string, string> | undefined)?.[`@_${name}`];
}
function text(node: XmlNode): string {
  return children(node)
    .map((c) => (typeof c['#text'] === 'string' || typeof c['#text'] === 'number' ? String(c['#text']) : ''))
    .join('')
    .trim();
}
function* walk(node: XmlNode): Generator<XmlNode> {
  yield node;
  for (const c of children(node)) if (tagOf(c)) yield* walk(c);
}

/** The children of a MailApp's OfficeApp, in the XSD's order; `true` marks the required ones. */
const MAIL_APP_SEQUENCE: [string, boolean][] = [
  ['Id', true],
  ['AlternateId', false],
  ['Version', true],
  ['ProviderName', true],
  ['DefaultLocale', true],
  ['DisplayName', true],
  ['Description', true],
  ['IconUrl', true],
  ['HighResolutionIconUrl', false],
  ['SupportUrl', false],
  ['AppDomains', false],
  ['Hosts', false],
  ['Requirements', true],
  ['FormSettings', true],
  ['Permissions', true],
  ['Rule', true],
  ['DisableEntityHighlighting', false],
  ['VersionOverrides', false],
];
const PERMISSIONS = ['Restricted', 'ReadItem', 'ReadWriteItem', 'ReadWriteMailbox'];
const LAUNCH_EVENTS = ['OnNewMessageCompose', 'OnNewAppointmentOrganizer', 'OnMessageAttachmentsChanged', 'OnMessageRecipientsChanged', 'OnMessageSend', 'OnAppointmentSend', 'OnMessageCompose'];
/** Which resource list each `resid` user points into. */
const RESID_KIND: Record<string, 'Images' | 'Urls' | 'ShortStrings' | 'LongStrings'> = {
  'bt:Image': 'Images',
  SourceLocation: 'Urls',
  FunctionFile: 'Urls',
  Runtime: 'Urls',
  Override: 'Urls',
  Label: 'ShortStrings',
  Title: 'ShortStrings',
  Description: 'LongStrings',
};
const isHttpUrl = (v: string | undefined) => {
  try {
    return Boolean(v) && /^https?:$/.test(new URL(v!).protocol);
  } catch {
    return false;
  }
};

/** Answers the problems of an XML add-in only manifest (none when valid). */
export async function validateXmlManifest(xml: string, opts: { functionNames?: string[] } = {}): Promise<string[]> {
  const wellFormed = XMLValidator.validate(xml);
  if (wellFormed !== true) return [`not well-formed XML: ${wellFormed.err.msg} (line ${wellFormed.err.line})`];
  const problems: string[] = [];
  const doc = new XMLParser({ preserveOrder: true, ignoreAttributes: false, removeNSPrefix: false }).parse(xml) as XmlNode[];
  const root = doc.find((n) => tagOf(n) === 'OfficeApp');
  if (!root) return ['the root element is not OfficeApp'];
  if (attr(root, 'xmlns') !== 'http://schemas.microsoft.com/office/appforoffice/1.1') problems.push('OfficeApp: wrong namespace');
  if (attr(root, 'xsi:type') !== 'MailApp') problems.push('OfficeApp: xsi:type must be MailApp');

  const top = children(root).filter((c) => tagOf(c));
  let i = 0;
  for (const [name, required] of MAIL_APP_SEQUENCE) {
    if (tagOf(top[i] ?? {}) === name) i++;
    else if (required) problems.push(`OfficeApp: missing or misplaced <${name}>`);
  }
  if (i < top.length) problems.push(`OfficeApp: unexpected <${tagOf(top[i]!)}>`);
  const one = (name: string) => top.find((c) => tagOf(c) === name);

  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(text(one('Id') ?? {}))) problems.push('Id: must be a GUID');
  if (!/^\d{1,5}(\.\d{1,5}){0,3}$/.test(text(one('Version') ?? {}))) problems.push('Version: must be n.n.n.n');
  if (!/^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/.test(text(one('DefaultLocale') ?? {}))) problems.push('DefaultLocale: must be a language tag');
  if (!PERMISSIONS.includes(text(one('Permissions') ?? {}))) problems.push(`Permissions: must be one of ${PERMISSIONS.join(', ')}`);
  for (const name of ['DisplayName', 'Description']) {
    const value = attr(one(name) ?? {}, 'DefaultValue') ?? '';
    if (!value || value.length > (name === 'DisplayName' ? 125 : 250)) problems.push(`${name}: DefaultValue missing or too long`);
  }

  // Resources and every reference to them.
  const resources = new Map<string, Map<string, string>>();
  for (const node of walk(root)) {
    const kind = tagOf(node)?.replace(/^bt:/, '');
    if (kind === 'Images' || kind === 'Urls' || kind === 'ShortStrings' || kind === 'LongStrings') {
      const list = resources.get(kind) ?? new Map<string, string>();
      for (const item of children(node).filter((c) => tagOf(c))) {
        const id = attr(item, 'id') ?? '';
        if (!id || id.length > 32) problems.push(`${kind}: resource id "${id}" is empty or longer than 32 characters`);
        list.set(id, attr(item, 'DefaultValue') ?? '');
      }
      resources.set(kind, list);
    }
  }
  for (const [id, value] of resources.get('ShortStrings') ?? []) if (!value || value.length > 125) problems.push(`ShortStrings: "${id}" is empty or longer than 125`);
  for (const [id, value] of resources.get('LongStrings') ?? []) if (!value || value.length > 250) problems.push(`LongStrings: "${id}" is empty or longer than 250`);
  for (const kind of ['Images', 'Urls'] as const) for (const [id, value] of resources.get(kind) ?? []) if (!isHttpUrl(value)) problems.push(`${kind}: "${id}" is not an absolute URL`);

  const functionNames: string[] = [];
  for (const node of walk(root)) {
    const name = tagOf(node)!;
    const resid = attr(node, 'resid');
    if (resid !== undefined) {
      const kind = RESID_KIND[name];
      if (!kind) problems.push(`<${name} resid>: unexpected`);
      else if (!resources.get(kind)?.has(resid)) problems.push(`<${name} resid="${resid}">: no such resource in ${kind}`);
    }
    for (const urlAttr of ['IconUrl', 'HighResolutionIconUrl', 'SupportUrl']) if (name === urlAttr && !isHttpUrl(attr(node, 'DefaultValue'))) problems.push(`${name}: not an absolute URL`);
    if (name === 'SourceLocation' && resid === undefined && !isHttpUrl(attr(node, 'DefaultValue'))) problems.push('SourceLocation: not an absolute URL');
    if (name === 'FunctionName') functionNames.push(text(node));
    if (name === 'LaunchEvent') {
      if (!LAUNCH_EVENTS.includes(attr(node, 'Type') ?? '')) problems.push(`LaunchEvent: unknown Type "${attr(node, 'Type')}"`);
      functionNames.push(attr(node, 'FunctionName') ?? '');
    }
    if (name === 'Control' && !attr(node, 'id')) problems.push('Control: missing id');
  }
  if (opts.functionNames) {
    for (const fn of functionNames) if (!opts.functionNames.includes(fn)) problems.push(`function "${fn}" is not registered by the add-in`);
  }
  if (problems.length) return problems;

  // Read back by Microsoft's own reader (offline), as the tools that sideload it do.
  const dir = mkdtempSync(path.join(tmpdir(), 'chatpro-manifest-'));
  try {
    const file = path.join(dir, 'manifest.xml');
    writeFileSync(file, xml);
    const info = await OfficeAddinManifest.readManifestFile(file);
    if (info.id !== text(one('Id')!) || info.officeAppType !== 'MailApp') problems.push('office-addin-manifest could not read the manifest back');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return problems;
}
