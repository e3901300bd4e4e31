"""Browsing an archive in Datasette: metadata, the plugin, and ``archiver serve``."""
