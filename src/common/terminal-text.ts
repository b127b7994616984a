/**
 * Makes text from files safe to print on a terminal: control characters (escape
 * sequences that move the cursor, clear the screen, retitle the window or hide text,
 * and carriage returns that overwrite a line) and bidirectional overrides (text that
 * reads differently from what it is) are shown as `\x1b`, `\u202e`, never sent as they
 * are. Newlines and tabs, which tracebench's own output uses, pass. Names, models and
 * descriptions from traces, backend files, claims files and results files reach the
 * terminal in tables and messages, so every line a command prints goes through this.
 */
// eslint-disable-next-line no-control-regex
const unsafe = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g

export function escapeControlChars(text: string): string {
  return text.replace(unsafe, (char) => {
    const code = char.charCodeAt(0)
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`
  })
}
