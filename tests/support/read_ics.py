"""Reads an iCalendar feed (stdin) with the icalendar package, an implementation independent
of Doable's, and prints what a calendar app would see, as JSON: each event with its start
(and, for a timed one, its UTC offset as the feed's own VTIMEZONE gives it and as the system's
zone database does), its rule, categories and alarms."""
import datetime
import json
import sys
import zoneinfo

from icalendar import Calendar

calendar = Calendar.from_ical(sys.stdin.read())
zones = {str(tz["TZID"]): tz.to_tz() for tz in calendar.walk("VTIMEZONE")}
events = []
for event in calendar.walk("VEVENT"):
    start_prop = event["DTSTART"]
    start = start_prop.dt
    item = {
        "uid": str(event["UID"]),
        "summary": str(event["SUMMARY"]),
        "description": str(event.get("DESCRIPTION", "")),
        "categories": [str(c) for c in event["CATEGORIES"].cats] if "CATEGORIES" in event else [],
        "rrule": event["RRULE"].to_ical().decode() if "RRULE" in event else None,
        "url": str(event.get("URL", "")),
        "alarms": [],
    }
    if isinstance(start, datetime.datetime):
        tzid = start_prop.params.get("TZID")
        naive = start.replace(tzinfo=None)
        item["start"] = naive.isoformat()
        item["tzid"] = tzid
        item["offset_feed"] = zones[tzid].utcoffset(naive).total_seconds() if tzid in zones else None
        item["offset_system"] = zoneinfo.ZoneInfo(tzid).utcoffset(naive).total_seconds()
    else:
        item["start"] = start.isoformat()
        item["end"] = event["DTEND"].dt.isoformat()
        item["all_day"] = True
    for alarm in event.walk("VALARM"):
        trigger = alarm["TRIGGER"].dt
        if isinstance(trigger, datetime.timedelta):
            item["alarms"].append({"before_seconds": -trigger.total_seconds(), "action": str(alarm["ACTION"])})
        else:
            item["alarms"].append({"at": trigger.astimezone(datetime.timezone.utc).isoformat(), "action": str(alarm["ACTION"])})
    events.append(item)
print(json.dumps({"name": str(calendar.get("X-WR-CALNAME")), "zones": sorted(zones), "events": events}))
