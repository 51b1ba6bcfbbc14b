"""The answer object and what turns engine results into answers."""
