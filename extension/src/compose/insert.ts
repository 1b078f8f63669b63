/**
 * Puts the button into the draft so that the host editor registers it (and sends it): through
 * the editing commands of the document, as typing or pasting would, never by writing innerHTML.
 */

/** Remembers the last caret inside each body, since clicking our control moves the focus away. */
const lastRanges = new WeakMap<HTMLElement, Range>();

export function trackCaret(body: HTMLElement, signal: AbortSignal): void {
  const doc = body.ownerDocument;
  doc.addEventListener(
    'selectionchange',
    () => {
      const sel = doc.getSelection();
      if (sel && sel.rangeCount > 0 && body.contains(sel.getRangeAt(0).commonAncestorContainer)) lastRanges.set(body, sel.getRangeAt(0).cloneRange());
    },
    { signal },
  );
}

function placeCaret(body: HTMLElement): void {
  const doc = body.ownerDocument;
  const sel = doc.getSelection()!;
  const saved = lastRanges.get(body);
  sel.removeAllRanges();
  if (saved && body.contains(saved.commonAncestorContainer)) {
    sel.addRange(saved);
    return;
  }
  const end = doc.createRange();
  end.selectNodeContents(body);
  end.collapse(false);
  sel.addRange(end);
}

/** Inserts HTML at the caret (or the end) of the body; falls back to a synthetic paste. */
export function insertIntoBody(body: HTMLElement, html: string, text: string): void {
  body.focus();
  placeCaret(body);
  const doc = body.ownerDocument;
  if (doc.execCommand('insertHTML', false, html)) return;
  const data = new DataTransfer();
  data.setData('text/html', html);
  data.setData('text/plain', text);
  body.dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }));
}
