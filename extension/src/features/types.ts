import type { ContentScriptContext } from 'wxt/utils/content-script-context';

/** One feature of the content script: where it applies and how it starts. */
export interface Feature {
  /** Kebab-case, the same as its file name: what the log says when it fails. */
  name: string;
  include: (location: Location) => boolean;
  init: (ctx: ContentScriptContext) => void | Promise<void>;
}
