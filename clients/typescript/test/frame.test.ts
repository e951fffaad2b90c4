import assert from "node:assert/strict";
import { describe, test } from "node:test";

import {
  buildFrame,
  encodeVarint,
  FrameError,
  FrameReader,
  Kind,
  parseMessage,
  readVarint,
  varintLength,
} from "../src/frame.js";
import { bytes, hex } from "./helpers/bytes.js";

describe("varints", () => {
  test("minimal LEB128 encodings", () => {
    const cases: [number, string][] = [
      [0, "00"],
      [1, "01"],
      [127, "7f"],
      [128, "80 01"],
      [250, "fa 01"],
      [1500, "dc 0b"],
      [16_383, "ff 7f"],
      [16_384, "80 80 01"],
      [2_097_151, "ff ff 7f"],
      [268_435_455, "ff ff ff 7f"],
      [268_435_456, "80 80 80 80 01"],
      [0xffff_ffff, "ff ff ff ff 0f"],
    ];
    for (const [value, expected] of cases) {
      assert.equal(hex(encodeVarint(value)), expected, `${value}`);
      assert.equal(varintLength(value), expected.split(" ").length);
      assert.deepEqual(readVarint(bytes(expected), 0), { value, next: expected.split(" ").length });
    }
  });

  test("non-minimal encodings are accepted", () => {
    assert.deepEqual(readVarint(bytes("80 00"), 0), { value: 0, next: 2 });
    assert.deepEqual(readVarint(bytes("81 80 80 80 00"), 0), { value: 1, next: 5 });
  });

  test("incomplete, too long and too large", () => {
    assert.equal(readVarint(bytes(""), 0), "incomplete");
    assert.equal(readVarint(bytes("80"), 0), "incomplete");
    assert.equal(readVarint(bytes("80 80 80 80"), 0), "incomplete");
    assert.equal(readVarint(bytes("80 80 80 80 80"), 0), "malformed", "continuation bit on the 5th byte");
    assert.equal(readVarint(bytes("80 80 80 80 80 01"), 0), "malformed");
    assert.equal(readVarint(bytes("ff ff ff ff 10"), 0), "malformed", "2^32 does not fit");
    assert.equal(readVarint(bytes("ff ff ff ff 7f"), 0), "malformed");
  });

  test("values out of range are refused when writing", () => {
    assert.throws(() => encodeVarint(-1), RangeError);
    assert.throws(() => encodeVarint(2 ** 32), RangeError);
    assert.throws(() => encodeVarint(1.5), RangeError);
  });
});

