/**
 * Email bodies come from anywhere: they are sanitized before anyone sees them. No script, no
 * event handlers, no forms or frames; links open in a new tab without an opener.
 */
import sanitizeHtml from 'sanitize-html';

const OPTIONS: sanitizeHtml.IOptions = {
  allowedTags: [
    ...sanitizeHtml.defaults.allowedTags,
    'img', 'span', 'font', 'center', 'del', 'ins', 'sub', 'sup', 'u', 's', 'small', 'big', 'hr',
  ],
  allowedAttributes: {
    '*': ['style', 'align', 'dir', 'lang', 'title', 'width', 'height', 'bgcolor', 'color'],
    a: ['href', 'name', 'target', 'rel'],
    img: ['src', 'alt', 'width', 'height'],
    td: ['colspan', 'rowspan', 'valign'],
    th: ['colspan', 'rowspan', 'valign'],
    table: ['cellpadding', 'cellspacing', 'border'],
    font: ['face', 'size', 'color'],
  },
  allowedSchemes: ['http', 'https', 'mailto', 'tel'],
  allowedSchemesByTag: { img: ['http', 'https', 'data', 'cid'] },
  allowProtocolRelative: false,
  allowedStyles: {
    '*': {
      color: [/^[#\w(),.\s%]+$/],
      'background-color': [/^[#\w(),.\s%]+$/],
      'text-align': [/^(left|right|center|justify)$/],
      'font-weight': [/^\w+$/],
      'font-style': [/^\w+$/],
      'font-size': [/^[\w.%]+$/],
      'text-decoration': [/^[\w\s]+$/],
      padding: [/^[\w.\s%]+$/],
      margin: [/^[\w.\s%-]+$/],
      border: [/^[#\w.\s%()]+$/],
      'border-radius': [/^[\w.\s%]+$/],
      display: [/^(inline-block|block|inline|none)$/],
    },
  },
  transformTags: {
    a: (tagName, attribs) => ({ tagName, attribs: { ...attribs, target: '_blank', rel: 'noopener noreferrer' } }),
  },
};

export function sanitizeBody(html: string): string {
  return sanitizeHtml(html, OPTIONS);
}
