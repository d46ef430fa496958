"""Read Parquet files tbgo exported with pandas, polars and DuckDB, and check
that each reader finds exactly what tbgo's CSV export of the same data says.

Usage: read_parquet.py PARQUET CSV [PARQUET CSV ...]

For every pair, each reader must give the CSV's column names, in order, and
every cell: strings equal, integers and booleans as the CSV writes them,
floats equal to the CSV's text (NaN to NaN, and the sign of zero kept):
the shortest text that reads back to the float64, or to the float32 for a
value stored as float32 (0.1 for the float32 nearest 0.1, which Parquet
holds widened); a wall time (wall_time, start_time, end_time) the CSV's
text with six decimals, nulls where the CSV has empty cells. pandas reads with
its pyarrow backend, which keeps nulls apart from NaN. Prints JSON
{"checked": [{"file", "rows", "columns", "readers"}]}; exits with a message
naming the first difference.
"""

import csv
import json
import math
import sys

import duckdb
import numpy as np
import pandas as pd
import polars as pl


def reference(path):
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    return rows[0], rows[1:]


def python_value(v):
    """Turns numpy scalars and pandas' NA into plain Python values."""
    if v is None or v is pd.NA:
        return None
    if hasattr(v, "item"):
        return v.item()
    return v


TIME_COLUMNS = {"wall_time", "start_time", "end_time"}


def same(col, cell, v):
    """Reports whether a reader's value v of column col is what the CSV cell says."""
    v = python_value(v)
    if v is None:
        return cell == ""
    if isinstance(v, bool):
        return cell == ("true" if v else "false")
    if isinstance(v, int):
        return cell == str(v)
    if isinstance(v, float):
        if cell == "":
            return False
        want = float(cell)  # also NaN, Inf and -Inf
        if math.isnan(want):
            return math.isnan(v)
        if col in TIME_COLUMNS and math.isfinite(v):
            return "%.6f" % v == cell
        if math.copysign(1, v) != math.copysign(1, want):
            return False
        return v == want or float(np.float32(want)) == v
    if isinstance(v, str):
        return cell == v
    return False


def read_pandas(path):
    df = pd.read_parquet(path, engine="pyarrow", dtype_backend="pyarrow")
    return list(df.columns), [list(r) for r in zip(*(df[c].tolist() for c in df.columns))]


def read_polars(path):
    df = pl.read_parquet(path)
    return df.columns, [list(r) for r in df.rows()]


def read_duckdb(path):
    rel = duckdb.sql("SELECT * FROM read_parquet(?)", params=[path])
    return rel.columns, [list(r) for r in rel.fetchall()]


READERS = {"pandas " + pd.__version__: read_pandas, "polars " + pl.__version__: read_polars,
           "duckdb " + duckdb.__version__: read_duckdb}


def main(args):
    if len(args) == 0 or len(args) % 2:
        sys.exit("usage: read_parquet.py PARQUET CSV [PARQUET CSV ...]")
    checked = []
    for parquet, csv_path in zip(args[::2], args[1::2]):
        header, rows = reference(csv_path)
        for name, read in READERS.items():
            columns, got = read(parquet)
            if list(columns) != header:
                sys.exit("%s: %s reads columns %s, the CSV has %s" % (parquet, name, columns, header))
            if len(got) != len(rows):
                sys.exit("%s: %s reads %d rows, the CSV has %d" % (parquet, name, len(got), len(rows)))
            for i, (want, row) in enumerate(zip(rows, got)):
                for col, cell, v in zip(header, want, row):
                    if not same(col, cell, v):
                        sys.exit("%s: %s row %d column %s: %r, the CSV has %r" % (parquet, name, i, col, v, cell))
        checked.append({"file": parquet, "rows": len(rows), "columns": len(header), "readers": sorted(READERS)})
    json.dump({"checked": checked}, sys.stdout)


if __name__ == "__main__":
    main(sys.argv[1:])
