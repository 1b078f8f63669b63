import { defineContentScript } from 'wxt/utils/define-content-script';
import { runFeatures } from '../src/features/index.ts';
import { MAIL_MATCHES } from '../src/hosts.ts';

export default defineContentScript({
  matches: MAIL_MATCHES,
  // Pop-out compose windows of Outlook and Gmail are top-level pages; no frames needed.
  runAt: 'document_idle',
  main: (ctx) => runFeatures(ctx, location),
});
