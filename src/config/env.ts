/** Typed readers for environment variables; each failure message names the variable. */

export type Env = Readonly<Record<string, string | undefined>>;

/** `true`/`1` → true, `false`/`0`/unset/empty → false; anything else is a problem (no silent false for "yes"). */
export function readFlag(env: Env, name: string, problems: string[]): boolean {
  const value = env[name]?.trim().toLowerCase();
  if (value === undefined || value === "" || value === "false" || value === "0") return false;
  if (value === "true" || value === "1") return true;
  problems.push(`${name}: expected true, false, 1 or 0, got "${env[name]}"`);
  return false;
}

/** A whole number in [min, max], or `fallback` when unset or empty. */
export function readInteger(
  env: Env,
  name: string,
  fallback: number,
  min: number,
  max: number,
  problems: string[],
  unit = "",
): number {
  const text = env[name]?.trim();
  if (text === undefined || text === "") return fallback;
  const value = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    problems.push(`${name}: expected a whole number${unit} from ${min} to ${max}, got "${env[name]}"`);
    return fallback;
  }
  return value;
}
