"""The feed framework: file names, reading, field parsers and per-feed schemas (pure, no ORM)."""
