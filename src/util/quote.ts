/**
 * File names in messages: a name may hold a newline or a terminal escape, which would forge an extra
 * `tintem: error:` line or rewrite the screen. Names with anything outside a plain set of characters are shown
 * JSON-quoted (control characters escaped), so every message stays the lines tintem meant to print.
 */
const PLAIN = /^[\p{L}\p{N} _@%+=:,./~()[\]{}#-]*$/u;

/** `name` as is when plain, else JSON-quoted with control characters escaped. */
export function quoteName(name: string): string {
  return PLAIN.test(name) ? name : JSON.stringify(name);
}

/** One line: control characters (newlines, escapes) in a message become visible escapes. */
export function oneLine(message: string): string {
  // eslint-disable-next-line no-control-regex
  return message.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (c) => (c === '\n' ? '\\n' : c === '\t' ? ' ' : `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`));
}
