/** socket.io clients for tests, carrying the session cookie of a signed-in TestClient. */
import { io, type Socket } from 'socket.io-client';
import type { ClientToServerEvents, ServerToClientEvents } from '@chatpro/common';
import type { TestClient } from './client.ts';

export type ChatSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

export async function connectSocket(client: TestClient, as?: 'internal' | 'external'): Promise<ChatSocket> {
  const cookie = [...client.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  const socket: ChatSocket = io(client.baseUrl, {
    transports: ['websocket'],
    extraHeaders: { cookie },
    auth: as ? { as } : {},
    reconnection: false,
    forceNew: true,
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', (err) => reject(err));
  });
  return socket;
}

/** Emits with an acknowledgement and answers it (fails after `ms`). */
export function ask<T = any>(socket: ChatSocket, event: string, payload: unknown, ms = 5000): Promise<T> {
  return (socket.timeout(ms) as unknown as { emitWithAck(event: string, payload: unknown): Promise<T> }).emitWithAck(event, payload);
}

/** Waits for the next `event` matching `match`. */
export function next<T = any>(socket: ChatSocket, event: string, match: (payload: any) => boolean = () => true, ms = 5000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.off(event as 'message:new', listener as never);
      reject(new Error(`no ${event} within ${ms} ms`));
    }, ms);
    const listener = (payload: T) => {
      if (!match(payload)) return;
      clearTimeout(timer);
      socket.off(event as 'message:new', listener as never);
      resolve(payload);
    };
    socket.on(event as 'message:new', listener as never);
  });
}

/** Collects every `event` received until read. */
export function collect<T = any>(socket: ChatSocket, event: string): T[] {
  const seen: T[] = [];
  socket.on(event as 'message:new', ((p: T) => seen.push(p)) as never);
  return seen;
}
