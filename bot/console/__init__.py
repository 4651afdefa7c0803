"""The agent console's pages: sign-in, the live queue, the conversation view, the supervisor
view, and the live feed that keeps them current."""
