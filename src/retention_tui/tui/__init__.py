"""The Textual app: screens and widgets over the capability modules (never SQL here)."""
