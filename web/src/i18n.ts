import { useEffect, useState } from 'preact/hooks';
import { t as translate, type Locale, type MessageKey } from '@chatpro/common/i18n';

const KEY = 'chatpro.locale';

/** Italian by default; English when the person chose it (remembered in this browser). */
export function initialLocale(): Locale {
  try {
    return localStorage.getItem(KEY) === 'en' ? 'en' : 'it';
  } catch {
    return 'it';
  }
}

export function useLocale() {
  const [locale, setLocale] = useState<Locale>(initialLocale);
  useEffect(() => {
    document.documentElement.lang = locale;
    try {
      localStorage.setItem(KEY, locale);
    } catch {
      /* private mode: the choice lasts for this page only */
    }
  }, [locale]);
  const t = (key: MessageKey, params?: Record<string, string>) => translate(locale, key, params);
  return { locale, setLocale, t };
}

export type Translate = ReturnType<typeof useLocale>['t'];
