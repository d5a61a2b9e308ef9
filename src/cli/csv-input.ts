// CSV input for replay, --reference and --outcomes files: what a data scientist's prediction log usually is
// (pandas to_csv, Spark, a warehouse export). The header names the contract's fields, with the maps flattened
// as pandas' json_normalize flattens them: `features.<name>`, `attributes.<name>`. Each row becomes the JSON
// line the decoder reads, so every check and every rejection message is the JSON path's. A row that is not
// CSV (an unclosed quote, a count of cells unlike the header's) stops the input with its line, as a corrupt
// Avro container does: what follows it cannot be trusted to line up.
// RFC 4180: comma-separated, "…" quotes a cell, "" inside one is a quote, CRLF or LF ends a row. A header
// separated by semicolons (Excel where the comma is the decimal mark) or tabs (TSV: psql, warehouse exports)
// sets that separator instead.
import { DetectorError } from "../errors/detector-error.ts";

export class CsvInputError extends DetectorError<{ line: number }> {
  constructor(message: string, line: number) {
    super(message, { line });
  }
}

export type CsvContract = "prediction" | "outcome";

type FieldType = "string" | "number" | "timestamp";

const FIELDS: Record<CsvContract, Record<string, FieldType>> = {
  prediction: {
    eventId: "string",
    modelId: "string",
    modelVersion: "string",
    timestamp: "timestamp",
    prediction: "number",
    predictedClass: "string",
    confidence: "number",
    latencyMs: "number",
  },
  outcome: { eventId: "string", modelId: "string", timestamp: "timestamp", actual: "number", actualClass: "string" },
};

const REQUIRED: Record<CsvContract, string[]> = {
  prediction: ["eventId", "modelId", "modelVersion", "timestamp"],
  outcome: ["eventId", "modelId", "timestamp"],
};

/** One column of the header: where its cell goes in the event (a feature's type is "number" for the decimal comma only: its cells read as they look). */
type Column = { kind: "field" | "feature" | "attribute"; name: string; type: FieldType; /** `"name":` */ key: string };

export interface CsvRow {
  /** 0-based line of the input the row starts on */
  line: number;
  cells: string[];
  /** per cell: it was written in quotes (a feature's quoted cell stays a string, as csv.QUOTE_NONNUMERIC means) */
  quoted: boolean[];
}

const QUOTE = 0x22;
/** The separators a header may use, as the byte that splits cells. */
export const CSV_SEPARATORS = { ",": 0x2c, ";": 0x3b, "\t": 0x09 } as const;
export type CsvSeparator = keyof typeof CSV_SEPARATORS;
const NEWLINE = 0x0a;
const CR = 0x0d;

/**
 * The rows of `buf` from `from` on. A row that runs past the end is left for the next chunk unless `final`;
 * `consumed` is where the unparsed rest starts, `line` the line number there.
 */
export function parseCsvRows(
  buf: Buffer,
  from: number,
  line: number,
  final: boolean,
  separator: CsvSeparator = ",",
): { rows: CsvRow[]; consumed: number; line: number } {
  const SEPARATOR = CSV_SEPARATORS[separator];
  const rows: CsvRow[] = [];
  let at = from;
  for (;;) {
    if (at >= buf.length) return { rows, consumed: at, line };
    const rowStart = at;
    const rowLine = line;
    const cells: string[] = [];
    const quoted: boolean[] = [];
    let complete = false;
    while (at <= buf.length) {
      if (at === buf.length) {
        // the input ends in a row without its line break
        if (!final) break;
        cells.push("");
        quoted.push(false);
        complete = true;
        break;
      }
      if (buf[at] === QUOTE) {
        // a quoted cell: up to the quote not followed by another
        let text = "";
        let segment = at + 1;
        let p = at + 1;
        let closed = false;
        for (; p < buf.length; p++) {
          const b = buf[p];
          if (b === NEWLINE) line++;
          else if (b === QUOTE) {
            if (p + 1 < buf.length && buf[p + 1] === QUOTE) {
              text += buf.toString("utf8", segment, p + 1);
              p++;
              segment = p + 1;
            } else if (p + 1 < buf.length || final) {
              closed = true;
              break;
            } else break; // the next chunk tells whether this quote is doubled
          }
        }
        if (!closed) {
          if (final) throw new CsvInputError(`line ${rowLine + 1}: a quoted cell is not closed before the end of the input`, rowLine);
          line = rowLine;
          return { rows, consumed: rowStart, line };
        }
        text += buf.toString("utf8", segment, p);
        at = p + 1;
        cells.push(text);
        quoted.push(true);
        if (at < buf.length && buf[at] === SEPARATOR) {
          at++;
          continue;
        }
        // the row's end: a line break, CRLF, or the end of the input
        const crlf = at < buf.length && buf[at] === CR;
        const breakAt = crlf ? at + 1 : at;
        if (breakAt >= buf.length && !final) break;
        if (breakAt >= buf.length || buf[breakAt] === NEWLINE) {
          if (breakAt < buf.length) line++;
          at = Math.min(breakAt + 1, buf.length);
          complete = true;
          break;
        }
        throw new CsvInputError(
          `line ${line + 1}: a character after the closing quote of cell ${cells.length}: quote the whole cell`,
          line,
        );
      }
      // an unquoted cell: up to the next separator or line break (a quote inside it is taken as written)
      let p = at;
      while (p < buf.length && buf[p] !== SEPARATOR && buf[p] !== NEWLINE) p++;
      if (p === buf.length && !final) break;
      const end = p > at && buf[p - 1] === CR && (p === buf.length || buf[p] === NEWLINE) ? p - 1 : p;
      cells.push(buf.toString("utf8", at, end));
      quoted.push(false);
      if (p < buf.length && buf[p] === SEPARATOR) {
        at = p + 1;
        continue;
      }
      at = p < buf.length ? p + 1 : p;
      if (p < buf.length) line++;
      complete = true;
      break;
    }
    if (!complete) {
      line = rowLine;
      return { rows, consumed: rowStart, line };
    }
    if (!(cells.length === 1 && !quoted[0] && cells[0].trim() === "")) rows.push({ line: rowLine, cells, quoted });
  }
}

