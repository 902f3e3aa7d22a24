"""`score-batch` on a small simulated world: counts, reruns, escaping, fallbacks, capacity."""

from __future__ import annotations

import datetime
import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, replace
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from data_contracts.coercion import TableError
from data_contracts.schemas import column_names
from models.rules import fire, packaged_profiles
from pipelines.flows.score import ScoreConfig, ScoreSummary, score_flow
from pipelines.runtime import run_flow
from pipelines.settings import Settings
from pipelines.steps.scoring import build_batch_features
from pipelines.storage import tracking
from pipelines.storage.warehouse import Warehouse
from tests.flows.conftest import WORLD_TODAY, ScoringWorld, write_csv_text
from tests.flows.test_cli import run_cli

SCRIPT = "<script>alert(1)</script>"
FORMULA_ID = "=1+1"
SECTIONS = ["Counts", "Red lane", "Profiles", "Score distributions", "Drift"]


@dataclass(frozen=True)
class Scored:
    """One batch scored twice in the same home (the second run is the one inspected)."""

    home: Path
    file: Path
    sent: pd.DataFrame
    first: Path
    out: Path
    summary: ScoreSummary
    script_id: str
    broken_ids: list[str]


def score(file: Path, out: Path, **options: object) -> ScoreSummary:
    config = ScoreConfig(file=file, out=out, today=WORLD_TODAY, **options)  # type: ignore[arg-type]
    return run_flow(score_flow, config)


def _with_traps(batch: pd.DataFrame, template: Path) -> tuple[pd.DataFrame, str, list[str]]:
    """The batch with a `<script>` description on a mandatory profile hit, a formula-like id
    and three broken rows."""
    features = build_batch_features(template / "warehouse.duckdb", batch)
    fired = fire(features, packaged_profiles())
    # Permit rules do not read the description, so this row stays a mandatory hit.
    hits = features.loc[fired["ODS-01"] | fired["WLD-01"], "declaration_id"]
    script_id = str(hits.iloc[0])
    sent = batch.copy()
    at = sent["declaration_id"] == script_id
    sent.loc[at, "goods_description"] = SCRIPT + " " + sent.loc[at, "goods_description"]
    plain = sent.index[~at & ~sent["declaration_id"].isin(hits)]
    sent.loc[plain[0], "declaration_id"] = FORMULA_ID
    broken = plain[1:4]
    sent.loc[broken[0], "net_weight_kg"] = -5.0
    sent.loc[broken[1], "origin_country"] = "XX"
    sent.loc[broken[2], "declaration_date"] = pd.Timestamp("2030-01-01")
    return sent, script_id, sent.loc[broken, "declaration_id"].tolist()


@pytest.fixture(scope="module")
def scored(scoring_world: ScoringWorld, tmp_path_factory: pytest.TempPathFactory) -> Scored:
    folder = tmp_path_factory.mktemp("scored")
    home = folder / "home"
    shutil.copytree(scoring_world.template, home)
    sent, script_id, broken_ids = _with_traps(scoring_world.first_half, scoring_world.template)
    file = write_csv_text(sent, folder / "batch.csv")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("GCRISK_HOME", str(home))
        patch.delenv("GCRISK_PSEUDONYM_KEY", raising=False)
        score(file, folder / "first")
        summary = score(file, folder / "out")
    return Scored(
        home, file, sent, folder / "first", folder / "out", summary, script_id, broken_ids
    )


def _scores(out: Path) -> pd.DataFrame:
    return pd.read_parquet(out / "scores.parquet")


# --- counts, reruns ---------------------------------------------------------------------------


def test_rows_in_are_scored_or_quarantined(scored: Scored) -> None:
    summary = json.loads((scored.out / "summary.json").read_text())
    scores = _scores(scored.out)
    quarantine = pd.read_parquet(scored.out / "quarantine.parquet")
    assert summary == scored.summary.model_dump(mode="json")
    assert summary["rows_in"] == len(scored.sent)
    assert summary["rows_quarantined"] == 3
    assert summary["rows_scored"] == len(scores) == len(scored.sent) - 3
    assert sorted(quarantine["declaration_id"]) == sorted(scored.broken_ids)
    assert quarantine["quarantine_reason"].str.len().gt(0).all()
    assert set(scores["declaration_id"]) | set(quarantine["declaration_id"]) == set(
        scored.sent["declaration_id"]
    )
    assert sum(summary["lanes"].values()) == len(scores)
    assert list(scores.columns) == column_names("scores")


