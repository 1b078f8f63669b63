/**
 * The one place where features are registered. Each runs on its own: one that throws is logged
 * with its name and never stops the others or the host page.
 */
import type { ContentScriptContext } from 'wxt/utils/content-script-context';
import { gmailComposeChat } from './gmail-compose-chat.tsx';
import { outlookComposeChat } from './outlook-compose-chat.tsx';
import type { Feature } from './types.ts';

export const features: Feature[] = [gmailComposeChat, outlookComposeChat];

export async function runFeatures(ctx: ContentScriptContext, location: Location, list: Feature[] = features): Promise<string[]> {
  const started: string[] = [];
  for (const feature of list) {
    try {
      if (!feature.include(location)) continue;
      await feature.init(ctx);
      started.push(feature.name);
    } catch (err) {
      console.error(`ChatPro: feature ${feature.name} failed`, err);
    }
  }
  return started;
}
