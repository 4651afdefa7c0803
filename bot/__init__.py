"""The imageko support desk hub: channels, conversation router, tickets and agent console."""
