"""The Slack face: a Bolt app whose listeners parse, call the assistant, and render Block Kit."""
