// Small byte helpers for the HTTP/1 codec's hot path. Each replaces a Buffer method whose
// argument handling or native call costs more than the work for a message head of a few
// hundred bytes (measured per call: indexOf 280 ns against 130 ns for the loop below,
// toString('latin1') 260 ns against 180 ns for latin1Slice).

interface Latin1Buffer {
  latin1Slice(start: number, end: number): string;
}

/** Index of the first CRLFCRLF in buf[from, to), or -1. */
export function findHeadEnd(buf: Buffer, from: number, to: number): number {
  const last = to - 3;
  for (let i = from; i < last; i++) {
    if (buf[i] === 13 && buf[i + 1] === 10 && buf[i + 2] === 13 && buf[i + 3] === 10) return i;
  }
  return -1;
}

/** buf[start, end) as a latin1 string (one character per byte). */
export function latin1At(buf: Buffer, start: number, end: number): string {
  return (buf as unknown as Latin1Buffer).latin1Slice(start, end);
}
