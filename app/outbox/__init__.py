"""Subscribe messages by outbox: a message is a row written in the same transaction as the booking
or decision it reports, sent after the commit and retried from the table until WeChat takes it, so a
WeChat that is down can delay a message but never lose it, nor undo the write."""
