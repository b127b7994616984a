import {BaseSequencer, type TestSpecification} from 'vitest/node'
import {defineConfig} from 'vitest/config'

/**
 * Test files that run the CLI end to end and take most of the suite's time. Without a
 * results cache (every CI run, and any first run after `npm ci`), vitest orders files
 * by size, which starts these small files last: the longest test then runs at the end,
 * contended by whatever else is still running, and the suite waits for it. Starting
 * them first lets the short files fill the other worker around them.
 */
const longRunning = ['test/claims/claims-command.test.ts', 'test/traces/cli.test.ts', 'test/parallel/commands.test.ts', 'test/cost/cli.test.ts']

class LongestFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files)
    const rank = (spec: TestSpecification): number => {
      const index = longRunning.findIndex((name) => spec.moduleId.endsWith(name))
      return index === -1 ? longRunning.length : index
    }
    return sorted.map((spec, order) => ({spec, order})).sort((a, b) => rank(a.spec) - rank(b.spec) || a.order - b.order).map(({spec}) => spec)
  }
}

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Two-core CI machines: keep the pool small so CPU-heavy simulation tests do not starve.
    maxWorkers: 2,
    sequence: {sequencer: LongestFirstSequencer},
  },
})
