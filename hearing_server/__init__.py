"""hearing_server package."""
