import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { WebSocket } from "ws";

import { connect, ConnectError, type ConnectOptions } from "remotes-client";
import { Kind } from "../src/frame.js";
import { bindInterface, helloPayload, parseReject, parseWelcome, signatureHash, wireRemote } from "../src/handshake.js";
import * as msgpack from "../src/msgpack.js";
import { remoteKey } from "../src/spec.js";
import { net } from "./fixtures/net.js";
import { bytes, hex } from "./helpers/bytes.js";
import { FakeServer, frameOf, Queue, session, welcome, WORKED_TABLE, WORKED_WELCOME } from "./helpers/fake-server.js";

describe("signature hashes (PROTOCOL.md section 5)", () => {
  test("the examples of section 5 and the worked example's table", () => {
    assert.equal(signatureHash("function:to_server:buy_item(u32,u8)->Receipt"), "acf50e0cd4adec0d");
    assert.equal(signatureHash("function:to_server:slow(u64)->()"), "042f62d445e70463");
    assert.equal(signatureHash("function:to_client:confirm(String)->bool"), "27f292718cd6b39b");
    assert.equal(signatureHash("event:to_server:chat(String)->()"), "4b8b072934cb0134");
    assert.equal(signatureHash("function:to_server:daily_bonus()->u64"), "10113cb6cfeea2be");
    assert.equal(signatureHash("event:to_client:said(u64,String)->()"), "5bd5d5d4970cb53a");
    assert.equal(signatureHash("event:to_client:announce(String)->()"), "fa7ac6e3b035c179");
  });

  test("the fixture's hashes are the worked example's", () => {
    assert.deepEqual(net.spec.remotes.map(wireRemote), WORKED_TABLE);
  });
});

