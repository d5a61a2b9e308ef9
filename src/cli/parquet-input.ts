// Parquet files for replay, --outcomes, --reference and baseline import: what data lakes hold prediction logs in
// (pandas' to_parquet, Spark, a warehouse export). Read with hyparquet (pure JavaScript, no dependencies); snappy is
// built in, gzip comes from node:zlib and zstd from fzstd, the decoder the Kafka consumer already uses; it loads
// only when a Parquet file is read.
// The columns are the contract's fields, and the features and attributes either flattened as pandas'
// json_normalize flattens them (`features.<name>`, as in CSV input) or nested: a struct or a map column
// `features` / `attributes`. Each row becomes the JSON line of its event, so it goes through the same decoder
// and check as a line would, and a rejection names the field and the row. Values as CSV's read: a null feature is
// missing, a null field or attribute is left out; a timestamp column (any unit) reads as epoch milliseconds.
import { gunzipSync } from "node:zlib";
import { createRequire } from "node:module";
import type { Compressors, FileMetaData, SchemaTree } from "hyparquet";
import { DetectorError } from "../errors/detector-error.ts";
import type { CsvContract } from "./csv-input.ts";

export class ParquetInputError extends DetectorError<{ row?: number }> {}

/** "PAR1", at the start and the end of a Parquet file. */
export const PARQUET_MAGIC = [0x50, 0x41, 0x52, 0x31];
export const isParquet = (head: Uint8Array): boolean => PARQUET_MAGIC.every((b, i) => head[i] === b);

const FIELDS: Record<CsvContract, readonly string[]> = {
  prediction: ["eventId", "modelId", "modelVersion", "timestamp", "prediction", "predictedClass", "confidence", "latencyMs"],
  outcome: ["eventId", "modelId", "timestamp", "actual", "actualClass"],
};
const REQUIRED: Record<CsvContract, readonly string[]> = {
  prediction: ["eventId", "modelId", "modelVersion", "timestamp"],
  outcome: ["eventId", "modelId", "timestamp"],
};

type ColumnKind = "field" | "feature" | "attribute" | "features" | "attributes";
/** A column of the file as the contract reads it. */
export interface Column {
  name: string;
  kind: ColumnKind;
  /** the JSON key it is written under (for a flattened feature or attribute, its name in the map) */
  key: string;
}

/** The file's columns as the contract reads them; a column it does not have is an error naming the allowed ones. */
function columnsOf(schema: SchemaTree, contract: CsvContract): Column[] {
  const fields = FIELDS[contract];
  const columns = schema.children.map((child): Column => {
    const name = child.element.name;
    if (fields.includes(name)) return { name, kind: "field", key: name };
    if (contract === "prediction") {
      if (name === "features" || name === "attributes") return { name, kind: name, key: name };
      if (name.startsWith("features.") && name.length > 9) return { name, kind: "feature", key: name.slice(9) };
      if (name.startsWith("attributes.") && name.length > 11) return { name, kind: "attribute", key: name.slice(11) };
    }
    const hint = name.startsWith("__index_level_") ? " (pandas writes its index so: to_parquet(index=False))" : "";
    const maps = contract === "prediction" ? ", features / attributes (a struct or map), features.<name>, attributes.<name>" : "";
    throw new ParquetInputError(
      `the column ${name} is not a field of ${contract === "prediction" ? "PredictionEvent" : "OutcomeEvent"}${hint} (columns: ${fields.join(", ")}${maps})`,
      {},
    );
  });
  const missing = REQUIRED[contract].filter((f) => !columns.some((c) => c.name === f));
  if (missing.length > 0)
    throw new ParquetInputError(`the file lacks the column${missing.length > 1 ? "s" : ""} ${missing.join(", ")}`, {});
  return columns;
}

/** A value as JSON: a timestamp as epoch millis, a 64-bit integer as a number, a non-finite double as Python's json writes it. */
function valueJson(value: unknown): string {
  if (value instanceof Date) return String(value.getTime());
  if (typeof value === "bigint") return Number.isSafeInteger(Number(value)) ? String(Number(value)) : JSON.stringify(value.toString());
  if (typeof value === "number" && !Number.isFinite(value)) return Number.isNaN(value) ? "NaN" : value > 0 ? "Infinity" : "-Infinity";
  if (value instanceof Uint8Array) return JSON.stringify(Buffer.from(value).toString("base64"));
  // a list column: an array, which the check then rejects naming the field
  if (Array.isArray(value)) return `[${value.map(valueJson).join(",")}]`;
  // a struct or map within a value, which the check then rejects naming the field
  if (typeof value === "object" && value !== null) return mapJson(value, false) as string;
  return value === undefined ? "null" : JSON.stringify(value);
}

