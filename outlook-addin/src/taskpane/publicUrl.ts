import { publicUrlOf } from '../office/publicUrl.ts';

/** The ChatPro server that serves this page (and whose links the pane looks for). */
export const publicUrl = publicUrlOf(location.href);
