/**
 * The "Clicca qui per discuterne" button: one markup for every place that inserts it (server
 * emails, the workspace composer, the browser extension, the Outlook add-in, the Gmail add-on).
 * Table-based with inline styles and no script, so that it renders in common mail clients and
 * survives their editors.
 */
import { escapeHtmlText } from './html.ts';

export const CHAT_BUTTON_LABEL = 'Clicca qui per discuterne';

/** Refuses anything but an absolute http(s) URL: the button must never carry `javascript:`. */
function safeUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`Not a URL: ${url}`);
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') throw new Error(`Not an http(s) URL: ${url}`);
  return parsed.href;
}

export function chatButtonHtml(url: string, label: string = CHAT_BUTTON_LABEL): string {
  const href = escapeHtmlText(safeUrl(url));
  const text = escapeHtmlText(label);
  return (
    `<table role="presentation" cellspacing="0" cellpadding="0" border="0" data-chatpro-button="1" style="margin:16px 0;border-collapse:separate;">` +
    `<tr><td align="center" bgcolor="#2563eb" style="border-radius:6px;background-color:#2563eb;">` +
    `<a href="${href}" target="_blank" rel="noopener" style="display:inline-block;padding:12px 22px;font-family:Arial,Helvetica,sans-serif;font-size:15px;font-weight:bold;line-height:18px;color:#ffffff;text-decoration:none;border-radius:6px;">${text}</a>` +
    `</td></tr></table>`
  );
}

/** The plain-text twin, for text drafts and the text part of emails. */
export function chatButtonText(url: string, label: string = CHAT_BUTTON_LABEL): string {
  return `${label}: ${safeUrl(url)}`;
}
