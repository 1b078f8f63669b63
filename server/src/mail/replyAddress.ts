/**
 * The reply-by-email address of a guest in a group: `reply+<member>.<signature>@<domain>`, where
 * <member> is the group membership (so it names both the group and the guest) and the signature
 * an HMAC that nobody without MAIL_SECRET can make. The local part stays within the 64
 * characters that RFC 5321 allows (two UUIDs and a signature would not).
 */
import { signId, verifyId } from './signing.ts';

/** 80 bits: guessing one means 2^80 tries against a listener that answers each with an error. */
const SIG_LENGTH = 20;
const PREFIX = 'reply+';

export function replyAddress(secret: string, domain: string, memberId: string): string {
  return `${PREFIX}${signId(secret, 'reply', memberId, SIG_LENGTH)}@${domain.toLowerCase()}`;
}

/** The member id of a well-signed reply address on our domain; null for anything else. */
export function parseReplyAddress(secret: string, domain: string, address: string): string | null {
  const at = address.lastIndexOf('@');
  if (at < 0) return null;
  const local = address.slice(0, at).toLowerCase();
  const host = address.slice(at + 1).toLowerCase().replace(/\.$/, '');
  if (host !== domain.toLowerCase() || !local.startsWith(PREFIX)) return null;
  return verifyId(secret, 'reply', local.slice(PREFIX.length), SIG_LENGTH);
}