def test_rerun_gives_the_same_scores_and_duplicates_nothing(scored: Scored) -> None:
    first, again = _scores(scored.first), _scores(scored.out)
    pd.testing.assert_frame_equal(first.drop(columns="scored_at"), again.drop(columns="scored_at"))
    assert (again["scored_at"] > first["scored_at"]).all()
    with Warehouse(scored.home / "warehouse.duckdb", read_only=True) as warehouse:
        stored = warehouse.read_scores()
        declarations = warehouse.read_declarations()
        quarantine = warehouse.read_quarantine("declarations")
    assert len(stored) == len(again) and stored["declaration_id"].is_unique
    assert declarations["declaration_id"].is_unique
    assert set(again["declaration_id"]) <= set(declarations["declaration_id"])
    assert (quarantine["source_file"] == str(scored.file.resolve())).sum() == 3
    first_summary = json.loads((scored.first / "summary.json").read_text())
    assert first_summary["data_fingerprint"] == scored.summary.data_fingerprint


def test_a_run_id_says_how_to_reproduce_the_same_lanes(scored: Scored) -> None:
    first_run = json.loads((scored.first / "summary.json").read_text())["decision_run_id"]
    with Warehouse(scored.home / "warehouse.duckdb", read_only=True) as warehouse:
        recorded = warehouse.decision_run(first_run)
        again = warehouse.decision_run(scored.summary.decision_run_id)
        lanes = warehouse.run_lanes(first_run), warehouse.run_lanes(scored.summary.decision_run_id)
        assert warehouse.count("decisions") == 2 * len(lanes[0])
    assert recorded is not None and again is not None
    assert recorded.batch_file == str(scored.file.resolve())
    assert len(recorded.batch_sha256) == 64 and recorded.model_fingerprint
    assert replace(again, run_id=first_run) == recorded
    pd.testing.assert_frame_equal(*lanes)
    assert recorded.command().startswith(f"gcrisk score {scored.file.resolve()} --budget 0.05")


def test_each_run_is_logged_in_mlflow(scored: Scored) -> None:
    import mlflow

    settings = Settings(home=scored.home)
    tracking.connect(settings.tracking_uri, scored.home / "mlartifacts")
    runs = mlflow.search_runs(experiment_names=["gcrisk-scoring"], output_format="pandas")
    assert len(runs) == 2
    assert set(runs["metrics.rows_in"]) == {float(len(scored.sent))}
    assert set(runs["params.model_version"]) == {scored.summary.model_version}


# --- selection -------------------------------------------------------------------------------


def test_propensities_match_the_selection(scored: Scored) -> None:
    scores = _scores(scored.out)
    propensity, reason = scores["selection_propensity"], scores["selection_reason"]
    targeted = reason.isin(["rule", "model"])
    random = reason == "random"
    assert propensity.between(0, 1).all()
    assert (propensity[targeted] == 1.0).all()
    rate = random.sum() / (~targeted).sum()
    assert random.sum() > 0
    assert propensity[~targeted].round(12).eq(round(rate, 12)).all()
    assert (scores["selected"] == (reason != "")).all()
    assert (scores.loc[scores["selected"], "lane"] == "red").all()
    assert scores["selected"].sum() == round(0.05 * len(scores))


def test_capacity_is_respected_per_office_and_day(
    scoring_world: ScoringWorld, trained_home: Path, tmp_path: Path
) -> None:
    batch = scoring_world.first_half
    offices = batch["customs_office"].value_counts().index
    quota = [3, 1, 0] + [0] * (len(offices) - 3)
    capacity = pd.DataFrame({"office": offices, "inspections_per_day": quota})
    capacity_file = write_csv_text(capacity, tmp_path / "capacity.csv")
    file = write_csv_text(batch, tmp_path / "batch.csv")
    score(file, tmp_path / "out", capacity=capacity_file)
    keys = ["customs_office", "declaration_date"]
    scores = _scores(tmp_path / "out").merge(batch[["declaration_id", *keys]])
    selected = scores.groupby(keys)["selected"].sum()
    rows = scores.groupby(keys).size()
    allowed = capacity.set_index("office")["inspections_per_day"]
    expected = np.minimum(allowed.reindex(selected.index.get_level_values(0)).to_numpy(), rows)
    assert selected.tolist() == expected.tolist()
    assert selected.groupby(level=0).max()[offices[0]] == 3  # per day, not 3 x days on one day
    random = scores[scores["selection_reason"] == "random"]
    assert (random["selection_propensity"] < 1).all() and len(random) > 0


