// Minimal typing for mvdan-sh, the GopherJS build of mvdan.cc/sh/v3/syntax. Its nodes are Go structs behind
// generated JS wrappers; src/policy/shell.ts reads the underlying objects directly, so they stay untyped here.
declare module 'mvdan-sh' {
  export interface ParsedFile {
    /** The Go value behind the wrapper (GopherJS internal); field names are the Go field names. */
    readonly __internal_object__: unknown;
  }
  export interface Parser {
    /** Throws (a wrapper object with an `Error()` method) on a syntax error. */
    Parse(src: string, name: string): ParsedFile;
  }
  export interface Syntax {
    NewParser(...options: unknown[]): Parser;
    NodeType(node: unknown): string;
    Walk(node: unknown, visit: (node: unknown) => boolean): void;
  }
  const sh: { readonly syntax: Syntax };
  export default sh;
}
