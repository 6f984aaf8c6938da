"""A city's assistant is built from its own directory: lookups from its database into a copy of the
training data (never the committed ones), and a model trained once, again only on change."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

import benchmarks.city_model as city_model
from benchmarks.city_model import (
    NLU_DATA,
    CityError,
    import_command,
    prepare_city,
    training_fingerprint,
)
from knowledge.db import make_engine
from knowledge.models import Opportunity
from knowledge.transfer.csv_format import COLUMNS


def spreadsheet(path: Path, topic: str) -> Path:
    """A one-listing city spreadsheet (the community format of docs/csv-import.md)."""
    row = {name: "" for name in COLUMNS}
    row.update(
        external_id="ph-001",
        title="Clay Club for Kids",
        provider="Pine Hollow Arts",
        description="Hand-building with clay; every child takes home a fired pot.",
        topics=topic,
        min_age="8",
        max_age="12",
        cost="0",
        format="in_person",
        address="12 Kiln Rd",
        neighborhood="Potters Row",
        city="Pine Hollow",
        days="Sat",
        start_time="10:00",
        end_time="11:30",
    )
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(COLUMNS))
    writer.writeheader()
    writer.writerow(row)
    path.write_text(out.getvalue(), encoding="utf-8")
    return path


@pytest.fixture
def trainings(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """`rasa train` replaced by a stand-in that writes a model file and records its NLU data."""
    seen: list[Path] = []

    def fake_train(nlu_data: Path, out: Path, log: Path) -> Path:
        seen.append(nlu_data)
        model = out / "model.tar.gz"
        model.write_bytes(b"model")
        return model

    monkeypatch.setattr(city_model, "train", fake_train)
    return seen


def test_a_city_is_imported_its_lookups_generated_and_its_model_trained_once(
    tmp_path: Path, trainings: list[Path]
) -> None:
    committed = {p.name: p.read_bytes() for p in (NLU_DATA / "lookups").iterdir()}
    csv_path = spreadsheet(tmp_path / "directory.csv", "pottery")
    work = tmp_path / "work"
    first = prepare_city("pine-hollow", import_command(csv_path), work, progress=lambda _: None)
    assert first.training_s is not None and first.model == (work / "model.tar.gz").resolve()
    engine = make_engine(first.database_url)
    with Session(engine) as session:
        assert session.scalars(select(Opportunity.title)).all() == ["Clay Club for Kids"]
    engine.dispose()
    lookups = work / "nlu_data" / "lookups"
    assert "pottery" in (lookups / "topics.yml").read_text()
    assert "Potters Row" in (lookups / "neighbourhoods.yml").read_text()
    assert "Pine Hollow Arts" in (lookups / "providers.yml").read_text()
    assert (work / "nlu_data" / "search.yml").read_bytes() == (NLU_DATA / "search.yml").read_bytes()
    assert {p.name: p.read_bytes() for p in (NLU_DATA / "lookups").iterdir()} == committed

    again = prepare_city("pine-hollow", import_command(csv_path), work, progress=lambda _: None)
    assert again.training_s is None and again.model == first.model
    assert len(trainings) == 1  # nothing it learns from changed: the model is reused
    (work / "model.fingerprint").write_text("trained from something else\n")
    changed = prepare_city("pine-hollow", import_command(csv_path), work, progress=lambda _: None)
    assert changed.training_s is not None and len(trainings) == 2


def test_a_refused_spreadsheet_stops_with_the_commands_message(
    tmp_path: Path, trainings: list[Path]
) -> None:
    broken = tmp_path / "directory.csv"
    broken.write_text("title,provider\nClay Club,Pine Hollow Arts\n", encoding="utf-8")
    with pytest.raises(CityError) as caught:
        prepare_city("broken", import_command(broken), tmp_path / "work", progress=lambda _: None)
    assert "`wayfinder directory import" in str(caught.value)
    assert "description" in str(caught.value)  # the importer names the missing columns
    assert trainings == []


def test_the_fingerprint_follows_the_content_of_the_training_data(tmp_path: Path) -> None:
    copy = tmp_path / "nlu_data"
    (copy / "lookups").mkdir(parents=True)
    (copy / "lookups" / "topics.yml").write_text("nlu: []\n")
    before = training_fingerprint(copy)
    assert training_fingerprint(copy) == before
    (copy / "lookups" / "topics.yml").write_text("nlu: [x]\n")
    assert training_fingerprint(copy) != before
    (copy / "lookups" / "topics.yml").write_text("nlu: []\n")
    assert training_fingerprint(copy) == before
    (copy / "extra.yml").write_text("nlu: []\n")
    assert training_fingerprint(copy) != before
