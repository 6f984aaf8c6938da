"""The generated metro area: the demo city's taxonomy plus extra neighbourhoods and frequencies."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from knowledge.settings import PROJECT_ROOT

DEMO_CITY = PROJECT_ROOT / "knowledge" / "demo" / "city.yml"
KM_PER_DEGREE_LAT = 111.2
METRO_WIDTH_KM = 40.0
METRO_HEIGHT_KM = 30.0
NEIGHBOURHOOD_COUNT = 45

# How often each topic is a listing's main subject, relative to the others (sports, arts and coding
# are everywhere in a real city's listings; astronomy is rare). Unlisted topics weigh 1.
TOPIC_WEIGHTS = {
    "fitness": 10.0,
    "art": 9.0,
    "coding": 8.0,
    "music": 8.0,
    "swimming": 6.0,
    "dance": 6.0,
    "reading": 6.0,
    "science": 5.0,
    "english language": 5.0,
    "tutoring": 5.0,
    "job skills": 4.0,
    "digital literacy": 4.0,
    "theatre": 4.0,
    "cooking": 3.5,
    "math": 3.5,
    "robotics": 3.5,
    "health careers": 3.0,
    "college prep": 3.0,
    "leadership": 3.0,
    "creative writing": 3.0,
    "financial literacy": 2.5,
    "early childhood education": 2.0,
    "first aid": 2.0,
    "chess": 2.0,
    "photography": 2.0,
    "game design": 2.0,
    "gardening": 2.0,
    "environmental science": 2.0,
    "skilled trades": 2.0,
    "business": 2.0,
    "spanish": 2.0,
    "world languages": 1.5,
    "it support": 1.5,
    "graphic design": 1.5,
    "film": 1.5,
    "engineering": 1.5,
    "debate": 1.2,
    "history": 1.2,
    "citizenship": 1.0,
    "electronics": 1.0,
    "3d printing": 0.8,
    "animation": 0.8,
    "construction": 0.8,
    "astronomy": 0.4,
}

# Who a topic's listings are mostly for; anything unlisted is mostly for children.
ADULT_TOPICS = frozenset(
    {
        "health careers",
        "skilled trades",
        "construction",
        "citizenship",
        "english language",
        "job skills",
        "financial literacy",
        "digital literacy",
        "it support",
        "business",
        "early childhood education",
        "first aid",
    }
)
TEEN_TOPICS = frozenset(
    {
        "coding",
        "robotics",
        "college prep",
        "leadership",
        "debate",
        "game design",
        "film",
        "animation",
        "3d printing",
        "electronics",
        "engineering",
        "graphic design",
        "photography",
    }
)

# Used only while the demo city does not exist yet (or when asked for explicitly in tests).
BUILTIN_TOPICS: dict[str, tuple[str, ...]] = {
    "coding": ("programming", "python", "scratch", "web development", "computer science"),
    "robotics": ("robots", "lego robotics", "vex"),
    "art": ("drawing", "painting", "pottery", "comics"),
    "music": ("guitar", "piano", "choir", "band"),
    "dance": ("ballet", "hip hop", "salsa"),
    "fitness": ("sports", "soccer", "basketball", "yoga", "martial arts"),
    "swimming": ("swim lessons", "lifeguard", "water safety"),
    "reading": ("books", "story time", "book club", "literacy"),
    "science": ("stem", "chemistry", "biology", "experiments"),
    "math": ("algebra", "geometry", "math club"),
    "astronomy": ("space", "stars", "telescope", "planetarium"),
    "cooking": ("baking", "culinary", "nutrition"),
    "health careers": ("nursing", "cna", "emt", "phlebotomy"),
    "english language": ("esl", "english as a second language", "learn english"),
    "job skills": ("resume", "interview", "job search"),
    "digital literacy": ("computer basics", "email", "excel"),
    "tutoring": ("homework help", "study help"),
    "theatre": ("drama", "acting", "improv"),
}
BUILTIN_NEIGHBOURHOODS: tuple[tuple[str, float, float], ...] = (
    ("Old Town", 41.5080, -81.6760),
    ("Riverside", 41.4921, -81.6987),
    ("Eastside", 41.5020, -81.6440),
    ("Northgate", 41.5450, -81.6650),
    ("Harbourview", 41.5290, -81.7150),
    ("Westfield", 41.4820, -81.7900),
    ("Millbrook", 41.4600, -81.7400),
    ("University Heights", 41.5200, -81.6050),
)
NAME_STEMS = (
    "Oak",
    "Birch",
    "Willow",
    "Aspen",
    "Heron",
    "Stone",
    "Clear",
    "Red",
    "Silver",
    "Fox",
    "Elm",
    "Spring",
    "Lake",
    "Hazel",
    "Copper",
    "Juniper",
    "Sandy",
    "Kings",
    "Bell",
    "Orchard",
    "Meadow",
    "Ash",
    "Lark",
    "Cobble",
    "Green",
    "Chestnut",
    "Alder",
    "Wren",
    "Hollis",
    "Granite",
    "Rose",
)
NAME_ENDINGS = (
    "wood",
    " Hollow",
    " Landing",
    " Crossing",
    "field",
    " Park",
    " Heights",
    " Commons",
    "side",
    " Point",
    "dale",
    "ton",
    " Flats",
    " Village",
    " Terrace",
    "brook",
    " Junction",
    " Mills",
)


@dataclass(frozen=True)
class TopicSpec:
    """A topic with its synonyms, how common it is and who its listings are mostly for."""

    name: str
    synonyms: tuple[str, ...]
    weight: float
    audience: str  # kids | teens | adults


@dataclass(frozen=True)
class Place:
    """A neighbourhood centre and how many of the city's programs it attracts, relatively."""

    name: str
    aliases: tuple[str, ...]
    latitude: float
    longitude: float
    weight: float


