// Remotes declared in both directions (a two-way event, a two-way function): one handle with both method sets, each
// direction bound to its own entry of the server's table, with its own signature, wire id and mismatch.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { WebSocket } from "ws";

import { connect, ConnectError, FunctionError, type ConnectOptions } from "remotes-client";
import { buildFrame, Kind } from "../src/frame.js";
import { bindInterface, wireRemote, type WireRemote } from "../src/handshake.js";
import * as msgpack from "../src/msgpack.js";
import { remoteKey } from "../src/spec.js";
import { two_way, type TwoWayRemotes } from "./fixtures/two-way.js";
import { bytes, hex } from "./helpers/bytes.js";
import { FakeServer, frameOf, Queue, sessionOf, welcome, type Peer, type Session } from "./helpers/fake-server.js";

/** The Rust server's table for the fixture: its remotes in the interface's order. */
const TABLE: WireRemote[] = two_way.spec.remotes.map(wireRemote);

const FUNCTION = 0;
const EVENT = 1;
const TO_SERVER = 0;
const TO_CLIENT = 1;

/** The wire id of an entry of `table`. */
function idOf(table: readonly WireRemote[], name: string, kind: number, direction: number): number {
  const id = table.findIndex(([n, k, d]) => n === name && k === kind && d === direction);
  assert.ok(id >= 0, `${name} ${kind} ${direction} is in the table`);
  assert.ok(id < 128, "a one-byte varint");
  return id;
}

/** A one-byte varint (or slot) as hex. */
const h = (n: number) => n.toString(16).padStart(2, "0");

/** The table with the entry of `name`, `kind`, `direction` changed by `change` (or left out when it returns undefined). */
function tableWith(
  name: string,
  kind: number,
  direction: number,
  change: (entry: WireRemote) => WireRemote | undefined,
): WireRemote[] {
  return TABLE.flatMap((entry) => {
    if (entry[0] !== name || entry[1] !== kind || entry[2] !== direction) return [entry];
    const changed = change(entry);
    return changed ? [changed] : [];
  });
}

function twoWaySession(
  table: WireRemote[],
  body: (s: Session<TwoWayRemotes>) => Promise<void>,
  options: ConnectOptions = {},
) {
  return sessionOf(two_way, body, { ...options, welcomeBody: welcome({ remotes: table }) });
}

/** Connects to a fake server that answers HELLO with a WELCOME of `table`; the connect's error, if it fails. */
async function connectError(table: WireRemote[]): Promise<ConnectError> {
  const server = await FakeServer.start();
  try {
    const connecting = connect(two_way, server.url, { WebSocket, onWarning: () => {} });
    const peer = await server.nextPeer();
    await peer.next();
    peer.send(frameOf(welcome({ remotes: table })));
    const error = await connecting.then(
      (client) => {
        client.close();
        return undefined;
      },
      (e: unknown) => e,
    );
    assert.ok(error instanceof ConnectError, `expected a ConnectError, got ${String(error)}`);
    await peer.closed;
    return error;
  } finally {
    await server.close();
  }
}

/** Sends `args` as an EVENT or REQUEST frame of wire id `id`. */
function send(peer: Peer, kind: number, id: number, args: unknown[]): void {
  peer.send(buildFrame(kind, [id], msgpack.encode(args)));
}

