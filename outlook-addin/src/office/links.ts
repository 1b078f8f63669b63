/**
 * Finds the ChatPro link in an email body: `<PUBLIC_URL>/c/<token>`, as the button's href, as a
 * bare link, wrapped by Outlook's Safe Links or Google's redirector, behind HTML entities, in
 * quoted and forwarded text. The first one in the body wins: replies put the newest text on top.
 * Pure: no Office, no DOM, so that it runs the same in the task pane and in unit tests.
 */
import { LinkToken } from '@chatpro/common';

export interface FoundLink {
  token: string;
  /** The link as ChatPro writes it: `<PUBLIC_URL>/c/<token>`. */
  url: string;
}

const NAMED_ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ', sol: '/', colon: ':', quest: '?', equals: '=', num: '#', period: '.' };

/** Decodes the HTML entities that can stand inside a URL (`&amp;`, `&#x2F;`, `&#58;`…). */
export function decodeEntities(html: string): string {
  return html.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (whole, name: string) => {
    if (name[0] === '#') {
      const code = name[1] === 'x' || name[1] === 'X' ? parseInt(name.slice(2), 16) : parseInt(name.slice(1), 10);
      return Number.isFinite(code) && code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
    }
    return NAMED_ENTITIES[name.toLowerCase()] ?? whole;
  });
}

/** Outlook Safe Links (`*.safelinks.protection.outlook.com/?url=`) and Google's `/url?q=` hide the real address. */
function unwrap(url: URL): URL {
  for (let depth = 0; depth < 3; depth++) {
    const host = url.hostname.toLowerCase();
    let inner: string | null = null;
    if (host.endsWith('.safelinks.protection.outlook.com')) inner = url.searchParams.get('url');
    else if (/^(www\.)?google\.[a-z.]+$/.test(host) && url.pathname === '/url') inner = url.searchParams.get('q') ?? url.searchParams.get('url');
    if (!inner) return url;
    try {
      url = new URL(inner);
    } catch {
      return url;
    }
  }
  return url;
}

/** Candidate URLs in the order they appear: hrefs and plain-text links alike. */
const URL_PATTERN = /https?:\/\/[^\s"'<>`]+/gi;

/**
 * The first ChatPro link of `publicUrl` in `body`. `publicUrl` is the server's address, e.g.
 * `https://chat.example.com` (a path prefix is allowed).
 */
export function findChatLink(body: string, publicUrl: string): FoundLink | null {
  const base = new URL(publicUrl);
  const prefix = `${base.pathname.replace(/\/+$/, '')}/c/`;
  const text = decodeEntities(body);
  for (const match of text.matchAll(URL_PATTERN)) {
    // Text often closes a link with punctuation or a bracket that is not part of it.
    const raw = match[0].replace(/[).,;:!?\]}>]+$/, '');
    let url: URL;
    try {
      url = unwrap(new URL(raw));
    } catch {
      continue;
    }
    if (url.host.toLowerCase() !== base.host.toLowerCase() || !url.pathname.startsWith(prefix)) continue;
    const token = decodeURIComponent(url.pathname.slice(prefix.length).replace(/\/$/, ''));
    if (!LinkToken.safeParse(token).success) continue;
    return { token, url: `${base.origin}${prefix}${token}` };
  }
  return null;
}
