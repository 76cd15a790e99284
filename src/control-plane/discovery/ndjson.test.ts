import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LineSplitter, LineTooLongError } from './ndjson.js';

describe('LineSplitter', () => {
  it('joins lines split across chunks, including inside a multi-byte character', () => {
    const splitter = new LineSplitter(100);
    const bytes = Buffer.from('{"a":"é"}\n\n{"b":2}\n{"c"', 'utf8');
    const cut = bytes.indexOf(0xc3) + 1; // between the two bytes of é
    assert.deepEqual(splitter.push(bytes.subarray(0, cut)), []);
    assert.deepEqual(splitter.push(bytes.subarray(cut)), ['{"a":"é"}', '{"b":2}']);
    assert.deepEqual(splitter.push(Buffer.from(':3}\n')), ['{"c":3}']);
  });

  it('refuses a line longer than the limit before buffering more of it', () => {
    const splitter = new LineSplitter(10);
    assert.deepEqual(splitter.push(Buffer.from('12345')), []);
    assert.throws(() => splitter.push(Buffer.from('678901')), LineTooLongError);
    assert.throws(() => new LineSplitter(10).push(Buffer.from('x'.repeat(11) + '\n')), { message: 'message longer than 10 bytes' });
  });
});
