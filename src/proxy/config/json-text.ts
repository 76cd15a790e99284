// Plain JSON snapshots without the YAML parser. A `.json` snapshot that is well-formed JSON with no
// repeated key in any object is read with JSON.parse; anything else goes through the YAML parser,
// which reports the problem with its line and column. Keeping `yaml` off the start path of a
// file-mode proxy saves ~1.5–2 MB of RSS (docs/performance.md).

/** The value of `text` if it is plain JSON without a repeated key; undefined otherwise. */
export function parsePlainJson(text: string): { value: unknown } | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  // JSON.parse keeps the last of two equal keys without a word; the YAML path rejects them.
  return hasRepeatedKey(text) ? undefined : { value };
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const COMMA = 0x2c;

/**
 * Whether an object in `text` names a key twice. `text` must be valid JSON (JSON.parse accepted
 * it), so a scan of strings and brackets is enough. Keys compare by value: "a" and "\u0061" repeat.
 */
export function hasRepeatedKey(text: string): boolean {
  const open: (Set<string> | undefined)[] = []; // keys seen per open object; undefined for arrays
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      const start = i;
      let escaped = false;
      for (i++; text.charCodeAt(i) !== QUOTE; i++) {
        if (text.charCodeAt(i) === BACKSLASH) {
          i++;
          escaped = true;
        }
      }
      if (!expectKey) continue;
      expectKey = false;
      const key = escaped ? (JSON.parse(text.slice(start, i + 1)) as string) : text.slice(start + 1, i);
      const keys = open[open.length - 1]!;
      if (keys.has(key)) return true;
      keys.add(key);
    } else if (c === OPEN_OBJECT) {
      open.push(new Set());
      expectKey = true;
    } else if (c === OPEN_ARRAY) {
      open.push(undefined);
      expectKey = false;
    } else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) {
      open.pop();
      expectKey = false;
    } else if (c === COMMA) {
      expectKey = open[open.length - 1] !== undefined;
    }
  }
  return false;
}
