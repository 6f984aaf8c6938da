"""CTIDs and CTDL @ids: the same record gets the same CTID on every export, so a city that
publishes to the Credential Registry updates its records there instead of duplicating them."""

from __future__ import annotations

import uuid

from knowledge.models import Career
from knowledge.transfer.ids import stable_id

# Where the Credential Registry publishes a resource with a given CTID; our @ids use it so that
# they are the ids the records get once a city publishes them (they do not resolve before).
REGISTRY_RESOURCES = "https://credentialengineregistry.org/resources/"


def ctid(kind: str, *parts: str) -> str:
    """`ce-` and a UUID v4 as CTDL requires it, derived (not random) from the record's kind and
    natural key: the UUIDv5 of ids.stable_id with its version bits set to 4."""
    derived = uuid.UUID(stable_id(f"ctdl-{kind}", *parts))
    return f"ce-{uuid.UUID(bytes=derived.bytes, version=4)}"


def resource_uri(kind: str, *parts: str) -> str:
    """The @id of a record: its Credential Registry resource URI."""
    return REGISTRY_RESOURCES + ctid(kind, *parts)


def occupation_uri(career: Career) -> str:
    """The @id of a career as a ceterms:Occupation (shared with the OB 3.0 alignments)."""
    return resource_uri("occupation", career.key or career.name)
