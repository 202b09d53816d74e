"""Check's tests; ``helpers`` holds the requests they share."""
