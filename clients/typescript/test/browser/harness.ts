// The page the browser tests drive (test/browser/browser.test.ts): each button makes one kind of call against the
// peer (`remotes-typescript-peer`), and writes what happened where the test (and a screenshot) can read it.
// The URLs come from the query string: `?url=ws://..&mismatch=ws://..`.
import { ConnectError, FunctionError, connect } from "remotes-client";
import { net } from "../peer/net.js";

const query = new URLSearchParams(location.search);
const el = (id: string): HTMLElement => document.getElementById(id) as HTMLElement;
const show = (id: string, text: string) => {
  el(`${id}-result`).textContent = `${id}: ${text}`;
};
const describe = (error: unknown): string =>
  error instanceof FunctionError
    ? error.kind
    : error instanceof ConnectError
      ? error.message // which starts with its kind
      : String(error);

/** Runs `call` when the button `id` is clicked, and shows its value or its error. */
function button(id: string, call: () => Promise<string>): void {
  el(id).onclick = () => {
    show(id, "pending");
    call().then(
      (value) => show(id, value),
      (error: unknown) => show(id, describe(error)),
    );
  };
}

try {
  const client = await connect(net, query.get("url") ?? "");
  el("status").textContent = `connected as player ${client.player}`;
  void client.closed.then((reason) => {
    el("status").textContent = `closed: ${reason.kind} (${reason.message})`;
  });
  client.functions.confirm.setCallback(
    (prompt) =>
      new Promise<boolean>((resolve) => {
        el("question").textContent = prompt;
        el("prompt").hidden = false;
        const answer = (value: boolean) => () => {
          el("prompt").hidden = true;
          resolve(value);
        };
        el("yes").onclick = answer(true);
        el("no").onclick = answer(false);
      }),
  );
  button("buy", async () => {
    const receipt = await client.functions.buyItem.invoke(7, 2);
    return `item ${receipt.item}, quantity ${receipt.quantity}, coins left ${receipt.coins_left}`;
  });
  button("ask", () => client.functions.ask.invoke("Sell item 7?", 10_000));
  button("slow", async () => {
    await client.functions.slow.with({ timeout: 300 }).invoke(5_000);
    return "returned";
  });
  button("bad", async () => {
    await client.functions.buyItem.invoke(7, 500);
    return "sent";
  });
  button("long", async () => {
    await client.functions.slow.invoke(60_000);
    return "returned";
  });
  button("mismatch", async () => {
    const old = await connect(net, query.get("mismatch") ?? "");
    old.close();
    return "connected";
  });
} catch (error) {
  el("status").textContent = `could not connect: ${describe(error)}`;
}
