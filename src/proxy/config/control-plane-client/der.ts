// Just enough DER (ITU-T X.690) to write a PKCS#10 request: definite lengths, a handful of
// universal types and context tags. Writing only, never parsing: the control plane parses CSRs.

/** Tag + definite length + contents. */
export function tlv(tag: number, contents: Uint8Array): Buffer {
  return Buffer.concat([Buffer.of(tag), derLength(contents.length), contents]);
}

function derLength(n: number): Buffer {
  if (n < 0x80) return Buffer.of(n);
  // Long form: 0x80 | byte count, then the length big-endian without leading zeros.
  const bytes: number[] = [];
  for (let rest = n; rest > 0; rest = Math.floor(rest / 256)) bytes.unshift(rest & 0xff);
  return Buffer.of(0x80 | bytes.length, ...bytes);
}

export const sequence = (...items: Uint8Array[]): Buffer => tlv(0x30, Buffer.concat(items));
export const set = (...items: Uint8Array[]): Buffer => tlv(0x31, Buffer.concat(items));
export const octetString = (contents: Uint8Array): Buffer => tlv(0x04, contents);
/** A BIT STRING of whole bytes: no unused bits in the last one. */
export const bitString = (contents: Uint8Array): Buffer => tlv(0x03, Buffer.concat([Buffer.of(0), contents]));

/** A non-negative INTEGER small enough for one byte (versions). */
export function smallInteger(n: number): Buffer {
  if (!Number.isInteger(n) || n < 0 || n > 0x7f) throw new RangeError(`DER small integer out of range: ${n}`);
  return tlv(0x02, Buffer.of(n));
}

/** [n] IMPLICIT, constructed (e.g. the CSR's attributes [0]). */
export const contextConstructed = (n: number, contents: Uint8Array): Buffer => tlv(0xa0 | n, contents);
/** [n] IMPLICIT, primitive (e.g. GeneralName uniformResourceIdentifier [6]). */
export const contextPrimitive = (n: number, contents: Uint8Array): Buffer => tlv(0x80 | n, contents);

/** OBJECT IDENTIFIER from dotted text: first two arcs in one byte, then base-128 arcs. */
export function oid(dotted: string): Buffer {
  const arcs = dotted.split('.').map((a) => {
    if (!/^\d+$/.test(a)) throw new Error(`not an OID: ${dotted}`);
    return Number(a);
  });
  if (arcs.length < 2 || arcs[0] > 2 || (arcs[0] < 2 && arcs[1] > 39)) throw new Error(`not an OID: ${dotted}`);
  const bytes = [arcs[0] * 40 + arcs[1]];
  for (const arc of arcs.slice(2)) {
    const groups = [arc & 0x7f];
    for (let rest = Math.floor(arc / 128); rest > 0; rest = Math.floor(rest / 128)) groups.unshift((rest & 0x7f) | 0x80);
    bytes.push(...groups);
  }
  return tlv(0x06, Buffer.from(bytes));
}

export function toPem(label: string, der: Uint8Array): string {
  const lines = Buffer.from(der).toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}
