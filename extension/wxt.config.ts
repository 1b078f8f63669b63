import preact from '@preact/preset-vite';
import { defineConfig } from 'wxt';
import { MAIL_MATCHES } from './src/hosts.ts';

/**
 * Chrome (MV3) and Firefox builds of the ChatPro extension. Permissions are the fewest that
 * work: storage (server address, token, drafts), alarms (polling fallback of the badge), the mail
 * sites through the content script's matches, the local server by default, and any other
 * server only when the user configures it (optional host permission, asked on save).
 */
export default defineConfig({
  modules: ['@wxt-dev/webextension-polyfill'],
  imports: false,
  outDir: '.output',
  manifest: ({ browser }) => ({
    name: 'ChatPro',
    description: 'Clicca qui per discuterne: chat esterna ChatPro dalle email di Gmail e Outlook, e condivisione su WhatsApp Web.',
    permissions: ['storage', 'alarms'],
    host_permissions: ['http://localhost/*', 'http://127.0.0.1/*', ...MAIL_MATCHES],
    optional_host_permissions: ['https://*/*', 'http://*/*'],
    web_accessible_resources: [{ resources: ['connected.html'], matches: ['<all_urls>'] }],
    // MV2 (Firefox) has no optional_host_permissions: origins go in optional_permissions.
    ...(browser === 'firefox' ? { optional_permissions: ['https://*/*', 'http://*/*'] } : {}),
    ...(browser === 'firefox' ? { browser_specific_settings: { gecko: { id: 'chatpro@tweppy.invalid', strict_min_version: '115.0', data_collection_permissions: { required: ['personalCommunications', 'authenticationInfo'] } } } } : {}),
  }),
  vite: () => ({ plugins: [preact()] }),
});
