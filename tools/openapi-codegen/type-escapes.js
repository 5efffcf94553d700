// Finds what lets TypeScript code step around its types: `as` and `<T>` assertions, non-null
// `!`, `any`, and `@ts-` directives. The generated-client test asserts its scenario has none,
// so every type it relies on comes from openapi.yaml. Parsed with the TypeScript 5 that
// openapi-typescript brings along (the project's TypeScript 7 has no JS API).
import ts from 'typescript';

const DIRECTIVE = /@ts-(ignore|expect-error|nocheck)\b/g;

/** Each type escape in `sourceText`, with its 1-based line and its text. */
export function findTypeEscapes(sourceText, fileName = 'source.ts') {
  const source = ts.createSourceFile(fileName, sourceText, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const found = [];
  const add = (kind, node) => {
    const { line } = source.getLineAndCharacterOfPosition(node.getStart(source));
    found.push({ kind, line: line + 1, text: node.getText(source) });
  };
  const visit = (node) => {
    if (ts.isAsExpression(node)) add('as', node);
    else if (ts.isTypeAssertionExpression(node)) add('type assertion', node);
    else if (ts.isNonNullExpression(node)) add('non-null assertion', node);
    else if (node.kind === ts.SyntaxKind.AnyKeyword) add('any', node);
    ts.forEachChild(node, visit);
  };
  visit(source);
  for (const match of sourceText.matchAll(DIRECTIVE)) {
    const { line } = source.getLineAndCharacterOfPosition(match.index);
    found.push({ kind: 'directive', line: line + 1, text: match[0] });
  }
  return found;
}
