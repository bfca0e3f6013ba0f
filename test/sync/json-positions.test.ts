// core/sync/json-positions.ts: strict JSON on jsonc-parser, with line:column per JSON Pointer and duplicate keys.
import { describe, expect, it } from 'vitest';
import { parseJsonWithPositions } from '../../core/sync/json-positions.js';

describe('parseJsonWithPositions', () => {
  it('gives every key and value its line:column, by JSON Pointer', () => {
    const r = parseJsonWithPositions('{\n  "a/b": [1, {"~x": true}],\n  "c": null\n}');
    expect(r.error).toBeUndefined();
    expect(r.value).toEqual({ 'a/b': [1, { '~x': true }], c: null });
    expect(r.positions.get('')).toEqual({ value: { line: 1, column: 1 } });
    expect(r.positions.get('/a~1b')).toEqual({ key: { line: 2, column: 3 }, value: { line: 2, column: 10 } });
    expect(r.positions.get('/a~1b/1')).toEqual({ value: { line: 2, column: 14 } });
    expect(r.positions.get('/a~1b/1/~0x')).toEqual({
      key: { line: 2, column: 15 },
      value: { line: 2, column: 21 },
    });
    expect(r.positions.get('/c')?.key).toEqual({ line: 3, column: 3 });
  });

  it('finds duplicate keys at any depth, at the later key; the later value wins as in JSON.parse', () => {
    const r = parseJsonWithPositions('{"o": {"k": 1,\n "k": 2}, "o2": {}}');
    expect(r.duplicates).toEqual([{ pointer: '/o/k', at: { line: 2, column: 2 } }]);
    expect(r.value).toEqual({ o: { k: 2 }, o2: {} });
  });

  it('refuses what JSON does not allow, at the offending character', () => {
    const cases: [string, number, number, RegExp][] = [
      ['{"a": 1, // no\n}', 1, 10, /comments/],
      ['[1, 2,]', 1, 7, /trailing comma/],
      ['{"a": 1}\n{}', 2, 1, /unexpected/],
      ['{"a" 1}', 1, 6, /expected ':'/],
      ['', 1, 1, /end of input/],
    ];
    for (const [text, line, column, message] of cases) {
      const r = parseJsonWithPositions(text);
      expect(r.error?.at, text).toEqual({ line, column });
      expect(r.error?.message, text).toMatch(message);
      expect(r.value, text).toBeUndefined();
    }
  });

  it('keeps __proto__ an own key and does not count a BOM as a column', () => {
    const r = parseJsonWithPositions('\uFEFF{"__proto__": {"polluted": 1}}');
    expect(Object.hasOwn(r.value as object, '__proto__')).toBe(true);
    expect(({} as { polluted?: number }).polluted).toBeUndefined();
    expect(r.positions.get('/__proto__')?.key).toEqual({ line: 1, column: 2 });
  });
});
