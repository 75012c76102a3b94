"""The Settings dialog (FAL key, processing, appearance, local API)."""
