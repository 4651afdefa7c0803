"""The public pages the hub serves: the help centre, the contact page, the chat widget."""
