import {Command} from '@oclif/core'
import {TracebenchError} from './errors.js'
import {ExitCode} from './exit-codes.js'
import {escapeControlChars} from './terminal-text.js'

/**
 * Base for every tracebench command: user errors (TracebenchError) are printed as one
 * clear line with their exit code and no stack trace; anything else is an internal error.
 */
export abstract class TracebenchCommand extends Command {
  /** Every line printed for people is escaped: names and values from files cannot drive the terminal. */
  override log(message = '', ...args: unknown[]): void {
    super.log(escapeControlChars(message), ...args.map((arg) => (typeof arg === 'string' ? escapeControlChars(arg) : arg)))
  }

  override logToStderr(message = '', ...args: unknown[]): void {
    super.logToStderr(escapeControlChars(message), ...args.map((arg) => (typeof arg === 'string' ? escapeControlChars(arg) : arg)))
  }

  protected override async catch(error: Error & {exitCode?: number; oclif?: {exit?: number}}): Promise<unknown> {
    if (error instanceof TracebenchError) {
      const hint = error.suggestions.length > 0 ? `\nHint: ${error.suggestions.join('\n      ')}` : ''
      if (this.jsonEnabled()) {
        this.logJson({error: {code: error.code, message: error.message, exitCode: error.exitCode}})
        this.exit(error.exitCode)
      }
      // An interruption is not an error of the user's: it says what was kept.
      this.logToStderr(`${error.exitCode === ExitCode.interrupted ? 'Interrupted' : 'Error'}: ${error.message}${hint}`)
      this.exit(error.exitCode)
    }
    // A custom flag's parse function threw: oclif prefixes "Parsing --flag" and rethrows the
    // original error, so it is a user error even when it is a plain Error.
    if (error.message.startsWith('Parsing --')) {
      this.logToStderr(`Error: ${error.message.replace(/\s*\n\s*/g, ' ').replace(/ See more help with --help$/, '')}`)
      this.exit(ExitCode.usage)
    }
    // oclif's own errors (flag parsing, this.error, this.exit) already carry an exit code.
    if (error.oclif !== undefined || typeof error.exitCode === 'number') return super.catch(error)
    if (process.env.TRACEBENCH_DEBUG === undefined) {
      this.logToStderr(`Internal error: ${error.message}\n(set TRACEBENCH_DEBUG=1 for a stack trace, and please report it)`)
      this.exit(ExitCode.internal)
    }
    return super.catch(error)
  }
}
