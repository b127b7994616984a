import {TracebenchError} from '../common/errors.js'

/**
 * What a run does when its output folder already holds a run of the same kind (an
 * index.json, a capacity.json, a claims.json): refuse (the default, so nothing is mixed
 * or lost by accident), resume it (keep its finished points, run the rest, only when it
 * was started with the same specification), or overwrite it (remove the files it lists,
 * then start clean). Old and new points are never listed in one index.
 */
export type ExistingOutputMode = 'refuse' | 'resume' | 'overwrite'

/** The refusal when a folder already holds a run and neither --resume nor --overwrite was given. */
export function existingRunError(file: string, what: string): TracebenchError {
  return new TracebenchError(`${file} already holds ${what}; --resume keeps its finished points and runs the rest, --overwrite starts again`, {
    code: 'OUTPUT_EXISTS',
  })
}
