// Header add/set/remove, compiled into parallel arrays once per snapshot; apply() edits the
// HeaderList in place.
//
// Order: remove, then set, then add. Why this order:
// - remove first, so a name both removed and set/added ends up with the new value; a mutation
//   that removed what it had just written would be pointless, so that reading cannot be meant.
//   It also means "remove x-debug, add x-debug: 1" normalises whatever the client sent.
// - set before add, so `set: {x: a}, add: {x: b}` leaves both a and b; the other order would
//   let set wipe out the value add just appended.
// This is also Envoy's order (headers_to_remove, then headers_to_add with append false/true).
//
// Names are lower-cased here, since HeaderList stores them lower-cased. Names and values are
// validated here too: a header name that is not an RFC 9110 token, or a value with CR/LF/NUL,
// would corrupt the message on the wire (or smuggle a header), so it is a config error.
import type { HeaderMutation } from '../../model/snapshot.js';
import type { HeaderList } from '../http/headers.js';
import type { CompiledHeaderMutation } from './types.js';
import { FieldError } from './errors.js';

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9a-z]+$/;
const BAD_VALUE = /[\r\n\0]/;

export class HeaderMutator implements CompiledHeaderMutation {
  readonly remove: readonly string[];
  readonly setNames: readonly string[];
  readonly setValues: readonly string[];
  readonly addNames: readonly string[];
  readonly addValues: readonly string[];

  constructor(remove: string[], setNames: string[], setValues: string[], addNames: string[], addValues: string[]) {
    this.remove = remove;
    this.setNames = setNames;
    this.setValues = setValues;
    this.addNames = addNames;
    this.addValues = addValues;
  }

  apply(headers: HeaderList): void {
    const remove = this.remove;
    for (let i = 0; i < remove.length; i++) headers.remove(remove[i]);
    const setNames = this.setNames;
    for (let i = 0; i < setNames.length; i++) headers.set(setNames[i], this.setValues[i]);
    const addNames = this.addNames;
    for (let i = 0; i < addNames.length; i++) headers.add(addNames[i], this.addValues[i]);
  }
}

/** undefined when the mutation is absent or empty, so callers skip it with one check. */
export function compileHeaderMutation(m: HeaderMutation | undefined, where: string): HeaderMutator | undefined {
  if (m === undefined) return undefined;
  const remove = (m.remove ?? []).map((n, i) => checkName(n, `${where}.remove[${i}]`));
  const setNames: string[] = [];
  const setValues: string[] = [];
  for (const [n, v] of Object.entries(m.set ?? {})) {
    setNames.push(checkName(n, `${where}.set`));
    setValues.push(checkValue(n, v, `${where}.set`));
  }
  const addNames: string[] = [];
  const addValues: string[] = [];
  for (const [n, v] of Object.entries(m.add ?? {})) {
    addNames.push(checkName(n, `${where}.add`));
    addValues.push(checkValue(n, v, `${where}.add`));
  }
  if (remove.length + setNames.length + addNames.length === 0) return undefined;
  return new HeaderMutator(remove, setNames, setValues, addNames, addValues);
}

function checkName(name: string, where: string): string {
  const lower = name.toLowerCase();
  if (!TOKEN.test(lower)) {
    throw new FieldError(where, `header name ${JSON.stringify(name)} is not a valid HTTP field name (letters, digits and !#$%&'*+-.^_\`|~)`);
  }
  return lower;
}

function checkValue(name: string, value: string, where: string): string {
  if (BAD_VALUE.test(value)) throw new FieldError(`${where}.${name}`, 'header value must not contain CR, LF or NUL');
  return value;
}
