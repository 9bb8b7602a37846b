"""Email, a transport beside Slack's: messages composed from the same templates and data as the Slack ones
(compose.py), delivered through the same outbox by SMTP (smtp.py)."""