describe("handshake maps", () => {
  test("HELLO: protocol, timeout_ms, max_frame, the token when given, the client's table", () => {
    const table = net.spec.remotes.slice(0, 2).map(wireRemote);
    assert.equal(
      hex(helloPayload({ timeoutMs: 10_000, maxFrame: 1 << 20, token: undefined, remotes: table })),
      hex(
        bytes(`84 a8 "protocol" 01 aa "timeout_ms" cd 27 10 a9 "max_frame" ce 00 10 00 00
        a7 "remotes" 92
        94 a8 "buy_item" 00 00 cf ac f5 0e 0c d4 ad ec 0d
        94 a4 "slow" 00 00 d3 04 2f 62 d4 45 e7 04 63`),
      ),
    );
    assert.equal(
      hex(helloPayload({ timeoutMs: 250, maxFrame: 4096, token: "s3cret", remotes: [] })),
      hex(
        bytes(
          `85 a8 "protocol" 01 aa "timeout_ms" cc fa a9 "max_frame" cd 10 00 a5 "token" a6 "s3cret" a7 "remotes" 90`,
        ),
      ),
    );
  });

  test("WELCOME: the worked example's bytes", () => {
    assert.equal(frameOf(WORKED_WELCOME).length, 197);
    assert.equal(hex(frameOf(WORKED_WELCOME).subarray(0, 2)), "c3 01");
    const parsed = parseWelcome(WORKED_WELCOME.subarray(1));
    assert.deepEqual(parsed, { player: 1, timeoutMs: 10_000, maxFrame: 1 << 20, remotes: WORKED_TABLE });
  });

  test("WELCOME: any int form, unknown fields ignored, a player past 2^53 as a bigint", () => {
    const map = new Map<string, unknown>([
      ["future", new Map([["x", [1, 2]]])],
      ["remotes", []],
      ["max_frame", 0],
      ["timeout_ms", 0],
      ["player", 2n ** 60n],
      ["protocol", 1n],
    ]);
    assert.deepEqual(parseWelcome(msgpack.encode(map)), { player: 2n ** 60n, timeoutMs: 0, maxFrame: 0, remotes: [] });
  });

  test("WELCOME that does not decode", () => {
    const protocol = (f: () => unknown, message: RegExp) =>
      assert.throws(f, (e: unknown) => e instanceof ConnectError && e.kind === "Protocol" && message.test(e.reason));
    protocol(() => parseWelcome(bytes("90")), /not a MessagePack map/);
    protocol(() => parseWelcome(bytes("")), /does not hold one MessagePack value/);
    protocol(() => parseWelcome(welcome({ remotes: [] }).subarray(1, 20)), /does not hold/);
    const without = (key: string) => {
      const map = msgpack.decode(welcome().subarray(1)) as Map<string, unknown>;
      map.delete(key);
      return msgpack.encode(map);
    };
    protocol(() => parseWelcome(without("player")), /no field player/);
    protocol(() => parseWelcome(without("remotes")), /no field remotes/);
    const badEntry = msgpack.encode(
      new Map<string, unknown>([
        ["protocol", 1],
        ["player", 1],
        ["timeout_ms", 1],
        ["max_frame", 1],
        ["remotes", [["x", 0, 300, 1]]],
      ]),
    );
    protocol(() => parseWelcome(badEntry), /entry 0/);
    const negative = msgpack.encode(
      new Map<string, unknown>([
        ["protocol", 1],
        ["player", -1],
        ["timeout_ms", 1],
        ["max_frame", 1],
        ["remotes", []],
      ]),
    );
    protocol(() => parseWelcome(negative), /player/);
  });

  test("WELCOME or REJECT of another protocol version", () => {
    assert.throws(
      () => parseWelcome(welcome({ protocol: 2 }).subarray(1)),
      (e: unknown) => e instanceof ConnectError && e.kind === "VersionMismatch",
    );
    const reject = parseReject(
      bytes('82 a8 "protocol" 01 a6 "reason" d9 33 "this server speaks protocol version 1, the client 2"'),
    );
    assert.equal(reject.kind, "Rejected");
    assert.equal(reject.reason, "this server speaks protocol version 1, the client 2");
    const rejectV2 = parseReject(bytes('82 a8 "protocol" 02 a6 "reason" a2 "no"'));
    assert.equal(rejectV2.kind, "VersionMismatch");
  });

  test("mapping the bindings onto a table: by name, kind and direction; hash compared", () => {
    const table = WORKED_TABLE.filter(([n]) => n !== "daily_bonus").map(
      ([n, k, d, h]): [string, number, number, bigint] =>
        n === "slow" ? [n, k, d, h ^ 1n] : n === "chat" ? [n, 0, 0, h] : [n, k, d, h],
    );
    table.unshift(["other", 0, 0, 1n]);
    const bound = bindInterface(net.spec, table);
    assert.deepEqual(
      bound.mismatches.map((m) => [m.remote, m.kind]),
      [
        ["slow", "Signature"],
        ["daily_bonus", "Missing"],
        ["chat", "Missing"],
      ],
    );
    assert.match(bound.mismatches[0]!.detail, /042f62d445e70462, the bindings' 042f62d445e70463/);
    assert.match(bound.mismatches[2]!.detail, /as a function to the server, the bindings as an event to the server/);
    assert.deepEqual(bound.byKey.get(remoteKey("buy_item", "to_server")), { id: 1 });
    assert.equal(bound.byId.get(3)?.name, "confirm");
    assert.equal(bound.byId.get(2), undefined, "a remote declared differently is unknown incoming");
  });
});

/** Connects with `options` to a fake server whose first answer to HELLO is `answer` (a whole message), if any. */
async function attempt(
  answer: ((peer: import("./helpers/fake-server.js").Peer) => void) | undefined,
  options: ConnectOptions = {},
) {
  const server = await FakeServer.start();
  const warnings = new Queue<string>();
  try {
    const connecting = connect(net, server.url, { WebSocket, onWarning: (m) => warnings.push(m), ...options });
    const peer = await server.nextPeer();
    const hello = await peer.next();
    answer?.(peer);
    const result = await connecting.then(
      (client) => ({ client, error: undefined }),
      (error: unknown) => ({ client: undefined, error }),
    );
    result.client?.close();
    return { ...result, hello, peer, warnings };
  } finally {
    await server.close();
  }
}

function connectError(error: unknown, kind: string): ConnectError {
  assert.ok(error instanceof ConnectError, `expected a ConnectError, got ${String(error)}`);
  assert.equal(error.kind, kind, error.message);
  return error;
}

describe("connect", () => {
  test("sends HELLO with the client's table and resolves on WELCOME", async () => {
    await session(
      async ({ client, hello }) => {
        assert.equal(hello[0], Kind.HELLO);
        const map = msgpack.decode(hello.subarray(1)) as Map<string, unknown>;
        assert.deepEqual([...map.keys()], ["protocol", "timeout_ms", "max_frame", "token", "remotes"]);
        assert.equal(map.get("token"), "tok");
        assert.deepEqual(
          (map.get("remotes") as unknown[][]).map(([n, k, d, h]) => [n, k, d, BigInt(h as number | bigint)]),
          WORKED_TABLE,
        );
        const start = bytes(
          '01 85 a8 "protocol" 01 aa "timeout_ms" cd 27 10 a9 "max_frame" ce 00 10 00 00 a5 "token" a3 "tok" a7 "remotes" 97',
        );
        assert.equal(hex(hello.subarray(0, start.length)), hex(start));
        assert.equal(client.player, 1);
        assert.deepEqual(client.mismatches, []);
        assert.equal(typeof client.functions.buyItem.invoke, "function");
        assert.equal(typeof client.functions.confirm.setCallback, "function");
        assert.equal(typeof client.events.chat.fire, "function");
        assert.equal(typeof client.events.announce.connect, "function");
      },
      { token: "tok" },
    );
  });

  test("HELLO announces the timeout and maximum frame it was given", async () => {
    await session(
      async ({ hello }) => {
        const map = msgpack.decode(hello.subarray(1)) as Map<string, unknown>;
        assert.equal(map.get("timeout_ms"), 1234);
        assert.equal(map.get("max_frame"), 4096);
        assert.equal(map.has("token"), false);
      },
      { timeout: 1234.9, maxFrame: 4096 },
    );
  });

  test("an interface mismatch names every differing remote", async () => {
    const remotes = WORKED_TABLE.filter(([n]) => n !== "announce").map(
      ([n, k, d, h]): [string, number, number, bigint] => [n, k, d, n === "buy_item" ? 1n : h],
    );
    const { error, peer } = await attempt((p) => p.send(frameOf(welcome({ remotes }))));
    const e = connectError(error, "InterfaceMismatch");
    assert.deepEqual(
      e.mismatches.map((m) => [m.remote, m.kind]),
      [
        ["buy_item", "Signature"],
        ["announce", "Missing"],
      ],
    );
    assert.match(e.message, /buy_item: the server's signature hash is 0000000000000001/);
    assert.match(e.message, /announce: the server does not declare announce/);
    await peer.closed;
  });

  test("strictInterface: false connects; calls to a missing remote settle Unprocessed, to a differing one BadRequest", async () => {
    const remotes = WORKED_TABLE.filter(([n]) => n !== "daily_bonus").map(
      ([n, k, d, h]): [string, number, number, bigint] => [n, k, d, n === "slow" ? 1n : h],
    );
    await session(
      async ({ client, peer, warnings }) => {
        assert.deepEqual(
          client.mismatches.map((m) => [m.remote, m.kind]),
          [
            ["slow", "Signature"],
            ["daily_bonus", "Missing"],
          ],
        );
        assert.match(await warnings.next(), /interface differs/);
        await assert.rejects(client.functions.dailyBonus.invoke(), {
          name: "FunctionError",
          kind: "Unprocessed",
          remote: "daily_bonus",
        });
        await assert.rejects(client.functions.slow.invoke(5), { kind: "BadRequest", remote: "slow" });
        // Nothing was sent for them, and no number was consumed: the next call is call 0, remote 0 (the table's order).
        const call = client.functions.buyItem.invoke(7, 2);
        assert.equal(hex(await peer.next()), "10 00 92 07 02");
        peer.send(bytes("06 12 00 93 07 02 5a"));
        assert.deepEqual(await call, { item: 7, quantity: 2, coins_left: 90 });
      },
      { strictInterface: false, welcomeBody: welcome({ remotes }) },
    );
  });

  test("REJECT: Rejected with the server's reason", async () => {
    const { error } = await attempt((p) => p.send(bytes('17 03 82 a8 "protocol" 01 a6 "reason" a3 "no!"')));
    assert.equal(connectError(error, "Rejected").reason, "no!");
  });

  test("a version-2 REJECT or WELCOME: VersionMismatch", async () => {
    const reject = await attempt((p) =>
      p.send(
        bytes("48 03 82 a8"),
        bytes('"protocol" 02 a6 "reason" d9 33 "this server speaks protocol version 2, the client 1"'),
      ),
    );
    connectError(reject.error, "VersionMismatch");
    const welcomed = await attempt((p) => p.send(frameOf(welcome({ protocol: 2 }))));
    connectError(welcomed.error, "VersionMismatch");
  });

  test("a first frame that is neither, a bad map, a framing error, a text message: Protocol", async () => {
    connectError((await attempt((p) => p.send(bytes("01 30")))).error, "Protocol");
    connectError((await attempt((p) => p.send(bytes("02 02 90")))).error, "Protocol");
    connectError((await attempt((p) => p.send(bytes("00")))).error, "Protocol");
    connectError((await attempt((p) => p.send(bytes("ff ff ff 7f")))).error, "Protocol");
    connectError((await attempt((p) => p.socket.send("hello"))).error, "Protocol");
  });

  test("a WELCOME longer than the client's maxFrame is a framing error", async () => {
    const { error } = await attempt((p) => p.send(frameOf(WORKED_WELCOME)), { maxFrame: 100 });
    assert.match(connectError(error, "Protocol").reason, /exceeds the maximum of 100/);
  });

  test("the connection closing during the handshake: Io", async () => {
    connectError((await attempt((p) => p.socket.close())).error, "Io");
  });

  test("no WELCOME within handshakeTimeout: HandshakeTimeout", async () => {
    const { error, peer } = await attempt(undefined, { handshakeTimeout: 50 });
    connectError(error, "HandshakeTimeout");
    await peer.closed;
  });

  test("the handshake deadline covers opening the WebSocket", async () => {
    // A server that accepts TCP and never answers the upgrade.
    const net_ = await import("node:net");
    const sockets: import("node:net").Socket[] = [];
    const tcp = net_.createServer((s) => sockets.push(s));
    await new Promise<void>((r) => tcp.listen(0, "127.0.0.1", r));
    const { port } = tcp.address() as import("node:net").AddressInfo;
    try {
      const error = await connect(net, `ws://127.0.0.1:${port}/`, { WebSocket, handshakeTimeout: 50 }).catch(
        (e: unknown) => e,
      );
      connectError(error, "HandshakeTimeout");
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((r) => tcp.close(r));
    }
  });

  test("nothing listening: Io", async () => {
    const server = await FakeServer.start();
    const url = server.url;
    await server.close();
    connectError(await connect(net, url, { WebSocket }).catch((e: unknown) => e), "Io");
  });

  test("no WebSocket constructor, or a bad URL: Io", async () => {
    const saved = (globalThis as { WebSocket?: unknown }).WebSocket;
    (globalThis as { WebSocket?: unknown }).WebSocket = undefined;
    try {
      connectError(await connect(net, "ws://127.0.0.1:1/").catch((e: unknown) => e), "Io");
    } finally {
      (globalThis as { WebSocket?: unknown }).WebSocket = saved;
    }
    connectError(await connect(net, "not a url", { WebSocket }).catch((e: unknown) => e), "Io");
  });

  test("options out of range are refused", async () => {
    await assert.rejects(connect(net, "ws://127.0.0.1:1/", { WebSocket, timeout: -1 }), RangeError);
    await assert.rejects(connect(net, "ws://127.0.0.1:1/", { WebSocket, maxFrame: 1.5 }), RangeError);
  });
});
