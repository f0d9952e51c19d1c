"""transcript package."""
