import ts from 'typescript';
import { type Position, START } from './finding.ts';

/** A parsed JSON file that can say on which line each property sits, so findings point at it. */
export interface JsonFile {
  readonly value: unknown;
  /** Position of the property at `path` (object keys), or of the nearest existing parent. */
  locate(...path: string[]): Position;
}

export type JsonResult = { ok: true; file: JsonFile } | { ok: false; at: Position; message: string };

export function parseJsonFile(fileName: string, text: string): JsonResult {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    const message = (error as Error).message;
    const where = /line (\d+) column (\d+)/.exec(message);
    return {
      ok: false,
      at: where ? { line: Number(where[1]), column: Number(where[2]) } : START,
      message: message.replace(/ in JSON at position \d+/, '').replace(/\s*\(line \d+ column \d+\)/, ''),
    };
  }
  // JSON.parse checks validity; the TypeScript JSON parser keeps the positions JSON.parse drops.
  const source = ts.parseJsonText(fileName, text);
  const at = (node: ts.Node): Position => {
    const { line, character } = source.getLineAndCharacterOfPosition(node.getStart(source));
    return { line: line + 1, column: character + 1 };
  };
  return {
    ok: true,
    file: {
      value,
      locate(...path) {
        let node: ts.Expression | undefined = source.statements[0]?.expression;
        let found: Position = START;
        for (const key of path) {
          if (!node || !ts.isObjectLiteralExpression(node)) break;
          const prop = node.properties.find(
            (p): p is ts.PropertyAssignment =>
              ts.isPropertyAssignment(p) && ts.isStringLiteral(p.name) && p.name.text === key,
          );
          if (!prop) break;
          found = at(prop);
          node = prop.initializer;
        }
        return found;
      },
    },
  };
}
