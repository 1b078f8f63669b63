/** The ChatPro server calls of the add-in. Pages are served by the server, so cookies come along. */
import type { ContextDto, LinkDto, MeDto } from '@chatpro/common';
import { api } from '@chatpro/web/api';

export interface ChatProApi {
  me(): Promise<MeDto>;
  /** A new email context with an active ChatPro link ("Attiva conversazione esterna"). */
  createEmailChat(input: { subject: string; bodyHtml: string }): Promise<{ contextId: string; link: LinkDto }>;
}

export function chatProApi(publicUrl: string): ChatProApi {
  return {
    me: () => api<MeDto>(`${publicUrl}/api/me`),
    async createEmailChat(input) {
      const context = await api<ContextDto>(`${publicUrl}/api/contexts`, { method: 'POST', body: JSON.stringify({ kind: 'email', ...input }) });
      const link = await api<LinkDto>(`${publicUrl}/api/contexts/${context.id}/links`, { method: 'POST', body: JSON.stringify({ showBody: true }) });
      return { contextId: context.id, link };
    },
  };
}
