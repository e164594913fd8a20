"""File-transfer monitoring: expected files per schedule, late or missing ones alerted.

A file for business date D is due by its schedule's cutoff, in the firm's time zone, on the
business day after D (custodians deliver overnight).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.utils import timezone

from dataops.calendar import business_days_back, next_business_day
from dataops.feeds.registry import feed_due_hooks
from dataops.models import FeedFile, FeedSchedule
from rebal.firm_context import require_firm
from rebal.services import alert_raise

LOADED = [FeedFile.Status.LOADED, FeedFile.Status.LOADED_WITH_ERRORS]


@dataclass(frozen=True)
class ExpectedFile:
    feed: str
    business_date: date
    due: datetime
    received: FeedFile | None

    @property
    def state(self) -> str:
        if self.received is not None:
            late = self.received.received_at > self.due
            return "received late" if late else "received"
        return "missing" if timezone.now() > self.due else "not yet due"


def due_at(schedule: FeedSchedule, business_date: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(next_business_day(business_date), schedule.cutoff, tzinfo=zone)


def expected_files(*, days: int = 5, now: datetime | None = None) -> list[ExpectedFile]:
    """Expected vs received for the current firm's schedules over its last `days` business
    dates whose files are due or will be due next."""
    firm = require_firm()
    zone = ZoneInfo(firm.timezone)
    now = now or timezone.now()
    today = now.astimezone(zone).date()
    schedules = list(FeedSchedule.objects.filter(is_active=True).order_by("feed"))
    dates = business_days_back(today, days + 1)[1:] if schedules else []
    received: dict[tuple[str, date], FeedFile] = {}
    for feed_file in FeedFile.objects.filter(
            feed__in=[s.feed for s in schedules], business_date__in=dates, status__in=LOADED
    ).order_by("received_at"):
        if feed_file.business_date is not None:
            received.setdefault((feed_file.feed, feed_file.business_date), feed_file)
    return [ExpectedFile(s.feed, d, due_at(s, d, zone), received.get((s.feed, d)))
            for d in dates for s in schedules]


def feed_schedules_check(*, now: datetime | None = None) -> list[ExpectedFile]:
    """Raise a late-file alert to the data managers for each missing file past its cutoff."""
    firm = require_firm()
    due = [e for e in expected_files(days=1, now=now) if (now or timezone.now()) > e.due]
    for expected in due:
        for hook in feed_due_hooks():
            hook(feed=expected.feed, business_date=expected.business_date)
    missing = [e for e in due if e.received is None]
    for expected in missing:
        alert_raise(
            firm=firm, kind="late_file", severity="warning",
            subject=f"{expected.feed} for {expected.business_date:%Y-%m-%d}",
            message=(f"No {expected.feed} file for {expected.business_date:%Y-%m-%d} was loaded "
                     f"by its cutoff {expected.due:%Y-%m-%d %H:%M %Z}; accounts are not "
                     "optimized on older data."),
            roles=["data_manager"])
    return missing
