"""Languages: which one a message is written in, and folding text for matching."""
