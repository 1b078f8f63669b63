/**
 * The "Clicca qui per discuterne" button put into an email: one pure function shared by the
 * server's mail, the browser extension, the Outlook add-in and the Gmail add-on.
 *
 * Email clients drop <style>, <script>, classes and most CSS, and Outlook's Word engine ignores
 * padding on <a>: a one-cell table with inline styles is what renders the same everywhere.
 */

const escapeHtml = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');

/** Only http(s) links: a `javascript:` or `data:` URL in an email would be a trap. */
function safeUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new TypeError(`chatButtonHtml: not a URL: ${url}`);
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') throw new TypeError(`chatButtonHtml: not an http(s) URL: ${url}`);
  return parsed.href;
}

export const DEFAULT_BUTTON_LABEL = 'Clicca qui per discuterne';

/** Table-based button markup with inline styles and no script; the URL and label are escaped. */
export function chatButtonHtml(url: string, label: string = DEFAULT_BUTTON_LABEL): string {
  const href = escapeHtml(safeUrl(url));
  const text = escapeHtml(label);
  return (
    '<table role="presentation" border="0" cellpadding="0" cellspacing="0" style="border-collapse:separate;margin:12px 0;">' +
    '<tr><td align="center" bgcolor="#1a73e8" style="border-radius:6px;background-color:#1a73e8;">' +
    `<a href="${href}" target="_blank" rel="noopener" style="display:inline-block;padding:10px 18px;font-family:Arial,Helvetica,sans-serif;font-size:15px;font-weight:bold;line-height:20px;color:#ffffff;text-decoration:none;border-radius:6px;">${text}</a>` +
    '</td></tr></table>'
  );
}
