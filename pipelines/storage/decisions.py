"""The decision record: every scoring run appends one row per declaration, and never rewrites.

A lane that an officer acted on must stay the lane the unit decided, whatever a later re-score
says: hit rates, training weights (inverse propensities) and the missed-violation estimate are
only right if they use the decision that was in force when the declaration was inspected. So
`decisions` is append-only (this module holds the only SQL that writes it, and it only
inserts), and `scores` is a view of the decision in force for each declaration:

1. the first decision that selected it (an inspection order is acted on, hence frozen);
2. otherwise, if a result was recorded, the last decision made before the result was loaded;
3. otherwise the latest decision (nothing was acted on yet, so the newest advice stands).

Each row carries the run's inputs (batch file and hash, model version and fingerprint, the
profile set's hash, budget, exploration share, seed, capacity file hash), so a run id says how to
reproduce its lanes.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import pandas as pd
import pyarrow as pa

from data_contracts.schemas import SCHEMAS
from pipelines.storage.backends import Backend, DuplicateRowsError
from pipelines.storage.tables import SQL_TYPES, canonical_frame

#: The run columns each decision carries next to the canonical score columns.
RUN_COLUMNS: dict[str, str] = {
    "run_id": "VARCHAR NOT NULL",
    "batch_file": "VARCHAR NOT NULL",
    "batch_sha256": "VARCHAR NOT NULL",
    "model_fingerprint": "VARCHAR NOT NULL",
    "profile_set_hash": "VARCHAR NOT NULL",
    "budget": "DOUBLE NOT NULL",
    "exploration": "DOUBLE NOT NULL",
    "seed": "BIGINT NOT NULL",
    "capacity_file": "VARCHAR",
    "capacity_sha256": "VARCHAR",
    "shadow_profiles": "VARCHAR",
}
_SCORE_DDL = ", ".join(
    f"{c.name} {SQL_TYPES[c.type]}{'' if c.nullable else ' NOT NULL'}" for c in SCHEMAS["scores"]
)
DECISIONS_DDL = (
    "CREATE TABLE IF NOT EXISTS decisions ("
    + ", ".join(f"{name} {kind}" for name, kind in RUN_COLUMNS.items())
    + f", {_SCORE_DDL}, PRIMARY KEY (run_id, declaration_id))"
)
_SCORE_NAMES = ", ".join(c.name for c in SCHEMAS["scores"])
#: The decision in force per declaration (see the module docstring for the rule); `{epoch}` is
#: the backend's microseconds of `d.scored_at`.
IN_FORCE_VIEW = f"""CREATE OR REPLACE VIEW scores AS
SELECT {_SCORE_NAMES}, batch_file AS source_file, scored_at AS loaded_at, run_id
FROM (
    SELECT d.*, row_number() OVER (
        PARTITION BY d.declaration_id
        ORDER BY
            CASE WHEN d.selected THEN 0
                 WHEN i.loaded_at IS NOT NULL AND d.scored_at <= i.loaded_at THEN 1
                 ELSE 2 END,
            CASE WHEN d.selected THEN {{epoch}} ELSE -{{epoch}} END,
            d.run_id
    ) AS place
    FROM decisions d LEFT JOIN inspections i USING (declaration_id)
) AS ranked
WHERE place = 1"""  # noqa: S608 (constant text)


@dataclass(frozen=True)
class DecisionRun:
    """What one scoring run decided with: enough to reproduce its lanes.

    Scoring the same batch file again with these settings, the same champion (fingerprint) and
    the same warehouse history before the batch gives the same lanes.
    """

    def command(self) -> str:
        """The `gcrisk score` options that repeat this run's selection."""
        capacity = f" --capacity {self.capacity_file}" if self.capacity_file else ""
        return (
            f"gcrisk score {self.batch_file} --budget {self.budget} "
            f"--exploration {self.exploration} --seed {self.seed}{capacity} --out DIR"
        )

    run_id: str
    batch_file: str
    batch_sha256: str
    model_fingerprint: str
    profile_set_hash: str
    budget: float
    exploration: float
    seed: int
    capacity_file: str | None = None
    capacity_sha256: str | None = None
    #: The shadow profiles in use (`ID@version`, comma-separated): they fired into
    #: `shadow_fired` and selected nothing.
    shadow_profiles: str | None = None


class RunAlreadyRecorded(ValueError):
    """A scoring run's decisions are in the record already: decisions are never replaced."""

    def __init__(self, run_id: str) -> None:
        super().__init__(f"run {run_id} is already recorded: decisions are never replaced")


