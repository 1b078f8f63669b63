export * from './constants.ts';
export * from './errors.ts';
export * from './api.ts';
export * from './i18n.ts';
export * from './chat.ts';
export * from './emailButton.ts';
export * from './mail.ts';
