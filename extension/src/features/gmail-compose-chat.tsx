/** Gmail: "Gestisci chat" in every compose window (new message, reply, forward, pop-out). */
import { watchComposeWindows } from '../compose/watchCompose.tsx';
import { isGmail } from '../hosts.ts';
import { gmail } from '../selectors.ts';
import type { Feature } from './types.ts';

export const gmailComposeChat: Feature = {
  name: 'gmail-compose-chat',
  include: (location) => isGmail(location.hostname),
  init: (ctx) => watchComposeWindows(ctx, gmail, 'gmail'),
};
