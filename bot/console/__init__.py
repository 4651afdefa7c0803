"""The agent console: sign-in, the live queue, the conversation view and the supervisor view."""
