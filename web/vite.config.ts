import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

/**
 * The dashboard's Vite config. `vite web` serves it with hot reload, proxying the API to a
 * running Hangar (HANGAR_URL, default http://127.0.0.1:7070); `vite build web` writes web/dist,
 * which the server serves at `/`. `npm start` builds it when
 * the sources changed (src/dashboard.ts, ensureDashboardBuilt).
 */
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  plugins: [react()],
  logLevel: 'warn',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    reportCompressedSize: false,
  },
  server: {
    proxy: {
      '/v1': { target: process.env.HANGAR_URL ?? 'http://127.0.0.1:7070' },
      '/openapi.json': { target: process.env.HANGAR_URL ?? 'http://127.0.0.1:7070' },
    },
  },
});
