import { defineConfig } from 'vite';

// The web app lives in web/ and is built to dist/, which `dockerlab serve` serves. In development,
// `vite` proxies the API and the terminal sockets to a server on :8080 (start it with
// DOCKERLAB_ORIGINS=http://localhost:5173 so the sockets' origin is allowed).
export default defineConfig({
  root: 'web',
  base: './',
  build: { outDir: '../dist', emptyOutDir: true, chunkSizeWarningLimit: 1500 },
  server: {
    proxy: {
      '/api': 'http://localhost:8080',
      '/preview': 'http://localhost:8080',
      '/ws': { target: 'ws://localhost:8080', ws: true },
    },
  },
});
