"""The API's routes over real HTTP: reading, creating, changing with a version, closing,
spreadsheet uploads, review requests, paging and syncing with modified_after."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from knowledge.editing.review import reject_request
from knowledge.history import Actor
from knowledge.models import ChangeRecord, Opportunity
from knowledge.transfer.csv_format import COLUMNS
from tests.bot.api.conftest import Api

SHORT = ("title", "provider", "description", "topics", "format", "min_age", "max_age")
CSV = {"Content-Type": "text/csv"}


def csv(*lines: str) -> bytes:
    """A directory spreadsheet: the header, then rows of the few cells these tests set."""
    rows = [",".join(COLUMNS)]
    for line in lines:
        cells = dict(zip(SHORT, line.split(","), strict=True))
        rows.append(",".join(cells.get(column, "") for column in COLUMNS))
    return ("\n".join(rows) + "\n").encode()


def new_listing(**fields: Any) -> dict[str, Any]:
    """The required fields of a new listing, and any others given."""
    return {
        "name": "Chess Club",
        "description": "Learn chess with friends.",
        "topics": ["chess", "games"],
        "format": "in_person",
    } | fields


def test_members_list_their_own_providers_listings_and_organisers_all(api: Api) -> None:
    mine = api.call("GET", "/opportunities", "librarian")
    assert mine.status_code == 200
    body = mine.json()
    assert [item["name"] for item in body["opportunities"]] == ["Story Time"]
    assert body["next"] is None
    every = api.call("GET", "/opportunities", "organiser").json()["opportunities"]
    assert sorted(item["name"] for item in every) == [
        "Painting Club",
        "Saturday Robotics",
        "Story Time",
    ]


def test_a_listing_reads_in_hsds_names_with_its_version(api: Api) -> None:
    answer = api.call("GET", f"/opportunities/{api.seeded.listings['story_time']}")
    assert answer.status_code == 200
    listing = answer.json()
    assert answer.headers["ETag"] == f'"{listing["version"]}"'
    assert listing["name"] == "Story Time" and listing["minimum_age"] == 6
    assert listing["maximum_age"] == 12 and listing["topics"] == ["reading"]
    library = api.seeded.providers["library"]
    assert listing["provider"] == {"id": library, "name": "Eastside Library"}
    assert listing["status"] == "active" and listing["languages"] == ["en"]
    assert listing["modified_at"].endswith("Z") and isinstance(listing["version"], int)


def test_a_change_with_the_version_read_is_published_and_bumps_the_version(api: Api) -> None:
    listing = api.listing("story_time")
    change = {
        "seats_available": 4,
        "cost": 12.5,
        "days": ["Sat", "Sun"],
        "start_time": "10:00",
        "end_time": "11:30",
        "url": "https://library.example.org/story",
        "status": "temporarily closed",
        "version": listing["version"],
    }
    answer = api.call("PATCH", f"/opportunities/{listing['id']}", json=change)
    assert answer.status_code == 200, answer.text
    after = answer.json()
    assert after["version"] > listing["version"]
    assert answer.headers["ETag"] == f'"{after["version"]}"'
    assert after["seats_available"] == 4 and after["cost"] == 12.5
    assert after["days"] == ["Sat", "Sun"] and after["start_time"] == "10:00"
    assert after["status"] == "temporarily closed"
    assert after["assured_date"] is not None  # a provider's own change confirms the listing
    assert after["modified_at"] > listing["modified_at"]
    assert api.listing("story_time") == after
    with api.sessions() as session:
        records = session.scalars(
            select(ChangeRecord).where(
                ChangeRecord.entity_id == listing["id"], ChangeRecord.field == "seats_available"
            )
        ).all()
        assert [(r.new_value, r.source) for r in records] == [("4", "api")]


def test_null_clears_an_optional_field(api: Api) -> None:
    listing = api.listing("story_time")
    answer = api.call(
        "PATCH",
        f"/opportunities/{listing['id']}",
        json={"maximum_age": None},
        headers={"If-Match": f'"{listing["version"]}"'},
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["maximum_age"] is None


def test_a_listing_read_can_be_sent_back_whole_with_a_change(api: Api) -> None:
    listing = api.listing("story_time")
    answer = api.call(
        "PATCH", f"/opportunities/{listing['id']}", json=listing | {"description": "New words."}
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["description"] == "New words."


@pytest.mark.parametrize(
    ("headers", "body", "status", "says"),
    [
        ({}, {"seats_available": 3}, 428, "send the version you read"),
        ({"If-Match": "soon"}, {"seats_available": 3}, 400, "If-Match must hold the version"),
        ({}, {"seats_available": 3, "version": "2"}, 400, "whole number"),
        ({}, {"seats_available": 3, "version": True}, 400, "whole number"),
        ({"If-Match": '"1"'}, {"version": 2}, 400, "send one"),
    ],
)
def test_a_change_without_a_usable_version_is_refused(
    api: Api, headers: dict[str, str], body: dict[str, Any], status: int, says: str
) -> None:
    listing_id = api.seeded.listings["story_time"]
    answer = api.call("PATCH", f"/opportunities/{listing_id}", json=body, headers=headers)
    assert answer.status_code == status
    assert says in answer.json()["error"]
    assert answer.json()["problems"][0]["field"] == "version"


def test_a_stale_change_gets_409_with_the_current_listing(api: Api) -> None:
    read = api.listing("story_time")
    change = {"seats_available": 9, "version": read["version"]}
    first = api.call("PATCH", f"/opportunities/{read['id']}", json=change)
    assert first.status_code == 200
    second = api.call(
        "PATCH",
        f"/opportunities/{read['id']}",
        json={"description": "Overwrite", "version": read["version"]},
    )
    assert second.status_code == 409
    body = second.json()
    assert body["version"] == first.json()["version"] == body["current"]["version"]
    assert body["current"]["seats_available"] == 9
    assert body["problems"] == [
        {"field": "version", "message": f"is {body['version']} now, not {read['version']}"}
    ]
    assert "changed since you read" in body["error"]
    assert second.headers["ETag"] == f'"{body["version"]}"'
    assert api.listing("story_time")["description"] == read["description"]
    retried = api.call(
        "PATCH",
        f"/opportunities/{read['id']}",
        json={"description": "Overwrite", "version": body["version"]},
    )
    assert retried.status_code == 200 and retried.json()["seats_available"] == 9


def test_a_verified_providers_new_listing_is_published(api: Api) -> None:
    body = new_listing(provider="Eastside Library", minimum_age=8, languages=["en", "es"])
    answer = api.call("POST", "/opportunities", json=body)
    assert answer.status_code == 201, answer.text
    created = answer.json()
    assert answer.headers["Location"] == f"/api/v1/opportunities/{created['id']}"
    assert created["name"] == "Chess Club" and created["topics"] == ["chess", "games"]
    assert created["provider"]["name"] == "Eastside Library" and created["version"] >= 1
    assert api.call("GET", f"/opportunities/{created['id']}").json() == created


def test_the_provider_may_be_named_by_id_or_left_out_by_a_member_of_one(api: Api) -> None:
    library = api.seeded.providers["library"]
    by_id = api.call("POST", "/opportunities", json=new_listing(provider={"id": library}))
    assert by_id.status_code == 201, by_id.text
    implied = api.call("POST", "/opportunities", json=new_listing(name="Go Club"))
    assert implied.status_code == 201 and implied.json()["provider"]["id"] == library
    organiser = api.call("POST", "/opportunities", "organiser", json=new_listing(name="Draughts"))
    assert organiser.status_code == 422
    assert organiser.json()["problems"][0]["field"] == "provider"


@pytest.mark.parametrize(
    ("provider", "status", "says"),
    [
        ("Harbour Arts", 403, "not a member of Harbour Arts"),
        ("No Such Group", 422, "no provider is called"),
        (999_999, 422, "there is no provider"),
        (10**30, 422, "there is no provider"),
        ([1], 422, "name the provider"),
    ],
)
def test_a_new_listing_for_a_provider_not_ones_own_is_refused(
    api: Api, provider: Any, status: int, says: str
) -> None:
    answer = api.call("POST", "/opportunities", json=new_listing(provider=provider))
    assert answer.status_code == status
    assert says in answer.json()["error"]


def test_a_new_listing_without_its_required_fields_lists_each(api: Api) -> None:
    answer = api.call("POST", "/opportunities", json={"provider": "Eastside Library"})
    assert answer.status_code == 422
    fields = sorted(problem["field"] for problem in answer.json()["problems"])
    assert fields == ["description", "format", "name", "topics"]
    assert all("required" in problem["message"] for problem in answer.json()["problems"])


def test_an_unverified_providers_changes_wait_for_review(api: Api) -> None:
    listing = api.listing("robots", "volunteer")
    answer = api.call(
        "PATCH",
        f"/opportunities/{listing['id']}",
        "volunteer",
        json={"maximum_age": 16, "version": listing["version"]},
    )
    assert answer.status_code == 202, answer.text
    request = answer.json()["request"]
    assert answer.headers["Location"] == request["url"] == f"/api/v1/requests/{request['id']}"
    assert request["state"] == "pending" and request["kind"] == "update"
    assert request["changes"] == {"maximum_age": 16}
    assert api.listing("robots", "volunteer") == listing  # unchanged until approved
    created = api.call("POST", "/opportunities", "volunteer", json=new_listing())
    assert created.status_code == 202 and created.json()["request"]["kind"] == "create"
    with api.sessions.begin() as session:
        reject_request(session, request["id"], Actor("Olu", "cli"), "Ages stay 9-14 for now.")
    state = api.call("GET", f"/requests/{request['id']}", "volunteer").json()
    assert state["state"] == "rejected" and state["reason"] == "Ages stay 9-14 for now."
    assert state["decided_at"] is not None
    assert api.call("GET", f"/requests/{request['id']}", "organiser").status_code == 200


def test_another_providers_request_and_unknown_ones_are_refused(api: Api) -> None:
    listing = api.listing("robots", "volunteer")
    pending = api.call(
        "PATCH",
        f"/opportunities/{listing['id']}",
        "volunteer",
        json={"seats_available": 2, "version": listing["version"]},
    ).json()["request"]
    other = api.call("GET", f"/requests/{pending['id']}", "artist")
    assert other.status_code == 403 and "not yours" in other.json()["error"]
    assert api.call("GET", "/requests/424242", "volunteer").status_code == 404
    assert api.call("GET", f"/requests/{10**40}", "volunteer").status_code == 404


def test_closing_makes_a_listing_inactive(api: Api) -> None:
    listing = api.listing("story_time")
    answer = api.call("POST", f"/opportunities/{listing['id']}/close")
    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] == "inactive" and answer.json()["version"] > listing["version"]
    again = api.call("POST", f"/opportunities/{listing['id']}/close", json={})
    assert again.status_code == 200 and again.json()["version"] == answer.json()["version"]


def test_closing_with_a_stale_version_is_refused(api: Api) -> None:
    listing = api.listing("story_time")
    api.call(
        "PATCH", f"/opportunities/{listing['id']}", json={"cost": 0, "version": listing["version"]}
    )
    stale = api.call(
        "POST", f"/opportunities/{listing['id']}/close", json={"version": listing["version"]}
    )
    assert stale.status_code == 409 and stale.json()["current"]["status"] == "active"
    extra = api.call("POST", f"/opportunities/{listing['id']}/close", json={"status": "active"})
    assert extra.status_code == 400 and "takes no fields" in extra.json()["error"]


def test_a_spreadsheet_upload_is_written_whole(api: Api) -> None:
    data = csv(
        "Story Time,Eastside Library,Stories.,reading,in_person,3,7",
        "Homework Help,Eastside Library,Help with homework.,homework,in_person,8,14",
    )
    answer = api.call("POST", "/imports", data=data, headers=CSV, params={"name": "ours.csv"})
    assert answer.status_code == 200, answer.text
    report = answer.json()["report"]
    assert (report["created"], report["updated"]) == (1, 1)
    assert report["summary"].startswith("Imported ours.csv")
    assert api.listing("story_time")["maximum_age"] == 7


def test_a_dry_run_upload_writes_nothing(api: Api) -> None:
    data = csv("Story Time,Eastside Library,Stories.,reading,in_person,3,7")
    answer = api.call("POST", "/imports", data=data, headers=CSV, params={"dry_run": "true"})
    assert answer.status_code == 200 and answer.json()["report"]["dry_run"] is True
    assert api.listing("story_time")["maximum_age"] == 12


def test_an_upload_with_a_bad_row_writes_nothing_and_says_where(api: Api) -> None:
    data = csv(
        "Homework Help,Eastside Library,Help with homework.,homework,in_person,8,14",
        "Story Time,Eastside Library,Stories.,reading,in_person,3,200",
        "Hijack,Harbour Arts,Mine now.,art,online,3,7",
    )
    answer = api.call("POST", "/imports", data=data, headers=CSV)
    assert answer.status_code == 422
    body = answer.json()
    located = {(problem["row"], problem["field"]) for problem in body["problems"]}
    assert located == {(3, "max_age"), (4, "provider")}
    assert "nothing was imported" in body["error"]
    assert body["report"]["created"] == 0
    with api.sessions() as session:
        titles = session.scalars(select(Opportunity.title)).all()
        assert "Homework Help" not in titles


def test_an_unverified_providers_upload_waits_for_review(api: Api) -> None:
    data = csv("Saturday Robotics,Robot Club,Build robots.,robotics,in_person,9,15")
    answer = api.call("POST", "/imports", "volunteer", data=data, headers=CSV)
    assert answer.status_code == 202, answer.text
    assert answer.json()["request"]["kind"] == "import"
    assert answer.json()["report"]["updated"] == 1
    assert api.listing("robots")["maximum_age"] == 12


@pytest.mark.parametrize(
    ("headers", "data", "params", "status", "says"),
    [
        ({"Content-Type": "application/json"}, b"{}", {}, 415, "text/csv"),
        (CSV, b"", {}, 422, "is empty"),
        (CSV, b"\xff\xfe", {}, 422, "not UTF-8"),
        (CSV, b"title\nx\n", {}, 422, "missing column"),
        (CSV, b"a,b\x00\n", {}, 422, "NUL"),
        (CSV, b"x" * (2 * 1024 * 1024 + 1), {}, 413, "larger than"),
        (CSV, b"title\n", {"dry_run": "maybe"}, 400, "dry_run"),
        (CSV, b"title\n", {"verbose": "1"}, 400, "not a query parameter"),
    ],
)
def test_uploads_that_cannot_be_used_are_refused(
    api: Api, headers: dict[str, str], data: bytes, params: dict[str, str], status: int, says: str
) -> None:
    answer = api.call("POST", "/imports", data=data, headers=headers, params=params)
    assert answer.status_code == status, answer.text
    assert says in answer.json()["error"] + str(answer.json()["problems"])


def _make_listings(api: Api, count: int) -> None:
    """More Eastside Library listings, published through the API."""
    for number in range(count):
        body = new_listing(name=f"Club {number:02d}")
        assert api.call("POST", "/opportunities", json=body).status_code == 201


def test_pages_follow_next_through_every_listing_once_in_a_stable_order(api: Api) -> None:
    _make_listings(api, 6)
    seen: list[int] = []
    cursor = None
    pages = 0
    while True:
        params = {"limit": "2"} | ({"cursor": cursor} if cursor else {})
        page = api.call("GET", "/opportunities", params=params).json()
        assert len(page["opportunities"]) <= 2
        seen += [item["id"] for item in page["opportunities"]]
        pages += 1
        cursor = page["next"]
        if cursor is None:
            break
    assert pages == 4 and len(seen) == len(set(seen)) == 7
    everything = api.call("GET", "/opportunities", params={"limit": "100"}).json()
    assert [item["id"] for item in everything["opportunities"]] == seen
    stamps = [(item["modified_at"], item["id"]) for item in everything["opportunities"]]
    assert stamps == sorted(stamps)


def test_a_listing_changed_while_paging_comes_again_later_none_is_skipped(api: Api) -> None:
    _make_listings(api, 3)
    first = api.call("GET", "/opportunities", params={"limit": "2"}).json()
    moved = first["opportunities"][0]
    api.call(
        "PATCH", f"/opportunities/{moved['id']}", json={"cost": 3, "version": moved["version"]}
    )
    rest = api.call("GET", "/opportunities", params={"limit": "100", "cursor": first["next"]})
    ids = [item["id"] for item in rest.json()["opportunities"]]
    assert ids[-1] == moved["id"] and len(ids) == 3  # two not yet seen, and the changed one


def test_modified_after_gives_only_listings_changed_since(api: Api) -> None:
    _make_listings(api, 2)
    everything = api.call("GET", "/opportunities").json()["opportunities"]
    last_sync = everything[-1]["modified_at"]
    assert api.call("GET", "/opportunities", params={"modified_after": last_sync}).json() == {
        "opportunities": [],
        "next": None,
    }
    changed = everything[0]
    api.call(
        "PATCH",
        f"/opportunities/{changed['id']}",
        json={"seats_available": 1, "version": changed["version"]},
    )
    since = api.call("GET", "/opportunities", params={"modified_after": last_sync}).json()
    assert [item["id"] for item in since["opportunities"]] == [changed["id"]]
    as_offset = (
        datetime.fromisoformat(last_sync.removesuffix("Z")) + timedelta(hours=2)
    ).isoformat() + "+02:00"  # the same moment in another zone
    same = api.call("GET", "/opportunities", params={"modified_after": as_offset}).json()
    assert same == since
    day = api.call("GET", "/opportunities", params={"modified_after": "2000-01-01"}).json()
    assert len(day["opportunities"]) == 3


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": "0"}, "limit"),
        ({"limit": "101"}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"limit": "-1"}, "limit"),
        ({"limit": "9" * 50}, "limit"),
        ({"modified_after": "yesterday"}, "modified_after"),
        ({"modified_after": "2027-13-01"}, "modified_after"),
        ({"modified_after": ""}, "modified_after"),
        ({"modified_after": "0001-01-01T00:00:00+01:00"}, "modified_after"),
        ({"cursor": "not-a-cursor"}, "cursor"),
        ({"cursor": "!!!"}, "cursor"),
        ({"modifed_after": "2027-01-01"}, "modifed_after"),
    ],
)
def test_bad_paging_parameters_get_400_naming_the_parameter(
    api: Api, params: dict[str, str], field: str
) -> None:
    answer = api.call("GET", "/opportunities", params=params)
    assert answer.status_code == 400, answer.text
    assert answer.json()["problems"][0]["field"] == field
    assert field in answer.json()["error"]


@pytest.mark.parametrize(
    ("headers", "data", "status", "says"),
    [
        ({"Content-Type": "text/plain"}, b"{}", 415, "application/json"),
        ({}, b"{}", 415, "application/json"),
        ({"Content-Type": "application/json"}, b"{", 400, "not valid JSON"),
        ({"Content-Type": "application/json"}, b"[1]", 400, "JSON object"),
        ({"Content-Type": "application/json"}, b'{"cost": NaN}', 400, "NaN"),
        ({"Content-Type": "application/json"}, b"\xff", 400, "UTF-8"),
        ({"Content-Type": "application/json"}, b"[" * 50_000, 400, "JSON"),
        ({"Content-Type": "application/json"}, b" " * (64 * 1024 + 1), 413, "larger"),
    ],
)
def test_bodies_that_are_not_a_json_object_are_refused(
    api: Api, headers: dict[str, str], data: bytes, status: int, says: str
) -> None:
    listing_id = api.seeded.listings["story_time"]
    sent = headers | {"If-Match": '"1"'}
    answer = api.call("PATCH", f"/opportunities/{listing_id}", data=data, headers=sent)
    assert answer.status_code == status, answer.text
    assert says in answer.json()["error"]


def test_unknown_routes_and_methods_answer_in_the_error_shape(api: Api) -> None:
    missing = api.call("GET", "/listings")
    assert missing.status_code == 404
    assert set(missing.json()) == {"error", "problems"}
    assert "openapi.json" in missing.json()["error"]
    wrong = api.call("PUT", "/opportunities")
    assert wrong.status_code == 405 and set(wrong.json()) == {"error", "problems"}
    assert set(wrong.headers["Allow"].split(", ")) == {"GET", "POST"}
    assert api.call("GET", "/opportunities/0").status_code == 404
    assert api.call("GET", f"/opportunities/{2**63}").status_code == 404
    assert api.call("GET", "/opportunities/424242").json()["error"] == "there is no listing 424242"


def test_an_upload_cannot_take_over_another_providers_listing_by_external_id(api: Api) -> None:
    row = dict.fromkeys(COLUMNS, "")
    row |= {"external_id": "art-1", "title": "Painting Club", "provider": "Harbour Arts"}
    row |= {"description": "Paint.", "topics": "art", "format": "in_person"}
    data = (",".join(COLUMNS) + "\n" + ",".join(row[column] for column in COLUMNS) + "\n").encode()
    assert api.call("POST", "/imports", "artist", data=data, headers=CSV).status_code == 200
    hijack = data.replace(b"Harbour Arts", b"Eastside Library")
    answer = api.call("POST", "/imports", "librarian", data=hijack, headers=CSV)
    assert answer.status_code == 422
    [problem] = answer.json()["problems"]
    assert problem["field"] == "external_id" and "another provider's listing" in problem["message"]
