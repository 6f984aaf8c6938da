"""The reminder worker: due reminders from the database, fired into Rasa as EXTERNAL_reminder."""
