"""The tensor tool."""
