"""The board's web pages (/b/<slug>/…): a Flask app served by the same waitress process as Slack's endpoint,
rendered server-side from templates/web/, working without JavaScript."""
