import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeFrameBody, encodeFrame, FrameDecoder } from '../../../src/runtime/transport/frames.ts';

describe('frames', () => {
  it('decodes what was encoded, however the byte stream is cut into chunks', () => {
    fc.assert(
      fc.property(fc.array(fc.jsonValue(), { minLength: 1, maxLength: 8 }), fc.array(fc.nat(40), { maxLength: 20 }), (values, cuts) => {
        const stream = Buffer.concat(values.map(encodeFrame));
        const decoder = new FrameDecoder();
        const decoded: unknown[] = [];
        let at = 0;
        for (const cut of [...cuts, stream.length]) {
          const end = Math.min(stream.length, at + cut);
          for (const body of decoder.push(stream.subarray(at, end))) decoded.push(decodeFrameBody(body));
          at = end;
        }
        expect(decoded).toEqual(values.map((value) => JSON.parse(JSON.stringify(value))));
      }),
    );
  });

  it('refuses a frame above the limit as soon as its header arrives', () => {
    const decoder = new FrameDecoder(100);
    const header = Buffer.alloc(4);
    header.writeUInt32BE(101);
    expect(() => decoder.push(header)).toThrow('a frame of 101 bytes, above the limit of 100');
    expect(new FrameDecoder(100).push(encodeFrame('x'.repeat(98)))).toHaveLength(1); // 100 bytes of JSON: at the limit
  });

  it('refuses bodies that are not UTF-8 or not JSON', () => {
    expect(() => decodeFrameBody(Buffer.from([0xff, 0xfe]))).toThrow('a frame that is not UTF-8');
    expect(() => decodeFrameBody(Buffer.from('{"type":'))).toThrow(/a frame that is not JSON/);
    expect(() => decodeFrameBody(Buffer.alloc(0))).toThrow(/a frame that is not JSON/);
  });
});
