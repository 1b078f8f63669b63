/**
 * Mail as one piece for the server: the transport, the offline notifier and its worker, and the
 * inbound listener for replies. `close()` stops the worker and the listener before the database
 * closes.
 */
import type { MailConfig } from '../env.ts';
import type { Db } from '../db/index.ts';
import type { Logger } from '../logger.ts';
import type { ChatService } from '../realtime/chatService.ts';
import type { Hub } from '../realtime/hub.ts';
import type { ContextMailDeps } from './contextMail.ts';
import { startInbound, type InboundListener } from './inbound.ts';
import { OfflineNotifier } from './offlineNotifier.ts';
import { createMailTransport, type MailTransport } from './transport.ts';

export interface Mail {
  transport: MailTransport;
  notifier: OfflineNotifier;
  /** What the routes need to send a context's email or invitation. */
  contextMail: ContextMailDeps;
  secret: string;
  inbound: InboundListener | null;
  /** Starts the worker and the inbound listener, once the chat is up. */
  start(chat: ChatService, maxUploadBytes: number): Promise<void>;
  /** Refuses new connections and waits for those in flight. */
  stopInbound(): Promise<void>;
  close(): Promise<void>;
}

export function createMail(config: MailConfig, deps: { db: Db; hub: Hub; logger: Logger; publicUrl: string }): Mail {
  const { db, logger, publicUrl } = deps;
  const transport = createMailTransport(config, logger);
  const notifier = new OfflineNotifier(db, deps.hub, transport, logger, {
    delayMs: config.guestDelayMs,
    intervalMs: config.guestIntervalMs,
    pollMs: config.pollMs,
    secret: config.secret,
    replyDomain: config.replyDomain,
    publicUrl,
  });
  const mail: Mail = {
    transport,
    notifier,
    contextMail: { db, transport, publicUrl, from: config.from },
    secret: config.secret,
    inbound: null,
    async start(chat, maxUploadBytes) {
      notifier.start();
      if (config.inbound && config.replyDomain) {
        mail.inbound = await startInbound(
          { db, chat, logger },
          { ...config.inbound, secret: config.secret, replyDomain: config.replyDomain, maxUploadBytes },
        );
      }
    },
    async stopInbound() {
      const inbound = mail.inbound;
      mail.inbound = null;
      await inbound?.close();
    },
    async close() {
      await mail.stopInbound();
      await notifier.stop();
      transport.close();
    },
  };
  return mail;
}
