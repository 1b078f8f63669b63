/**
 * Broadcasting: the one place that knows the socket.io rooms.
 *   group:<id>  sockets that opened a group        user:<id>  every socket of an internal user
 *   ext:<id>    every socket of an external user   context:<id> sockets that opened a context
 *   extension-token:<id>  the sockets a browser extension opened with that token
 */
import type { ClientToServerEvents, GroupDto, MessageDto, NotificationDto, ServerToClientEvents } from '@chatpro/common';
import type { Server } from 'socket.io';
import type { GroupAccess } from '../policies/groupPolicy.ts';

export interface SocketData {
  internalUserId?: string;
  externalUserId?: string;
  /** Membership checks cached per socket; dropped when a link or a group changes. */
  access: Map<string, GroupAccess>;
}

export type ChatServer = Server<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>;

export const rooms = {
  group: (id: string) => `group:${id}`,
  user: (id: string) => `user:${id}`,
  ext: (id: string) => `ext:${id}`,
  context: (id: string) => `context:${id}`,
  extensionToken: (id: string) => `extension-token:${id}`,
};

export class Hub {
  constructor(readonly io: ChatServer) {}

  message(message: MessageDto): void {
    this.io.to(rooms.group(message.groupId)).emit('message:new', message);
  }

  /** A revoked extension token stops hearing at once, not at its next reconnect. */
  extensionTokenRevoked(tokenId: string): void {
    this.io.in(rooms.extensionToken(tokenId)).disconnectSockets(true);
  }

  notify(userId: string, notification: NotificationDto): void {
    this.io.to(rooms.user(userId)).emit('notification:new', notification);
  }

  /** A new or changed group: its members' sockets join it, and whoever has the context open hears of it. */
  group(group: GroupDto): void {
    const room = rooms.group(group.id);
    for (const m of group.members) this.io.in(m.kind === 'internal' ? rooms.user(m.id) : rooms.ext(m.id)).socketsJoin(room);
    const memberRooms = group.members.map((m) => (m.kind === 'internal' ? rooms.user(m.id) : rooms.ext(m.id)));
    this.io.to(rooms.context(group.contextId)).to(memberRooms).emit('group:changed', group);
    this.forget((access) => access.group.id === group.id);
  }

  /** Groups merged into another: cached checks on them now point at the wrong group. */
  merged(groupIds: string[]): void {
    this.forget((access) => groupIds.includes(access.group.id));
    for (const socket of this.io.of('/').sockets.values()) for (const id of groupIds) socket.data.access?.delete(id);
  }

  /** A link's settings changed: who has its context open hears of it (the lock icon). */
  link(link: { id: string; contextId: string | null; active: boolean; expiresAt: string }): void {
    this.forget((access) => access.link?.id === link.id);
    if (link.contextId) this.io.to(rooms.context(link.contextId)).emit('link:changed', { linkId: link.id, active: link.active, expiresAt: link.expiresAt });
  }

  /** Drops cached membership checks on this process's sockets. */
  private forget(match: (access: GroupAccess) => boolean): void {
    for (const socket of this.io.of('/').sockets.values()) {
      for (const [key, access] of socket.data.access ?? []) if (match(access)) socket.data.access.delete(key);
    }
  }
}
