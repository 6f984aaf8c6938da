"""The directory's tables; importing this package registers them all on Base.metadata."""

from knowledge.models.base import Base, utcnow
from knowledge.models.channel import (
    CHANNELS,
    ChannelAddress,
    DeliveryReceipt,
    HandoffPost,
    OutboxMessage,
)
from knowledge.models.community import (
    REQUEST_KINDS,
    REQUEST_STATES,
    ROLES,
    ApiToken,
    ChangeRequest,
    FreshnessNudge,
    Invite,
    Member,
    membership,
)
from knowledge.models.credential import (
    CREDENTIAL_TYPES,
    GOAL_TYPES,
    Career,
    Credential,
    Pathway,
    PathwayStep,
)
from knowledge.models.demand import USAGE_KINDS, SearchRecord, UsageEvent
from knowledge.models.history import ChangeRecord
from knowledge.models.learner import (
    Dependant,
    Handoff,
    Learner,
    LearnerCredential,
    PlanItem,
    Reminder,
)
from knowledge.models.opportunity import (
    DAYS,
    FORMATS,
    STATUSES,
    Opportunity,
    OpportunityTranslation,
    days_to_mask,
    mask_to_days,
)
from knowledge.models.provider import LOCATION_TYPES, PROVIDER_KINDS, Location, Provider
from knowledge.models.search import SearchEntry
from knowledge.models.taxonomy import (
    Neighbourhood,
    NeighbourhoodAlias,
    TaxonomyVersion,
    Topic,
    TopicSynonym,
)

__all__ = [
    "CHANNELS",
    "CREDENTIAL_TYPES",
    "DAYS",
    "FORMATS",
    "GOAL_TYPES",
    "LOCATION_TYPES",
    "PROVIDER_KINDS",
    "REQUEST_KINDS",
    "REQUEST_STATES",
    "ROLES",
    "STATUSES",
    "USAGE_KINDS",
    "ApiToken",
    "Base",
    "Career",
    "ChangeRecord",
    "ChangeRequest",
    "ChannelAddress",
    "Credential",
    "DeliveryReceipt",
    "Dependant",
    "FreshnessNudge",
    "Handoff",
    "HandoffPost",
    "Invite",
    "Learner",
    "LearnerCredential",
    "Location",
    "Member",
    "Neighbourhood",
    "NeighbourhoodAlias",
    "Opportunity",
    "OpportunityTranslation",
    "OutboxMessage",
    "Pathway",
    "PathwayStep",
    "PlanItem",
    "Provider",
    "Reminder",
    "SearchEntry",
    "SearchRecord",
    "TaxonomyVersion",
    "Topic",
    "TopicSynonym",
    "UsageEvent",
    "days_to_mask",
    "mask_to_days",
    "membership",
    "utcnow",
]
