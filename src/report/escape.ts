/**
 * Escaping for the two places report text lands: HTML (text and attribute values) and
 * JSON inside a `<script>` block. Everything taken from a trace or results file (backend
 * and model names, claim text, command lines) goes through one of these; a name like
 * `<script>` or `"><img onerror=...>` must print as text, never run.
 */

const htmlEscapes: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
  '`': '&#96;',
}

/** Escapes text for HTML element content and for quoted attribute values. */
export function escapeHtml(value: unknown): string {
  return String(value).replace(/[&<>"'`]/g, (ch) => htmlEscapes[ch] as string)
}

/**
 * JSON safe to place inside a `<script>` element: `<`, `>` and `&` become `\u003c`,
 * `\u003e`, `\u0026` (so `</script>` and `<!--` cannot appear), and U+2028/U+2029 are
 * escaped (raw, they end a line in older JavaScript parsers). The result is still valid
 * JSON and parses back to the same value.
 */
export function serializeJsonForScript(value: unknown): string {
  const json = JSON.stringify(value)
  if (json === undefined) throw new Error('internal: value is not serializable to JSON')
  return json.replace(/[<>&\u2028\u2029]/g, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`)
}

/**
 * Checks that a script's source can be inlined verbatim: inside `<script>`, the HTML
 * parser ends the element at `</script` and changes state at `<!--`, whatever the
 * JavaScript means. Library builds are inlined unchanged, so refuse rather than rewrite.
 */
export function assertInlineableScript(source: string, label: string): void {
  if (/<\/script/i.test(source) || source.includes('<!--')) {
    throw new Error(`internal: ${label} contains "</script" or "<!--" and cannot be inlined in a <script> element`)
  }
}

/** Markup that is already safe: built by `html` or `trustedHtml`, never from input text. */
export class SafeHtml {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value
  }
}

/** Marks a string of our own markup as safe. Never pass text from a file through this. */
export function trustedHtml(markup: string): SafeHtml {
  return new SafeHtml(markup)
}

/**
 * A template tag that escapes every interpolated value unless it is SafeHtml; arrays are
 * joined, each element treated the same way; null and undefined print nothing. Escaping is
 * the default, so forgetting it cannot inject markup.
 */
export function html(strings: TemplateStringsArray, ...values: unknown[]): SafeHtml {
  let out = strings[0] as string
  values.forEach((value, i) => {
    out += renderValue(value) + (strings[i + 1] as string)
  })
  return new SafeHtml(out)
}

function renderValue(value: unknown): string {
  if (value === null || value === undefined || value === false) return ''
  if (value instanceof SafeHtml) return value.value
  if (Array.isArray(value)) return value.map(renderValue).join('')
  return escapeHtml(value)
}
