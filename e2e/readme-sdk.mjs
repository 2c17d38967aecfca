// Type-checks the README's JS SDK examples (the ```js blocks of every
// section whose heading names the SDK) against pb_public/js/madang-types.d.ts,
// as the web client's JSDoc is checked (pb_public/jsconfig.json), so an
// example that no longer fits the generated types fails ./test.sh.
// Run: node e2e/readme-sdk.mjs
// Each section's blocks are one module, placed (in memory only) in
// pb_public/js beside the types, so `import('./madang-types')` resolves; the
// names an example takes from its surroundings are declared below.
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const jsDir = join(root, 'pb_public', 'js');

// What the examples leave to the reader's code.
const globals = `import type { TypedPocketBase } from './madang-types';
declare global {
  const PocketBase: new (url: string) => TypedPocketBase;
  const pb: TypedPocketBase;
  const boardId: string;
  const file: File;
  function show(action: string, record: unknown): void;
  function showTyping(name: string): void;
  function render(value: unknown): void;
}
export {};
`;

function sections(markdown) {
  const out = [];
  let current = null;
  let block = null;
  markdown.split('\n').forEach((line, i) => {
    if (block) {
      if (line.startsWith('```')) {
        current.code.push(block.join('\n'));
        block = null;
      } else block.push(line);
      return;
    }
    const heading = /^#{1,6} (.*)/.exec(line);
    if (heading) {
      current = /\bSDK\b/.test(heading[1]) ? { heading: heading[1], line: i + 2, code: [] } : null;
      if (current) out.push(current);
    } else if (current && line.trim() === '```js') {
      block = [];
    }
  });
  return out.filter((s) => s.code.length > 0);
}

const readme = readFileSync(join(root, 'README.md'), 'utf8');
const files = new Map([[join(jsDir, '__readme_globals.d.ts'), globals]]);
const names = new Map();
sections(readme).forEach((s, i) => {
  const path = join(jsDir, `__readme_sdk_${i}.js`);
  files.set(path, `${s.code.join('\n')}\nexport {};\n`);
  names.set(path, s.heading);
});
if (names.size === 0) {
  console.error('readme-sdk: README.md has no ```js block under a heading naming the SDK');
  process.exit(1);
}

const options = {
  allowJs: true, checkJs: true, noEmit: true, strict: false, target: ts.ScriptTarget.ES2022,
  lib: ['lib.dom.d.ts', 'lib.dom.iterable.d.ts', 'lib.es2022.d.ts'], module: ts.ModuleKind.ES2022,
  moduleResolution: ts.ModuleResolutionKind.Bundler, types: [], skipLibCheck: true,
};
const host = ts.createCompilerHost(options);
const getSourceFile = host.getSourceFile.bind(host);
host.getSourceFile = (name, version, ...rest) => files.has(name)
  ? ts.createSourceFile(name, files.get(name), version)
  : getSourceFile(name, version, ...rest);
const fileExists = host.fileExists.bind(host);
host.fileExists = (name) => files.has(name) || fileExists(name);
const readFile = host.readFile.bind(host);
host.readFile = (name) => files.get(name) ?? readFile(name);

const program = ts.createProgram([...files.keys()], options, host);
const problems = ts.getPreEmitDiagnostics(program).filter((d) => !d.file || files.has(d.file.fileName));
for (const d of problems) {
  const text = ts.flattenDiagnosticMessageText(d.messageText, '\n');
  if (d.file && names.has(d.file.fileName)) {
    const { line } = d.file.getLineAndCharacterOfPosition(d.start);
    const snippetLine = d.file.text.split('\n')[line];
    console.error(`README "${names.get(d.file.fileName)}": ${text}\n    ${snippetLine.trim()}`);
  } else console.error(text);
}
if (problems.length > 0) {
  console.error(`readme-sdk: ${problems.length} type error(s) in the README's SDK examples against pb_public/js/madang-types.d.ts`);
  process.exit(1);
}
console.log(`readme-sdk: ${names.size} README section(s) of SDK examples type-check against madang-types.d.ts`);
