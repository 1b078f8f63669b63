import { Clip } from './Clip.tsx';
import { useEffect, useRef } from 'preact/hooks';
import type { AttachmentDto } from '@chatpro/common';
import type { Translate } from '../i18n.ts';

/**
 * The context's body, already sanitized by the server, shown inside a sandboxed frame without
 * scripts, so that neither its markup nor its CSS can touch the page. The frame has its own
 * policy on top of the page's: nothing is fetched but images from this server or data: URLs, so a
 * remote image (a tracking pixel) in an email never tells its sender who read it, or from where.
 */
export const BODY_FRAME_CSP = "default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'";

export function BodySection(props: { subject: string; bodyHtml: string; attachments: AttachmentDto[]; t: Translate }) {
  const frame = useRef<HTMLIFrameElement>(null);
  const doc = `<!doctype html><html><head><meta charset="utf-8"><meta http-equiv="Content-Security-Policy" content="${BODY_FRAME_CSP}"><base target="_blank"><style>body{font-family:system-ui,sans-serif;font-size:15px;line-height:1.5;color:#1f2937;margin:0;padding:0 2px;word-wrap:break-word}img{max-width:100%;height:auto}</style></head><body>${props.bodyHtml}</body></html>`;
  useEffect(() => {
    const el = frame.current;
    if (!el) return;
    const fit = () => {
      const h = el.contentDocument?.documentElement.scrollHeight;
      if (h) el.style.height = `${h + 8}px`;
    };
    el.addEventListener('load', fit);
    return () => el.removeEventListener('load', fit);
  }, [props.bodyHtml]);
  return (
    <div class="body" data-testid="body">
      <h2 class="subject">{props.subject}</h2>
      <iframe ref={frame} class="body-frame" title={props.t('body.title')} sandbox="allow-same-origin allow-popups allow-popups-to-escape-sandbox" srcDoc={doc} />
      {props.attachments.length > 0 && (
        <div class="body-files">
          <h3>{props.t('body.attachments')}</h3>
          <ul>
            {props.attachments.map((a) => (
              <li key={a.id}>
                <a href={a.url} download={a.fileName}>
                  <Clip /> {a.fileName}
                </a>
              </li>
            ))}
          </ul>
        </div>
      )}
    </div>
  );
}
