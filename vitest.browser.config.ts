import { defineConfig } from 'vitest/config';

// Real Chromium (Debian's /usr/bin/chromium, driven by playwright-core) against the real server.
// One file at a time: the lab test boots a VM, and the machine has two cores.
export default defineConfig({
  test: {
    include: ['test/browser/**/*.test.ts'],
    allowOnly: false,
    fileParallelism: false,
    testTimeout: 300_000,
    hookTimeout: 600_000,
  },
});
