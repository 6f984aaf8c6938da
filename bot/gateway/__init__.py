"""The channel gateway: Telegram and the web widget in front of the Rasa server (HTTP only)."""
