"""Domain handlers: plain requests in, plain replies out. Nothing here imports Slack libraries."""
