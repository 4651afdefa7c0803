"""Telegram (python-telegram-bot): webhook or long polling in, Bot API calls out."""
