"""`/meeting`: the meeting itself, run in the board's channel (or the console) by the chair and secretariat."""

from __future__ import annotations

from handlers.registry import Topic

TOPIC = Topic("meeting", "The meeting and its record", aliases=("meetings", "minutes", "attendance", "interests",
                                                                   "decisions"),
              note="Members reply whether they are coming and keep their interests up to date; the chair, "
                   "vice-chair and secretariat run the meeting and its minutes.")
