import { defineConfig } from 'vitest/config';

// Fast tests: no VM, no browser. Recorded sandbox states live in test/fixtures.
export default defineConfig({
  test: { include: ['test/unit/**/*.test.ts'], allowOnly: false, testTimeout: 20_000 },
});
