/** A progress bar on stderr when it is a terminal; occasional plain lines otherwise (logs, CI). */
export class Progress {
  private readonly tty = Boolean(process.stderr.isTTY);
  private lastPrint = 0;
  private readonly start = performance.now();

  constructor(
    private readonly label: string,
    private readonly total: number,
    private readonly enabled = true,
  ) {}

  update(done: number, extra = ""): void {
    if (!this.enabled) return;
    const now = performance.now();
    if (done < this.total && now - this.lastPrint < (this.tty ? 100 : 5000)) return;
    this.lastPrint = now;
    const frac = this.total ? done / this.total : 1;
    const elapsed = (now - this.start) / 1000;
    const eta = frac > 0 ? elapsed / frac - elapsed : 0;
    const width = 24;
    const bar = "█".repeat(Math.round(frac * width)).padEnd(width, "░");
    const line = `${this.label} ${bar} ${String(Math.round(frac * 100)).padStart(3)}% ${done}/${this.total} ${elapsed.toFixed(1)}s eta ${eta.toFixed(0)}s ${extra}`;
    if (this.tty) process.stderr.write(`\r\x1b[2K${line}`);
    else process.stderr.write(`${line}\n`);
  }

  done(): void {
    if (this.enabled && this.tty) process.stderr.write("\n");
  }
}
