/**
 * Derivative-free minimisation (Nelder-Mead simplex) for fitting a handful of cost-model
 * constants: the roofline has max() kinks, so gradient methods are a poor fit. Deterministic:
 * the same start gives the same answer.
 */
export interface MinimizeOptions {
  /** Initial simplex step per parameter (default 10 % of the start value, or 0.1). */
  steps?: number[]
  maxIterations?: number
  /** Stop when the simplex's function values differ by less than this. */
  tolerance?: number
}

export function minimizeNelderMead(objective: (x: number[]) => number, start: number[], options: MinimizeOptions = {}): {x: number[]; value: number; iterations: number} {
  const dimension = start.length
  const maxIterations = options.maxIterations ?? 2000
  const tolerance = options.tolerance ?? 1e-10
  const steps = options.steps ?? start.map((value) => (value === 0 ? 0.1 : Math.abs(value) * 0.1))
  let simplex: Array<{x: number[]; value: number}> = [{x: [...start], value: objective(start)}]
  for (let index = 0; index < dimension; index++) {
    const x = [...start]
    x[index] = x[index]! + steps[index]!
    simplex.push({x, value: objective(x)})
  }
  let iterations = 0
  for (; iterations < maxIterations; iterations++) {
    simplex.sort((a, b) => a.value - b.value)
    const best = simplex[0]!
    const worst = simplex[dimension]!
    if (Math.abs(worst.value - best.value) < tolerance) break
    const centroid = new Array<number>(dimension).fill(0)
    for (let vertex = 0; vertex < dimension; vertex++) {
      for (let index = 0; index < dimension; index++) centroid[index]! += simplex[vertex]!.x[index]! / dimension
    }
    const along = (factor: number) => centroid.map((value, index) => value + factor * (worst.x[index]! - value))
    const reflected = along(-1)
    const reflectedValue = objective(reflected)
    if (reflectedValue < best.value) {
      const expanded = along(-2)
      const expandedValue = objective(expanded)
      simplex[dimension] = expandedValue < reflectedValue ? {x: expanded, value: expandedValue} : {x: reflected, value: reflectedValue}
      continue
    }
    if (reflectedValue < simplex[dimension - 1]!.value) {
      simplex[dimension] = {x: reflected, value: reflectedValue}
      continue
    }
    const contracted = along(reflectedValue < worst.value ? -0.5 : 0.5)
    const contractedValue = objective(contracted)
    if (contractedValue < Math.min(worst.value, reflectedValue)) {
      simplex[dimension] = {x: contracted, value: contractedValue}
      continue
    }
    simplex = simplex.map((vertex, index) => {
      if (index === 0) return vertex
      const x = vertex.x.map((value, position) => best.x[position]! + 0.5 * (value - best.x[position]!))
      return {x, value: objective(x)}
    })
  }
  simplex.sort((a, b) => a.value - b.value)
  return {x: simplex[0]!.x, value: simplex[0]!.value, iterations}
}
