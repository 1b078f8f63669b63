/**
 * Contracts of the emails sent from the workspace: a context's email with the chat button, and
 * an event's invitation. The server validates the bodies with these schemas.
 */
import { z } from 'zod';
import { Uuid } from './api.ts';
import { MAX_BODY_HTML_LENGTH, MAX_SUBJECT_LENGTH } from './constants.ts';

const EmailAddress = z.email({ error: 'must be an email address' }).max(320);
const Recipients = z.array(EmailAddress).max(100);

/**
 * Sends the context's email. Every field defaults to the context's own; `linkId` names the
 * ChatPro link whose "Clicca qui per discuterne" button goes into the email.
 */
export const SendContextEmail = z.strictObject({
  to: Recipients.optional(),
  cc: Recipients.optional(),
  subject: z.string().trim().min(1).max(MAX_SUBJECT_LENGTH).optional(),
  html: z.string().max(MAX_BODY_HTML_LENGTH).optional(),
  linkId: Uuid.optional(),
});
export type SendContextEmail = z.infer<typeof SendContextEmail>;

/** Sends an event's invitation (iCalendar REQUEST) to its attendees, with the link's chat in it. */
export const SendInvitation = z.strictObject({
  linkId: Uuid.optional(),
  /** Extra attendees for this sending; the event's own attendees are always invited. */
  attendees: Recipients.optional(),
});
export type SendInvitation = z.infer<typeof SendInvitation>;

export interface MailSentDto {
  messageId: string;
  accepted: string[];
  rejected: string[];
  /** The chat link the email carries, when it has one. */
  chatUrl: string | null;
}
