"""Reading a data matrix for the command line: .npy, or delimited text (.csv, .tsv, .txt) with
an optional header row. Every problem is reported with the row and column where it is."""

import csv
import os

import numpy as np

MISSING = {"", "na", "nan", "n/a", "null", "none", "?", "-"}


class DataFileError(ValueError):
    """A data file that cannot be used: unreadable, non-numeric, missing values, ragged rows."""


def read_matrix(path):
    """(X as a float64 2-D array, column names or None, whether a row-index column was dropped)
    from a .npy or delimited text file. The index column is the one pandas' DataFrame.to_csv
    writes by default: a header whose first name is empty over a first column of row labels. It
    is dropped when the other names make the first row a header (at least one is not a number),
    or, when they are all numbers (a frame with numbered columns), when its values are the rows'
    positions 0, 1, ..., n − 1; otherwise an empty first cell is a missing value."""
    if not os.path.exists(path):
        raise DataFileError(f"{path}: no such file")
    if os.path.isdir(path):
        raise DataFileError(f"{path}: is a directory, not a data file")
    if path.lower().endswith(".npy"):
        return _read_npy(path), None, False
    return _read_text(path)


def _read_npy(path):
    try:
        arr = np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError) as exc:
        raise DataFileError(f"{path}: cannot read it as a .npy array ({exc})") from None
    if arr.dtype.kind not in "biuf":
        raise DataFileError(f"{path}: the array must be numeric; its dtype is {arr.dtype}")
    if arr.ndim == 1:
        arr = arr.reshape(-1, 1)
    if arr.ndim != 2:
        raise DataFileError(f"{path}: the array must be 2-D (samples × features); it is {arr.ndim}-D")
    if arr.size == 0:
        raise DataFileError(f"{path}: the array is empty")
    arr = arr.astype(np.float64)
    bad = np.argwhere(~np.isfinite(arr))
    if bad.size:
        r, c = bad[0]
        what = "missing value (NaN)" if np.isnan(arr[r, c]) else "infinite value"
        raise DataFileError(f"{path}: {what} at row {r}, column {c} (0-based)")
    return arr


def _read_text(path):
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            text = f.read()
    except UnicodeDecodeError:
        raise DataFileError(f"{path}: not a text file (expected .csv, .tsv, .txt or .npy)") from None
    except OSError as exc:
        raise DataFileError(f"{path}: cannot read it ({exc.strerror or exc})") from None
    if "\x00" in text:
        raise DataFileError(f"{path}: not a text file (expected .csv, .tsv, .txt or .npy)")
    delimiter = "\t" if path.lower().endswith(".tsv") else _sniff_delimiter(text)
    if delimiter in (",", ";", "\t"):
        parsed = csv.reader(text.splitlines(), delimiter=delimiter)
    else:  # columns separated by runs of blanks (np.savetxt, fixed-width tables)
        parsed = (line.split() for line in text.splitlines())
    rows = [(line_no, row) for line_no, row in enumerate(parsed, 1) if row and any(cell.strip() for cell in row)]
    if not rows:
        raise DataFileError(f"{path}: the file has no data")
    header, skip, first = None, 0, rows[0][1]
    if _is_index_header(first, rows[1:]):
        header, skip, rows = [c.strip() for c in first[1:]], 1, rows[1:]
    elif not all(_is_number(c) for c in first) and not any(_is_missing(c) for c in first):
        header = [c.strip() for c in first]
        rows = rows[1:]
        if not rows:
            raise DataFileError(f"{path}: the file has a header row but no data")
    width = len(header) if header else len(rows[0][1])
    X = np.empty((len(rows), width))
    for i, (line_no, row) in enumerate(rows):
        if len(row) != width + skip:
            raise DataFileError(f"{path}: line {line_no} has {len(row)} columns; expected {width + skip}")
        for j, cell in enumerate(row[skip:]):
            name = f" ({header[j]!r})" if header else ""
            where = f"line {line_no}, column {j + 1 + skip}{name}"
            if _is_missing(cell):
                raise DataFileError(f"{path}: missing value at {where}")
            try:
                value = float(cell)
            except ValueError:
                raise DataFileError(f"{path}: non-numeric value {cell.strip()!r} at {where}") from None
            if not np.isfinite(value):
                raise DataFileError(f"{path}: infinite value at {where}")
            X[i, j] = value
    return X, header, skip == 1


def _is_index_header(first, rows):
    """Whether the first row is pandas' header over a row-index column (read_matrix)."""
    if not rows or len(first) < 2 or first[0].strip() or any(_is_missing(c) for c in first[1:]):
        return False
    if not all(_is_number(c) for c in first[1:]):
        return True
    try:
        return all(int(row[0]) == i for i, (_, row) in enumerate(rows))
    except ValueError:
        return False


def _sniff_delimiter(text):
    """',', ';' or a tab if the first lines use one of them; otherwise blanks (None)."""
    head = text[:4096]
    try:
        found = csv.Sniffer().sniff(head, delimiters=",;\t").delimiter
    except csv.Error:
        found = None
    if found is None:
        first = next((line for line in head.splitlines() if line.strip()), "")
        found = next((c for c in (",", ";", "\t") if c in first), None)
    return found


def _is_missing(cell):
    return cell.strip().lower() in MISSING


def _is_number(cell):
    try:
        float(cell)
        return True
    except ValueError:
        return False
