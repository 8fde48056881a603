/**
 * Reloading the configuration without a restart: read it again the way it was read at start,
 * validate it, and swap it in; an invalid one is refused with a log line and the running one stays.
 * Used by SIGHUP, by the secrets-file watcher and by POST /admin/reload.
 */
import { watch, type FSWatcher } from "node:fs";
import type { Config } from "./config/types.ts";
import { ConfigError } from "./config/types.ts";
import type { Gateway, ReloadSummary } from "./gateway.ts";

export type ReloadOutcome =
  | { readonly ok: true; readonly summary: ReloadSummary; readonly warnings: readonly string[] }
  | { readonly ok: false; readonly problems: readonly string[] };

/** Reads the configuration again; throws ConfigError when it is invalid. */
export type ConfigReader = () => { readonly config: Config; readonly warnings: readonly string[] };

export type Reloader = (trigger: string) => ReloadOutcome;

export function reloader(gateway: Gateway, read: ConfigReader): Reloader {
  return (trigger) => {
    let loaded: ReturnType<ConfigReader>;
    try {
      loaded = read();
    } catch (error) {
      const problems = error instanceof ConfigError ? error.problems : [String((error as Error)?.message ?? error)];
      gateway.metrics.reload(false);
      gateway.log.error("reload-refused", { trigger, problems, kept_generation: gateway.runtime.generation });
      return { ok: false, problems };
    }
    const summary = gateway.apply(loaded.config);
    gateway.metrics.reload(true);
    for (const warning of loaded.warnings) gateway.log.warn("config", { message: warning });
    gateway.log.info("reloaded", { trigger, ...summary });
    return { ok: true, summary, warnings: loaded.warnings };
  };
}

/** Reloads when the file at `path` changes (debounced); returns the watcher to close. Null when it cannot be watched. */
export function watchFile(path: string, reload: Reloader, onError: (message: string) => void, debounceMs = 200): FSWatcher | null {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    const watcher = watch(path, () => {
      clearTimeout(timer);
      timer = setTimeout(() => reload("file change"), debounceMs);
      timer.unref();
    });
    watcher.unref();
    return watcher;
  } catch (error) {
    onError(String((error as Error)?.message ?? error));
    return null;
  }
}
