"""The language model: optional, never required. Without OPENAI_API_KEY everything is offline."""