describe("frames", () => {
  test("the worked example's frames (PROTOCOL.md section 11)", () => {
    assert.equal(hex(buildFrame(Kind.REQUEST, [0], bytes("92 07 02"))), "05 10 00 92 07 02");
    assert.equal(hex(buildFrame(Kind.REPLY_OK, [0], bytes("93 07 02 5a"))), "06 12 00 93 07 02 5a");
    assert.equal(hex(buildFrame(Kind.EVENT, [4], bytes('91 a2 "hi"'))), "06 20 04 91 a2 68 69");
    assert.equal(hex(buildFrame(Kind.REQUEST, [2], bytes("90"))), "03 10 02 90");
    assert.equal(hex(buildFrame(Kind.REPLY_ERR, [0], bytes("04"))), "03 13 00 04");
    assert.equal(hex(buildFrame(Kind.REQUEST_TIMED, [1, 250], bytes("91 cd 03 e8"))), "08 11 01 fa 01 91 cd 03 e8");
    assert.equal(hex(buildFrame(Kind.CANCEL, [3])), "02 14 03");
    assert.equal(hex(buildFrame(Kind.REPLY_OK, [0], bytes("c3"))), "03 12 00 c3");
    assert.equal(hex(buildFrame(Kind.PING, [])), "01 30");
    assert.equal(hex(buildFrame(Kind.PONG, [])), "01 31");
  });

  test("a body of 128 bytes or more takes a two-byte prefix", () => {
    const frame = buildFrame(Kind.HELLO, [], new Uint8Array(194));
    assert.equal(hex(frame.subarray(0, 3)), "c3 01 01");
    assert.equal(frame.length, 197);
  });

  test("parsing the worked example's frames", () => {
    const parse = (text: string) => {
      const reader = new FrameReader(1 << 20);
      reader.push(bytes(text));
      return parseMessage(reader.next()!);
    };
    assert.deepEqual(parse("05 10 00 92 07 02"), {
      kind: "Request",
      remote: 0,
      timeoutMs: undefined,
      args: bytes("92 07 02"),
    });
    assert.deepEqual(parse("08 11 01 fa 01 91 cd 03 e8"), {
      kind: "Request",
      remote: 1,
      timeoutMs: 250,
      args: bytes("91 cd 03 e8"),
    });
    assert.deepEqual(parse("0c 11 03 dc 0b 91 a6 41 67 61 69 6e 3f"), {
      kind: "Request",
      remote: 3,
      timeoutMs: 1500,
      args: bytes('91 a6 "Again?"'),
    });
    assert.deepEqual(parse("06 12 00 93 07 02 5a"), { kind: "ReplyOk", slot: 0, value: bytes("93 07 02 5a") });
    assert.deepEqual(parse("03 13 02 01"), { kind: "ReplyErr", slot: 2, code: 1 });
    assert.deepEqual(parse("02 14 03"), { kind: "Cancel", call: 3 });
    assert.deepEqual(parse("04 14 03 ff ff"), { kind: "Cancel", call: 3 }, "bytes after call are ignored");
    assert.deepEqual(parse("07 20 05 92 01 a2 68 69"), { kind: "Event", remote: 5, args: bytes('92 01 a2 "hi"') });
    assert.deepEqual(parse("01 30"), { kind: "Ping" });
    assert.deepEqual(parse("01 31"), { kind: "Pong" });
  });

  test("malformed headers", () => {
    const parse = (body: string) => parseMessage(bytes(body));
    assert.equal(parse("10 80").kind, "BadRequest", "the truncated request 02 10 80");
    assert.equal(parse("10").kind, "BadRequest");
    assert.equal(parse("11 01").kind, "BadRequest", "REQUEST_TIMED without its timeout");
    assert.equal(parse("12").kind, "BadReply");
    assert.equal(parse("12 ff ff ff ff 7f c0").kind, "BadReply", "a slot past u32");
    assert.equal(parse("13 01").kind, "BadReply", "REPLY_ERR without a code");
    assert.equal(parse("13 01 02 03").kind, "BadReply", "REPLY_ERR with two bytes after its slot");
    assert.equal(parse("14").kind, "Dropped");
    assert.equal(parse("20 80").kind, "Dropped");
    assert.equal(parse("30 00").kind, "Dropped");
    assert.equal(parse("7e").kind, "Dropped", "unknown kind");
    assert.deepEqual(parse("02 85"), { kind: "Welcome", map: bytes("85") });
  });
});

describe("FrameReader", () => {
  test("frames back to back in one message, and a frame split across messages", () => {
    const reader = new FrameReader(1 << 20);
    reader.push(bytes("05 10 00 92 07 02 03 13 00"));
    assert.equal(hex(reader.next()!), "10 00 92 07 02");
    assert.equal(reader.next(), null, "the second frame is not complete");
    assert.equal(reader.pending, 3);
    reader.push(bytes("04 02"));
    assert.equal(hex(reader.next()!), "13 00 04");
    assert.equal(reader.next(), null, "a prefix alone is incomplete");
    reader.push(bytes("14 03"));
    assert.equal(hex(reader.next()!), "14 03");
    assert.equal(reader.next(), null);
    assert.equal(reader.pending, 0);
  });

  test("a split length prefix", () => {
    const reader = new FrameReader(1 << 20);
    const body = new Uint8Array(200).fill(0x20);
    const frame = buildFrame(0x20, [], body.subarray(1));
    reader.push(frame.subarray(0, 1));
    assert.equal(reader.next(), null);
    reader.push(frame.subarray(1, 100));
    assert.equal(reader.next(), null);
    reader.push(frame.subarray(100));
    assert.equal(reader.next()!.length, 200);
  });

  test("framing errors: too long (checked on the prefix alone, before empty), empty, malformed prefix", () => {
    const tooLong = new FrameReader(100);
    tooLong.push(bytes("65"));
    assert.throws(
      () => tooLong.next(),
      (e: unknown) => e instanceof FrameError && e.kind === "TooLong",
    );
    const atMax = new FrameReader(100);
    atMax.push(bytes("64"));
    assert.equal(atMax.next(), null, "a frame of exactly the maximum waits for its body");
    const empty = new FrameReader(100);
    empty.push(bytes("00"));
    assert.throws(
      () => empty.next(),
      (e: unknown) => e instanceof FrameError && e.kind === "Empty",
    );
    const bad = new FrameReader(100);
    bad.push(bytes("80 80 80 80 80"));
    assert.throws(
      () => bad.next(),
      (e: unknown) => e instanceof FrameError && e.kind === "BadLength",
    );
    const big = new FrameReader(100);
    big.push(bytes("ff ff ff ff 0f"));
    assert.throws(
      () => big.next(),
      (e: unknown) => e instanceof FrameError && e.kind === "TooLong",
    );
  });
});
