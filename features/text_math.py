"""Vectorised text hashing and multinomial naive Bayes arithmetic for the description model."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import scipy.sparse as sp
from sklearn.preprocessing import normalize

#: Characters that separate words (RE2 syntax); words shorter than two characters are dropped.
_SEPARATORS = r"[^0-9a-z_]+"


def hash_words(texts: np.ndarray, *, n_features: int, bigrams: bool = True) -> sp.csr_matrix:
    """L2-normalised hashed counts of word unigrams (and bigrams) of lower-cased texts.

    Done in Arrow and numpy rather than per text in Python, so a million distinct descriptions
    take seconds; the hash (`pandas.util.hash_array`) is fixed, so vectors never depend on data.
    """
    if len(texts) == 0:
        return sp.csr_matrix((0, n_features))
    words = pc.split_pattern_regex(pa.array(list(texts), type=pa.string()), _SEPARATORS)
    parent = pc.list_parent_indices(words).to_numpy()
    tokens = pc.list_flatten(words)
    keep = pc.greater_equal(pc.utf8_length(tokens), 2)
    tokens, parent = tokens.filter(keep), parent[keep.to_numpy(zero_copy_only=False)]
    terms = [tokens.to_numpy(zero_copy_only=False)]
    rows = [parent]
    if bigrams and len(parent) > 1:
        follows = parent[1:] == parent[:-1]
        first, second = tokens.slice(0, len(parent) - 1), tokens.slice(1)
        joined = pc.binary_join_element_wise(first, second, " ").filter(pa.array(follows))
        terms.append(joined.to_numpy(zero_copy_only=False))
        rows.append(parent[:-1][follows])
    hashed = [pd.util.hash_array(t.astype(object)) % np.uint64(n_features) for t in terms]
    counts = sp.csr_matrix(
        (np.ones(sum(len(r) for r in rows)), (np.concatenate(rows), np.concatenate(hashed))),
        shape=(len(texts), n_features),
    )
    counts.sum_duplicates()
    return normalize(counts)


def class_counts(
    matrix: sp.csr_matrix, labels: np.ndarray, weights: np.ndarray, classes: np.ndarray
) -> tuple[sp.csr_matrix, np.ndarray]:
    """Weighted feature sums and document weights per class (`classes` sorted)."""
    index = np.searchsorted(classes, labels)
    assign = sp.csr_matrix(
        (weights, (index, np.arange(len(labels)))), shape=(len(classes), len(labels))
    )
    return (assign @ matrix).tocsr(), np.asarray(assign.sum(axis=1)).ravel()


def smoothed(counts: sp.csr_matrix, alpha: float) -> tuple[sp.csr_matrix, np.ndarray]:
    """Naive Bayes log theta split as sparse log1p(count / alpha) plus a per-class base."""
    # log((c + a) / (total + a F)) = log1p(c / a) + log(a) - log(total + a F): the first term
    # keeps the sparsity of the counts, so no dense class x feature matrix is ever built.
    totals = np.asarray(counts.sum(axis=1)).ravel()
    sparse_part = counts.copy()
    sparse_part.data = np.log1p(sparse_part.data / alpha)
    return sparse_part, np.log(alpha) - np.log(totals + alpha * counts.shape[1])


def log_joint(matrix: sp.csr_matrix, theta: tuple, class_weights: np.ndarray) -> np.ndarray:
    """Log prior plus the sum over features of x * log theta, for every class."""
    sparse_part, base = theta
    l1 = np.asarray(matrix.sum(axis=1)).ravel()
    prior = np.log(class_weights / class_weights.sum())
    return (matrix @ sparse_part.T).toarray() + l1[:, None] * base[None, :] + prior[None, :]


def probability_of(joint: np.ndarray, column: np.ndarray) -> np.ndarray:
    """Posterior probability of the class in `column` (per row; -1 gives NaN)."""
    if joint.shape[1] == 0:
        return np.full(len(column), np.nan)
    top = joint.max(axis=1, keepdims=True)
    log_norm = np.log(np.exp(joint - top).sum(axis=1)) + top[:, 0]
    picked = joint[np.arange(len(column)), np.maximum(column, 0)]
    return np.where(column >= 0, np.exp(picked - log_norm), np.nan)


def compact_columns(matrix: sp.csr_matrix) -> tuple[sp.csr_matrix, np.ndarray]:
    """The matrix restricted to the columns it uses, and those columns' original indices."""
    present = np.zeros(matrix.shape[1], dtype=bool)
    present[matrix.indices] = True
    used = np.flatnonzero(present)
    position = np.cumsum(present) - 1  # a bitmap, not a sort: linear in the matrix size
    compact = sp.csr_matrix(
        (matrix.data, position[matrix.indices], matrix.indptr),
        shape=(matrix.shape[0], len(used)),
    )
    return compact, used


def _shift_by_group(matrix: sp.csr_matrix, group: np.ndarray, n_groups: int) -> sp.csr_matrix:
    """Each row's columns moved into its group's own block of columns."""
    width = matrix.shape[1]
    indices = matrix.indices + width * np.repeat(group, np.diff(matrix.indptr))
    return sp.csr_matrix(
        (matrix.data, indices, matrix.indptr), shape=(matrix.shape[0], width * n_groups)
    )


def grouped_probability(
    matrix: sp.csr_matrix,
    theta: tuple[sp.csr_matrix, np.ndarray],
    class_weights: np.ndarray,
    class_group: np.ndarray,
    row_group: np.ndarray,
    row_class: np.ndarray,
) -> np.ndarray:
    """Posterior of each row's class when only the classes of the row's group compete.

    `theta` columns match `matrix` columns; `class_group` is sorted. Shifting every feature
    index by its group makes one sparse product pair rows only with their own group's classes.
    """
    groups, class_gid = np.unique(class_group, return_inverse=True)
    starts = np.searchsorted(class_group, groups, side="left")
    sizes = np.searchsorted(class_group, groups, side="right") - starts
    row_gid = class_index(groups, row_group)
    out = np.full(len(row_group), np.nan)
    rows = np.flatnonzero((row_gid >= 0) & (row_class >= 0))
    if len(rows) == 0:
        return out
    sub, gid = matrix[rows].tocsr(), row_gid[rows]
    params = _shift_by_group(theta[0].tocsr(), class_gid, len(groups))
    overlap = (_shift_by_group(sub, gid, len(groups)) @ params.T).tocoo()
    log_prior = np.log(class_weights / np.bincount(class_gid, weights=class_weights)[class_gid])
    l1 = np.asarray(sub.sum(axis=1)).ravel()
    # One row per text, one slot per class of its group; empty slots never win.
    slot = np.arange(sizes.max())
    cls = np.minimum(starts[gid][:, None] + slot[None, :], len(class_group) - 1)
    joint = np.where(
        slot[None, :] < sizes[gid][:, None],
        l1[:, None] * theta[1][cls] + log_prior[cls],
        -np.inf,
    )
    joint[overlap.row, overlap.col - starts[gid[overlap.row]]] += overlap.data
    out[rows] = probability_of(joint, row_class[rows] - starts[gid])
    return out


def class_index(classes: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Position of each value in the sorted `classes`, -1 when absent."""
    if len(classes) == 0:
        return np.full(len(values), -1)
    position = np.searchsorted(classes, values)
    safe = np.minimum(position, len(classes) - 1)
    return np.where((position < len(classes)) & (classes[safe] == values), position, -1)
