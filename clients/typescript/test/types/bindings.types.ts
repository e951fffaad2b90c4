// Compile-time tests of the generated bindings (test/peer/net.ts): tsc --strict must accept every line here, and
// each line marked `@ts-expect-error` must fail to type-check (tsc reports an unused directive otherwise). Nothing
// here runs: `check` is only type-checked.
import type { CallContext, Client } from "remotes-client";
import type { Everything, NetRemotes, Receipt, Shape } from "../peer/net.js";

export function check(client: Client<NetRemotes>): void {
  const receipt: Promise<Receipt> = client.functions.buyItem.invoke(7, 2);
  const price: Promise<number | bigint | null> = client.functions.shop.price.invoke(4);
  const nothing: Promise<null> = client.functions.slow.invoke(10n);
  client.functions.confirm.setCallback(async (prompt: string) => prompt.length > 0);
  client.functions.confirm.setCallback(async (prompt, { signal }: CallContext) => !signal.aborted && prompt !== "");
  const off: () => void = client.events.said.connect((from: number | bigint, text: string) => void [from, text]);
  client.events.chat.fire("hi");
  const shapes: Shape[] = ["Empty", { Circle: 1 }, { Pair: [1, 2] }, { Rect: { w: 1, h: 2 } }];
  void [receipt, price, nothing, off, shapes];

  // @ts-expect-error: a string where the item id (u32) goes
  void client.functions.buyItem.invoke("7", 2);
  // @ts-expect-error: a missing argument
  void client.functions.buyItem.invoke(7);
  // @ts-expect-error: an argument too many
  void client.functions.buyItem.invoke(7, 2, 3);
  // @ts-expect-error: the reply is a Receipt, not a string
  const wrong: Promise<string> = client.functions.buyItem.invoke(7, 2);
  // @ts-expect-error: a to-client function cannot be invoked by the client
  void client.functions.confirm.invoke("x");
  // @ts-expect-error: a to-server event cannot be listened to by the client
  client.events.chat.connect(() => {});
  // @ts-expect-error: a to-client event cannot be fired by the client
  client.events.said.fire(1, "x");
  // @ts-expect-error: the context comes after the arguments, not in place of them
  client.functions.confirm.setCallback((context: CallContext) => context.signal.aborted);
  // @ts-expect-error: the callback must return a boolean
  client.functions.confirm.setCallback(async () => "yes");
  // @ts-expect-error: no remote of that name
  void client.functions.buyItems;
  // @ts-expect-error: an enum variant that does not exist
  const bad: Shape = { Square: 1 };
  // @ts-expect-error: a struct field missing
  const partial: Everything["tree"] = { label: "x" };
  void [wrong, bad, partial];
}
