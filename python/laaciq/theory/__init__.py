"""The numeric twin of the Lean theory."""
