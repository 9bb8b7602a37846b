"""What the test modules share besides fixtures: the fakes of Slack, databases, signed requests and waiting."""
