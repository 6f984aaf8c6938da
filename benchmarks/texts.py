"""Templates for names, titles and descriptions, so text search meets realistic vocabulary."""

from __future__ import annotations

import random

STREETS = (
    "Main",
    "River",
    "Lake",
    "Oak",
    "Maple",
    "Cedar",
    "Pine",
    "Elm",
    "Harbour",
    "Mill",
    "Church",
    "Market",
    "Union",
    "Franklin",
    "Carver",
    "Orchard",
    "Foundry",
    "College",
    "Park",
    "Hale",
    "Washington",
    "Lincoln",
    "Superior",
    "Euclid",
    "Bridge",
    "Station",
    "Garden",
    "Prospect",
    "Chester",
    "Clifton",
    "Detroit",
    "Kinsman",
    "Broadway",
    "Fulton",
    "Lorain",
    "Woodland",
)
STREET_KINDS = ("St", "Ave", "Rd", "Blvd", "Ln", "Way", "Dr", "Pl")
SURNAMES = (
    "Adams",
    "Baker",
    "Castillo",
    "Dawson",
    "Ellison",
    "Fischer",
    "Garcia",
    "Hughes",
    "Ibrahim",
    "Jensen",
    "Kowalski",
    "Lee",
    "Morales",
    "Nguyen",
    "Okafor",
    "Patel",
    "Quinn",
    "Rivera",
    "Santos",
    "Turner",
    "Usman",
    "Vance",
    "Walker",
    "Xu",
    "Young",
    "Zimmerman",
    "Brooks",
    "Hassan",
)
BRAND_WORDS = (
    "Bright",
    "Spark",
    "Little",
    "Next Step",
    "Open Door",
    "Launch",
    "Summit",
    "Pathfinder",
    "Northstar",
    "Compass",
    "Keystone",
    "Lighthouse",
    "Harbor",
    "Maker",
    "Sprout",
    "Horizon",
)

PROVIDER_NAMES: dict[str, tuple[str, ...]] = {
    "library": ("{place} Branch Library", "{place} Library and Learning Center"),
    "school": (
        "{place} Elementary School",
        "{place} Middle School",
        "{place} High School",
        "{surname} Academy",
        "{place} Community School",
    ),
    "museum": (
        "{place} Art Museum",
        "{city} Science Center – {place}",
        "{place} Heritage Museum",
        "{surname} House Museum",
    ),
    "nonprofit": (
        "{place} Youth Alliance",
        "{brand} Futures",
        "{place} Community Center",
        "{brand} Learning Project",
        "{place} Family Resource Center",
        "{brand} Mentors",
        "{brand} {subject} Foundation",
        "{surname} Community Trust",
        "{place} {subject} Initiative",
    ),
    "business": (
        "{brand} {subject} Studio",
        "{surname} {subject} School",
        "{place} {subject} Academy",
        "{brand} {subject} Lab",
        "{surname} & {surname2} {subject}",
        "The {subject} Place",
    ),
    "college": ("{city} Community College – {place} Campus", "{surname} Technical Institute"),
    "community_group": (
        "{place} {subject} Collective",
        "Friends of {place} Park",
        "{place} Neighbors Association",
        "{place} {subject} Circle",
        "{brand} {subject} Club",
    ),
    "government": ("{city} Parks & Recreation – {place}", "{place} Recreation Center"),
}
PROVIDER_KIND_WEIGHTS = {
    "nonprofit": 30,
    "business": 25,
    "school": 14,
    "government": 9,
    "community_group": 9,
    "library": 6,
    "college": 4,
    "museum": 3,
}
# Topics a kind of provider tends to offer, on top of the city-wide frequencies.
KIND_TOPICS: dict[str, tuple[str, ...]] = {
    "library": (
        "reading",
        "digital literacy",
        "coding",
        "english language",
        "tutoring",
        "citizenship",
    ),
    "college": (
        "health careers",
        "it support",
        "business",
        "college prep",
        "skilled trades",
        "english language",
    ),
    "museum": ("art", "science", "history", "astronomy", "photography"),
    "government": ("fitness", "swimming", "art", "dance", "gardening", "first aid"),
    "school": ("tutoring", "math", "science", "music", "theatre", "robotics", "college prep"),
}

