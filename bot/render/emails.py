"""The email of a message to one person (bot.email.compose), with what the outbox knows of them: their name, their
signed answer links (a button that has an answer page becomes one, for them, handlers.answers), the names of the
people it mentions, and whether it is an optional digest they have stopped by email."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from jinja2 import BaseLoader, Environment

from bot.email import compose
from handlers.answers import answer_for_button
from handlers.links import Answer, LinkRefused
from store.names import NAMES, NameOf
from store.outbox import EmailTo

EMAIL_FILTERS = ("date_long", "date_short", "plural", "truncate_to")


class EmailRenderer:
    """Emails from the templates (the shipped ones or a deployment's), with the Slack environment's date filters."""

    def __init__(self, loader: BaseLoader, slack_env: Environment, names: NameOf | None = None) -> None:
        filters = {name: slack_env.filters[name] for name in EMAIL_FILTERS}
        self.env = compose.build_email_environment(loader, filters=filters, globals_={"plural": filters["plural"]})
        self.names = names

    def _name_of(self) -> NameOf | None:
        return NAMES.get() or self.names

    def _answers(self, to: EmailTo, links: Any, now: Callable[[], dt.datetime]) -> Callable[[str, int], str | None]:
        def answer(kind: str, object_id: int) -> str | None:
            if links is None or not getattr(links, "secret", None) or not to.member_id:
                return None
            try:
                return str(links.answer(Answer[kind], to.member_id, object_id, now))
            except LinkRefused:
                return None

        return answer

    def _mail(self, to: EmailTo, board: str | None, links: Any, now: Callable[[], dt.datetime],
              template: str | None) -> compose.Mail:
        optional = template is not None and compose.stem(template) in compose.OPTIONAL_DIGESTS
        unsubscribe = self._answers(to, links, now)("UNSUBSCRIBE", to.member_id) if optional else None
        return compose.Mail(to_name=to.name, board=board, name_of=self._name_of(),
                            answer=self._answers(to, links, now), unsubscribe=unsubscribe)

    def message(self, template: str, data: Mapping[str, Any], message: dict[str, Any], to: EmailTo, *,
                links: Any, now: Callable[[], dt.datetime]) -> dict[str, Any] | None:
        """The email of a Slack message (its template, data and rendered payload) to one person; None for an
        optional digest they have stopped by email."""
        if compose.stem(template) in compose.OPTIONAL_DIGESTS and not to.digests:
            return None
        mail = self._mail(to, compose.board_of(data), links, now, template)
        answer = self._answers(to, links, now)

        def answer_link(action_id: str, value: str) -> str | None:
            target = answer_for_button(action_id, value)
            return answer(target.kind.name, target.object_id) if target is not None else None

        return compose.email_from_slack(message, to_name=to.name, member=to.user_id, answer_link=answer_link,
                                        env=self.env, name_of=self._name_of(), template=template, data=data,
                                        mail=mail, headers=compose.unsubscribe_headers(mail.unsubscribe))

    def direct(self, template: str, data: Mapping[str, Any], to: EmailTo, *, subject: str, links: Any,
               now: Callable[[], dt.datetime]) -> dict[str, Any]:
        """An email of its own (`email/<stem>`, no Slack message behind it: the address's confirmation)."""
        board = compose.board_of(data)
        mail = self._mail(to, board, links, now, None)
        names = (f"email/{compose.stem(template)}.txt.j2", f"email/{compose.stem(template)}.html.j2")
        text, html = compose.render_pair(self.env, names, {**data, "mail": mail})
        return compose.payload(subject=compose.subject_for(None, {"text": subject}, board), text=text, html=html,
                               to_name=to.name, member=to.user_id)

    def files(self, files: Sequence[Mapping[str, Any]], to: EmailTo, *, title: str, note: str = "",
              board: str | None = None, link: str | None = None) -> dict[str, Any]:
        """Files by email: attached with a covering note, or a link to them when too large to attach."""
        return compose.email_with_files(files, to_name=to.name, member=to.user_id, title=title, note=note,
                                        board=board, link=link, env=self.env, name_of=self._name_of())