def test_an_office_missing_from_the_capacity_file_stops_before_loading(
    scoring_world: ScoringWorld, trained_home: Path, tmp_path: Path
) -> None:
    batch = scoring_world.first_half
    offices = batch["customs_office"].value_counts().index
    capacity = pd.DataFrame({"office": offices[:2], "inspections_per_day": [3, 1]})
    capacity_file = write_csv_text(capacity, tmp_path / "capacity.csv")
    file = write_csv_text(batch, tmp_path / "batch.csv")
    with Warehouse(trained_home / "warehouse.duckdb", read_only=True) as warehouse:
        before = warehouse.count("declarations")
    with pytest.raises(TableError, match=f"{len(offices) - 2} office\\(s\\) of the batch"):
        score(file, tmp_path / "out", capacity=capacity_file)
    with Warehouse(trained_home / "warehouse.duckdb", read_only=True) as warehouse:
        assert warehouse.count("declarations") == before


# --- outputs ---------------------------------------------------------------------------------


def test_scores_csv_neutralises_formula_cells(scored: Scored) -> None:
    csv = pd.read_csv(scored.out / "scores.csv", dtype="str", keep_default_na=False)
    parquet = _scores(scored.out)
    assert FORMULA_ID in set(parquet["declaration_id"])
    assert "'" + FORMULA_ID in set(csv["declaration_id"])
    text = ["declaration_id", "lane", "action", "rules_fired", "reasons", "model_version"]
    for column in text:
        assert not csv[column].str.match(r"[=+\-@\t\r]").any(), column
    assert (csv["reasons"] != "").sum() == (parquet["reasons"] != "").sum()