AUDIENCE_WORDS = {
    "kids": ("Kids", "Children", "Young learners", "Little ones"),
    "teens": ("Teens", "Middle and high schoolers", "Young people", "Students"),
    "adults": ("Adults", "Learners", "Participants", "Grown-ups"),
    "all": ("Families", "Kids and grown-ups", "People of all ages", "Neighbours young and old"),
}
TITLE_PATTERNS = {
    ("weekly", "kids"): (
        "{day} {Subject} Club",
        "{Subject} for Kids",
        "Junior {Subject}",
        "{Subject} Explorers",
        "Little {Subject} Makers",
    ),
    ("weekly", "teens"): (
        "Teen {Subject} Lab",
        "{Subject} Club",
        "{Subject} for Teens",
        "Youth {Subject} Program",
        "{Level} {Subject} Team",
    ),
    ("weekly", "adults"): (
        "{Subject} for Adults",
        "Intro to {Subject}",
        "{Level} {Subject}",
        "Evening {Subject} Class",
        "{Subject} Basics",
    ),
    ("weekly", "all"): (
        "Family {Subject}",
        "{Subject} for All Ages",
        "Community {Subject}",
        "{day} Family {Subject}",
    ),
    ("camp", "kids"): ("Summer {Subject} Camp", "{Subject} Day Camp", "{Subject} Adventure Camp"),
    ("camp", "teens"): (
        "Teen {Subject} Summer Intensive",
        "Summer {Subject} Camp",
        "{Subject} Summer Academy",
    ),
    ("dropin", "any"): (
        "Drop-in {Subject}",
        "Open {Subject} Lab",
        "{Subject} Hour",
        "{day} {Subject} Drop-in",
    ),
    ("workshop", "any"): (
        "{Subject} Workshop",
        "One-day {Subject} Workshop",
        "{Subject} Taster Session",
    ),
    ("course", "any"): (
        "{Subject} Certificate Program",
        "{Subject} Training",
        "{Subject} Bootcamp",
        "{Level} {Subject} Course",
    ),
}
# Synonyms such as "learn english" are what people type, not what a listing calls its subject.
VERBS_IN_SYNONYMS = frozenset({"learn", "start", "find", "read"})
ACRONYMS = frozenset({
    "esl", "ell", "esol", "cna", "emt", "3d", "cad", "ged", "sat", "act", "vex", "cpr", "aed",
    "bls", "hse", "osha", "hvac", "it", "cv", "ece", "fafsa", "html", "stem", "un",
})  # fmt: skip
LEVELS = ("Beginner", "Intermediate", "Advanced", "Beginning", "Next-level")
VERBS = ("explore", "learn", "practise", "dive into", "get hands-on with", "build skills in")
METHODS = (
    "through hands-on projects",
    "in a friendly small group",
    "with patient, experienced instructors",
    "step by step, at their own pace",
    "through games and challenges",
    "with plenty of one-on-one help",
)
OUTCOMES = {
    "coding": "build a small game, app or website of their own",
    "robotics": "design, build and program a robot for a friendly competition",
    "art": "finish a piece for the end-of-term show",
    "music": "play a few songs together in front of family and friends",
    "dance": "perform a short routine at the closing showcase",
    "fitness": "gain strength, coordination and teamwork on and off the field",
    "swimming": "swim confidently in deep water and know how to stay safe",
    "reading": "read more fluently and discover books they love",
    "science": "run real experiments and explain what they found",
    "math": "tackle problems with new strategies and more confidence",
    "english language": "hold everyday conversations at work, at the doctor's and at school",
    "health careers": "be ready to sit the state certification exam",
    "job skills": "have a polished resume and practise for real interviews",
    "digital literacy": "use email, the web and office software with confidence",
    "cooking": "cook healthy meals on a budget",
    "theatre": "perform in a short play for family and friends",
    "tutoring": "keep up with homework and feel ready for tests",
    "college prep": "have a plan for applications, tests and financial aid",
    "skilled trades": "be ready to apply for a paid apprenticeship",
    "first aid": "earn a certification card recognised by employers",
}
EXTRAS = (
    "No experience needed.",
    "All materials are provided.",
    "Bring a water bottle and comfortable clothes.",
    "Snacks are provided.",
    "Siblings are welcome.",
    "Space is limited, so sign up early.",
    "Wheelchair accessible.",
    "Laptops are available to borrow.",
)


