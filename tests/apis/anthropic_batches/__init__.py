"""Anthropic Message Batches tests (not `anthropic/`: that package would shadow the SDK of the
same name on sys.path); ``helpers`` holds the requests and clients they share."""
