/**
 * The workspace's own connection: notifications for the message list and the badge, and the
 * groups and links of the context on screen. Chats of groups have their own (useChat).
 */
import { io, type Socket } from 'socket.io-client';
import type { ClientToServerEvents, ServerToClientEvents } from '@chatpro/common';

type Events = ServerToClientEvents;

export interface WorkspaceSocket {
  on<E extends keyof Events>(event: E, listener: Events[E]): () => void;
  watchContext(contextId: string): void;
  /** Asks the shell to reload the message list and the unread count. */
  refresh(): void;
}

export function connectWorkspace(onRefresh: () => void): WorkspaceSocket & { close(): void } {
  const socket: Socket<ServerToClientEvents, ClientToServerEvents> = io('/', { withCredentials: true, auth: { as: 'internal' } });
  let watched: string | null = null;
  socket.on('connect', () => {
    if (watched) socket.emit('context:watch', { contextId: watched }, () => {});
    onRefresh();
  });
  socket.on('notification:new', () => onRefresh());
  socket.on('group:changed', () => onRefresh());
  return {
    on(event, listener) {
      socket.on(event, listener as never);
      return () => socket.off(event, listener as never);
    },
    watchContext(contextId) {
      watched = contextId;
      if (socket.connected) socket.emit('context:watch', { contextId }, () => {});
    },
    refresh: onRefresh,
    close: () => socket.disconnect(),
  };
}
