"""Slack (slack_sdk): Events API and interactivity webhooks in, Web API calls out, and hand-off
notices to the team's channel."""
