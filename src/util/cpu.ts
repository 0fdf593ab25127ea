/** The CPU's feature flags, read once from /proc/cpuinfo (the bf16 training switch and the int8 writers ask it). */
import { readFileSync } from 'node:fs';

/** The CPU flags line of /proc/cpuinfo ('' where there is none); `cpuinfo` replaces the file (tests). */
export function cpuFlags(cpuinfo?: string): string[] {
  let text = cpuinfo;
  if (text === undefined) {
    try { text = readFileSync('/proc/cpuinfo', 'utf8').slice(0, 1 << 20); } catch { text = ''; }
  }
  return (/^flags\s*:\s*(.*)$/m.exec(text)?.[1] ?? '').trim().split(/\s+/).filter(Boolean);
}
