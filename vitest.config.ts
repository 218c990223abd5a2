import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    // A safety net for a hung test, not a measure: on two loaded cores one kill-and-resume chain
    // (nine commands, each starting Node and Python) took over 60 s. Tests wait on events.
    testTimeout: 240_000,
    hookTimeout: 240_000,
    // Tests start real Python processes; two cores are shared by everything.
    maxWorkers: 2,
  },
});
