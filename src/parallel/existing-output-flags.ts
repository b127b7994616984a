import {Flags} from '@oclif/core'
import type {ExistingOutputMode} from './existing-output.js'

/** --resume and --overwrite, for the commands that fill an output folder (sweep, capacity, claims). */
export const existingOutputFlags = {
  resume: Flags.boolean({
    description: 'the output folder holds an interrupted or finished run of the same command: keep its finished points and run only the rest',
    exclusive: ['overwrite'],
  }),
  overwrite: Flags.boolean({
    description: 'the output folder holds an earlier run: remove the files it lists and start again',
    exclusive: ['resume'],
  }),
}

export function existingOutputMode(flags: {resume: boolean; overwrite: boolean}): ExistingOutputMode {
  return flags.resume ? 'resume' : flags.overwrite ? 'overwrite' : 'refuse'
}

