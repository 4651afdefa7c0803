"""The website chat: Rasa's socket.io protocol, so stock Rasa web-chat widgets work unchanged."""