def subject_phrase(rng: random.Random, topic: str, synonyms: tuple[str, ...]) -> str:
    """What a listing calls its subject: the topic name or one of its everyday synonyms."""
    nouns = [term for term in synonyms if term.split()[0] not in VERBS_IN_SYNONYMS]
    if nouns and rng.random() < 0.5:
        return rng.choice(nouns)
    return topic


def title_for(rng: random.Random, kind: str, audience: str, subject: str, day: str) -> str:
    """A listing title in the style of real program guides."""
    key = (kind, audience if kind in ("weekly", "camp") else "any")
    patterns = TITLE_PATTERNS.get(key) or TITLE_PATTERNS[("weekly", "kids")]
    title = rng.choice(patterns).format(
        Subject=title_case(subject), day=day, Level=rng.choice(LEVELS)
    )
    return title


def description_for(
    rng: random.Random,
    *,
    topic: str,
    synonyms: tuple[str, ...],
    audience: str,
    ages: str,
    where: str,
    cost: str,
) -> str:
    """Three to four sentences: who and what, the outcome, where and when, and cost."""
    first = subject_phrase(rng, topic, synonyms)
    second = subject_phrase(rng, topic, synonyms)
    what = first if first == second else f"{first} and {second}"
    who = rng.choice(AUDIENCE_WORDS[audience])
    outcome = OUTCOMES.get(topic, f"feel confident with {topic} and ready for what comes next")
    sentences = [
        f"{who} {ages}{rng.choice(VERBS)} {what} {rng.choice(METHODS)}.",
        f"By the end, participants will {outcome}.",
        where,
        cost,
    ]
    if rng.random() < 0.5:
        sentences.append(rng.choice(EXTRAS))
    return " ".join(sentence for sentence in sentences if sentence)


def provider_name(rng: random.Random, kind: str, place: str, city: str, subject: str) -> str:
    """A plausible organisation name for its kind and home neighbourhood."""
    return rng.choice(PROVIDER_NAMES[kind]).format(
        place=place,
        city=city,
        surname=rng.choice(SURNAMES),
        surname2=rng.choice(SURNAMES),
        brand=rng.choice(BRAND_WORDS),
        subject=title_case(subject),
    )


def street_address(rng: random.Random) -> str:
    """A house number and street."""
    return f"{rng.randint(10, 9899)} {rng.choice(STREETS)} {rng.choice(STREET_KINDS)}"


def slug(text: str) -> str:
    """A lower-case, hyphenated form for keys, URLs and e-mail domains."""
    cleaned = "".join(ch if ch.isalnum() else "-" for ch in text.lower())
    return "-".join(part for part in cleaned.split("-") if part)


def title_case(text: str) -> str:
    """Capitalise words but keep acronyms (ESL, CNA, 3D, FAFSA) upper-case."""
    words = []
    for word in text.split():
        if word.lower() in ACRONYMS:
            words.append(word.upper())
        else:
            words.append(word[:1].upper() + word[1:])
    return " ".join(words)
