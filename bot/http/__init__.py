"""The hub's ASGI app: the factory that wires every service and mounts every router, the
messaging platforms it serves, the error -> HTTP mapping, and one router module per resource of
the JSON API (conversations, uploads, the agent API, health)."""
