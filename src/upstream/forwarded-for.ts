/** The X-Forwarded-For value the SFU receives: the SFU records its leftmost entry as the channel owner. */

/** `::ffff:10.0.0.5` → `10.0.0.5`: the form the SFU sees when Odoo connects to it directly. */
export function plainAddress(address: string): string {
  return address.startsWith("::ffff:") && address.indexOf(".") > 0 ? address.slice(7) : address;
}

/**
 * The peer's address alone, unless the gateway is told to trust its proxy: then the incoming chain is
 * kept and the peer (the proxy) appended. A client-sent header is never trusted otherwise.
 */
export function forwardedFor(peer: string, incoming: string | null, trustProxy: boolean): string {
  const address = plainAddress(peer);
  if (!trustProxy || incoming === null) return address;
  const chain = incoming.trim();
  return chain === "" ? address : `${chain}, ${address}`;
}

/**
 * The caller's address for the caller-address rules: the socket's peer, or, behind a trusted proxy,
 * the last address of the incoming chain (the one that proxy appended: the client cannot forge it).
 */
export function callerAddress(peer: string, incoming: string | null, trustProxy: boolean): string {
  if (!trustProxy || incoming === null) return plainAddress(peer);
  const last = incoming.slice(incoming.lastIndexOf(",") + 1).trim();
  return last === "" ? plainAddress(peer) : plainAddress(last);
}
