import browser from 'webextension-polyfill';
import { defineBackground } from 'wxt/utils/define-background';
import { badge, POLL_ALARM } from '../src/background/badge.ts';
import { handle } from '../src/background/handlers.ts';
import type { Reply, Request } from '../src/messages.ts';

export default defineBackground(() => {
  browser.runtime.onMessage.addListener((message: unknown) => {
    const request = message as Request;
    return handle(request).then(
      (value): Reply<unknown> => ({ ok: true, value }),
      (err: unknown): Reply<unknown> => {
        console.warn(`ChatPro: ${request.type} failed`, err);
        return { ok: false, error: err instanceof Error ? err.message : String(err) };
      },
    );
  });
  browser.alarms.onAlarm.addListener((alarm) => {
    if (alarm.name === POLL_ALARM) void badge.start();
  });
  void badge.start();
});
