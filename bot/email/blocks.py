"""A rendered Block Kit message as the parts of an email: headers, text (sections, their fields), context lines,
dividers, images (as links: an email carries no external image), and its buttons as links (a button with an answer
page becomes its signed answer link, a link button its address; any other is left out: it needs Slack)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from markupsafe import Markup

from bot.email import mrkdwn

AnswerLink = Callable[[str, str], "str | None"]  # (a button's action_id, its value) → the answer link that does it


def _text_of(obj: Any, name_of: mrkdwn.NameOf | None) -> tuple[Markup, str]:
    """A text object ({"type": "mrkdwn" | "plain_text", "text"}) as (HTML, text)."""
    if not isinstance(obj, dict) or not obj.get("text"):
        return Markup(""), ""
    raw = str(obj["text"])
    if obj.get("type") == "plain_text":  # plain text is not mrkdwn: shown as it is (emoji names aside)
        return Markup(mrkdwn.to_html(mrkdwn.mrkdwn_escape(raw), None)), mrkdwn.to_text(mrkdwn.mrkdwn_escape(raw))
    return Markup(mrkdwn.to_html(raw, name_of)), mrkdwn.to_text(raw, name_of)


def _part(kind: str, obj: Any, name_of: mrkdwn.NameOf | None) -> dict[str, Any] | None:
    html, text = _text_of(obj, name_of)
    return {"kind": kind, "html": html, "text": text} if text.strip() else None


def _button_link(element: dict[str, Any], answer_link: AnswerLink | None) -> dict[str, Any] | None:
    label = str((element.get("text") or {}).get("text") or "Open")
    url = element.get("url")
    if not url and answer_link is not None and element.get("action_id"):
        url = answer_link(str(element["action_id"]), str(element.get("value") or ""))
    if not url or not mrkdwn.safe_url(str(url)):
        return None
    return {"label": label, "url": str(url), "primary": element.get("style") == "primary"}


def _links(elements: Iterable[Any], answer_link: AnswerLink | None) -> dict[str, Any] | None:
    links = [link for e in elements if isinstance(e, dict) and e.get("type") == "button"
             if (link := _button_link(e, answer_link)) is not None]
    return {"kind": "links", "links": links} if links else None


def message_parts(payload: dict[str, Any], *, name_of: mrkdwn.NameOf | None = None,
                  answer_link: AnswerLink | None = None) -> list[dict[str, Any]]:
    """The email parts of a Slack message; a message without blocks is its fallback text."""
    parts: list[dict[str, Any] | None] = []
    for block in payload.get("blocks") or []:
        kind = block.get("type")
        if kind == "header":
            parts.append(_part("header", block.get("text"), name_of))
        elif kind == "section":
            parts.append(_part("text", block.get("text"), name_of))
            fields = [f for f in (_text_of(f, name_of) for f in block.get("fields") or []) if f[1].strip()]
            if fields:
                parts.append({"kind": "fields", "fields": [{"html": h, "text": t} for h, t in fields]})
            accessory = block.get("accessory")
            if isinstance(accessory, dict):
                parts.append(_links([accessory], answer_link))
        elif kind == "context":
            bits = [_text_of(e, name_of) for e in block.get("elements") or [] if isinstance(e, dict)
                    and e.get("type") in ("mrkdwn", "plain_text")]
            bits = [b for b in bits if b[1].strip()]
            if bits:
                parts.append({"kind": "context", "html": Markup(" · ").join(h for h, _ in bits),
                              "text": " · ".join(t for _, t in bits)})
        elif kind == "divider":
            parts.append({"kind": "divider"})
        elif kind == "image" and mrkdwn.safe_url(str(block.get("image_url") or "")):
            alt = str(block.get("alt_text") or (block.get("title") or {}).get("text") or "an image")
            parts.append({"kind": "links", "links": [{"label": f"Image: {alt}", "url": str(block["image_url"]),
                                                      "primary": False}]})
        elif kind == "actions":
            parts.append(_links(block.get("elements") or [], answer_link))
    found = [p for p in parts if p is not None]
    if not found and payload.get("text"):
        found = [p for p in [_part("text", {"type": "mrkdwn", "text": payload["text"]}, name_of)] if p]
    return found
