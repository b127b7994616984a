import {z} from 'zod'

/**
 * zod field builders shared by every YAML file a user edits (catalogs, backends,
 * claims), so that they all speak the same way: "missing (required)" or
 * `expected a positive integer, got "four"`.
 */

/** How a wrong value is shown in a message: strings quoted, containers named. */
export function describeInput(input: unknown): string {
  if (input === undefined) return 'nothing'
  if (typeof input === 'string') return JSON.stringify(input)
  if (typeof input === 'number' || typeof input === 'boolean' || input === null) return String(input)
  if (Array.isArray(input)) return 'a list'
  return 'a mapping'
}

/** A zod error callback: "missing (required)" when absent, else "expected WHAT, got VALUE". */
export function missingOr(what: string) {
  return (issue: {input?: unknown}) => (issue.input === undefined ? 'missing (required)' : `expected ${what}, got ${describeInput(issue.input)}`)
}

/** Non-empty text. */
export const text = () => z.string({error: missingOr('text')}).min(1, {error: 'expected non-empty text'})

export const positiveInt = () =>
  z
    .number({error: missingOr('a positive integer')})
    .int({error: (issue) => `expected a positive integer, got ${describeInput(issue.input)}`})
    .positive({error: (issue) => `expected a positive integer, got ${describeInput(issue.input)}`})

/** A number in [0, 1]. */
export const unitFraction = () =>
  z
    .number({error: missingOr('a fraction in [0, 1]')})
    .min(0, {error: (issue) => `expected a fraction in [0, 1], got ${describeInput(issue.input)}`})
    .max(1, {error: (issue) => `expected a fraction in [0, 1], got ${describeInput(issue.input)}`})

/** One of a fixed list of names. */
export const oneOf = <T extends string>(values: readonly T[]) =>
  z.enum(values as [T, ...T[]], {error: (issue) => `expected one of ${values.join(', ')}, got ${describeInput(issue.input)}`})