/**
 * The separator of a text input's first line when it is a CSV header of the contract (it names the modelId
 * column), else undefined.
 */
export function csvHeaderSeparator(firstLine: string): CsvSeparator | undefined {
  const text = firstLine.replace(/^\uFEFF/, "").trimStart();
  if (text.startsWith("{") || text.startsWith("[")) return undefined;
  for (const separator of Object.keys(CSV_SEPARATORS) as CsvSeparator[]) {
    if (text.split(separator).some((cell) => cell.trim().replace(/^"(.*)"$/, "$1") === "modelId")) return separator;
  }
  return undefined;
}

/** The header's columns, checked: every column a field of the contract, none twice, the required ones present. */
export function csvColumns(header: CsvRow, contract: CsvContract): Column[] {
  const fields = FIELDS[contract];
  const seen = new Set<string>();
  const columns = header.cells.map((raw, i): Column => {
    const name = i === 0 ? raw.replace(/^\uFEFF/, "") : raw;
    if (name === "") {
      const hint = i === 0 ? " (pandas writes its index so: to_csv(index=False))" : "";
      throw new CsvInputError(`the header's column ${i + 1} has no name${hint}`, header.line);
    }
    if (seen.has(name)) throw new CsvInputError(`the header names column ${name} twice`, header.line);
    seen.add(name);
    const column = (kind: Column["kind"], key: string, type: FieldType): Column => ({ kind, name, type, key: `${JSON.stringify(key)}:` });
    if (Object.hasOwn(fields, name)) return column("field", name, fields[name]);
    if (contract === "prediction" && name.startsWith("features.") && name.length > 9) return column("feature", name.slice(9), "number");
    if (contract === "prediction" && name.startsWith("attributes.") && name.length > 11)
      return column("attribute", name.slice(11), "string");
    const maps = contract === "prediction" ? ", features.<name> or attributes.<name>" : "";
    throw new CsvInputError(
      `the header's column ${name} is not a field of ${contract === "prediction" ? "PredictionEvent" : "OutcomeEvent"} ` +
        `(columns: ${Object.keys(fields).join(", ")}${maps})`,
      header.line,
    );
  });
  const missing = REQUIRED[contract].filter((f) => !seen.has(f));
  if (missing.length > 0)
    throw new CsvInputError(`the header lacks the column${missing.length > 1 ? "s" : ""} ${missing.join(", ")}`, header.line);
  return columns;
}

const JSON_NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;
const NON_FINITE = /^([+-]?)(?:nan|inf|infinity)$/i;

/**
 * A number cell as JSON: the digits as written (the decoder parses them as it parses a JSON line's), the
 * tokens of a non-finite value as Python's json writes them (rejected as non_finite_number, naming the
 * field), anything else as a string (rejected as the wrong type, naming the field).
 */
function numberJson(cell: string): string {
  const text = cell.trim();
  if (JSON_NUMBER.test(text)) return text;
  const nonFinite = NON_FINITE.exec(text);
  if (nonFinite !== null) return /nan/i.test(text) ? "NaN" : nonFinite[1] === "-" ? "-Infinity" : "Infinity";
  return JSON.stringify(cell);
}

