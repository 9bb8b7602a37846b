"""Background services of a running bot: the job scheduler, the outbox sender and leader election."""
