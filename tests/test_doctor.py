"""`lspbot doctor`: what is missing and what it means, exit 0 when all that is needed is there and 1 when not."""

from __future__ import annotations

import sys
from pathlib import Path

from bot.cli.doctor import FAIL, OK, WARN, diagnose
from bot.settings import load_settings
from tests.support.fake_smtp import FakeSmtp
from tests.support.server import run_lspbot
from tests.support.settings import lspbot_env


def found(environ: dict[str, str]) -> dict[str, tuple[str, str]]:
    return {f.what: (f.status, f.said) for f in diagnose(load_settings(environ, env_file=None))}


def test_everything_in_place_exits_0(database, fake_slack_server, smtp, tmp_path: Path):
    env = lspbot_env(database.url, fake_slack_server.url, LSPBOT_PUBLIC_URL="https://lsp.example.org",
                     LSPBOT_SECRET_KEY="a key of our own", LSPBOT_LIBREOFFICE=sys.executable,
                     LSPBOT_PAPERS_DIR=str(tmp_path), LSPBOT_SMTP_URL=smtp.url,
                     LSPBOT_MAIL_FROM="LSP Secretariat <lsp@ealing.gov.uk>")
    done = run_lspbot(["doctor"], env, cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert all(line.startswith("ok ") for line in done.stdout.splitlines()[:-1]), done.stdout
    assert f"ok   email: smtp://127.0.0.1:{smtp.port} answers (not encrypted); email goes from LSP Secretariat " \
           "<lsp@ealing.gov.uk>" in done.stdout
    assert done.stdout.splitlines()[-1] == "everything lspbot needs is in place"


def test_what_is_missing_is_said_with_what_it_means(tmp_path: Path):
    folder = tmp_path / "papers"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        missing = found({"DATABASE_URL": f"sqlite:///{tmp_path / 'empty.db'}", "LSPBOT_LIBREOFFICE": "/nowhere/soffice",
                         "LSPBOT_PAPERS_DIR": str(folder)})
    finally:
        folder.chmod(0o700)
    assert missing["LibreOffice"][0] == FAIL and "Word papers are sent beside the agenda pack" in missing["LibreOffice"][1]
    assert missing["LSPBOT_PUBLIC_URL"] == (WARN, "not set: every link in messages and documents points at "
                                                  "http://localhost:3000, which only this machine can open")
    assert missing["links' key"][0] == WARN and "/lsp web" in missing["links' key"][1]
    assert missing["Slack"][0] == FAIL
    assert missing["email"][0] == WARN and "members reached by email" in missing["email"][1]
    assert missing["database"][0] == WARN and "lspbot db upgrade" in missing["database"][1]
    if missing["papers"][0] != OK:  # root may write anywhere
        assert missing["papers"][0] == FAIL and "cannot be written to" in missing["papers"][1]


def test_libreoffice_not_installed_is_a_warning_and_a_database_away_a_failure(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # no soffice anywhere
    said = found({"DATABASE_URL": "postgresql+psycopg://nobody@127.0.0.1:1/none", "SLACK_BOT_TOKEN": "xoxb-1",
                  "SLACK_SIGNING_SECRET": "s"})
    assert said["LibreOffice"][0] == WARN and "not installed" in said["LibreOffice"][1]
    assert said["database"][0] == FAIL and "cannot be reached" in said["database"][1]
    assert said["links' key"][0] == OK


def test_a_mail_server_away_is_a_failure(tmp_path: Path):
    closed = FakeSmtp().start()
    closed.stop()
    said = found({"DATABASE_URL": f"sqlite:///{tmp_path / 'empty.db'}", "LSPBOT_SMTP_URL": closed.url,
                  "LSPBOT_MAIL_FROM": "lsp@ealing.gov.uk"})
    assert said["email"][0] == FAIL and "cannot be used" in said["email"][1] and "ConnectionRefused" in said["email"][1]
    said = found({"DATABASE_URL": f"sqlite:///{tmp_path / 'empty.db'}", "LSPBOT_SMTP_URL": closed.url,
                  "LSPBOT_MAIL_FROM": "the secretariat"})
    assert said["email"][0] == FAIL and "LSPBOT_MAIL_FROM has no address" in said["email"][1]
