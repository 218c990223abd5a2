/**
 * How a tabular input is read: the one resolved type that every way of declaring a table compiles
 * to (an MLTable's read transformation, a format on a binding, a spec default), and that planning
 * and the worker host take. Names follow MLTable's transformations, in camelCase.
 */

/** `read_delimited`'s header modes, as MLTable spells them. */
export type HeaderMode = 'all_files_same_headers' | 'all_files_different_headers' | 'from_first_file' | 'no_header';

export type TableFormat =
  | {
      readonly kind: 'delimited';
      /** One character; `,` for csv, a tab for tsv. */
      readonly delimiter: string;
      readonly header: HeaderMode;
      readonly encoding: 'utf8' | 'iso88591' | 'latin1' | 'ascii' | 'utf16' | 'utf32' | 'utf8bom' | 'windows1252';
      /** Empty fields are '' rather than missing values. */
      readonly emptyAsString: boolean;
      /** Quoted fields may hold line breaks (then splitting must honour quotes). */
      readonly supportMultiLine: boolean;
      readonly includePathColumn: boolean;
    }
  | { readonly kind: 'json_lines'; readonly encoding: 'utf8'; readonly includePathColumn: boolean }
  | { readonly kind: 'parquet'; readonly includePathColumn: boolean };

/** `convert_column_types`' target types that are cheap to honour. */
export type ColumnType = 'int' | 'float' | 'boolean' | 'string' | 'datetime';

/**
 * A step on a table's columns, applied by the worker in the MLTable's order: the partition format's
 * columns arrive where `extract_columns_from_partition_format` is listed, so a later `drop_columns`
 * can remove them (and the `Path` column, which `include_path_column` adds at read).
 */
export type ColumnStep =
  | { readonly step: 'partition_columns' }
  | { readonly step: 'keep_columns'; readonly columns: readonly string[] }
  | { readonly step: 'drop_columns'; readonly columns: readonly string[] }
  | { readonly step: 'convert_column_types'; readonly types: Readonly<Record<string, ColumnType>> };

/** A table: its format and what to do to its rows after reading them. */
export interface TableRead {
  readonly format: TableFormat;
  /** `keep_columns`, `drop_columns`, `convert_column_types` and the partition format's columns, in order. */
  readonly columnSteps: readonly ColumnStep[];
  /** `skip`: rows left out at the start of the whole table (in file order). */
  readonly skipRows: number;
  /** `take`: rows kept after the skip; null keeps all. */
  readonly takeRows: number | null;
  /**
   * `extract_columns_from_partition_format`: a pattern such as `{Store}/{Year}/*.csv` whose fields
   * become columns (tables) or partition key values (files); null when not given.
   */
  readonly partitionFormat: string | null;
}

/**
 * The rows of one table file that a tabular mini-batch holds: whole records, planned by offsets
 * and read by the worker itself (docs/TABULAR.md), so the data never passes through the orchestrator.
 */
export interface RangeSlice {
  /** Byte offsets of the records in the file: [start, end). */
  readonly start: number;
  readonly end: number;
  /** Records (rows) in the range; blank lines are not rows. */
  readonly rows: number;
  /** Byte range of the file's header record (after a BOM), read with every mini-batch; null when none. */
  readonly header: readonly [start: number, end: number] | null;
  /**
   * The file whose header `header` is, by its path relative to the input's root, when it is not the
   * mini-batch's own file (`header: from_first_file`); null: the mini-batch's file.
   */
  readonly headerFile: string | null;
}

/**
 * A key value as planning read it: a delimited field's text as written (unquoted), or a JSON Lines
 * value; null for an empty field or a missing one.
 */
export type KeyValue = string | number | boolean | null;

/**
 * One file's share of a partition-key mini-batch: byte ranges of whole records holding the
 * combination's rows. A range may hold other combinations' rows too (ranges merge to keep planning
 * memory bounded), which the worker filters out by the key values.
 */
export interface KeyPart {
  /** The header record to read in front of the ranges (as `RangeSlice.header`). */
  readonly header: readonly [start: number, end: number] | null;
  /** As `RangeSlice.headerFile`. */
  readonly headerFile: string | null;
  readonly ranges: readonly (readonly [start: number, end: number])[];
}

/**
 * A partition-key mini-batch of a table (docs/TABULAR.md, "Partition keys"): every row, in every file
 * of the input, whose key columns hold `values`; one part per item of the mini-batch, in file order.
 */
export interface KeySlice {
  readonly kind: 'keys';
  readonly keys: readonly string[];
  /** In key order. */
  readonly values: readonly KeyValue[];
  /** Rows of the combination, over all its files. */
  readonly rows: number;
  readonly parts: readonly KeyPart[];
}

/** What rows of its file(s) a tabular mini-batch holds. */
export type TableSlice = RangeSlice | KeySlice;

/** What one input bound to an MLTable (or a path with a declared format) is. */
export type DatasetSource =
  /** A file dataset: exactly these files, in this order (absolute paths). */
  | { readonly kind: 'files'; readonly files: readonly string[]; readonly partitionFormat: string | null; readonly origin: string }
  /** A tabular dataset: rows of these files, in this order (absolute paths). */
  | { readonly kind: 'table'; readonly files: readonly string[]; readonly read: TableRead; readonly origin: string };
