"""The people who work the desk: console accounts, roles and permissions, sessions, sign-in
throttling, and who is calling a request."""
