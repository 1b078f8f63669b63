/**
 * The event objects Google posts to an HTTP add-on's endpoints, checked with zod. Google adds
 * fields over time, so objects are loose; what we read is typed and bounded.
 */
import { z } from 'zod';

const Id = z.string().min(1).max(200).regex(/^[A-Za-z0-9_:-]+$/, 'is not a Gmail id');

const StringInputs = z.looseObject({ stringInputs: z.looseObject({ value: z.array(z.string().max(20_000)).max(50) }).optional() });

export const AddonEvent = z.looseObject({
  commonEventObject: z
    .looseObject({
      hostApp: z.string().max(40).optional(),
      platform: z.string().max(40).optional(),
      userLocale: z.string().max(35).optional(),
      timeZone: z.looseObject({ id: z.string().max(64).optional(), offset: z.number().optional() }).optional(),
      parameters: z.record(z.string().max(100), z.string().max(2000)).optional(),
      formInputs: z.record(z.string().max(100), StringInputs).optional(),
    })
    .default({}),
  authorizationEventObject: z.looseObject({
    userOAuthToken: z.string().min(1).max(4096).optional(),
    userIdToken: z.string().min(1).max(8192),
    systemIdToken: z.string().max(8192).optional(),
  }),
  gmail: z
    .looseObject({
      messageId: Id.optional(),
      threadId: Id.optional(),
      draftId: Id.optional(),
      accessToken: z.string().min(1).max(4096).optional(),
      /** Present with `draftAccess: METADATA` only. */
      subject: z.string().max(2000).optional(),
      toRecipients: z.array(z.string().max(320)).max(500).optional(),
      ccRecipients: z.array(z.string().max(320)).max(500).optional(),
    })
    .optional(),
});
export type AddonEvent = z.infer<typeof AddonEvent>;

export type CardLocale = 'it' | 'en';

/** Italian by default, English when Gmail's user locale is English. */
export const localeOf = (event: AddonEvent): CardLocale => (/^en\b/i.test(event.commonEventObject.userLocale ?? '') ? 'en' : 'it');

export function timeZoneOf(event: AddonEvent): string {
  const id = event.commonEventObject.timeZone?.id;
  if (id) {
    try {
      new Intl.DateTimeFormat('en', { timeZone: id });
      return id;
    } catch {
      // Fall through to the organisation's zone.
    }
  }
  return 'Europe/Rome';
}

export const parameter = (event: AddonEvent, key: string): string | undefined => event.commonEventObject.parameters?.[key];

export const formInput = (event: AddonEvent, name: string): string => event.commonEventObject.formInputs?.[name]?.stringInputs?.value[0] ?? '';
