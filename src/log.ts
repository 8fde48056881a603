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

/** How long a log line may wait in the buffer before it is written out. */
const FLUSH_INTERVAL_MS = 100;
/** Buffered bytes that trigger an immediate write. */
const FLUSH_BYTES = 64 * 1024;

/**
 * Stdout, buffered: lines go out in one write when 64 KiB have gathered or 100 ms have passed,
 * whichever comes first (one write per line costs a system call per request under load).
 */
export function stdoutSink(): Sink {
  const writer = Bun.stdout.writer({ highWaterMark: FLUSH_BYTES });
  let timer: ReturnType<typeof setTimeout> | undefined;
  const flush = () => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    writer.flush();
  };
  return {
    write(line) {
      writer.write(`${line}\n`);
      if (timer === undefined) {
        timer = setTimeout(flush, FLUSH_INTERVAL_MS);
        timer.unref();
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
  // Lines written within the same millisecond share one formatted timestamp.
  let lastMs = 0;
  let lastTime = "";
  const log = (level: Level, event: string, fields?: Readonly<Record<string, unknown>>) => {
    if (RANK[level] < floor) return;
    const ms = Date.now();
    if (ms !== lastMs) {
      lastMs = ms;
      lastTime = new Date(ms).toISOString();
    }
    const head = `{"time":"${lastTime}","level":"${level}","event":${JSON.stringify(event)}`;
    const rest = fields === undefined ? "}" : JSON.stringify(fields);
    sink.write(rest.length > 2 ? `${head},${rest.slice(1)}` : `${head}}`);
  };
  return {
    log,
    info: (event, fields) => log("info", event, fields),
    warn: (event, fields) => log("warn", event, fields),
    error: (event, fields) => log("error", event, fields),
    flush: () => sink.flush(),
  };
}
