/**
 * report-data.json carries its own SHA-256 as its last key: `{...data,"sha256":"<hex of the text without it>"}`.
 * The text before the key plus the closing brace is exactly what was hashed, so verifying needs no
 * re-serialisation. report/write.ts seals, report/read.ts verifies; nothing else reads the file.
 */
import { UserError } from '../util/errors.js';
import { sha256 } from '../util/hash.js';

const TAIL = /,"sha256":"([0-9a-f]{64})"\}\s*$/;

/** The JSON text of an object with its checksum appended as the last key. */
export function sealJsonText(text: string): string {
  if (!text.endsWith('}') || text === '{}') throw new Error('sealJsonText: expected a non-empty JSON object');
  return `${text.slice(0, -1)},"sha256":"${sha256(text)}"}\n`;
}

/** The text as it was before sealing; a UserError naming `what` when the checksum is missing or wrong. */
export function unsealJsonText(text: string, what: string): string {
  const m = TAIL.exec(text);
  if (!m) throw new UserError(`${what}: no checksum (expected a file written by tintem; edited files are refused, re-create it with tintem demo / eval)`);
  const body = `${text.slice(0, m.index)}}`;
  if (sha256(body) !== m[1]) throw new UserError(`${what}: SHA-256 mismatch (damaged or edited); re-create it with tintem demo / eval`);
  return body;
}
