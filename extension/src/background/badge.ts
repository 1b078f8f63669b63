/**
 * The unread badge on the toolbar icon: the sum of the unread notifications of the user's recent
 * contexts. Live through a socket opened with the extension token; an alarm polls as a fallback
 * (a service worker's socket dies with the worker, and the server may be unreachable for a while).
 */
import browser from 'webextension-polyfill';
import { io, type Socket } from 'socket.io-client';
import type { ContextSummaryDto, Page } from '@chatpro/common';
import { api, ApiError } from '../api.ts';
import { forgetSignIn, getServer, getToken } from '../settings.ts';

export const POLL_ALARM = 'chatpro-badge-poll';
const POLL_MINUTES = 1;

/** `action` in MV3 (Chrome), `browserAction` in MV2 (Firefox). */
function toolbar() {
  return browser.action ?? browser.browserAction;
}

class Badge {
  unread = 0;
  private socket: Socket | null = null;

  set(unread: number): void {
    this.unread = unread;
    const action = toolbar();
    if (!action) return;
    void action.setBadgeText({ text: unread > 0 ? String(Math.min(unread, 999)) : '' });
    void action.setBadgeBackgroundColor({ color: '#dc2626' });
  }

  async refresh(): Promise<number> {
    if (!(await getToken())) {
      this.set(0);
      return 0;
    }
    try {
      const page = await api<Page<ContextSummaryDto>>('GET', '/api/contexts?limit=50');
      this.set(page.items.reduce((n, c) => n + c.unread, 0));
    } catch (err) {
      // Revoked elsewhere (another device, the server): this extension is signed out.
      if (err instanceof ApiError && err.status === 401) {
        await forgetSignIn();
        this.stop();
      } else console.warn('ChatPro: badge refresh failed', err);
    }
    return this.unread;
  }

  private counting: Promise<void> | null = null;
  private countAgain = false;

  /**
   * Counts now, or once more after the count in flight: a burst of notifications (a guest writing
   * ten lines, each told as it is stored) makes two requests, not ten, and the badge ends on the
   * newest count. Resolves once that last count is done.
   */
  refreshSoon(): Promise<void> {
    this.countAgain = true;
    this.counting ??= (async () => {
      try {
        while (this.countAgain) {
          this.countAgain = false;
          await this.refresh();
        }
      } finally {
        this.counting = null;
      }
    })();
    return this.counting;
  }

  /** Opens the live socket (once) and the polling alarm, then counts. */
  async start(): Promise<void> {
    const token = await getToken();
    if (!token) return this.stop();
    await browser.alarms.create(POLL_ALARM, { periodInMinutes: POLL_MINUTES });
    if (!this.socket) {
      const socket = io(await getServer(), { transports: ['websocket'], auth: { token }, reconnectionDelayMax: 30_000 });
      const refresh = () => void this.refreshSoon();
      socket.on('notification:new', refresh);
      socket.on('connect', refresh);
      socket.on('connect_error', (err) => {
        // A revoked token will never connect: stop trying, polling reports the state.
        if (err.message === 'unauthenticated') this.closeSocket();
      });
      this.socket = socket;
    }
    await this.refresh();
  }

  private closeSocket(): void {
    this.socket?.removeAllListeners();
    this.socket?.disconnect();
    this.socket = null;
  }

  stop(): void {
    this.closeSocket();
    void browser.alarms.clear(POLL_ALARM);
    this.set(0);
  }
}

export const badge = new Badge();
