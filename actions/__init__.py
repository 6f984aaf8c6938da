"""Rasa custom actions, served by rasa-sdk's action server; they answer from the directory."""
