/** Last page of the sign-in dialog: tells the task pane (or the command) that the session is ready. */
import { SIGNED_IN } from '../office/dialog.ts';
import { officeReady } from '../office/ready.ts';

void officeReady().then(() => Office.context.ui.messageParent(JSON.stringify(SIGNED_IN)));
