/**
 * Reloading the configuration without a restart: read it again the way it was read at start,
 * validate it, and swap it in; an invalid one is refused with a log line and the running one stays.
 * Used by SIGHUP, by the secrets-file watcher and by POST /admin/reload.
 */
import { watch, type FSWatcher } from "node:fs";
import { basename, dirname } from "node:path";
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

/**
 * Reloads when the file at `path` changes (debounced); returns the watcher to close. Null when it
 * cannot be watched. The file's folder is watched, not the file: editors and config tools replace a
 * file by renaming a new one over it, and a watch on the old file would see nothing after that.
 * Kubernetes swaps a mounted secret's `..data` link instead, which counts as a change too.
 */
export function watchFile(path: string, reload: Reloader, onError: (message: string) => void, debounceMs = 200): FSWatcher | null {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const name = basename(path);
  try {
    const watcher = watch(dirname(path), (_event, changed) => {
      if (changed !== null && changed !== name && changed !== "..data") return;
      clearTimeout(timer);
      timer = setTimeout(() => reload("file change"), debounceMs);
      timer.unref();
    });
    // An error later on (the folder removed...) stops the watch; unhandled, it would end the process.
    watcher.on("error", (error) => onError(String(error?.message ?? error)));
    watcher.unref();
    return watcher;
  } catch (error) {
    onError(String((error as Error)?.message ?? error));
    return null;
  }
}
