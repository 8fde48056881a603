/** JSON-lines logging: one object per line on stdout. Callers never pass a token or a key. */

export type Level = "debug" | "info" | "warn" | "error";
const RANK: Readonly<Record<Level, number>> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
  log(level: Level, event: string, fields?: Readonly<Record<string, unknown>>): void;
  info(event: string, fields?: Readonly<Record<string, unknown>>): void;
  warn(event: string, fields?: Readonly<Record<string, unknown>>): void;
  error(event: string, fields?: Readonly<Record<string, unknown>>): void;
  /** Writes out whatever is buffered. */
  flush(): void;
}

export interface Sink {
  write(line: string): void;
  flush(): void;
}

/**
 * Stdout, buffered: lines written during one turn of the event loop go out together at its end,
 * which keeps a log line per request cheap under load.
 */
export function stdoutSink(): Sink {
  const writer = Bun.stdout.writer();
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    writer.flush();
  };
  return {
    write(line) {
      writer.write(`${line}\n`);
      if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
    },
    flush,
  };
}

/** Keeps lines in memory (tests, and callers that print them their own way). */
export function memorySink(lines: string[] = []): Sink & { readonly lines: string[] } {
  return { lines, write: (line) => void lines.push(line), flush: () => {} };
}

export function createLogger(sink: Sink = stdoutSink(), minimum: Level = "info"): Logger {
  const floor = RANK[minimum];
  const log = (level: Level, event: string, fields?: Readonly<Record<string, unknown>>) => {
    if (RANK[level] < floor) return;
    sink.write(JSON.stringify({ time: new Date().toISOString(), level, event, ...fields }));
  };
  return {
    log,
    info: (event, fields) => log("info", event, fields),
    warn: (event, fields) => log("warn", event, fields),
    error: (event, fields) => log("error", event, fields),
    flush: () => sink.flush(),
  };
}
