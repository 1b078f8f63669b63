/** Outlook on the web: "Gestisci chat" in every compose window (new, reply, pop-out). */
import { watchComposeWindows } from '../compose/watchCompose.tsx';
import { isOutlook } from '../hosts.ts';
import { outlook } from '../selectors.ts';
import type { Feature } from './types.ts';

export const outlookComposeChat: Feature = {
  name: 'outlook-compose-chat',
  include: (location) => isOutlook(location.hostname),
  init: (ctx) => watchComposeWindows(ctx, outlook, 'outlook'),
};
