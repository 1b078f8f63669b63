/**
 * Finds every compose window of a host page, now and as they open (new, reply, pop-out; several
 * at once), and gives each a "Gestisci chat" control in its own shadow root next to its send
 * button. WXT's autoMount unmounts the control when its compose window closes.
 */
import { render } from 'preact';
import type { ContentScriptContext } from 'wxt/utils/content-script-context';
import { createShadowRootUi } from 'wxt/utils/content-script-ui/shadow-root';
import type { ComposeSelectors } from '../selectors.ts';
import { composeBody, composeRoot, draftKey, readDraft } from './draft.ts';
import { insertIntoBody, trackCaret } from './insert.ts';
import { ComposeControl, PANEL_CSS, type ComposeHost } from './panel.tsx';

const MARK = 'data-chatpro-send';
let next = 0;

export function watchComposeWindows(ctx: ContentScriptContext, sel: ComposeSelectors, hostName: string): void {
  const attach = async (sendButton: Element) => {
    const id = String(++next);
    sendButton.setAttribute(MARK, id);
    const root = composeRoot(sendButton, sel);
    if (!root) return;
    const body = composeBody(root, sel);
    if (body) trackCaret(body, ctx.signal);
    const host: ComposeHost = {
      draftKey: () => draftKey(root, sel, hostName),
      readDraft: () => readDraft(root, sel),
      hasButton: (url) => [...(composeBody(root, sel)?.querySelectorAll('a[href]') ?? [])].some((a) => (a as HTMLAnchorElement).href === url),
      insert: (html, text) => {
        const target = composeBody(root, sel);
        if (target) insertIntoBody(target, html, text);
      },
    };
    const ui = await createShadowRootUi<HTMLElement>(ctx, {
      name: 'chatpro-compose',
      position: 'inline',
      anchor: `[${MARK}="${id}"]`,
      append: 'after',
      css: PANEL_CSS,
      onMount(container, _shadow, shadowHost) {
        // Beside the send button, not on a line of its own under it.
        shadowHost.style.display = 'inline-block';
        shadowHost.style.verticalAlign = 'middle';
        const app = document.createElement('div');
        container.append(app);
        render(<ComposeControl host={host} />, app);
        return app;
      },
      onRemove(app) {
        if (app) render(null, app);
      },
    });
    ui.autoMount({ once: true });
  };

  const scan = () => {
    for (const button of document.querySelectorAll(sel.sendButton)) {
      if (button.hasAttribute(MARK)) continue;
      attach(button).catch((err: unknown) => console.error(`ChatPro: compose control on ${hostName} failed`, err));
    }
  };
  let pending = false;
  const observer = new MutationObserver(() => {
    if (pending) return;
    pending = true;
    ctx.setTimeout(() => {
      pending = false;
      scan();
    }, 100);
  });
  observer.observe(document.documentElement, { childList: true, subtree: true });
  ctx.onInvalidated(() => observer.disconnect());
  scan();
}
