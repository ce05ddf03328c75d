#!/usr/bin/env python3
"""The reference for tests/repeat.rs: python-dateutil's rrule, an implementation of RFC 5545
independent of Doable's. Reads one JSON case per line ({"rule", "start", "after", "take",
"years"}) and prints, for each, the rule's first `take` dates within `years` of the start and
its first date after `after` (null when the rule has ended)."""
import datetime
import json
import sys

from dateutil.rrule import rrulestr

answers = []
for line in sys.stdin:
    case = json.loads(line)
    start = datetime.datetime.fromisoformat(case["start"])
    rule = rrulestr(case["rule"], dtstart=start)
    limit = start + datetime.timedelta(days=365 * case["years"])
    dates = []
    for date in rule:
        if date > limit or len(dates) >= case["take"]:
            break
        dates.append(date.date().isoformat())
    following = rule.after(datetime.datetime.fromisoformat(case["after"]))
    answers.append({"dates": dates, "next": following.date().isoformat() if following else None})
json.dump(answers, sys.stdout)
