"""web_client package."""
