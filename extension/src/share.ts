/** Sharing a ChatPro link: WhatsApp Web, where the user picks the chat. */
export const WHATSAPP_SEND = 'https://web.whatsapp.com/send';

export function whatsappShareUrl(subject: string, url: string): string {
  const text = subject.trim() ? `${subject.trim()}\n${url}` : url;
  return `${WHATSAPP_SEND}?text=${encodeURIComponent(text)}`;
}
