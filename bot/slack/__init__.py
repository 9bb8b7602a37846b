"""The Slack transport: the Bolt app, its listeners, the Web API client, HTTP and Socket Mode serving."""
