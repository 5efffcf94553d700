/** The TypeScript version openapi-typescript runs on (5.x; the project's own is 7). */
export declare const generatorTypeScriptVersion: string;

/**
 * The `.d.ts` text openapi-typescript makes of the document at `spec` (a file URL) with its
 * default options (`defaultNonNullable` and all), as a client author would run it.
 */
export declare function generateOpenApiTypes(spec: URL): Promise<string>;

export interface TypeEscape {
  readonly kind: 'as' | 'type assertion' | 'non-null assertion' | 'any' | 'directive';
  /** 1-based. */
  readonly line: number;
  readonly text: string;
}

/** Each `as`, `<T>` assertion, non-null `!`, `any` and `@ts-` directive in `sourceText`. */
export declare function findTypeEscapes(sourceText: string, fileName?: string): TypeEscape[];
