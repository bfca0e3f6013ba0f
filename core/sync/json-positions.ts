// A small JSON parser that remembers where every key and value starts, so findings can point at line:column.
// JSON.parse reports neither positions (on Node 20) nor duplicate keys; manifests need both.

export interface Position {
  line: number;
  column: number;
}

export interface Located {
  /** Where the member's key starts (absent for the root and array items). */
  key?: Position;
  value: Position;
}

export interface JsonParseResult {
  value?: unknown;
  /** JSON Pointer (RFC 6901, '' for the root) → positions. */
  positions: Map<string, Located>;
  error?: { message: string; at: Position };
  duplicates: { pointer: string; at: Position }[];
}

class JsonSyntaxError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
  }
}

const escapes: Record<string, string> = {
  '"': '"',
  '\\': '\\',
  '/': '/',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
};

export function pointerOf(parent: string, key: string | number): string {
  return `${parent}/${String(key).replace(/~/g, '~0').replace(/\//g, '~1')}`;
}

export function parseJsonWithPositions(text: string): JsonParseResult {
  // A UTF-8 BOM is tolerated (editors on Windows add it) and does not count as a column.
  const src = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const lineStarts = [0];
  for (let i = 0; i < src.length; i++) if (src[i] === '\n') lineStarts.push(i + 1);
  const at = (offset: number): Position => {
    let lo = 0;
    let hi = lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((lineStarts[mid] ?? 0) <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: offset - (lineStarts[lo] ?? 0) + 1 };
  };
  const positions = new Map<string, Located>();
  const duplicates: JsonParseResult['duplicates'] = [];
  let i = 0;

  const fail = (message: string, offset = i): never => {
    throw new JsonSyntaxError(message, offset);
  };
  const ws = (): void => {
    while (i < src.length && ' \t\n\r'.includes(src[i] as string)) i++;
  };
  const describe = (): string => (i >= src.length ? 'end of input' : `'${src[i]}'`);

  const parseString = (): string => {
    i++; // opening quote
    let out = '';
    for (;;) {
      if (i >= src.length) fail('unterminated string');
      const c = src[i] as string;
      if (c === '"') {
        i++;
        return out;
      }
      if (c < ' ') fail('control character in string (escape it)');
      if (c === '\\') {
        const e = src[i + 1];
        if (e === 'u') {
          const hex = src.slice(i + 2, i + 6);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) fail('invalid \\u escape');
          out += String.fromCharCode(parseInt(hex, 16));
          i += 6;
        } else if (e !== undefined && Object.hasOwn(escapes, e)) {
          out += escapes[e];
          i += 2;
        } else fail('invalid escape in string');
      } else {
        out += c;
        i++;
      }
    }
  };

  const parseValue = (pointer: string, key?: Position): unknown => {
    ws();
    positions.set(pointer, key ? { key, value: at(i) } : { value: at(i) });
    const c = src[i];
    if (c === '{') {
      i++;
      const obj: Record<string, unknown> = {};
      ws();
      if (src[i] === '}') {
        i++;
        return obj;
      }
      for (;;) {
        ws();
        if (src[i] !== '"')
          fail(
            `expected a quoted key, found ${describe()}${src[i] === '}' && Object.keys(obj).length ? ' (trailing comma?)' : ''}`,
          );
        const keyAt = at(i);
        const name = parseString();
        ws();
        if (src[i] !== ':') fail(`expected ':' after key, found ${describe()}`);
        i++;
        const child = pointerOf(pointer, name);
        if (Object.hasOwn(obj, name)) duplicates.push({ pointer: child, at: keyAt });
        obj[name] = parseValue(child, keyAt);
        ws();
        if (src[i] === ',') {
          i++;
          continue;
        }
        if (src[i] === '}') {
          i++;
          return obj;
        }
        fail(`expected ',' or '}', found ${describe()}`);
      }
    }
    if (c === '[') {
      i++;
      const arr: unknown[] = [];
      ws();
      if (src[i] === ']') {
        i++;
        return arr;
      }
      for (;;) {
        arr.push(parseValue(pointerOf(pointer, arr.length)));
        ws();
        if (src[i] === ',') {
          i++;
          continue;
        }
        if (src[i] === ']') {
          i++;
          return arr;
        }
        fail(`expected ',' or ']', found ${describe()}`);
      }
    }
    if (c === '"') return parseString();
    const m = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/.exec(src.slice(i, i + 400));
    if (m && m[0] !== '' && m[0] !== '-') {
      i += m[0].length;
      return Number(m[0]);
    }
    for (const [word, value] of [
      ['true', true],
      ['false', false],
      ['null', null],
    ] as const) {
      if (src.startsWith(word, i)) {
        i += word.length;
        return value;
      }
    }
    return fail(`unexpected ${describe()}`);
  };

  try {
    const value = parseValue('');
    ws();
    if (i < src.length) fail(`unexpected ${describe()} after the JSON value`);
    return { value, positions, duplicates };
  } catch (err) {
    if (err instanceof JsonSyntaxError)
      return { positions, duplicates, error: { message: err.message, at: at(err.offset) } };
    if (err instanceof RangeError)
      return { positions, duplicates, error: { message: 'nesting too deep', at: at(i) } };
    throw err;
  }
}
