"""What one generated listing is like: audience, ages, format, schedule, cost, languages, status."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from benchmarks.city import TopicSpec

# The generated city's "today": dates are laid out around it and searches are run as of it, so
# cached databases and timings stay comparable whenever they are run.
REFERENCE_DATE = date(2026, 11, 23)
DAY_NAMES = {
    "Mon": "Monday",
    "Tue": "Tuesday",
    "Wed": "Wednesday",
    "Thu": "Thursday",
    "Fri": "Friday",
    "Sat": "Saturday",
    "Sun": "Sunday",
}
FREE_SHARE_BY_KIND = {
    "library": 0.85,
    "community_group": 0.6,
    "nonprofit": 0.55,
    "school": 0.5,
    "government": 0.45,
    "museum": 0.3,
    "college": 0.15,
    "business": 0.08,
}
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri")
HANDS_ON_TOPICS = frozenset(
    {
        "fitness",
        "swimming",
        "dance",
        "cooking",
        "gardening",
        "first aid",
        "construction",
        "skilled trades",
        "3d printing",
        "electronics",
    }
)
CAREER_TOPICS = frozenset(
    {
        "health careers",
        "first aid",
        "skilled trades",
        "it support",
        "construction",
        "early childhood education",
    }
)
LANGUAGE_MIX = (
    ("en", 84.0),
    ("en;es", 7.0),
    ("es", 4.0),
    ("ar", 1.0),
    ("vi", 1.0),
    ("so", 1.0),
    ("fr", 0.5),
    ("zh", 0.5),
    ("en;ar", 1.0),
)
FINANCIAL_AID = (
    "Scholarships available; ask at the front desk.",
    "Sliding-scale fees based on household income.",
    "Free for families receiving SNAP or WIC.",
    "Payment plans available.",
)


@dataclass(frozen=True)
class Schedule:
    """When a listing meets."""

    days: list[str]
    start_time: time | None
    end_time: time | None
    start_date: date | None
    end_date: date | None
    deadline: date | None

    def phrase(self) -> str:
        """e.g. "on Mondays and Wednesdays from 18:00 to 20:00"."""
        if not self.days:
            when = "on dates to be arranged"
        elif self.days == list(WEEKDAYS):
            when = "Monday to Friday"
        else:
            names = [DAY_NAMES[day] + "s" for day in self.days]
            when = "on " + " and ".join(names)
        if self.start_time and self.end_time:
            when += f" from {self.start_time:%H:%M} to {self.end_time:%H:%M}"
        return when


def pick_audience(rng: random.Random, topic: TopicSpec) -> str:
    """Kids, teens, adults or everyone, leaning on who the topic's listings are usually for."""
    weights = {
        "adults": (3, 17, 75, 5),
        "teens": (30, 45, 18, 7),
        "kids": (45, 25, 18, 12),
    }[topic.audience]
    return rng.choices(("kids", "teens", "adults", "all"), weights=weights)[0]


def schedule_kind(rng: random.Random, topic: TopicSpec, audience: str) -> str:
    """Weekly class, summer camp, drop-in, one-off workshop or certificate course."""
    if audience == "adults":
        course = 35 if topic.name in CAREER_TOPICS else 12
        weights = (75 - course, 10, 15, course)
        return rng.choices(("weekly", "dropin", "workshop", "course"), weights=weights)[0]
    if audience == "all":
        return rng.choices(("weekly", "dropin", "workshop"), weights=(60, 25, 15))[0]
    return rng.choices(("weekly", "camp", "dropin", "workshop"), weights=(60, 20, 10, 10))[0]


def pick_ages(rng: random.Random, audience: str, kind: str) -> tuple[int | None, int | None]:
    """A realistic age range for the audience; a few listings say nothing about age."""
    if rng.random() < 0.05:
        return None, None
    if audience == "kids":
        low = rng.choice((4, 5, 6, 6, 7, 8, 8, 9))
        return low, min(13, low + rng.randint(2, 6))
    if audience == "teens":
        low = rng.choice((11, 12, 13, 13, 14, 15))
        return low, min(18, max(low + 2, rng.choice((14, 15, 17, 18, 18))))
    if audience == "adults":
        if rng.random() < 0.1:
            return 55, None
        return rng.choice((16, 18, 18, 18, 21)), None
    return rng.choice((None, 0, 3, 5)), None


