"""The only code that talks to Rasa: the hub's client of the Rasa server, and the action
endpoint Rasa calls back."""
