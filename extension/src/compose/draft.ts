/** Reading a compose window of the host page: its root, its draft, and a key that names it. */
import type { DraftInput } from '../messages.ts';
import type { ComposeSelectors } from '../selectors.ts';

const ADDRESS = /[^\s<>"',;:()]+@[^\s<>"',;:()]+\.[A-Za-z]{2,}/;

/** The smallest ancestor of the send button that holds the draft body: one compose window. */
export function composeRoot(sendButton: Element, sel: ComposeSelectors): Element | null {
  for (let el = sendButton.parentElement; el; el = el.parentElement) {
    if (el.querySelector(sel.body)) return el;
  }
  return null;
}

export function composeBody(root: Element, sel: ComposeSelectors): HTMLElement | null {
  return root.querySelector<HTMLElement>(sel.body);
}

function addressOf(chip: Element): string | null {
  for (const candidate of [chip.getAttribute('data-hovercard-id'), chip.getAttribute('email'), chip.getAttribute('title'), chip.textContent]) {
    const match = candidate ? ADDRESS.exec(candidate) : null;
    if (match) return match[0];
  }
  return null;
}

export function readDraft(root: Element, sel: ComposeSelectors): DraftInput {
  const chips = (selector: string) => [...root.querySelectorAll(selector)].map(addressOf).filter((a): a is string => a !== null);
  const subject = root.querySelector<HTMLInputElement>(sel.subject)?.value ?? '';
  const thread = sel.threadSubject ? (root.ownerDocument.querySelector(sel.threadSubject)?.textContent ?? '') : '';
  return {
    subject: subject.trim() || thread.trim(),
    to: chips(sel.toChips),
    cc: chips(sel.ccChips),
    bodyHtml: composeBody(root, sel)?.innerHTML ?? '',
  };
}

let counter = 0;

/**
 * The key of a draft: the host's draft id when it shows one, else an id given to this compose
 * window for as long as it is open (kept on the root, so every click in it agrees).
 */
export function draftKey(root: Element, sel: ComposeSelectors, host: string): string {
  const hostId = sel.draftId ? root.querySelector<HTMLInputElement>(sel.draftId)?.value : undefined;
  if (hostId && hostId !== 'undefined' && hostId !== 'null') return `${host}:draft:${hostId}`;
  let local = root.getAttribute('data-chatpro-draft');
  if (!local) {
    local = `${Date.now().toString(36)}-${(++counter).toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
    root.setAttribute('data-chatpro-draft', local);
  }
  return `${host}:local:${local}`;
}
