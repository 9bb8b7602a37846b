"""Reference servers for the HTTP benchmark, each served by the same waitress server as lspbot.

    python -m bench.reference_apps floor|bolt-default|bolt-pbr

- floor: a plain WSGI app that checks the Slack signature and answers 200 (the least any app can do)
- bolt-default: a bare Bolt app whose listener only acks, default settings
- bolt-pbr: the same with process_before_response=True
"""

from __future__ import annotations

import sys

from slack_sdk.signature import SignatureVerifier

SECRET = "bench-signing-secret"


def floor_app():
    verifier = SignatureVerifier(SECRET)

    def app(environ, start_response):
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length)
        headers = {"x-slack-request-timestamp": environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP", ""),
                   "x-slack-signature": environ.get("HTTP_X_SLACK_SIGNATURE", "")}
        ok = verifier.is_valid_request(body, headers)
        start_response("200 OK" if ok else "401 Unauthorized", [("Content-Length", "0")])
        return [b""]

    return app


def bolt_app(process_before_response: bool):
    import os

    from slack_bolt import App
    from slack_bolt.adapter.wsgi import SlackRequestHandler
    from slack_sdk import WebClient

    # auth.test (called once by Bolt's authorization) goes to the benchmark's fake Slack.
    client = WebClient(token="xoxb-bench", base_url=os.environ["SLACK_API_URL"])
    app = App(client=client, signing_secret=SECRET, process_before_response=process_before_response)

    @app.command("/action")
    def on_action(ack):
        ack()

    return SlackRequestHandler(app)


def main() -> None:
    from waitress.server import create_server

    kind = sys.argv[1]
    app = {"floor": floor_app, "bolt-default": lambda: bolt_app(False), "bolt-pbr": lambda: bolt_app(True)}[kind]()
    server = create_server(app, host="127.0.0.1", port=0, threads=8)
    print(f"listening on http://127.0.0.1:{server.effective_port}", flush=True)
    server.run()


if __name__ == "__main__":
    main()
