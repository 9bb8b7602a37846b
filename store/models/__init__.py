"""All models, one module per domain; importing this package registers every table on `Base.metadata`."""

from store.models.core import (  # noqa: F401
    ACTION_LIST_DUE,
    Action,
    ActionStatus,
    ActionUpdate,
    AuditRecord,
    Base,
    Board,
    Delivery,
    EMAIL_MEMBER_PREFIX,
    Meeting,
    Member,
    Membership,
    Organisation,
    OutboxMessage,
    OutboxStatus,
    Role,
    UsedLink,
    UTCDateTime,
    is_email_member_id,
)

# Domain model modules add themselves below (one import line each).
from store.models.plan import AgendaProposal, AgendaPublication, ItemKind, PlanItem, ProposalStatus, StandingItem  # noqa: F401,E402
from store.models.schedule import ActionChase, JobRun, ReminderAction, ReminderLog  # noqa: F401,E402
from store.models.performance import PartnerUpdate, PerformanceItem, PerformanceKind, QuarterlyReturn, Rag  # noqa: F401,E402
from store.models.requests import SeenRequest  # noqa: F401,E402
from store.models.record import (  # noqa: F401,E402
    Attendance, Declaration, Interest, InterestKind, MeetingItem, MeetingNote, MeetingRecord, MinutesStatus,
    MinutesVersion, Outcome, Presence, AttendanceReply,
)
from store.models.papers import AgendaPack, CalendarFeed, Paper, StoredFile  # noqa: F401,E402
