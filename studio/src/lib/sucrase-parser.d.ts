// Sucrase's own parser (the one its transform uses), reached by path: it ships no types there.
declare module "sucrase/dist/parser/index.js" {
  export interface SucraseToken {
    start: number;
    end: number;
    identifierRole: number | null;
    isType: boolean;
  }
  export function parse(input: string, jsx: boolean, typescript: boolean, flow: boolean): { tokens: SucraseToken[] };
}

declare module "sucrase/dist/parser/tokenizer/index.js" {
  export const IdentifierRole: {
    TopLevelDeclaration: number;
    ObjectShorthandTopLevelDeclaration: number;
    ImportDeclaration: number;
  };
}
