"""Starting the desk: the command line, the launcher of `make run`, its process supervisor, and
the demo data it seeds."""
