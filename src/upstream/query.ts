/** The caller's query string: the routing parameters it carries, and what is passed on to the SFU. */

/** Longest query string accepted; Odoo's own queries are far shorter. */
export const MAX_QUERY_LENGTH = 4096;

/** Parameters the gateway consumes; they are not passed on to the SFU. */
const ROUTING_PARAMETERS = new Set(["region", "country"]);

export type RoutingQuery =
  | { readonly region?: string; readonly country?: string; readonly passOn: string }
  | { readonly error: string };

/** Form-decodes one name or value (`+` is a space); null when its percent-encoding is invalid. */
export function formDecode(text: string): string | null {
  if (text.indexOf("%") < 0 && text.indexOf("+") < 0) return text;
  try {
    return decodeURIComponent(text.replace(/\+/g, " "));
  } catch {
    return null;
  }
}

/**
 * Splits a raw query (without `?`) into the routing parameters and the query to pass on: the
 * caller's bytes minus every `region` and `country` pair (whatever their spelling, `%72egion` or a
 * bare `region`), everything else byte for byte, in order. A repeated or undecodable routing
 * parameter is an error, never a guess.
 */
export function splitQuery(raw: string): RoutingQuery {
  if (raw.length === 0) return { passOn: "" };
  if (raw.length > MAX_QUERY_LENGTH) return { error: `query string longer than ${MAX_QUERY_LENGTH} bytes` };
  let region: string | undefined;
  let country: string | undefined;
  const kept: string[] = [];
  for (const pair of raw.split("&")) {
    const eq = pair.indexOf("=");
    const name = formDecode(eq < 0 ? pair : pair.slice(0, eq));
    if (name === null || !ROUTING_PARAMETERS.has(name)) {
      kept.push(pair);
      continue;
    }
    const value = eq < 0 ? "" : formDecode(pair.slice(eq + 1));
    if (value === null) return { error: `query parameter ${name} is not valid percent-encoding` };
    if (name === "region") {
      if (region !== undefined) return { error: "query parameter region is given more than once" };
      region = value;
    } else {
      if (country !== undefined) return { error: "query parameter country is given more than once" };
      country = value;
    }
  }
  const passOn = kept.length === 1 ? kept[0]! : kept.join("&");
  return { region, country, passOn };
}
