/** A numeric CSV table: an optional header and rows of numbers. */
export interface CsvTable {
  name: string;
  header: string[] | undefined;
  rows: number[][];
  columns: number;
}

/**
 * Parses comma (or semicolon/tab) separated numbers. The first row is a header when any of its
 * cells is not a number. Ragged rows and non-numeric cells are errors naming the file and line.
 */
export function parseCsvTable(text: string, name = "data.csv"): CsvTable {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== "");
  if (lines.length === 0) throw new Error(`${name}: the file is empty`);
  const sep = [",", ";", "\t"].find((s) => lines[0]!.includes(s)) ?? ",";
  const cells = (line: string) => line.split(sep).map((c) => c.trim().replace(/^"(.*)"$/, "$1"));
  const first = cells(lines[0]!);
  const isNumber = (c: string) => c !== "" && Number.isFinite(Number(c));
  const header = first.every(isNumber) ? undefined : first;
  const body = header ? lines.slice(1) : lines;
  const columns = first.length;
  const rows = body.map((line, i) => {
    const lineNo = i + (header ? 2 : 1);
    const row = cells(line);
    if (row.length !== columns) throw new Error(`${name}:${lineNo}: expected ${columns} columns, found ${row.length}`);
    return row.map((c, j) => {
      if (!isNumber(c)) throw new Error(`${name}:${lineNo}: column ${j + 1} is not a number (${JSON.stringify(c)})`);
      return Number(c);
    });
  });
  return { name, header, rows, columns };
}
