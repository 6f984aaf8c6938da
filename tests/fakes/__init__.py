"""Local stand-ins for outside services, so end-to-end tests need no network or accounts."""
