// Counts the code-health figures of issue 10 at a commit (default: the working
// tree): append and emit sites, `as` casts and non-null `!` by folder, and the
// ten largest source files. Method in docs/code-counts.md.
//   npx tsx scripts/code-counts.ts [REV]
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import ts from 'typescript';

const rev = process.argv[2] ?? null;
const git = (...args: string[]) => execFileSync('git', args, { encoding: 'utf8', maxBuffer: 1 << 28 });
const listed = rev ? git('ls-tree', '-r', '--name-only', rev) : git('ls-files');
const files = listed
  .split('\n')
  .filter((f) => /\.(ts|tsx|mts|cts)$/.test(f) && !f.endsWith('.d.ts') && !f.startsWith('src/generated/'));
const read = (file: string) => (rev ? git('show', `${rev}:${file}`) : readFileSync(file, 'utf8'));

type Folder = 'src' | 'plugins' | 'test' | 'web' | 'other';
const folderOf = (file: string): Folder => {
  const top = file.split('/')[0];
  return top === 'src' || top === 'plugins' || top === 'test' || top === 'web' ? top : 'other';
};

const casts: Record<Folder, number> = { src: 0, plugins: 0, test: 0, web: 0, other: 0 };
const nonNull: Record<Folder, number> = { src: 0, plugins: 0, test: 0, web: 0, other: 0 };
const sizes: Array<[string, number]> = [];
let appendSites = 0;
let emitSites = 0;

for (const file of files) {
  const text = read(file);
  const folder = folderOf(file);
  if (!file.includes('.test.') && !file.startsWith('test/')) sizes.push([file, text.split('\n').length]);
  if (folder === 'src') {
    for (const line of text.split('\n')) {
      if (/eventLog\.append\(/.test(line)) appendSites++;
      // Calls of emitX(...) or .emit(...), not their declarations.
      if (/\bemit[A-Z]\w*\(|\.emit\(/.test(line) && !/function emit/.test(line)) emitSites++;
    }
  }
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, file.endsWith('x') ? ts.ScriptKind.TSX : ts.ScriptKind.TS);
  const visit = (node: ts.Node): void => {
    if (ts.isAsExpression(node) || ts.isTypeAssertionExpression(node)) {
      // `as const` narrows, it does not assert: not counted.
      const isConst = ts.isTypeReferenceNode(node.type) && node.type.typeName.getText(source) === 'const';
      if (!isConst) casts[folder]++;
    } else if (ts.isNonNullExpression(node)) nonNull[folder]++;
    ts.forEachChild(node, visit);
  };
  visit(source);
}

sizes.sort((a, b) => b[1] - a[1]);
console.log(`at ${rev ?? 'working tree'}: ${files.length} TypeScript files`);
console.log(`eventLog.append sites (src): ${appendSites}`);
console.log(`emit sites (src): ${emitSites}`);
console.log(`as casts: ${Object.entries(casts).map(([k, v]) => `${k} ${v}`).join(' / ')}`);
console.log(`non-null !: ${Object.entries(nonNull).map(([k, v]) => `${k} ${v}`).join(' / ')} (test+plugins ${nonNull.test + nonNull.plugins})`);
console.log('ten largest source files (lines):');
for (const [file, lines] of sizes.slice(0, 10)) console.log(`  ${String(lines).padStart(5)}  ${file}`);