def create(db: Backend) -> None:
    """The `decisions` table and the `scores` view, bringing older warehouses up to date.

    Warehouses written before the decision record kept one upserted row per declaration in a
    `scores` table; its rows become decisions of run 'before-decision-record' (their settings are
    unknown, recorded as empty), and the table gives way to the view. Columns added to the record
    since a warehouse was made (e.g. `shadow_fired`) are added empty: older decisions fired no
    shadow profile.

    On a shared server the view is only created when missing: replacing it takes an exclusive
    lock that would wait for every analyst's open query on `scores`.
    """
    db.execute(db.ddl(DECISIONS_DDL))
    _add_missing_columns(db)
    kinds = db.rows(
        "SELECT table_type FROM information_schema.tables "
        "WHERE table_name = 'scores' AND table_schema = current_schema()"
    )
    if kinds and kinds[0][0] == "BASE TABLE":
        kept = [name for name in _SCORE_NAMES.split(", ") if name in _columns(db, "scores")]
        db.execute(
            f"INSERT INTO decisions ({', '.join(_RUN_KEYS)}, {', '.join(kept)}) "  # noqa: S608
            f"SELECT 'before-decision-record', source_file, '', '', '', 0, 0, 0, {', '.join(kept)} "
            "FROM scores"
        )
        db.execute("DROP TABLE scores")
        kinds = []
    if not kinds or not db.shared:
        db.execute(IN_FORCE_VIEW.format(epoch=db.epoch_us("d.scored_at")))


#: The run columns a migrated pre-record score gets values for (the rest stay NULL).
_RUN_KEYS = (
    "run_id",
    "batch_file",
    "batch_sha256",
    "model_fingerprint",
    "profile_set_hash",
    "budget",
    "exploration",
    "seed",
)


def _columns(db: Backend, table: str) -> set[str]:
    rows = db.rows(
        "SELECT column_name FROM information_schema.columns "
        "WHERE table_name = ? AND table_schema = current_schema()",
        [table],
    )
    return {row[0] for row in rows}


def _add_missing_columns(db: Backend) -> None:
    """Add the nullable columns a decisions table of an older gcrisk lacks (NOT NULL columns
    have been there since the record began)."""
    present = _columns(db, "decisions")
    wanted = {
        **{name: kind for name, kind in RUN_COLUMNS.items() if "NOT NULL" not in kind},
        **{c.name: SQL_TYPES[c.type] for c in SCHEMAS["scores"] if c.nullable},
    }
    for name, kind in wanted.items():
        if name not in present:
            db.execute(db.ddl(f"ALTER TABLE decisions ADD COLUMN {name} {kind}"))


def append(db: Backend, scores: pd.DataFrame, run: DecisionRun) -> int:
    """Append one decision per row of `scores` (a canonical score table); returns rows added.

    Two runs appending at once on a server both land; the same run twice is refused (here, or
    by the primary key (run_id, declaration_id) if both check before either commits).
    """
    rows = canonical_frame(scores, "scores")
    if rows["declaration_id"].duplicated().any():
        raise ValueError("scores: declaration_id must be unique within one scoring run")
    known = db.rows("SELECT count(*) FROM decisions WHERE run_id = ?", [run.run_id])
    if known[0][0]:
        raise RunAlreadyRecorded(run.run_id)
    values = asdict(run)
    decided = pa.Table.from_pandas(rows, preserve_index=False)
    try:
        db.insert("decisions", decided, {name: values[name] for name in RUN_COLUMNS})
    except DuplicateRowsError:
        raise RunAlreadyRecorded(run.run_id) from None
    return len(rows)


def history(db: Backend, declaration_id: str) -> pd.DataFrame:
    """Every decision about one declaration, oldest first, with `in_force` marking the one the
    `scores` view holds."""
    return db.arrow(
        "SELECT d.*, (s.run_id IS NOT NULL) AS in_force FROM decisions d "
        "LEFT JOIN scores s ON s.declaration_id = d.declaration_id AND s.run_id = d.run_id "
        "WHERE d.declaration_id = ? ORDER BY d.scored_at, d.run_id",
        [declaration_id],
    ).to_pandas()


def run_settings(db: Backend, run_id: str) -> DecisionRun | None:
    """The settings one scoring run decided with, or None for an unknown run id."""
    rows = db.rows(
        f"SELECT {', '.join(RUN_COLUMNS)} FROM decisions WHERE run_id = ? LIMIT 1",  # noqa: S608
        [run_id],
    )
    if not rows:
        return None
    values = dict(zip(RUN_COLUMNS, rows[0], strict=True))
    return DecisionRun(**{**values, "budget": float(values["budget"]), "seed": int(values["seed"])})


def run_lanes(db: Backend, run_id: str) -> pd.DataFrame:
    """declaration_id, lane, selected, selection_reason of one run, by declaration id."""
    return db.arrow(
        "SELECT declaration_id, lane, selected, selection_reason FROM decisions "
        "WHERE run_id = ? ORDER BY declaration_id",
        [run_id],
    ).to_pandas()
