"""Emails composed from what would have gone to a person's Slack DM.

An email's outbox payload (target kind `email`, target the address; store.outbox.EMAIL) is:
    {"_method": "email", "subject": str, "text": str, "html": str,
     "headers": {name: value},                       # List-Unsubscribe and the like
     "attachments": [{"filename", "mimetype", "content_hex"} | {"filename", "mimetype", "_file_id"}],
     "to_name": str, "member": str}                  # the person's name and lspbot id (their Slack id or mail:…)
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

AnswerLink = Callable[[str, str], "str | None"]  # (a button's action_id, its value) → the answer link that does it


def _texts(payload: dict[str, Any]) -> list[str]:
    out: list[str] = []
    for block in payload.get("blocks") or []:
        text = block.get("text")
        if isinstance(text, dict) and text.get("text"):
            out.append(str(text["text"]))
        for element in block.get("elements") or []:
            if isinstance(element, dict) and element.get("type") in ("mrkdwn", "plain_text") and element.get("text"):
                out.append(str(element["text"]))
    return out or [str(payload.get("text") or "")]


def email_from_slack(payload: dict[str, Any], *, to_name: str, member: str, subject: str | None = None,
                     answer_link: AnswerLink | None = None) -> dict[str, Any]:
    """An email payload carrying a rendered Slack message (blocks and fallback text) to one person."""
    body = "\n\n".join(_texts(payload))
    return {"_method": "email", "subject": subject or str(payload.get("text") or "A message from lspbot")[:150],
            "text": body, "html": f"<pre>{html.escape(body)}</pre>", "headers": {}, "attachments": [],
            "to_name": to_name, "member": member}