def pick_format(rng: random.Random, topic: TopicSpec, kind: str) -> str:
    """Mostly in person; hands-on subjects and camps always are."""
    if topic.name in HANDS_ON_TOPICS or kind in ("camp", "dropin"):
        return "in_person"
    return rng.choices(("in_person", "online", "hybrid"), weights=(72, 17, 11))[0]


def pick_schedule(rng: random.Random, kind: str, audience: str) -> Schedule:
    """Days, times and dates typical of each kind of listing, laid out around REFERENCE_DATE."""
    if kind == "camp":
        return _camp(rng)
    if kind == "course":
        return _course(rng)
    if kind == "workshop":
        return _workshop(rng)
    return _weekly(rng, audience, drop_in=kind == "dropin")


def _camp(rng: random.Random) -> Schedule:
    """A week or two of summer camp, Monday to Friday; a fifth of them were last summer."""
    summer = 2027 if rng.random() < 0.8 else 2026
    start = next_weekday(date(summer, 6, 14), 0) + timedelta(weeks=rng.randint(0, 9))
    end = start + timedelta(days=rng.choice((4, 4, 11)))
    opens, closes = rng.choice(((9, 15), (9, 15), (9, 12), (13, 16)))
    deadline = date(summer, 5, 15) if rng.random() < 0.4 else None
    return Schedule(list(WEEKDAYS), time(opens), time(closes), start, end, deadline)


def _course(rng: random.Random) -> Schedule:
    """An 8-16 week certificate course: weekday evenings, full weekdays or Saturday mornings."""
    pattern = rng.choices(("evenings", "days", "saturday"), weights=(60, 25, 15))[0]
    if pattern == "evenings":
        days, opens, closes = rng.choice((["Mon", "Wed"], ["Tue", "Thu"])), 18, 21
    elif pattern == "days":
        days, opens, closes = list(WEEKDAYS), 9, 15
    else:
        days, opens, closes = ["Sat"], 9, 13
    start = REFERENCE_DATE + timedelta(days=rng.randint(-30, 150))
    start = next_weekday(start, day_index(days[0]))
    end = start + timedelta(weeks=rng.randint(8, 16))
    deadline = start - timedelta(days=rng.randint(14, 30)) if rng.random() < 0.6 else None
    return Schedule(days, time(opens), time(closes), start, end, deadline)


def _workshop(rng: random.Random) -> Schedule:
    """A one-off session on a single day; a few were in the last fortnight."""
    day = REFERENCE_DATE + timedelta(days=rng.randint(-14, 120))
    opens, closes = rng.choice(
        ((time(10), time(13)), (time(18), time(20, 30)), (time(13), time(16)))
    )
    return Schedule([day_name(day)], opens, closes, day, day, None)


def _weekly(rng: random.Random, audience: str, *, drop_in: bool) -> Schedule:
    """A weekly slot for a term, ongoing, or a rolling cohort; drop-ins have no dates."""
    days, start_time, minutes = _weekly_slot(rng, audience)
    end_time = (datetime.combine(REFERENCE_DATE, start_time) + timedelta(minutes=minutes)).time()
    if drop_in:
        return Schedule(days, start_time, end_time, None, None, None)
    term = rng.choices(("fall", "spring", "ongoing", "rolling"), weights=(35, 35, 20, 10))[0]
    end: date | None
    if term == "fall":
        start, end = date(2026, 9, 8), date(2026, 12, 12)
    elif term == "spring":
        start, end = date(2027, 1, 11), date(2027, 5, 22)
    elif term == "ongoing":
        start, end = REFERENCE_DATE - timedelta(days=rng.randint(30, 700)), None
    else:
        start = REFERENCE_DATE + timedelta(days=rng.randint(0, 120))
        end = start + timedelta(weeks=rng.randint(6, 12))
    start = next_weekday(start + timedelta(days=rng.randint(0, 6)), day_index(days[0]))
    deadline = None
    if term != "ongoing" and rng.random() < 0.3:
        deadline = start - timedelta(days=rng.randint(7, 21))
    return Schedule(days, start_time, end_time, start, end, deadline)


