import type { LinkDto, MeDto } from '@chatpro/common';
import type { ChatProApi } from '../office/chatpro.ts';

const URL_ = 'https://chat.tweppy.example/c/Vq3b7XgH2kLmN9pQrStUvW';

/** A ChatPro server stand-in that records the chats it was asked to create. */
export function fakeChatPro(me: MeDto['kind'] = 'internal'): ChatProApi & { created: { subject: string; bodyHtml: string }[] } {
  const created: { subject: string; bodyHtml: string }[] = [];
  return {
    created,
    me: async () =>
      me === 'internal'
        ? { kind: 'internal', user: { id: 'u1', email: 'piero@tweppy.example', name: 'Piero' }, organisation: { id: 'o1', name: 'Tweppy' } }
        : { kind: 'anonymous' },
    createEmailChat: async (input) => {
      created.push(input);
      return { contextId: 'ctx-1', link: { url: URL_, token: 'Vq3b7XgH2kLmN9pQrStUvW' } as LinkDto };
    },
  };
}
