import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { FunctionError } from "remotes-client";

import { bytes, hex } from "./helpers/bytes.js";
import { Queue, session, welcome } from "./helpers/fake-server.js";

/** A promise with its resolve and reject. */
function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe("calls from the server", () => {
  test('the worked example: confirm("Sell?") answered true', async () => {
    await session(async ({ client, peer }) => {
      const prompts: string[] = [];
      client.functions.confirm.setCallback((prompt) => {
        prompts.push(prompt);
        return true;
      });
      peer.send(bytes('09 10 03 91 a5 "Sell?"'));
      assert.equal(hex(await peer.next()), "12 00 c3");
      assert.deepEqual(prompts, ["Sell?"]);
    });
  });

  test("an async callback; replies by slot when answered out of order", async () => {
    await session(async ({ client, peer }) => {
      const pending = new Queue<{ prompt: string; answer: (v: boolean) => void }>();
      client.functions.confirm.setCallback(
        (prompt) => new Promise<boolean>((answer) => pending.push({ prompt, answer })),
      );
      peer.send(bytes('05 10 03 91 a1 "a"'), bytes('05 10 03 91 a1 "b"'), bytes('05 10 03 91 a1 "c"'));
      const a = await pending.next();
      const b = await pending.next();
      const c = await pending.next();
      assert.deepEqual([a.prompt, b.prompt, c.prompt], ["a", "b", "c"]);
      b.answer(false);
      assert.equal(hex(await peer.next()), "12 01 c2", "b is the second unanswered");
      c.answer(true);
      assert.equal(hex(await peer.next()), "12 01 c3", "then c is");
      a.answer(true);
      assert.equal(hex(await peer.next()), "12 00 c3");
    });
  });

  test("no callback: Unprocessed; a throwing or rejecting callback: Unprocessed", async () => {
    await session(async ({ client, peer, warnings }) => {
      peer.send(bytes('05 10 03 91 a1 "a"'));
      assert.equal(hex(await peer.next()), "13 00 04");
      client.functions.confirm.setCallback(() => {
        throw new Error("boom");
      });
      peer.send(bytes('05 10 03 91 a1 "a"'));
      assert.equal(hex(await peer.next()), "13 00 04");
      assert.match(await warnings.next(), /threw: boom/);
      client.functions.confirm.setCallback(async () => {
        throw new Error("async boom");
      });
      peer.send(bytes('05 10 03 91 a1 "a"'));
      assert.equal(hex(await peer.next()), "13 00 04");
      assert.match(await warnings.next(), /rejected: async boom/);
      client.functions.confirm.clearCallback();
      peer.send(bytes('05 10 03 91 a1 "a"'));
      assert.equal(hex(await peer.next()), "13 00 04");
    });
  });

  test("a result that does not match the output: InvalidResult", async () => {
    await session(async ({ client, peer }) => {
      client.functions.confirm.setCallback(() => "yes" as unknown as boolean);
      peer.send(bytes('05 10 03 91 a1 "a"'));
      assert.equal(hex(await peer.next()), "13 00 03");
    });
  });

  test("a reply larger than the server's max_frame: InvalidResult", async () => {
    await session(
      async ({ client, peer }) => {
        client.functions.confirm.setCallback(() => true);
        peer.send(bytes('05 10 03 91 a1 "a"'));
        assert.equal(hex(await peer.next()), "13 00 03", "REPLY_OK would be 3 bytes, 2 are allowed");
      },
      { welcomeBody: welcome({ maxFrame: 2 }) },
    );
  });

  test("arguments that do not decode, unknown ids, the other direction: BadRequest", async () => {
    await session(async ({ client, peer }) => {
      client.functions.confirm.setCallback(() => true);
      peer.send(bytes("04 10 03 91 05")); // confirm(5)
      assert.equal(hex(await peer.next()), "13 00 02");
      peer.send(bytes('06 10 03 92 a1 "a" c0')); // two arguments
      assert.equal(hex(await peer.next()), "13 00 02");
      peer.send(bytes('06 10 03 91 a1 "a" c0')); // trailing bytes
      assert.equal(hex(await peer.next()), "13 00 02");
      peer.send(bytes("05 10 00 92 07 02")); // buy_item is the client's to call
      assert.equal(hex(await peer.next()), "13 00 02");
      peer.send(bytes('05 10 05 91 a1 "a"')); // said is an event
      assert.equal(hex(await peer.next()), "13 00 02");
      peer.send(bytes('05 10 63 91 a1 "a"')); // no such id
      assert.equal(hex(await peer.next()), "13 00 02");
    });
  });

  test("a truncated request header consumes a number and is answered BadRequest (PROTOCOL.md section 11)", async () => {
    await session(async ({ client, peer }) => {
      const hold = deferred<boolean>();
      client.functions.confirm.setCallback(() => hold.promise);
      peer.send(bytes('05 10 03 91 a1 "a"'), bytes("02 10 80"));
      assert.equal(hex(await peer.next()), "13 01 02", "the truncated request is the second unanswered");
      // CANCEL 1 names the truncated request, answered already: ignored. CANCEL 0 stops the callback.
      peer.send(bytes("02 14 01"), bytes("02 14 00"));
      assert.equal(hex(await peer.next()), "13 00 01");
      hold.resolve(true); // too late: nothing more is sent
      peer.send(bytes('05 10 03 91 a1 "b"'));
      // The callback is still the held one, resolved now: the next request is answered with its value.
      assert.equal(hex(await peer.next()), "12 00 c3");
    });
  });

  test("the callee's deadline: REQUEST_TIMED's timeout", async () => {
    await session(async ({ client, peer }) => {
      client.functions.confirm.setCallback(() => new Promise<boolean>(() => {}));
      peer.send(bytes('0b 11 03 14 91 a6 "Again?"')); // 20 ms
      assert.equal(hex(await peer.next()), "13 00 05");
    });
  });

  test("the callee's deadline: a REQUEST's is the server's WELCOME timeout_ms", async () => {
    await session(
      async ({ client, peer }) => {
        client.functions.confirm.setCallback(() => new Promise<boolean>(() => {}));
        peer.send(bytes('05 10 03 91 a1 "a"'));
        assert.equal(hex(await peer.next()), "13 00 05");
      },
      { welcomeBody: welcome({ timeoutMs: 20 }) },
    );
  });

  test("the callee's deadline: the client's own timeout when WELCOME says 0", async () => {
    await session(
      async ({ client, peer }) => {
        client.functions.confirm.setCallback(() => new Promise<boolean>(() => {}));
        peer.send(bytes('05 10 03 91 a1 "a"'));
        assert.equal(hex(await peer.next()), "13 00 05");
      },
      { welcomeBody: welcome({ timeoutMs: 0 }), timeout: 20 },
    );
  });

  test("a result after the deadline is dropped", async () => {
    await session(async ({ client, peer }) => {
      const hold = deferred<boolean>();
      client.functions.confirm.setCallback(() => hold.promise);
      peer.send(bytes('06 11 03 0a 91 a1 "a"'));
      assert.equal(hex(await peer.next()), "13 00 05");
      hold.resolve(true);
      client.events.chat.fire("next");
      assert.equal(hex(await peer.next()), "20 04 91 a4 6e 65 78 74", "no REPLY_OK after the Timeout");
    });
  });

  test("CANCEL from the server answers a running callback Cancelled; unknown numbers are ignored", async () => {
    await session(async ({ client, peer }) => {
      client.functions.confirm.setCallback(() => new Promise<boolean>(() => {}));
      peer.send(bytes('05 10 03 91 a1 "a"'), bytes('05 10 03 91 a1 "b"'));
      peer.send(bytes("02 14 07"), bytes("05 14 01 ff ff ff"));
      assert.equal(hex(await peer.next()), "13 01 01", "call 1 is the second unanswered");
      peer.send(bytes("02 14 01"), bytes("02 14 00"));
      assert.equal(hex(await peer.next()), "13 00 01");
    });
  });

  test("a running callback's signal aborts on CANCEL, at its deadline and when the connection closes", async () => {
    const reasons: unknown[] = [];
    await session(async ({ client, peer }) => {
      const [called, aborted] = [new Queue<string>(), new Queue<string>()];
      client.functions.confirm.setCallback((prompt, { signal }) => {
        called.push(prompt);
        signal.addEventListener("abort", () => {
          reasons.push(signal.reason);
          aborted.push(prompt);
        });
        return new Promise<boolean>(() => {});
      });
      peer.send(bytes('05 10 03 91 a1 "c"'), bytes("02 14 00"));
      assert.equal(hex(await peer.next()), "13 00 01");
      assert.equal(await aborted.next(), "c");
      peer.send(bytes('0b 11 03 14 91 a6 "t....."')); // 20 ms
      assert.equal(hex(await peer.next()), "13 00 05");
      assert.equal(await aborted.next(), "t.....");
      peer.send(bytes('05 10 03 91 a1 "d"'));
      for (const prompt of ["c", "t.....", "d"]) assert.equal(await called.next(), prompt);
      client.close();
      assert.equal(await aborted.next(), "d");
    });
    assert.deepEqual(
      reasons.map((r) => (r instanceof FunctionError ? r.kind : r)),
      ["Cancelled", "Timeout", "Disconnected"],
    );
  });

  test("a callback that answers is not aborted", async () => {
    await session(async ({ client, peer }) => {
      let signal: AbortSignal | undefined;
      client.functions.confirm.setCallback(async (_prompt, context) => {
        signal = context.signal;
        return true;
      });
      peer.send(bytes('05 10 03 91 a1 "a"'));
      assert.equal(hex(await peer.next()), "12 00 c3");
      client.close();
      assert.equal(signal?.aborted, false);
    });
  });

  test("past maxInFlight running callbacks: Cancelled; a callback that answers at once is never in flight", async () => {
    await session(
      async ({ client, peer }) => {
        let sync = false;
        client.functions.confirm.setCallback(() => (sync ? true : new Promise<boolean>(() => {})));
        peer.send(bytes('05 10 03 91 a1 "a"'), bytes('05 10 03 91 a1 "b"'), bytes('05 10 03 91 a1 "c"'));
        assert.equal(hex(await peer.next()), "13 02 01", "the third: two are running");
        sync = true;
        // Still two running: even a callback that would answer at once is refused (the check comes first).
        peer.send(bytes('05 10 03 91 a1 "d"'));
        assert.equal(hex(await peer.next()), "13 02 01");
        peer.send(bytes("02 14 00"));
        assert.equal(hex(await peer.next()), "13 00 01");
        peer.send(bytes('05 10 03 91 a1 "e"'), bytes('05 10 03 91 a1 "f"'));
        assert.equal(hex(await peer.next()), "12 01 c3");
        assert.equal(hex(await peer.next()), "12 01 c3");
      },
      { maxInFlight: 2 },
    );
  });

  test("calls pipelined with WELCOME are answered once connect has resolved, by the callback set right after", async () => {
    await session(
      async ({ client, peer }) => {
        client.functions.confirm.setCallback((prompt) => prompt === "Sell?");
        assert.equal(hex(await peer.next()), "12 00 c3");
      },
      { extra: bytes('09 10 03 91 a5 "Sell?"') },
    );
  });
});
