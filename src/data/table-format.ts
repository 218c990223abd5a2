/** The table types live on the ground floor (src/core/table-format.ts), where every layer can see them. */
export type { ColumnStep, ColumnType, DatasetSource, HeaderMode, TableFormat, KeyPart, KeySlice, KeyValue, RangeSlice, TableRead, TableSlice } from '../core/table-format.js';
