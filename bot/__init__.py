"""The assistant's conversation (Rasa domain and dialogue data) and its channels."""
