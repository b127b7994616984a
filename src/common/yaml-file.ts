import {LineCounter, parseDocument, type Document} from 'yaml'
import {ConfigError} from './errors.js'

/** Alias expansions allowed when a document becomes data: plenty for hand-written files, too few for an alias bomb. */
const maxAliasCount = 1000

export interface ParsedYaml {
  document: Document
  lineCounter: LineCounter
  /** The document as plain data (null for an empty file). */
  value: unknown
}

/**
 * Parses a YAML file a user edits (catalog, backend, endpoint, claims), the one way: a
 * syntax error names the file and its line, and aliases that expand without bound (a
 * "billion laughs" alias bomb) are refused instead of exhausting memory.
 */
export function parseYamlFile(text: string, file: string): ParsedYaml {
  const lineCounter = new LineCounter()
  const document = parseDocument(text, {prettyErrors: false, lineCounter})
  if (document.errors.length > 0) {
    const first = document.errors[0]!
    const line = first.linePos?.[0]?.line ?? (first.pos === undefined ? undefined : lineCounter.linePos(first.pos[0]).line)
    throw new ConfigError(`${file}${line === undefined ? '' : `:${line}`}: invalid YAML: ${first.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')}`)
  }
  let value: unknown
  try {
    value = document.toJS({maxAliasCount})
  } catch (error) {
    if (/alias/i.test((error as Error).message)) {
      throw new ConfigError(`${file}: invalid YAML: its aliases (*name) expand to more than ${maxAliasCount} copies, as an alias bomb does; write the values out or use fewer aliases`)
    }
    throw new ConfigError(`${file}: invalid YAML: ${(error as Error).message}`)
  }
  return {document, lineCounter, value}
}
