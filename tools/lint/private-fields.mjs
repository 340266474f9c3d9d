// `pnpm lint:private-fields`: rewrites TypeScript `private` members as ECMAScript `#private` ones,
// the one private-field style (style.md), using the type checker to find every use.
//
// A member is rewritten only when every use is `this.name` / `other.name` inside its own class
// (a `#name` cannot be reached from outside the class, by `obj['name']`, or by destructuring);
// otherwise it is listed and left alone. A constructor parameter property
// (`constructor(private readonly io: FileIO)`) becomes a field plus an assignment at the top of the
// constructor. `--dry-run` lists what would change. Run `pnpm build && pnpm test` afterwards.
import { writeFileSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

// Arguments: [--dry-run] [--project <tsconfig>] [path prefix ...]. With --project, paths are taken
// from that tsconfig's folder (the tests run it on a fixture project).
const args = process.argv.slice(2);
const dryRun = args.includes('--dry-run');
const projectFlag = args.indexOf('--project');
const configPath = projectFlag >= 0 ? resolve(args[projectFlag + 1])
  : fileURLToPath(new URL('tsconfig.json', import.meta.url));
const root = projectFlag >= 0 ? resolve(configPath, '..') : fileURLToPath(new URL('../..', import.meta.url));
const only = args.filter((arg, i) => !arg.startsWith('--') && args[i - 1] !== '--project');

const config = ts.getParsedCommandLineOfConfigFile(configPath, {}, {
  ...ts.sys,
  onUnRecoverableConfigFileDiagnostic: (diagnostic) => {
    throw new Error(ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n'));
  },
});
const program = ts.createProgram({ rootNames: config.fileNames, options: config.options });
const checker = program.getTypeChecker();
const ours = program.getSourceFiles().filter((file) => {
  const path = relative(root, file.fileName);
  return !path.startsWith('..') && !path.includes('node_modules') && !file.isDeclarationFile &&
    (only.length === 0 || only.some((prefix) => path.startsWith(prefix)));
});

const hasModifier = (node, kind) => (ts.getModifiers(node) ?? []).some((m) => m.kind === kind);

/** @typedef {{ symbol: ts.Symbol, name: string, decl: ts.Node, cls: ts.ClassLikeDeclaration, uses: ts.Identifier[], blocked: string[] }} Member */
/** @type {Map<ts.Symbol, Member>} */
const members = new Map();
/** @type {Map<ts.Node, Member>} */
const byDeclaration = new Map();

function collectMembers(file) {
  const visit = (node) => {
    if (ts.isClassLike(node)) {
      for (const element of node.members) {
        if (ts.isConstructorDeclaration(element)) {
          for (const param of element.parameters) {
            if (!hasModifier(param, ts.SyntaxKind.PrivateKeyword) || !ts.isIdentifier(param.name)) continue;
            const [, property] = checker.getSymbolsOfParameterPropertyDeclaration(param, param.name.text);
            if (property) add(property, param.name.text, param, node);
          }
          continue;
        }
        if (!hasModifier(element, ts.SyntaxKind.PrivateKeyword) || !element.name || !ts.isIdentifier(element.name)) {
          continue;
        }
        const symbol = checker.getSymbolAtLocation(element.name);
        if (symbol) add(symbol, element.name.text, element, node);
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
}

function add(symbol, name, decl, cls) {
  if (members.has(symbol)) return; // a getter/setter pair or overloads: one symbol, several declarations
  const member = { symbol, name, decl, cls, uses: [], blocked: [] };
  if (hasModifier(decl, ts.SyntaxKind.AbstractKeyword) || hasModifier(decl, ts.SyntaxKind.DeclareKeyword)) {
    member.blocked.push('abstract or declare');
  }
  members.set(symbol, member);
  for (const each of ts.isParameter(decl) ? [decl] : (symbol.declarations ?? [decl])) byDeclaration.set(each, member);
}

function within(node, ancestor) {
  for (let at = node; at; at = at.parent) if (at === ancestor) return true;
  return false;
}

function where(node) {
  const file = node.getSourceFile();
  const { line } = file.getLineAndCharacterOfPosition(node.getStart());
  return `${relative(root, file.fileName)}:${line + 1}`;
}

/** The member named `name` of the type of `node`, if it is one we collected. */
function memberOf(node, name) {
  return memberFor(checker.getTypeAtLocation(node).getProperty(name));
}

/**
 * The collected member a symbol stands for. By declaration, not by identity: a property reached
 * through an instantiated class type (one that mentions itself) is a fresh symbol per instantiation.
 */
function memberFor(symbol) {
  // A parameter property is two symbols on one declaration: only the property one is the member.
  const kinds = ts.SymbolFlags.Property | ts.SymbolFlags.Method | ts.SymbolFlags.Accessor;
  if (!symbol || (symbol.flags & kinds) === 0) return undefined;
  const direct = members.get(symbol);
  if (direct) return direct;
  for (const decl of symbol.declarations ?? []) {
    const member = byDeclaration.get(decl);
    if (member) return member;
  }
  return undefined;
}

/** `obj['name']` and `const { name } = obj` reach a member by name: `#name` cannot be reached so. */
function blockByName(node) {
  if (ts.isElementAccessExpression(node) && ts.isStringLiteralLike(node.argumentExpression)) {
    const member = memberOf(node.expression, node.argumentExpression.text);
    member?.blocked.push(`used at ${where(node)} as ['${member.name}']`);
  }
  if (ts.isObjectBindingPattern(node)) {
    for (const element of node.elements) {
      const key = element.propertyName ?? element.name;
      if (!ts.isIdentifier(key) && !ts.isStringLiteralLike(key)) continue;
      const member = memberOf(node, key.text);
      member?.blocked.push(`destructured at ${where(element)}`);
    }
  }
}

/** Every reference to a collected member: a `.name` access inside the class, or a blocker. */
function collectUses(file) {
  const visit = (node) => {
    blockByName(node);
    if (ts.isIdentifier(node)) {
      const member = memberFor(checker.getSymbolAtLocation(node));
      if (member && !isDeclarationName(node, member)) {
        const parent = node.parent;
        if (ts.isPropertyAccessExpression(parent) && parent.name === node && within(node, member.cls)) {
          member.uses.push(node);
        } else {
          member.blocked.push(`used at ${where(node)} in a way '#${member.name}' cannot be`);
        }
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
}

function isDeclarationName(node, member) {
  return declarationsOf(member).some((decl) => node.parent === decl && decl.name === node);
}

/** The member's declarations: a getter and its setter, or a method's overloads, are one symbol. */
function declarationsOf(member) {
  return ts.isParameter(member.decl) ? [member.decl] : (member.symbol.declarations ?? [member.decl]);
}

/** @type {Map<ts.SourceFile, Array<{ start: number, end: number, text: string }>>} */
const edits = new Map();
function edit(file, start, end, text) {
  if (!edits.has(file)) edits.set(file, []);
  edits.get(file).push({ start, end, text, order: edits.get(file).length });
}

/** Removes the `private` keyword and the whitespace after it. */
function dropPrivate(node) {
  const file = node.getSourceFile();
  const keyword = ts.getModifiers(node).find((m) => m.kind === ts.SyntaxKind.PrivateKeyword);
  let end = keyword.getEnd();
  while (/\s/.test(file.text[end])) end += 1;
  edit(file, keyword.getStart(), end, '');
}

/** Fields made from a constructor's parameter properties, written above it as one group. */
const fieldsBefore = new Map();

function rewrite(member) {
  const { decl, name } = member;
  const file = decl.getSourceFile();
  for (const use of member.uses) edit(use.getSourceFile(), use.getStart(), use.getEnd(), `#${name}`);
  if (!ts.isParameter(decl)) {
    for (const each of declarationsOf(member)) {
      dropPrivate(each);
      edit(each.getSourceFile(), each.name.getStart(), each.name.getEnd(), `#${name}`);
    }
    return;
  }
  // constructor(private readonly io: FileIO) -> readonly #io: FileIO; constructor(io: FileIO) { this.#io = io; }
  const ctor = decl.parent;
  const readonly = hasModifier(decl, ts.SyntaxKind.ReadonlyKeyword) ? 'readonly ' : '';
  const type = decl.type ? `: ${decl.type.getText()}` : '';
  for (const modifier of ts.getModifiers(decl) ?? []) {
    let end = modifier.getEnd();
    while (/\s/.test(file.text[end])) end += 1;
    edit(file, modifier.getStart(), end, '');
  }
  const ctorStart = ctor.getStart(file, true); // before its doc comment, which stays with it
  const lineStart = file.text.lastIndexOf('\n', ctorStart) + 1;
  const indent = file.text.slice(lineStart, ctorStart);
  if (!fieldsBefore.has(ctor)) fieldsBefore.set(ctor, { file, at: lineStart, indent, lines: [], assignments: [] });
  const group = fieldsBefore.get(ctor);
  group.lines.push(`${indent}${readonly}#${name}${type};\n`);
  group.assignments.push(`\n${indent}  this.#${name} = ${name};`);
}

/** Writes each constructor's new fields above it and their assignments at the top of its body. */
function writeFieldGroups() {
  for (const [ctor, { file, at, indent, lines, assignments }] of fieldsBefore) {
    edit(file, at, at, `${lines.join('')}\n`);
    const body = ctor.body;
    const first = body.statements[0];
    if (!first) {
      edit(file, body.getStart(), body.getEnd(), `{${assignments.join('')}\n${indent}}`);
      continue;
    }
    const superCall = ts.isExpressionStatement(first) && ts.isCallExpression(first.expression) &&
      first.expression.expression.kind === ts.SyntaxKind.SuperKeyword;
    const after = superCall ? first.getEnd() : body.getStart() + 1;
    edit(file, after, after, assignments.join(''));
  }
}

for (const file of ours) collectMembers(file);
for (const file of ours) collectUses(file);

const skipped = [];
let rewritten = 0;
for (const member of members.values()) {
  if (!ours.includes(member.decl.getSourceFile())) continue;
  if (member.blocked.length > 0) {
    skipped.push(`${where(member.decl)} '${member.name}': ${member.blocked[0]}`);
    continue;
  }
  rewritten += 1;
  if (dryRun) console.log(`would rewrite ${where(member.decl)} private ${member.name} -> #${member.name}`);
  else rewrite(member);
}

writeFieldGroups();

for (const [file, list] of edits) {
  let text = file.text;
  for (const { start, end, text: replacement } of list.sort((a, b) => b.start - a.start || b.order - a.order)) {
    text = text.slice(0, start) + replacement + text.slice(end);
  }
  writeFileSync(file.fileName, text);
}

for (const line of skipped) console.error(`left alone: ${line}`);
console.log(`${dryRun ? 'would rewrite' : 'rewrote'} ${rewritten} private member(s) in ${
  dryRun ? 'their' : edits.size} file(s); ${skipped.length} left alone. Then: pnpm build && pnpm test`);