@dataclass(frozen=True)
class City:
    """Everything the generator needs to know about the metro area."""

    name: str
    topics: tuple[TopicSpec, ...]
    neighbourhoods: tuple[Place, ...]
    from_demo: bool


def km_per_degree_lon(latitude: float) -> float:
    """East-west kilometres per degree of longitude at this latitude."""
    return KM_PER_DEGREE_LAT * math.cos(math.radians(latitude))


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance, for checks on generated coordinates."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(a))


def load_city(seed: int, *, demo_path: Path | None = DEMO_CITY) -> City:
    """The demo city's topics and neighbourhoods when present, plus generated neighbourhoods."""
    demo = _read_demo(demo_path)
    if demo is not None:
        name = str(demo.get("city", {}).get("name") or "Alder Bay")
        topic_pairs = [
            (str(t["name"]).lower(), tuple(str(s).lower() for s in t.get("synonyms") or ()))
            for t in demo.get("topics") or ()
        ]
        known = [
            (
                str(n["name"]),
                tuple(str(a) for a in n.get("aliases") or ()),
                n["latitude"],
                n["longitude"],
            )
            for n in demo.get("neighbourhoods") or ()
            if n.get("latitude") is not None and n.get("longitude") is not None
        ]
    else:
        name = "Alder Bay"
        topic_pairs = list(BUILTIN_TOPICS.items())
        known = [(n, (), lat, lon) for n, lat, lon in BUILTIN_NEIGHBOURHOODS]
    topics = tuple(
        TopicSpec(topic, synonyms, TOPIC_WEIGHTS.get(topic, 1.0), _audience(topic))
        for topic, synonyms in topic_pairs
    )
    places = _metro_neighbourhoods(random.Random(f"city:{seed}"), known)
    return City(name=name, topics=topics, neighbourhoods=places, from_demo=demo is not None)


def _read_demo(path: Path | None) -> dict[str, Any] | None:
    """The demo city's YAML, or None while it is missing or not yet usable."""
    if path is None or not path.exists():
        return None
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict) or not data.get("topics") or not data.get("neighbourhoods"):
        return None
    return data


def _audience(topic: str) -> str:
    """Who most listings about this topic are for."""
    if topic in ADULT_TOPICS:
        return "adults"
    return "teens" if topic in TEEN_TOPICS else "kids"


def _metro_neighbourhoods(
    rng: random.Random, known: list[tuple[str, tuple[str, ...], float, float]]
) -> tuple[Place, ...]:
    """The known neighbourhoods plus generated ones spread over the metro box, denser downtown."""
    centre_lat = sum(k[2] for k in known) / len(known)
    centre_lon = sum(k[3] for k in known) / len(known)
    lon_km = km_per_degree_lon(centre_lat)
    points = [(lat, lon) for _, _, lat, lon in known]
    names = {k[0].lower() for k in known}
    generated: list[tuple[str, tuple[str, ...], float, float]] = []
    while len(known) + len(generated) < NEIGHBOURHOOD_COUNT:
        east = rng.uniform(-METRO_WIDTH_KM / 2, METRO_WIDTH_KM / 2)
        north = rng.uniform(-METRO_HEIGHT_KM / 2, METRO_HEIGHT_KM / 2)
        lat, lon = centre_lat + north / KM_PER_DEGREE_LAT, centre_lon + east / lon_km
        if any(distance_km(lat, lon, p[0], p[1]) < 2.5 for p in points):
            continue
        name = rng.choice(NAME_STEMS) + rng.choice(NAME_ENDINGS)
        if name.lower() in names:
            continue
        names.add(name.lower())
        points.append((lat, lon))
        generated.append((name, (), round(lat, 5), round(lon, 5)))
    places = []
    for index, (name, aliases, lat, lon) in enumerate([*known, *generated]):
        from_centre = distance_km(lat, lon, centre_lat, centre_lon)
        weight = math.exp(-from_centre / 10.0) + 0.3
        places.append(Place(name, aliases, lat, lon, weight * (1.5 if index < len(known) else 1.0)))
    return tuple(places)