describe("bindings with two-way remotes", () => {
  test("the generator's file defines one handle per name, with the methods of both directions", async () => {
    await twoWaySession(TABLE, async ({ client }) => {
      assert.deepEqual(Object.keys(client.functions.ping).sort(), ["clearCallback", "invoke", "setCallback", "with"]);
      assert.deepEqual(Object.keys(client.events.sync).sort(), ["connect", "fire"]);
      assert.deepEqual(Object.keys(client.events.shop.price).sort(), ["connect", "fire"]);
      assert.deepEqual(Object.keys(client.functions.buyItem).sort(), ["invoke", "with"]);
      assert.deepEqual(Object.keys(client.events.said), ["connect"]);
      assert.ok(Object.isFrozen(client.functions.ping));
      assert.ok(Object.isFrozen(client.events.shop.price));
      assert.ok(Object.isFrozen(client.events.shop));
    });
  });

  test("HELLO lists both directions of each two-way name", async () => {
    await twoWaySession(TABLE, async ({ hello }) => {
      const map = msgpack.decode(hello.subarray(1)) as Map<string, unknown>;
      const remotes = (map.get("remotes") as unknown[][]).map(([n, k, d, hash]) => [
        n,
        k,
        d,
        BigInt(hash as number | bigint),
      ]);
      assert.deepEqual(remotes, TABLE);
      assert.deepEqual(
        remotes.filter(([n]) => n === "sync").map(([, k, d]) => [k, d]),
        [
          [EVENT, TO_SERVER],
          [EVENT, TO_CLIENT],
        ],
      );
    });
  });

  test("each direction binds to the entry of its name and direction, whatever the table's order", () => {
    for (const table of [TABLE, [...TABLE].reverse()]) {
      const bound = bindInterface(two_way.spec, table);
      assert.deepEqual(bound.mismatches, []);
      for (const remote of two_way.spec.remotes) {
        const [name, kind, direction] = wireRemote(remote);
        const id = idOf(table, name, kind, direction);
        assert.deepEqual(bound.byKey.get(remoteKey(remote.name, remote.direction)), { id });
        assert.equal(bound.byId.get(id), remote);
      }
    }
  });
});

