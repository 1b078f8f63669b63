/**
 * Signed tokens of the emails (reply addresses, unsubscribe links): the id of a group member and
 * an HMAC of it, for one purpose each, so that a token made for one use is refused by another.
 * Lowercase hex only: mail systems may change the case of an address.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export type TokenPurpose = 'reply' | 'unsubscribe';

const UUID_HEX = /^[0-9a-f]{32}$/;

export const uuidToHex = (uuid: string) => uuid.replace(/-/g, '').toLowerCase();
export const hexToUuid = (hex: string) => `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;

function mac(secret: string, purpose: TokenPurpose, idHex: string, length: number): string {
  return createHmac('sha256', secret).update(`chatpro:${purpose}:${idHex}`).digest('hex').slice(0, length);
}

/** `<id as 32 hex>.<signature>` */
export function signId(secret: string, purpose: TokenPurpose, uuid: string, length: number): string {
  const hex = uuidToHex(uuid);
  return `${hex}.${mac(secret, purpose, hex, length)}`;
}

/** The UUID inside a token whose signature is right, or null. */
export function verifyId(secret: string, purpose: TokenPurpose, token: string, length: number): string | null {
  const match = /^([0-9a-f]{32})\.([0-9a-f]+)$/.exec(token.toLowerCase());
  if (!match || !UUID_HEX.test(match[1]!) || match[2]!.length !== length) return null;
  const expected = Buffer.from(mac(secret, purpose, match[1]!, length));
  const given = Buffer.from(match[2]!);
  return timingSafeEqual(expected, given) ? hexToUuid(match[1]!) : null;
}
