// The KIND argument of `get` and `delete`: kind names, plurals and short names (vs, dr…), as
// kubectl accepts them; an unknown one is a usage error listing what is accepted.
import { findKind, KINDS, type KindInfo } from '../api/kinds.js';
import { ArgsError } from './args.js';

export function kindArg(text: string): KindInfo {
  const kind = findKind(text);
  if (!kind) throw new ArgsError(`unknown kind ${JSON.stringify(text)} (kinds: ${KINDS.filter((k) => k.kind !== 'Mesh').map((k) => k.plural).join(', ')})`);
  return kind;
}
