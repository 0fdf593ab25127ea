/**
 * docs/config.md, rendered from the config schema and the method and teacher registries (`npm run docs`
 * rewrites it; a test fails when it is out of date), so the documented keys, defaults, methods and teachers
 * are the ones the code uses.
 */
import { baseConfigRows, methodConfigRows, type ConfigKeyRow } from '../config/describe.js';
import { methodEntries } from '../methods/registry.js';
import { studentKinds, studentPresets } from '../students/registry.js';
import { dataSourceEntries } from '../data/registry.js';
import { teacherEntries } from '../teachers/registry.js';
import { distillRegistries } from '../training/config.js';

const cell = (s: string) => s.replace(/\|/g, '\\|');
const code = (s: string) => (s === '' ? '' : `\`${s}\``);

function table(rows: ConfigKeyRow[]): string[] {
  return ['| key | default | meaning |', '| --- | --- | --- |', ...rows.map((r) => `| \`${r.key}\` | ${cell(code(r.default))} | ${cell(r.help)} |`)];
}

export function configDocsMarkdown(): string {
  const out = [
    '# Distill config reference',
    '',
    '<!-- Generated from src/config/schema.ts, src/data/registry.ts, src/methods/registry.ts, src/teachers/registry.ts and src/students/registry.ts by `npm run docs`; do not edit. -->',
    '',
    'Every key of a `tintem distill` config (YAML or JSON file, `--set key=value`, or the flags of `tintem distill --help`).',
    'Every key is optional; unknown keys, and options the chosen method does not take, are errors before any data is read.',
    '',
    '## Teachers',
    '',
    '| spec | what it is |',
    '| --- | --- |',
    ...teacherEntries().map((t) => `| \`${t.usage}\` | ${cell(t.summary)} |`),
    '',
    '## Data sources',
    '',
    '`data.train`, `data.test`, `--data`, `--train`, `--test` and `--ood` take a data-source spec.',
    '',
    '| spec | what it is | decoded again at the teacher\'s resolution | test split |',
    '| --- | --- | --- | --- |',
    ...dataSourceEntries().map((d) => `| ${cell(`\`${d.usage}\``)} | ${cell(d.summary)} | ${d.redecodable ? 'yes' : 'no'} | ${d.testSplit?.('train') ? `${d.name}:train -> ${d.testSplit('train')!}` : '-'} |`),
    '',
    '## Students',
    '',
    '`student: <name>`, `--student <name>`, or `student: { preset: <name>, ...keys }` with any key of its kind overridden.',
    '',
    '| name | what it is | reference | kind: keys |',
    '| --- | --- | --- | --- |',
    ...studentPresets.entries().map((p) => `| \`${p.name}\` | ${cell(p.summary)} | ${cell(p.reference ?? "tintem's own")} | \`${p.kind}\`: ${studentKinds.get(p.kind, 'docs').keys.join(', ')} |`),
    '',
    '## Methods',
    '',
    '| `method.name` | what it does | loss terms (`method.weights.*`, default weight) |',
    '| --- | --- | --- |',
    ...methodEntries().map((m) => `| \`${m.name}\` | ${cell(m.summary)} | ${Object.entries(m.terms).map(([k, t]) => `\`${k}\` ${t.weight}`).join(', ')} |`),
    '',
    '## General keys',
    '',
    ...table(baseConfigRows(distillRegistries)),
  ];
  for (const m of methodEntries()) out.push('', `## Method \`${m.name}\``, '', m.summary, '', ...table(methodConfigRows(distillRegistries, m.name)));
  return `${out.join('\n')}\n`;
}
