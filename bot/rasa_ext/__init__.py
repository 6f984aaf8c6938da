"""Small extensions the Rasa server loads (runs in .venv-rasa: imports only Rasa and its deps)."""
