"""Files a form carries (Slack's file input, or the file of a message a shortcut was used on), fetched after the
ack: downloaded with the bot's token, their pages counted, handed to the handler of the `Later` that names them
(`run_later`'s `fetch`)."""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk import WebClient

from bot.render.pages import count_pages
from bot.runtime import Runtime
from bot.slack.api import MAX_DOWNLOAD, FileUnavailable, download_file

log = logging.getLogger("lspbot.files")


def fetch_files(runtime: Runtime, client: WebClient, wanted: list[dict[str, Any]]) -> dict[str, Any]:
    """`{"fetched": [{"id", "name", "content", "pages", "mimetype"}]}`, or `{"fetch_error": why}` if one could not
    be downloaded."""
    fetched = []
    for file in wanted:
        try:
            info, content = download_file(client, str(file.get("id") or ""))
        except FileUnavailable as exc:
            log.warning("could not fetch file %s: %s", file.get("id"), exc)
            return {"fetch_error": str(exc), "fetched": []}
        name = str(info.get("name") or file.get("name") or "paper")
        fetched.append({"id": file.get("id"), "name": name, "content": content, "mimetype": info.get("mimetype"),
                        "pages": None if len(content) >= MAX_DOWNLOAD  # too large for any board: refused anyway
                        else count_pages(content, name, runtime.settings.libreoffice)})
    return {"fetched": fetched}
