// Bytes written as in PROTOCOL.md: hex pairs, and "quoted text" for its UTF-8 bytes: `a8 "protocol" 01`.

export function bytes(text: string): Uint8Array {
  const out: number[] = [];
  const encoder = new TextEncoder();
  for (const token of text.match(/"[^"]*"|[0-9a-fA-F]{2}|\S+/g) ?? []) {
    if (token.startsWith('"')) out.push(...encoder.encode(token.slice(1, -1)));
    else if (/^[0-9a-fA-F]{2}$/.test(token)) out.push(parseInt(token, 16));
    else throw new Error(`not a byte: ${token}`);
  }
  return Uint8Array.from(out);
}

export function hex(data: Uint8Array): string {
  return Array.from(data, (b) => b.toString(16).padStart(2, "0")).join(" ");
}