for (const [order, table] of [
  ["the interface's order", TABLE],
  ["reverse order", [...TABLE].reverse()],
] as const) {
  describe(`two-way remotes, the WELCOME table in ${order}`, () => {
    const syncUp = idOf(table, "sync", EVENT, TO_SERVER);
    const syncDown = idOf(table, "sync", EVENT, TO_CLIENT);
    const priceUp = idOf(table, "shop.price", EVENT, TO_SERVER);
    const priceDown = idOf(table, "shop.price", EVENT, TO_CLIENT);
    const pingUp = idOf(table, "ping", FUNCTION, TO_SERVER);
    const pingDown = idOf(table, "ping", FUNCTION, TO_CLIENT);

    test("connects without a mismatch", async () => {
      await twoWaySession(table, async ({ client }) => {
        assert.deepEqual(client.mismatches, []);
      });
    });

    test("an event both ways: fire sends the to-server id and signature, the to-client id reaches connect", async () => {
      await twoWaySession(table, async ({ client, peer, warnings }) => {
        const heard = new Queue<[number | bigint, number | bigint]>();
        client.events.sync.connect((tick, serverTime) => heard.push([tick, serverTime]));
        client.events.sync.fire(5);
        assert.equal(hex(await peer.next()), `20 ${h(syncUp)} 91 05`);
        send(peer, Kind.EVENT, syncDown, [7, -3]);
        assert.deepEqual(await heard.next("sync"), [7, -3]);

        // The to-server id is not one the server may fire; the to-client signature decodes the to-client id.
        send(peer, Kind.EVENT, syncUp, [1]);
        assert.match(
          await warnings.next(),
          new RegExp(`remote id ${syncUp}, which is no event of these bindings it may fire`),
        );
        send(peer, Kind.EVENT, syncDown, [1]);
        assert.match(await warnings.next(), /the server fired sync \(to_client\) with arguments that do not match/);
        send(peer, Kind.EVENT, syncDown, [8, 0]);
        assert.deepEqual(await heard.next("sync"), [8, 0]);
        assert.equal(heard.length, 0);

        // Arguments are checked against the to-server signature (one u64), and errors name the wire name.
        const fire = client.events.sync.fire as (...args: unknown[]) => void;
        assert.throws(
          () => fire(1, 2),
          (e: unknown) => e instanceof FunctionError && e.kind === "BadRequest" && e.remote === "sync",
        );
      });
    });

    test("a namespaced event both ways", async () => {
      await twoWaySession(table, async ({ client, peer }) => {
        const heard = new Queue<unknown[]>();
        client.events.shop.price.connect((...args) => heard.push(args));
        client.events.shop.price.fire(3, 40);
        assert.equal(hex(await peer.next()), `20 ${h(priceUp)} 92 03 28`);
        send(peer, Kind.EVENT, priceDown, [3, 45, "ann"]);
        assert.deepEqual(await heard.next("price"), [3, 45, "ann"]);
        send(peer, Kind.EVENT, priceDown, [4, 50, null]);
        assert.deepEqual(await heard.next("price"), [4, 50, null]);
      });
    });

    test("a to-client event is held until a listener connects, firing the other direction meanwhile", async () => {
      await twoWaySession(table, async ({ client, peer }) => {
        send(peer, Kind.EVENT, syncDown, [1, 2]);
        // A call without a callback, answered Unprocessed: the event before it has arrived.
        send(peer, Kind.REQUEST, pingDown, ["x"]);
        assert.equal(hex(await peer.next()), "13 00 04");
        client.events.sync.fire(9);
        assert.equal(hex(await peer.next()), `20 ${h(syncUp)} 91 09`);
        const heard = new Queue<unknown[]>();
        client.events.sync.connect((...args) => heard.push(args));
        assert.deepEqual(await heard.next("held sync"), [1, 2]);
        assert.equal(heard.length, 0);
      });
    });

    test("a function both ways: invoke calls the to-server id, the to-client id reaches the callback", async () => {
      await twoWaySession(table, async ({ client, peer, warnings }) => {
        client.functions.ping.setCallback((label) => `client saw ${label}`);
        const up = client.functions.ping.invoke(41);
        assert.equal(hex(await peer.next()), `10 ${h(pingUp)} 91 29`);
        peer.send(bytes("03 12 00 2a"));
        assert.equal(await up, 42);

        send(peer, Kind.REQUEST, pingDown, ["hi"]);
        assert.equal(hex(await peer.next()), hex(bytes('12 00 ad "client saw hi"')));

        // The to-server id is no function the server may call: BadRequest.
        send(peer, Kind.REQUEST, pingUp, [1]);
        assert.equal(hex(await peer.next()), "13 00 02");
        assert.match(
          await warnings.next(),
          new RegExp(`remote id ${pingUp}, which is no function of these bindings it may call`),
        );
        // Arguments of the to-server signature do not decode as the to-client one.
        send(peer, Kind.REQUEST, pingDown, [1]);
        assert.equal(hex(await peer.next()), "13 00 02");
        assert.match(await warnings.next(), /the server called ping \(to_client\) with arguments that do not match/);

        // A callback whose value does not match the to-client output (a string).
        client.functions.ping.setCallback((() => 5) as unknown as () => string);
        send(peer, Kind.REQUEST, pingDown, ["x"]);
        assert.equal(hex(await peer.next()), "13 00 03");
        assert.match(await warnings.next(), /the callback of ping \(to_client\) returned a value that does not match/);

        client.functions.ping.clearCallback();
        send(peer, Kind.REQUEST, pingDown, ["x"]);
        assert.equal(hex(await peer.next()), "13 00 04");

        // An error of the to-server call names the wire name; `with` calls the same id.
        const failed = client.functions.ping.with({ timeout: 500 }).invoke(1);
        assert.equal(hex(await peer.next()), `11 ${h(pingUp)} f4 03 91 01`);
        peer.send(bytes("03 13 00 04"));
        await assert.rejects(failed, { name: "FunctionError", kind: "Unprocessed", remote: "ping" });
      });
    });
  });
}

