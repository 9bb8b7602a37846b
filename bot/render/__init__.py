"""Rendering: the Jinja2 environment for Block Kit, and documents (Markdown, Word, charts)."""
