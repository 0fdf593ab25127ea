#!/usr/bin/env node
// Runs every test/**/*.test.ts with node's built-in test runner (TypeScript via tsx).
// Usage: npm test [-- <filter substring>...]
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { spawnSync } from 'node:child_process';

function find(dir) {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? find(p) : p.endsWith('.test.ts') ? [p] : [];
  });
}
const filters = process.argv.slice(2);
const files = find('test').filter((f) => filters.length === 0 || filters.some((s) => f.includes(s))).sort();
if (files.length === 0) { console.error(`no test files match ${filters.join(' ')}`); process.exit(1); }
const r = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=spec', ...files.map((f) => relative('.', f))], {
  stdio: 'inherit', env: { ...process.env, TINTEM_QUIET_BACKEND: process.env.TINTEM_QUIET_BACKEND ?? '' },
});
process.exit(r.status ?? 1);
