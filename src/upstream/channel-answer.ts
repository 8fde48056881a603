/** What makes an SFU's /v1/channel answer usable by Odoo. */

export interface Channel {
  readonly uuid: string;
  readonly url: string;
}

/**
 * The channel in an SFU's 2xx body, or why it is unusable. Odoo reads `uuid` and `url` outside its
 * error handling and browsers open `url` (http→ws), so both must be there and `url` must be http(s).
 */
export function parseChannel(body: string): Channel | string {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    return "the body is not JSON";
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) return "the body is not a JSON object";
  const { uuid, url } = value as Record<string, unknown>;
  if (typeof uuid !== "string" || uuid === "") return "uuid is missing or not a string";
  if (typeof url !== "string" || url === "") return "url is missing or not a string";
  if (!/^https?:\/\/[^/?#\s]+/i.test(url)) return "url is not an http(s) URL";
  // A fresh object with exactly these two fields: serialised as is for Odoo.
  return { uuid, url };
}
