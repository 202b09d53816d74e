"""Anthropic Message Batches tests; ``helpers`` holds the requests and clients they share."""
