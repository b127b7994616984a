import {defineConfig} from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Two-core CI machines: keep the pool small so CPU-heavy simulation tests do not starve.
    maxWorkers: 2,
  },
})
