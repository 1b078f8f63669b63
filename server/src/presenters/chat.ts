import type { AuthorDto, GroupDto, LinkDto, MemberDto, MessageDto } from '@chatpro/common';
import type { attachments, chatLinks, groups, messages } from '../db/schema.ts';
import { presentAttachment } from './index.ts';

export type MessageRow = typeof messages.$inferSelect;
export type GroupRow = typeof groups.$inferSelect;
export type LinkRow = typeof chatLinks.$inferSelect;

export function presentMessage(m: MessageRow, author: AuthorDto, files: (typeof attachments.$inferSelect)[] = []): MessageDto {
  return {
    id: m.id,
    groupId: m.groupId,
    seq: m.seq,
    clientId: m.clientId,
    author,
    body: m.body,
    attachments: files.map(presentAttachment),
    createdAt: m.createdAt.toISOString(),
  };
}

export function presentGroup(g: GroupRow, members: MemberDto[]): GroupDto {
  return {
    id: g.id,
    contextId: g.contextId,
    kind: g.kind,
    name: g.name,
    lastSeq: g.lastSeq,
    members,
    createdAt: g.createdAt.toISOString(),
  };
}

export const isLinkActive = (l: Pick<LinkRow, 'expiresAt'>, now = Date.now()) => now < l.expiresAt.getTime();

export function presentLink(l: LinkRow, notifyUserIds: string[], publicUrl: string): LinkDto {
  return {
    id: l.id,
    token: l.token,
    url: `${publicUrl}/c/${l.token}`,
    contextId: l.contextId,
    templateId: l.templateId,
    subject: l.subject,
    showBody: l.showBody,
    expiresAt: l.expiresAt.toISOString(),
    active: isLinkActive(l),
    notifyUserIds,
    createdAt: l.createdAt.toISOString(),
    updatedAt: l.updatedAt.toISOString(),
  };
}
