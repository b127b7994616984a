/**
 * Validators for the CI output formats, written from their documentation:
 * - Bencher Metric Format: https://bencher.dev/docs/reference/bencher-metric-format
 *   (JSON Schema https://bencher.dev/bmf.json: object -> object -> {value: number,
 *   lower_value?: number, upper_value?: number}, value required; benchmark names at most
 *   1024 characters, measure slugs at most 64).
 * - github-action-benchmark custom tools: an array of {name: string, unit: string,
 *   value: number, range?: string, extra?: string}.
 * Each returns the list of problems (empty when valid).
 */
export function validateBmf(data: unknown): string[] {
  const problems: string[] = []
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return ['top level: expected an object']
  for (const [benchmark, measures] of Object.entries(data)) {
    if (benchmark.length === 0 || benchmark.length > 1024) problems.push(`${benchmark}: benchmark name must be 1..1024 characters`)
    if (typeof measures !== 'object' || measures === null || Array.isArray(measures)) {
      problems.push(`${benchmark}: expected an object of measures`)
      continue
    }
    for (const [measure, metric] of Object.entries(measures as Record<string, unknown>)) {
      const where = `${benchmark}.${measure}`
      if (measure.length === 0 || measure.length > 64) problems.push(`${where}: measure slug must be 1..64 characters`)
      if (!/^[a-z0-9]+(-[a-z0-9]+)*$/.test(measure)) problems.push(`${where}: measure is not a kebab-case slug`)
      if (typeof metric !== 'object' || metric === null || Array.isArray(metric)) {
        problems.push(`${where}: expected {value}`)
        continue
      }
      const m = metric as Record<string, unknown>
      if (typeof m.value !== 'number' || !Number.isFinite(m.value)) problems.push(`${where}.value: expected a finite number`)
      for (const key of Object.keys(m)) {
        if (!['value', 'lower_value', 'upper_value'].includes(key)) problems.push(`${where}.${key}: not a BMF field`)
        else if (typeof m[key] !== 'number') problems.push(`${where}.${key}: expected a number`)
      }
    }
  }
  return problems
}

export function validateGithubBenchmark(data: unknown): string[] {
  if (!Array.isArray(data)) return ['top level: expected an array']
  const problems: string[] = []
  data.forEach((entry: unknown, i) => {
    if (typeof entry !== 'object' || entry === null) {
      problems.push(`[${i}]: expected an object`)
      return
    }
    const e = entry as Record<string, unknown>
    if (typeof e.name !== 'string' || e.name === '') problems.push(`[${i}].name: expected a non-empty string`)
    if (typeof e.unit !== 'string') problems.push(`[${i}].unit: expected a string`)
    if (typeof e.value !== 'number' || !Number.isFinite(e.value)) problems.push(`[${i}].value: expected a finite number`)
    if (e.range !== undefined && typeof e.range !== 'string') problems.push(`[${i}].range: expected a string`)
    if (e.extra !== undefined && typeof e.extra !== 'string') problems.push(`[${i}].extra: expected a string`)
  })
  return problems
}
