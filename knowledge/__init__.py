"""Wayfinder's directory: opportunities, providers, credentials, pathways, and their search."""
