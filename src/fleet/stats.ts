/** Reading an SFU's GET /v1/stats answer: a JSON array with one object per channel (odoo/sfu and o-sfu). */

export interface StatsFigures {
  readonly sessions: number;
  readonly channels: number;
}

/** Sessions and channels from a /v1/stats body, or why the body is not a stats answer. */
export function parseStats(body: string): StatsFigures | string {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    return "the stats body is not JSON";
  }
  if (!Array.isArray(value)) return "the stats body is not a JSON array";
  let sessions = 0;
  for (const channel of value) {
    const count = (channel as { sessionsStats?: { count?: unknown } } | null)?.sessionsStats?.count;
    if (typeof count !== "number" || !Number.isFinite(count) || count < 0) {
      return "a channel of the stats has no sessionsStats.count";
    }
    sessions += count;
  }
  return { sessions, channels: value.length };
}
