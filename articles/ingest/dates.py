"""A story's publication time from what its file says: pure functions, no clock but `now`.

Every date that cannot be believed comes back as a problem (a sentence for the operator),
never as an exception: the caller then infers the date from the story id or its text.
"""

import re
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo

SITE_TZ = ZoneInfo("Asia/Shanghai")
EARLIEST = datetime(1990, 1, 1, tzinfo=SITE_TZ)
FUTURE_SLACK = timedelta(days=1)
WIDEST_OFFSET = timedelta(hours=14)  # UTC+14 (Kiribati); UTC-12 is the other end

DATE_STRING = re.compile(
    r"^(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})"
    r"(?:[ T](?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:\.\d+)?)?)?"
    r"\s*(?P<tz>Z|[+-]\d{2}:?\d{2})?$"
)
CN_MONTH_DAY = re.compile(r"(?:(?P<y>(?:19|20)\d{2})年)?(?P<m>1[0-2]|0?[1-9])月(?P<d>3[01]|[12]\d|0?[1-9])日")
YEAR_MENTION = re.compile(r"(?<!\d)(?P<y>20[0-4]\d)(?!\d)")


def parse_date(value, *, now: datetime) -> tuple[datetime | None, str | None]:
    """Return (aware datetime, problem) for a front-matter date; naive times are Shanghai time."""
    if value is None:
        return None, None
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=SITE_TZ)
        return plausible(moment, now=now, label=str(value))
    raw = str(value).strip()
    if not raw or re.fullmatch(r"[+-]\d{4}", raw):
        return None, None
    match = DATE_STRING.match(raw)
    if not match:
        return None, f"unreadable date {raw[:80]!r}"
    parts = {k: int(v) for k, v in match.groupdict().items() if v and k != "tz"}
    try:
        moment = datetime(
            parts["y"], parts["m"], parts["d"], parts.get("H", 0), parts.get("M", 0),
            parts.get("S", 0), tzinfo=_zone(match.group("tz")),
        ).astimezone(SITE_TZ)
    except (ValueError, OverflowError):  # month 13, year 0, or moved past year 9999 by its zone
        return None, f"impossible date {raw!r}"
    return plausible(moment, now=now, label=raw)


def _zone(offset: str | None) -> tzinfo:
    """The zone of "+0800", "-05:00" or "Z"; naive times are the site's."""
    if not offset:
        return SITE_TZ
    if offset == "Z":
        return UTC
    digits = offset[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:])
    delta = timedelta(hours=hours, minutes=minutes)
    if minutes >= 60 or delta > WIDEST_OFFSET:
        raise ValueError(f"no place on Earth is {offset} from UTC")
    return timezone(delta if offset[0] == "+" else -delta)


def plausible(moment: datetime, *, now: datetime, label: str) -> tuple[datetime | None, str | None]:
    if moment < EARLIEST:
        return None, f"date {label} is before 1990"
    if moment > now + FUTURE_SLACK:
        return None, f"date {label} is in the future"
    return moment, None


def date_from_code(code: str | None, *, now: datetime) -> datetime | None:
    """The first eight digits of an eastmoney info code are the story's date."""
    if not code:
        return None
    digits = re.sub(r"\D", "", code)[:8]
    try:
        moment = datetime.strptime(digits, "%Y%m%d").replace(tzinfo=SITE_TZ)
    except ValueError:
        return None
    return plausible(moment, now=now, label=digits)[0]


# What announces an event rather than reports one, up to the date in the same clause:
# "也将于2月21日惊喜开幕", "预计3月1日起实施", "计划于5月底前完成".
# (将 covers 即将 and 将于, 拟 covers 拟于: the rest of the clause may hold anything.)
FUTURE_CLAUSE = re.compile(r"(?:将|预计|计划|拟|有望|届时|定于|预定)[^，。；！？,;!?\n]{0,12}$")


def date_from_text(text: str, *, now: datetime) -> datetime | None:
    """Infer a date from '9月21日' in the story and a year it mentions (2022京东…).

    A date in a clause about the future (将于2月21日开幕) is the date of an event the story
    announces, not the story's: it is passed over."""
    match = next((m for m in CN_MONTH_DAY.finditer(text)
                  if not FUTURE_CLAUSE.search(text, max(0, m.start() - 16), m.start())), None)
    if not match:
        return None
    year = match.group("y")
    if not year:
        mention = YEAR_MENTION.search(text)
        year = mention.group("y") if mention else None
    if not year:
        return None
    try:
        moment = datetime(int(year), int(match.group("m")), int(match.group("d")), tzinfo=SITE_TZ)
    except ValueError:
        return None
    return plausible(moment, now=now, label=moment.date().isoformat())[0]
