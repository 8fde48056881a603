/** The compiled executable, as an operator runs it: copied alone into an empty folder. */
import { chmodSync, copyFileSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Where `bun run build` (and so `npm test`, before the tests) puts the binary. */
export const BUILT = join(import.meta.dir, "..", "..", "dist", "sfu-gateway");

export class LoneBinary {
  #folder: string | undefined;

  constructor(readonly prefix: string) {}

  /** The binary, copied alone into a fresh folder on first use; a clear failure when it was not built. */
  path(): string {
    return join(this.folder, "sfu-gateway");
  }

  /** That folder (the binary's working directory). */
  get folder(): string {
    if (this.#folder === undefined) {
      if (!existsSync(BUILT)) {
        throw new Error(`${BUILT} is missing: build it first with \`bun run build\` (npm test builds it before running the tests)`);
      }
      this.#folder = mkdtempSync(join(tmpdir(), `${this.prefix}-`));
      copyFileSync(BUILT, join(this.#folder, "sfu-gateway"));
      chmodSync(join(this.#folder, "sfu-gateway"), 0o755);
    }
    return this.#folder;
  }

  remove(): void {
    if (this.#folder !== undefined) rmSync(this.#folder, { recursive: true, force: true });
    this.#folder = undefined;
  }
}
