/**
 * The "Clicca qui per discuterne" button that opens a ChatPro link from an email. One pure
 * function shared by the server's emails, the browser extension, the Outlook add-in and the
 * Gmail add-on, so that the button looks the same wherever it is inserted.
 *
 * Mail clients ignore <style> blocks and strip scripts, and Outlook for Windows renders with
 * Word: the markup is a table with inline styles only (a "bulletproof" button).
 */

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const escape = (value: string) => value.replace(/[&<>"']/g, (c) => ENTITIES[c]!);

/** Answers the URL when it is an absolute http(s) URL; throws otherwise (never a javascript: link). */
function checkedUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new TypeError('chatButtonHtml: the link must be an absolute http(s) URL');
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') throw new TypeError('chatButtonHtml: the link must be an absolute http(s) URL');
  return parsed.href;
}

export function chatButtonHtml(url: string, label = 'Clicca qui per discuterne'): string {
  const href = escape(checkedUrl(url));
  const text = escape(label);
  return (
    '<table role="presentation" border="0" cellpadding="0" cellspacing="0" style="border-collapse:separate;margin:16px 0;">' +
    '<tr><td align="center" bgcolor="#1a73e8" style="border-radius:6px;background-color:#1a73e8;">' +
    `<a href="${href}" target="_blank" rel="noopener" style="display:inline-block;padding:12px 24px;font-family:Arial,Helvetica,sans-serif;` +
    'font-size:16px;font-weight:bold;line-height:20px;color:#ffffff;text-decoration:none;border-radius:6px;border:1px solid #1a73e8;">' +
    `${text}</a></td></tr></table>`
  );
}
