// Test tooling that needs the TypeScript 5 compiler API: openapi-typescript 7 drives it, and
// the project's TypeScript 7 (native, no JS API) does not have it, so this workspace package
// holds openapi-typescript and the TypeScript 5 npm nests under it.
import openapiTS, { COMMENT_HEADER, astToString } from 'openapi-typescript';
import ts from 'typescript';

export { findTypeEscapes } from './type-escapes.js';

/** The TypeScript version openapi-typescript runs on (5.x; the project's own is 7). */
export const generatorTypeScriptVersion = ts.version;

/**
 * The `.d.ts` text openapi-typescript makes of the document at `spec` (a file URL) with its
 * default options (`defaultNonNullable` and all), as a client author would run it.
 */
export async function generateOpenApiTypes(spec) {
  const ast = await openapiTS(spec, { silent: true });
  return COMMENT_HEADER + astToString(ast);
}
