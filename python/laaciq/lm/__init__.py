"""The real-model probe."""