def _weekly_slot(rng: random.Random, audience: str) -> tuple[list[str], time, int]:
    """Meeting days, start time and length in minutes for a weekly listing."""
    weekday_pairs = (["Mon"], ["Tue"], ["Wed"], ["Thu"], ["Fri"], ["Mon", "Wed"], ["Tue", "Thu"])
    if audience in ("kids", "teens"):
        slot = rng.choices(
            ("after_school", "evening", "saturday", "sunday"),
            weights=(55, 10 if audience == "kids" else 25, 28, 7),
        )[0]
    elif audience == "adults":
        slot = rng.choices(("evening", "morning", "saturday"), weights=(60, 20, 20))[0]
    else:
        slot = rng.choices(("saturday", "sunday", "evening"), weights=(50, 25, 25))[0]
    minutes = rng.choice((60, 90, 90, 120))
    if slot == "after_school":
        return rng.choice(weekday_pairs), time(rng.choice((15, 16)), rng.choice((0, 30))), minutes
    if slot == "evening":
        return (
            rng.choice(weekday_pairs),
            time(rng.choice((18, 18, 19)), rng.choice((0, 30))),
            minutes,
        )
    if slot == "morning":
        return rng.choice(weekday_pairs), time(rng.choice((9, 10)), rng.choice((0, 30))), minutes
    day = "Sat" if slot == "saturday" else "Sun"
    return [day], time(rng.choice((9, 10, 11, 13, 14)), 0), minutes


def pick_cost(
    rng: random.Random, provider_kind: str, kind: str
) -> tuple[Decimal | None, str | None]:
    """Free for about 40% (more at libraries, fewer at businesses); unknown for some."""
    draw = rng.random()
    free_share = FREE_SHARE_BY_KIND.get(provider_kind, 0.4)
    if draw < free_share:
        return Decimal(0), None
    if draw < free_share + 0.07:
        return None, None
    low, high = {
        "camp": (150, 450),
        "course": (200, 2500),
        "dropin": (5, 15),
        "workshop": (15, 60),
    }.get(kind, (40, 300))
    amount = Decimal(max(low, round(rng.uniform(low, high) / 5) * 5))
    aid = rng.choice(FINANCIAL_AID) if rng.random() < 0.35 else None
    return amount, aid


def pick_languages(rng: random.Random, topic: TopicSpec) -> str:
    """Mostly English; ESL is often bilingual and Spanish classes are taught in Spanish."""
    if topic.name == "spanish":
        return rng.choice(("es;en", "es", "en"))
    if topic.name == "english language":
        return rng.choices(("en", "en;es", "en;ar", "en;vi", "en;so"), weights=(55, 25, 8, 7, 5))[0]
    codes = [code for code, _ in LANGUAGE_MIX]
    return rng.choices(codes, weights=[weight for _, weight in LANGUAGE_MIX])[0]


def pick_status(rng: random.Random) -> str:
    """About 92% active; the rest closed for now, inactive or gone."""
    draw = rng.random()
    if draw < 0.92:
        return "active"
    if draw < 0.95:
        return "inactive"
    return "temporarily_closed" if draw < 0.98 else "defunct"


def pick_eligibility(rng: random.Random, audience: str, min_age: int | None) -> str | None:
    """Occasional conditions beyond age."""
    if rng.random() > 0.15:
        return None
    if audience == "adults":
        return rng.choice(
            (
                "Open to Alder Bay residents.",
                "High school diploma or GED required.",
                "Must be 18 or older and pass a background check.",
            )
        )
    return rng.choice(
        (
            "A parent or carer must stay on site.",
            "Open to students from any school.",
            f"For ages {min_age} and up." if min_age else "Open to all.",
        )
    )


def ages_phrase(min_age: int | None, max_age: int | None) -> str:
    """'aged 8–12 ' as it reads inside the first sentence, or nothing."""
    if min_age is not None and max_age is not None:
        return f"aged {min_age}–{max_age} "
    if min_age:
        return f"aged {min_age}+ "
    return ""


def cost_sentence(amount: Decimal | None, kind: str) -> str:
    """What it costs, as the listing says it."""
    if amount is None:
        return "Call for current fees."
    if amount == 0:
        return (
            "Free of charge; registration required." if kind != "dropin" else "Free, just drop in."
        )
    unit = {
        "camp": "per week",
        "dropin": "per visit",
        "workshop": "per person",
        "course": "for the whole course",
    }.get(kind, "for the term")
    return f"Costs ${amount} {unit}."


def day_index(day: str) -> int:
    """Mon = 0 … Sun = 6."""
    return list(DAY_NAMES).index(day)


def day_name(day: date) -> str:
    """The short name of a date's weekday."""
    return list(DAY_NAMES)[day.weekday()]


def next_weekday(day: date, weekday: int) -> date:
    """The first date on or after `day` falling on `weekday`."""
    return day + timedelta(days=(weekday - day.weekday()) % 7)