describe("a mismatch of a two-way remote", () => {
  test("in one direction only: named with its direction, the other direction binds", async () => {
    const table = tableWith("sync", EVENT, TO_CLIENT, ([n, k, d, hash]) => [n, k, d, hash ^ 1n]);
    const error = await connectError(table);
    assert.equal(error.kind, "InterfaceMismatch");
    assert.deepEqual(
      error.mismatches.map((m) => [m.remote, m.direction, m.kind]),
      [["sync", "to_client", "Signature"]],
    );
    assert.match(
      error.message,
      /sync \(to_client\): the server's signature hash is 6cce7bfed9ff01b9, the bindings' 6cce7bfed9ff01b8/,
    );
    assert.doesNotMatch(error.message, /to_server/);
  });

  test("missing in one direction: named with its direction", async () => {
    const error = await connectError(tableWith("ping", FUNCTION, TO_SERVER, () => undefined));
    assert.deepEqual(
      error.mismatches.map((m) => [m.remote, m.direction, m.kind]),
      [["ping", "to_server", "Missing"]],
    );
    assert.match(error.message, /ping \(to_server\): the server does not declare ping as a function to the server/);
  });

  test("a one-way name is named without a direction", async () => {
    const error = await connectError(tableWith("said", EVENT, TO_CLIENT, () => undefined));
    assert.deepEqual(
      error.mismatches.map((m) => [m.remote, m.direction, m.kind]),
      [["said", "to_client", "Missing"]],
    );
    assert.match(error.message, /differs: said: the server does not declare said$/);
  });

  test("strictInterface: false: the differing direction fails, the other works", async () => {
    const table = tableWith("sync", EVENT, TO_CLIENT, ([n, k, d, hash]) => [n, k, d, hash ^ 1n]).filter(
      ([n, k, d]) => !(n === "ping" && k === FUNCTION && d === TO_SERVER),
    );
    const syncUp = idOf(table, "sync", EVENT, TO_SERVER);
    const syncDown = idOf(table, "sync", EVENT, TO_CLIENT);
    const pingDown = idOf(table, "ping", FUNCTION, TO_CLIENT);
    await twoWaySession(
      table,
      async ({ client, peer, warnings }) => {
        assert.deepEqual(
          client.mismatches.map((m) => [m.remote, m.direction, m.kind]),
          [
            ["ping", "to_server", "Missing"],
            ["sync", "to_client", "Signature"],
          ],
        );
        assert.match(await warnings.next(), /interface differs .*: ping \(to_server\): .*; sync \(to_client\): /);
        await assert.rejects(client.functions.ping.invoke(1), {
          name: "FunctionError",
          kind: "Unprocessed",
          remote: "ping",
        });
        client.functions.ping.setCallback((label) => label.toUpperCase());
        send(peer, Kind.REQUEST, pingDown, ["ok"]);
        assert.equal(hex(await peer.next()), hex(bytes('12 00 a2 "OK"')));

        const heard = new Queue<unknown[]>();
        client.events.sync.connect((...args) => heard.push(args));
        send(peer, Kind.EVENT, syncDown, [1, 2]);
        assert.match(
          await warnings.next(),
          new RegExp(`remote id ${syncDown}, which is no event of these bindings it may fire`),
        );
        client.events.sync.fire(3);
        assert.equal(hex(await peer.next()), `20 ${h(syncUp)} 91 03`);
        assert.equal(heard.length, 0);
      },
      { strictInterface: false },
    );
  });

  test("an event not sent in the direction that differs is named with its direction", async () => {
    const table = tableWith("sync", EVENT, TO_SERVER, ([n, k, d, hash]) => [n, k, d, hash ^ 1n]);
    await twoWaySession(
      table,
      async ({ client, warnings }) => {
        assert.match(await warnings.next(), /interface differs/);
        client.events.sync.fire(1);
        assert.match(
          await warnings.next(),
          /^remotes-client: event sync \(to_server\) is not sent: the server's signature hash is/,
        );
      },
      { strictInterface: false },
    );
  });
});
