// Call numbering and reply slots of both halves, without a WebSocket: a fake link records the frames.

import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { FunctionError } from "remotes-client";
import { Calls, MAX_UNANSWERED } from "../src/calls.js";
import { compileInterface } from "../src/codec.js";
import { FrameReader, parseMessage } from "../src/frame.js";
import { bindInterface } from "../src/handshake.js";
import type { Link } from "../src/link.js";
import { Served } from "../src/served.js";
import { remoteKey } from "../src/spec.js";
import { net } from "./fixtures/net.js";
import { bytes, hex } from "./helpers/bytes.js";
import { WORKED_TABLE } from "./helpers/fake-server.js";

class FakeLink implements Link {
  open = true;
  peerMaxFrame = 1 << 20;
  readonly sent: string[] = [];
  readonly warnings: string[] = [];
  failed: string | undefined;
  send(frame: Uint8Array): void {
    const reader = new FrameReader(1 << 20);
    reader.push(frame);
    this.sent.push(hex(reader.next()!));
  }
  warn(message: string): void {
    this.warnings.push(message);
  }
  fail(reason: string): void {
    this.failed = reason;
    this.open = false;
  }
}

const codecs = compileInterface(net.spec);
const bound = bindInterface(net.spec, WORKED_TABLE);
const slow = codecs.get(remoteKey("slow", "to_server"))!;
const slowBinding = bound.byKey.get(slow.key);

describe("call numbers", () => {
  test("this side's numbers wrap from 2^32 - 1 to 0 (CANCEL shows them)", async () => {
    const link = new FakeLink();
    const calls = new Calls(link, 10_000, 10_000);
    (calls as unknown as { nextNumber: number }).nextNumber = 0xffff_ffff;
    const a = new AbortController();
    const b = new AbortController();
    const first = calls.invoke(slow, slowBinding, [1], { signal: a.signal });
    const second = calls.invoke(slow, slowBinding, [2], { signal: b.signal });
    a.abort();
    b.abort();
    await assert.rejects(first, { kind: "Cancelled" });
    await assert.rejects(second, { kind: "Cancelled" });
    assert.deepEqual(link.sent, ["10 01 91 01", "10 01 91 02", "14 ff ff ff ff 0f", "14 00"]);
    // Both stay outstanding until their replies: two replies at slot 0 are accepted (and dropped).
    assert.equal(calls.onReply(0, { code: 1 }), undefined);
    assert.equal(calls.onReply(0, { code: 1 }), undefined);
    assert.match(calls.onReply(0, { code: 1 })!, /slot 0, but only 0/);
  });

  test("the server's numbers wrap too (CANCEL names them)", () => {
    const link = new FakeLink();
    const served = new Served(link, bound.byId, codecs, 10_000, 256);
    (served as unknown as { nextNumber: number }).nextNumber = 0xffff_ffff;
    served.setCallback(codecs.get(remoteKey("confirm", "to_client"))!, () => new Promise<boolean>(() => {}));
    const request = { remote: 3, timeoutMs: undefined, args: bytes('91 a1 "a"') };
    served.onRequest(request);
    served.onRequest(request);
    served.onCancel(0);
    served.onCancel(0xffff_ffff);
    assert.deepEqual(link.sent, ["13 01 01", "13 00 01"]);
    served.disconnect();
  });

  test("a server that leaves 65,536 calls unanswered is disconnected", async () => {
    const link = new FakeLink();
    const calls = new Calls(link, 10_000, 10_000);
    const pending: Promise<unknown>[] = [];
    for (let i = 0; i < MAX_UNANSWERED; i++)
      pending.push(calls.invoke(slow, slowBinding, [1], {}).catch((e: FunctionError) => e.kind));
    assert.equal(calls.unanswered, MAX_UNANSWERED);
    await assert.rejects(calls.invoke(slow, slowBinding, [1], {}), { kind: "Disconnected" });
    assert.match(link.failed!, /65536 calls unanswered/);
    assert.equal(link.sent.length, MAX_UNANSWERED, "the last call was not sent");
    calls.disconnect("closed");
    assert.deepEqual(new Set(await Promise.all(pending)), new Set(["Disconnected"]));
  });
});

describe("reply slots", () => {
  test("replies in any order name the right calls (as slots.rs's test)", async () => {
    const link = new FakeLink();
    const calls = new Calls(link, 10_000, 10_000);
    const results = [0, 1, 2, 3].map((n) => calls.invoke(slow, slowBinding, [n], {}));
    // The replier answers 2, then 0, then 3, then 1: the slots are 2, 0, 1, 0.
    const order: number[] = [];
    results.forEach((p, n) => p.then(() => order.push(n)));
    for (const slot of [2, 0, 1, 0]) assert.equal(calls.onReply(slot, { value: bytes("c0") }), undefined);
    await Promise.all(results);
    assert.deepEqual(order, [2, 0, 3, 1]);
  });

  test("a parsed REPLY_ERR with an unknown code settles Unprocessed", async () => {
    const link = new FakeLink();
    const calls = new Calls(link, 10_000, 10_000);
    const call = calls.invoke(slow, slowBinding, [1], {});
    const reply = parseMessage(bytes("13 00 00"));
    assert.equal(reply.kind, "ReplyErr");
    if (reply.kind === "ReplyErr") calls.onReply(reply.slot, { code: reply.code });
    await assert.rejects(call, { kind: "Unprocessed" });
  });
});
