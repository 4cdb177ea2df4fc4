import { defineConfig } from 'vitest/config';

// Tests against real VMs (QEMU, TCG here). Files run one after another: the machine has two cores.
export default defineConfig({
  test: {
    include: ['test/sandbox/**/*.test.ts'],
    allowOnly: false,
    fileParallelism: false,
    testTimeout: 300_000,
    hookTimeout: 600_000,
  },
});