/** A struct or map value as a JSON object (a list of {key, value} entries too); null entries left out with `dropNull`. */
function mapJson(value: unknown, dropNull: boolean): string | undefined {
  if (value === null || value === undefined) return undefined;
  const entries =
    value instanceof Map ? [...value.entries()] : Array.isArray(value) ? value.map((e) => [e.key, e.value]) : Object.entries(value);
  const kept = entries.filter(([, v]) => !(dropNull && (v === null || v === undefined)));
  return `{${kept.map(([k, v]) => `${JSON.stringify(String(k))}:${valueJson(v)}`).join(",")}}`;
}

/** One row as the JSON line of its event. */
export function parquetRowJson(columns: readonly Column[], row: Record<string, unknown>): string {
  const top: string[] = [];
  const features: string[] = [];
  const attributes: string[] = [];
  for (const column of columns) {
    const value = row[column.name];
    if (column.kind === "feature") features.push(`${JSON.stringify(column.key)}:${valueJson(value ?? null)}`);
    else if (value === null || value === undefined) continue;
    else if (column.kind === "attribute") attributes.push(`${JSON.stringify(column.key)}:${valueJson(value)}`);
    else if (column.kind === "field") top.push(`${JSON.stringify(column.key)}:${valueJson(value)}`);
    else {
      const json = mapJson(value, column.kind === "attributes");
      if (json !== undefined) top.push(`${JSON.stringify(column.key)}:${json}`);
    }
  }
  if (features.length > 0) top.push(`"features":{${features.join(",")}}`);
  if (attributes.length > 0) top.push(`"attributes":{${attributes.join(",")}}`);
  return `{${top.join(",")}}`;
}

const requireHere = createRequire(import.meta.url);
const compressors: Compressors = {
  GZIP: (input) => new Uint8Array(gunzipSync(input)),
  ZSTD: (input) => (requireHere("fzstd") as typeof import("fzstd")).decompress(input),
};

/** The JSON lines of a block of rows, in one buffer: line k is frames[starts[k], ends[k]); `lines` are row numbers. */
export interface ParquetLineBlock {
  frames: Buffer;
  starts: number[];
  ends: number[];
  lines: number[];
}

/** A Parquet file's rows as JSON lines, a block per row group. Throws ParquetInputError. */
export async function* parquetLineBlocks(file: Buffer, contract: CsvContract): AsyncGenerator<ParquetLineBlock> {
  const { parquetMetadata, parquetReadObjects, parquetSchema } = await import("hyparquet");
  const buffer = file.buffer.slice(file.byteOffset, file.byteOffset + file.byteLength) as ArrayBuffer;
  let metadata: FileMetaData;
  try {
    metadata = parquetMetadata(buffer);
  } catch (cause) {
    throw new ParquetInputError(`not a readable Parquet file: ${(cause as Error).message}`, {}, { cause });
  }
  const columns = columnsOf(parquetSchema(metadata), contract);
  let rowStart = 0;
  for (const group of metadata.row_groups) {
    const rowEnd = rowStart + Number(group.num_rows);
    let rows: Record<string, unknown>[];
    try {
      rows = await parquetReadObjects({ file: buffer, metadata, rowStart, rowEnd, compressors });
    } catch (cause) {
      throw new ParquetInputError(
        `rows ${rowStart}–${rowEnd - 1} do not decode: ${(cause as Error).message}`,
        { row: rowStart },
        { cause },
      );
    }
    const parts: Buffer[] = [];
    const starts: number[] = [];
    const ends: number[] = [];
    const lines: number[] = [];
    let at = 0;
    for (let i = 0; i < rows.length; i++) {
      const line = Buffer.from(parquetRowJson(columns, rows[i]), "utf8");
      parts.push(line);
      starts.push(at);
      ends.push(at + line.length);
      lines.push(rowStart + i);
      at += line.length;
    }
    yield { frames: Buffer.concat(parts), starts, ends, lines };
    rowStart = rowEnd;
  }
}