class _Page(HTMLParser):
    """Headings, tags, table rows per section and the banner of a report page."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.headings: list[str] = []
        self.rows: dict[str, int] = {}
        self.images: list[str] = []
        self.banner = ""
        self._in: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self._in.append(dict(attrs).get("class") or tag)
        if tag == "img":
            self.images.append(dict(attrs).get("src") or "")
        if tag == "tr" and self.headings:
            self.rows[self.headings[-1]] = self.rows.get(self.headings[-1], 0) + 1

    def handle_endtag(self, tag: str) -> None:
        if self._in:
            self._in.pop()

    def handle_data(self, data: str) -> None:
        if self._in and self._in[-1] == "h2":
            self.headings.append(data)
        if self._in and self._in[-1] == "banner":
            self.banner += data


def parse(path: Path) -> _Page:
    page = _Page()
    page.feed(path.read_text(encoding="utf-8"))
    page.close()
    return page


def test_report_has_its_sections_and_no_script(scored: Scored) -> None:
    page = parse(scored.out / "report.html")
    scores = _scores(scored.out)
    assert page.headings == SECTIONS
    assert "script" not in page.tags
    assert page.images and all(src.startswith("data:image/png;base64,") for src in page.images)
    red = int((scores["lane"] == "red").sum())
    assert page.rows["Red lane"] == red + 1  # header row
    assert page.rows["Drift"] > 1
    assert page.banner == ""


def test_free_text_is_escaped_in_the_report(scored: Scored) -> None:
    scores = _scores(scored.out).set_index("declaration_id")
    assert scores.loc[scored.script_id, "lane"] == "red"
    text = (scored.out / "report.html").read_text(encoding="utf-8")
    assert "<script" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text


# --- fallbacks and edge cases ----------------------------------------------------------------


def _register_broken_champion(home: Path) -> None:
    settings = Settings(home=home)
    client = tracking.connect(settings.tracking_uri, home / "mlartifacts")
    broken = home / "broken-model"
    (broken / "artifacts").mkdir(parents=True)
    (broken / "artifacts" / "risk_model.json").write_text("{not json")
    version = client.create_model_version(tracking.MODEL_NAME, source=broken.as_uri())
    tracking.set_alias(client, tracking.CHAMPION, str(version.version))


def _drop_champion(home: Path) -> None:
    settings = Settings(home=home)
    client = tracking.connect(settings.tracking_uri, home / "mlartifacts")
    client.delete_registered_model_alias(tracking.MODEL_NAME, tracking.CHAMPION)


@pytest.fixture(params=["no champion", "corrupt champion"])
def without_model(request: pytest.FixtureRequest, trained_home: Path) -> Iterator[str]:
    if request.param == "no champion":
        _drop_champion(trained_home)
        yield "no champion model is registered"
    else:
        _register_broken_champion(trained_home)
        yield "could not be loaded"


def test_without_a_usable_model_profiles_decide_and_the_command_succeeds(
    without_model: str,
    scoring_world: ScoringWorld,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    file = write_csv_text(scoring_world.first_half, tmp_path / "batch.csv")
    out = tmp_path / "out"
    code, stdout, stderr = run_cli(
        capsys, "score", str(file), "--out", str(out), "--today", str(WORLD_TODAY)
    )
    assert code == 0, stderr
    assert "warning: Profiles only" in stderr and without_model in stderr
    summary = json.loads((out / "summary.json").read_text())
    scores = _scores(out)
    assert summary["model_version"] == "profiles-only"
    assert without_model in summary["banner"]
    assert without_model in parse(out / "report.html").banner
    assert set(scores["selection_reason"]) == {"rule", "random", ""}
    assert (scores["model_version"] == "profiles-only").all()
    assert summary["drift"] == {}
    assert "profiles-only" in stdout


def test_a_batch_with_no_valid_row_writes_empty_outputs(
    scoring_world: ScoringWorld, trained_home: Path, tmp_path: Path
) -> None:
    batch = scoring_world.first_half.head(20).assign(origin_country="XX")
    summary = score(write_csv_text(batch, tmp_path / "bad.csv"), tmp_path / "out")
    assert (summary.rows_in, summary.rows_scored, summary.rows_quarantined) == (20, 0, 20)
    assert summary.banner is not None and "No valid declarations" in summary.banner
    assert list(_scores(tmp_path / "out").columns) == column_names("scores")
    assert len(pd.read_parquet(tmp_path / "out" / "quarantine.parquet")) == 20
    assert parse(tmp_path / "out" / "report.html").headings == SECTIONS
    assert json.loads((tmp_path / "out" / "summary.json").read_text())["rows_scored"] == 0


def test_a_table_error_names_the_batch_file(
    scoring_world: ScoringWorld, trained_home: Path, tmp_path: Path
) -> None:
    batch = scoring_world.first_half.head(10).drop(columns="hs_code")
    file = write_csv_text(batch, tmp_path / "no-hs.csv")
    with pytest.raises(TableError, match=r"no-hs\.csv"):
        score(file, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_targeted_rows_carry_plain_language_reasons(scored: Scored) -> None:
    scores = _scores(scored.out)
    rule = scores[scores["selection_reason"] == "rule"]
    model = scores[scores["selection_reason"] == "model"]
    assert len(rule) and len(model)
    assert rule["reasons"].str.startswith("profile ").all()
    assert (rule["rules_fired"] != "").all()
    assert (model["reasons"] != "").all()
    assert scores.loc[scores["lane"] == "green", "reasons"].eq("").all()


def test_drafts_in_the_units_folder_fire_in_shadow_only_and_expiring_profiles_warn(
    scoring_world: ScoringWorld,
    trained_home: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    batch = scoring_world.first_half
    first_day = batch["declaration_date"].min().date()
    ends = first_day + datetime.timedelta(days=10)
    shipped = Path(__file__).parents[2] / "models" / "profiles"
    folder = tmp_path / "profiles"
    folder.mkdir()
    for path in shipped.glob("*.yaml"):
        text = path.read_text(encoding="utf-8")
        if path.name.startswith(("ods-01", "wld-01")):
            text = text.replace("status: active", "status: draft")
        if path.name.startswith("ods-02"):
            text = text.replace("valid_to: null", f"valid_to: '{ends}'")
        (folder / path.name).write_text(text, encoding="utf-8")
    monkeypatch.setenv("GCRISK_PROFILES", str(folder))
    file = write_csv_text(batch, tmp_path / "batch.csv")
    summary = score(file, tmp_path / "out")
    scores = _scores(tmp_path / "out")
    fired = set(scores["rules_fired"].str.split("|").explode())
    shadow = set(scores["shadow_fired"].str.split("|").explode()) - {""}
    # The drafts fired, for the record only: never among the selecting profiles.
    assert shadow == {"ODS-01", "WLD-01"} and shadow == set(summary.shadow_fired)
    assert fired.isdisjoint(shadow)
    assert set(summary.rules_fired) and not shadow & set(summary.rules_fired)
    with Warehouse(trained_home / "warehouse.duckdb", read_only=True) as store:
        run = store.decision_run(summary.decision_run_id)
    assert run is not None and run.shadow_profiles == "ODS-01@1,WLD-01@1"
    # ODS-02 ends 10 days into the batch: it still selects, and the run warns.
    expected = f"profile ODS-02@1 expires on {ends}, within 30 days of {first_day}"
    assert [line[: len(expected)] for line in summary.warnings] == [expected]
    assert expected in (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
