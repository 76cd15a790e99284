// HTTP/2 wire values the proxy compares or sends (RFC 9113 §6.1 frame flags, §7 error codes).
// They are fixed by the protocol; node:http2 exports the same numbers as `constants`, but reading
// them from there would load node:http2 in every proxy (see node-http2.ts).
// `wire-codes.test.ts` checks them against node:http2's constants.

/** DATA/HEADERS flag: the last frame of the stream from this side. */
export const FLAG_END_STREAM = 0x1;

export const INTERNAL_ERROR = 0x2;
export const REFUSED_STREAM = 0x7;
export const CANCEL = 0x8;
export const ENHANCE_YOUR_CALM = 0xb;
