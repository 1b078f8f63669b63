import { resolve } from 'node:path';
import preact from '@preact/preset-vite';
import { defineConfig } from 'vite';

const page = (name: string) => resolve(import.meta.dirname, `${name}.html`);

/** The add-in's pages, served by the ChatPro server under /addins/outlook/. */
export default defineConfig({
  base: '/addins/outlook/',
  plugins: [preact()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    rollupOptions: {
      input: { taskpane: page('taskpane'), commands: page('commands'), signin: page('signin'), 'signed-in': page('signed-in') },
    },
  },
  server: { proxy: { '/api': 'http://localhost:3000', '/auth': 'http://localhost:3000', '/socket.io': { target: 'ws://localhost:3000', ws: true } } },
});
