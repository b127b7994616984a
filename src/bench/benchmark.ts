/** One benchmark: `run()` prints its own figures (to stdout) when `npm run bench` calls it. */
export interface Benchmark {
  name: string
  run(): Promise<void>
}
