"""HS-description mismatch: how unlikely the declared HS heading is given the goods description.

`DescriptionMismatch` hashes word unigrams and bigrams of the description (stateless, so no
vocabulary depends on the data) and fits two multinomial naive Bayes levels on past
declarations: the HS chapter, then the heading within the chapter. The official HS 2022
subheading texts join the training data as one pseudo-declaration each, so the model knows every
heading from day one.

    p(heading | text) = p(chapter | text) * p(heading | chapter, text)
    description_chapter_mismatch = 1 - p(declared chapter | text)
    description_heading_mismatch = 1 - p(declared heading | text)

Both are NaN for an empty description, a chapter/heading never seen in training, or while the
model has learnt from fewer than `min_declarations` declarations (the official texts alone are
too terse to judge trade descriptions such as "LDPE scrap bales").

Leakage: the declared heading is an input, not the label, yet a model fitted on the rows it
scores memorises their own (text, heading) pairs and looks more confident in training than on
new declarations. The training path therefore refits at every calendar month start on the
declarations strictly before that month and scores the month's rows with it; a snapshot as of
a date fits on the declarations before the start of that date's month. A row's score thus never
depends on its own day or anything later, and both paths compute it the same way.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin, clone

from data_contracts import reference
from features.prepare import hs_parts, normalised_text
from features.text_math import (
    class_counts,
    class_index,
    compact_columns,
    grouped_probability,
    hash_words,
    log_joint,
    probability_of,
    smoothed,
)

MISMATCH_COLUMNS = ("description_chapter_mismatch", "description_heading_mismatch")


def text_pairs(texts: pd.Categorical, headings: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct (text code, heading) pairs sorted by text then heading, and each row's pair."""
    radix = int(headings.max(initial=0)) + 2
    unique, inverse = np.unique(texts.codes.astype(np.int64) * radix + headings + 1,
                                return_inverse=True)  # fmt: skip
    return np.column_stack([unique // radix, unique % radix - 1]), inverse


class DescriptionMismatch(BaseEstimator, TransformerMixin):
    """Scores how far the declared HS chapter and heading are from what the description says."""

    def __init__(
        self, *, n_features: int = 2**18, bigrams: bool = True, alpha: float = 0.1,
        reference_weight: float = 1.0, min_declarations: int = 1000,
    ) -> None:  # fmt: skip
        self.min_declarations = min_declarations
        self.n_features = n_features
        self.bigrams = bigrams
        self.alpha = alpha
        self.reference_weight = reference_weight

    def vectorise(self, texts: np.ndarray) -> sp.csr_matrix:
        """L2-normalised hashed word unigram (and bigram) counts of lower-cased texts."""
        return hash_words(texts, n_features=self.n_features, bigrams=self.bigrams)

    def reference_documents(self) -> tuple[sp.csr_matrix, np.ndarray, np.ndarray]:
        """Official HS 2022 subheading texts as pseudo-declarations: vectors, headings, weights."""
        matrix, headings = _reference_matrix(self.n_features, self.bigrams)
        return matrix, headings, np.full(len(headings), float(self.reference_weight))

    def fit(self, X: pd.DataFrame, y: object = None) -> DescriptionMismatch:
        """Fit on declarations (`goods_description`, `hs_code`) known before the cut date."""
        return self.fit_texts(*_inputs(X))

    def fit_texts(self, texts: pd.Categorical, headings: np.ndarray) -> DescriptionMismatch:
        """Fit on normalised texts (categorical) and their declared headings."""
        usable = (np.asarray(texts.categories, dtype=object) != "")[texts.codes] & (headings >= 0)
        pairs, inverse = text_pairs(texts, headings)
        weights = np.bincount(inverse, weights=usable.astype(float), minlength=len(pairs))
        matrix = self.vectorise(np.asarray(texts.categories, dtype=object))[pairs[:, 0]]
        ref_matrix, ref_headings, ref_weights = self.reference_documents()
        documents = sp.vstack([matrix, ref_matrix]).tocsr()
        labels = np.r_[pairs[:, 1], ref_headings]
        keep = np.r_[weights, ref_weights] > 0
        classes = np.unique(labels[keep])
        counts, class_weights = class_counts(
            documents[keep], labels[keep], np.r_[weights, ref_weights][keep], classes
        )
        return self.set_counts(classes, counts, class_weights, n_declarations=int(usable.sum()))

    def set_counts(
        self, headings: np.ndarray, counts: sp.csr_matrix, weights: np.ndarray, *,
        n_declarations: int,
    ) -> DescriptionMismatch:  # fmt: skip
        """Fitted state from per-heading feature sums and weights (headings sorted)."""
        used = weights > 0
        self.headings_ = headings[used]
        self.heading_counts_ = counts[used]
        self.heading_weights_ = weights[used]
        self.chapters_, chapter_index = np.unique(self.headings_ // 100, return_inverse=True)
        to_chapter = sp.csr_matrix(
            (np.ones(len(self.headings_)), (chapter_index, np.arange(len(self.headings_)))),
            shape=(len(self.chapters_), len(self.headings_)),
        )
        self.chapter_counts_ = (to_chapter @ self.heading_counts_).tocsr()
        self.chapter_weights_ = to_chapter @ self.heading_weights_
        self.n_declarations_ = n_declarations
        # Smoothed once per fit, not per scored batch (a fixed cost of every service request),
        # and by column: scoring takes the columns of the batch's words (`_columns`).
        self.chapter_theta_ = _by_column(smoothed(self.chapter_counts_, self.alpha))
        self.heading_theta_ = _by_column(smoothed(self.heading_counts_, self.alpha))
        return self

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        """Chapter and heading mismatch per row of `X`, indexed like `X`."""
        scores = self.score_texts(*_inputs(X))
        return pd.DataFrame(scores, index=X.index, columns=list(MISMATCH_COLUMNS))

    def score_texts(self, texts: pd.Categorical, headings: np.ndarray) -> np.ndarray:
        """Mismatch scores (chapter, heading) for normalised texts and declared headings."""
        if len(texts) == 0:
            return np.empty((0, len(MISMATCH_COLUMNS)))
        categories = np.asarray(texts.categories, dtype=object)
        pairs, inverse = text_pairs(texts, headings)
        scores = self.score_matrix(self.vectorise(categories)[pairs[:, 0]], pairs[:, 1])
        scores[categories[pairs[:, 0]] == ""] = np.nan
        return scores[inverse]

    def score_matrix(self, matrix: sp.csr_matrix, headings: np.ndarray) -> np.ndarray:
        """Mismatch scores (chapter, heading) for vectorised texts and declared headings."""
        if self.n_declarations_ < self.min_declarations:  # too little history to judge
            return np.full((matrix.shape[0], len(MISMATCH_COLUMNS)), np.nan)
        matrix, used = compact_columns(matrix)
        chapter_part, chapter_base = self.chapter_theta_
        joint = log_joint(
            matrix, (_columns(chapter_part, used), chapter_base), self.chapter_weights_
        )
        p_chapter = probability_of(joint, class_index(self.chapters_, headings // 100))
        heading_part, heading_base = self.heading_theta_
        p_heading = grouped_probability(
            matrix,
            (_columns(heading_part, used), heading_base),
            self.heading_weights_,
            self.headings_ // 100,
            headings // 100,
            class_index(self.headings_, headings),
        )
        return np.column_stack([1.0 - p_chapter, 1.0 - p_chapter * p_heading])


def _by_column(theta: tuple[sp.csr_matrix, np.ndarray]) -> tuple[sp.csc_matrix, np.ndarray]:
    return theta[0].tocsc(), theta[1]


def _columns(part: sp.csc_matrix, used: np.ndarray) -> sp.csr_matrix:
    """The columns `used` (sorted) of a class x feature matrix, as the CSR matrix slicing its
    CSR form gives (same values, same sorted indices), without a pass over every row."""
    return part[:, used].tocsr()


def rolling_mismatch(prepared: pd.DataFrame, model: DescriptionMismatch) -> np.ndarray:
    """Training path: score each row with `model` refitted on declarations before its month."""
    month = np.asarray(prepared["declaration_date"], dtype="datetime64[M]").astype(np.int64)
    texts: pd.Categorical = prepared["text"].array
    headings = prepared["hs4"].to_numpy()
    pairs, inverse = text_pairs(texts, headings)
    categories = np.asarray(texts.categories, dtype=object)
    matrix = model.vectorise(categories)[pairs[:, 0]]
    blank = categories[pairs[:, 0]] == ""
    usable = ~blank & (pairs[:, 1] >= 0)
    ref_matrix, ref_headings, ref_weights = model.reference_documents()
    classes = np.unique(np.r_[pairs[usable, 1], ref_headings])
    counts, weights = class_counts(ref_matrix, ref_headings, ref_weights, classes)
    scores, seen = np.full((len(prepared), 2), np.nan), 0
    for current in np.unique(month):  # one refit per calendar month, not per row or trader
        in_month = month == current
        fitted = clone(model).set_counts(classes, counts, weights, n_declarations=seen)
        wanted, position = np.unique(inverse[in_month], return_inverse=True)
        month_scores = fitted.score_matrix(matrix[wanted], pairs[wanted, 1])
        month_scores[blank[wanted]] = np.nan
        scores[in_month] = month_scores[position]
        # This month's usable rows join the counts that the following months see.
        repeats = np.bincount(position, minlength=len(wanted)) * usable[wanted]
        keep = repeats > 0
        added, added_weights = class_counts(
            matrix[wanted[keep]], pairs[wanted[keep], 1], repeats[keep].astype(float), classes
        )
        counts, weights, seen = counts + added, weights + added_weights, seen + repeats.sum()
    return scores


@lru_cache(maxsize=4)
def _reference_matrix(n_features: int, bigrams: bool) -> tuple[sp.csr_matrix, np.ndarray]:
    """Vectors and headings of the HS 2022 subheading texts (fixed data, so cached)."""
    descriptions = reference.hs6_descriptions()
    texts = normalised_text(pd.Series(list(descriptions.values()), dtype="str"))
    headings = np.array([int(code[:4]) for code in descriptions], dtype=np.int64)
    categories = np.asarray(texts.categories, dtype=object)
    matrix = hash_words(categories, n_features=n_features, bigrams=bigrams)[texts.codes]
    return matrix, headings


def _inputs(X: pd.DataFrame) -> tuple[pd.Categorical, np.ndarray]:
    texts = normalised_text(X["goods_description"])
    headings = hs_parts(X["hs_code"])["hs4"].to_numpy()
    return texts, headings
