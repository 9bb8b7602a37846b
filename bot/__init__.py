"""Wiring: settings, the Bolt app and its transports, the command line."""