/**
 * A timestamp cell as JSON: epoch millis as a number, else the date-time as a string, its date and time
 * joined by "T" where a space joins them (RFC 3339 allows either; pandas and SQL exports write the space).
 */
function timestampJson(cell: string): string {
  const text = cell.trim();
  if (JSON_NUMBER.test(text)) return text;
  return JSON.stringify(text.replace(/^(\d{4}-\d{2}-\d{2}) (?=\d{2}:)/, "$1T"));
}

/** A feature cell as JSON: quoted, a string; else a number, a boolean or a string as it reads; empty, null (missing). */
function featureJson(cell: string, quoted: boolean): string {
  if (quoted) return JSON.stringify(cell);
  const text = cell.trim();
  if (text === "") return "null";
  if (JSON_NUMBER.test(text) || NON_FINITE.test(text)) return numberJson(text);
  if (text === "true" || text === "True" || text === "TRUE") return "true";
  if (text === "false" || text === "False" || text === "FALSE") return "false";
  return JSON.stringify(cell);
}

const DECIMAL_COMMA_NUMBER = /^\s*-?\d+,\d+(?:[eE][+-]?\d+)?\s*$/;

/**
 * One row as the JSON line of its event. Empty cells of fields and attributes are left out. With
 * `decimalComma` (a semicolon-separated file: Excel where the comma is the decimal mark, as pandas'
 * read_csv(sep=";", decimal=",") reads it) a number written `0,25` reads as 0.25.
 */
export function csvRowJson(columns: readonly Column[], row: CsvRow, decimalComma = false): string {
  if (row.cells.length !== columns.length) {
    throw new CsvInputError(`line ${row.line + 1}: the row has ${row.cells.length} cells, the header ${columns.length}`, row.line);
  }
  let top = "";
  let features = "";
  let attributes = "";
  for (let i = 0; i < columns.length; i++) {
    const column = columns[i];
    const written = row.cells[i];
    const cell =
      decimalComma && column.type !== "string" && !row.quoted[i] && DECIMAL_COMMA_NUMBER.test(written)
        ? written.replace(",", ".")
        : written;
    if (column.kind === "feature") {
      features += `${features === "" ? "" : ","}${column.key}${featureJson(cell, row.quoted[i])}`;
      continue;
    }
    if (cell === "") continue;
    if (column.kind === "attribute") attributes += `${attributes === "" ? "" : ","}${column.key}${JSON.stringify(cell)}`;
    else {
      const json = column.type === "string" ? JSON.stringify(cell) : column.type === "number" ? numberJson(cell) : timestampJson(cell);
      top += `${top === "" ? "" : ","}${column.key}${json}`;
    }
  }
  if (features !== "") top += `${top === "" ? "" : ","}"features":{${features}}`;
  if (attributes !== "") top += `${top === "" ? "" : ","}"attributes":{${attributes}}`;
  return `{${top}}`;
}

/** The JSON lines of a batch of rows, in one buffer: line k is frames[starts[k], ends[k]). */
export interface CsvLineBlock {
  frames: Buffer;
  starts: number[];
  ends: number[];
  /** per line: the 0-based input line its row starts on */
  lines: number[];
}

/**
 * A CSV input's rows as JSON lines, a block per read chunk. The first row is the header; blank rows are
 * skipped.
 */
export async function* csvLineBlocks(
  chunks: AsyncIterable<Buffer>,
  contract: CsvContract,
  separator: CsvSeparator = ",",
): AsyncGenerator<CsvLineBlock> {
  let columns: Column[] | undefined;
  let carry: Buffer | null = null;
  let line = 0;
  const block = (rows: CsvRow[]): CsvLineBlock => {
    const parts: string[] = [];
    const starts: number[] = [];
    const ends: number[] = [];
    const lines: number[] = [];
    let length = 0;
    for (const row of rows) {
      if (columns === undefined) {
        columns = csvColumns(row, contract);
        continue;
      }
      const json = csvRowJson(columns, row, separator === ";");
      starts.push(length);
      length += Buffer.byteLength(json);
      ends.push(length);
      lines.push(row.line);
      parts.push(json);
    }
    return { frames: Buffer.from(parts.join(""), "utf8"), starts, ends, lines };
  };
  for await (const chunk of chunks) {
    const buf: Buffer = carry === null ? chunk : Buffer.concat([carry, chunk]);
    const parsed = parseCsvRows(buf, 0, line, false, separator);
    line = parsed.line;
    carry = parsed.consumed < buf.length ? buf.subarray(parsed.consumed) : null;
    yield block(parsed.rows);
  }
  if (carry !== null) yield block(parseCsvRows(carry, 0, line, true, separator).rows);
  if (columns === undefined) throw new CsvInputError("the input has no header row", 0);
}
