import { resolve } from 'node:path';
import { defineConfig } from 'vite';
import { DEFAULT_PUBLIC_URL } from './manifest/render.ts';

/**
 * commands.js for classic Outlook on Windows, whose event runtime runs one plain script (no
 * HTML page, no ES modules): the same function file bundled as a single IIFE.
 */
export default defineConfig({
  define: { __CHATPRO_PUBLIC_URL__: JSON.stringify((process.env.CHATPRO_PUBLIC_URL ?? DEFAULT_PUBLIC_URL).replace(/\/+$/, '')) },
  build: {
    outDir: 'dist',
    emptyOutDir: false,
    copyPublicDir: false,
    lib: { entry: resolve(import.meta.dirname, 'src/commands/commands.ts'), formats: ['iife'], name: 'ChatProCommands', fileName: () => 'commands.js' },
  },
});
